import shutil
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from crm.models import Client, User


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into this (migrated) database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The .tar.gz written by `manage.py backup`.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the data already in this database first (otherwise it must be empty).",
        )

    def handle(self, *args, archive: str, replace: bool, **options) -> None:
        source = Path(archive)
        if not source.is_file():
            raise CommandError(f"No such backup: {source}")
        if not replace and (Client.objects.exists() or User.objects.exists()):
            raise CommandError(
                "This database already holds data. Restore into an empty database, or pass --replace "
                "to delete what is here first."
            )
        with tempfile.TemporaryDirectory() as tmp:
            try:
                with tarfile.open(source, "r:gz") as tar:
                    tar.extractall(tmp, filter="data")
            except (tarfile.TarError, OSError) as exc:
                raise CommandError(f"Not a readable backup: {exc}") from exc
            data = Path(tmp) / "data.json"
            if not data.is_file():
                raise CommandError("The archive holds no data.json: not a backup of this app.")
            with transaction.atomic():
                if replace:
                    call_command("flush", interactive=False, verbosity=0)
                call_command("loaddata", str(data), verbosity=0)
            media = Path(tmp) / "media"
            if media.is_dir():
                shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {Client.objects.count()} clients and {User.objects.count()} staff users "
                f"from {source}."
            )
        )
