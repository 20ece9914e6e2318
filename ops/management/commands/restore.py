from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.models import Client, User
from ops.backups import BackupError, backup_restore, backups_list


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` (a directory in BACKUP_DIR, or `latest`) into "
        "this site's database and media. Run `manage.py migrate` afterwards if the code is newer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="The backup directory, or `latest`.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the data already in this database (otherwise it must be empty).",
        )

    def handle(self, *args, backup: str, replace: bool, **options) -> None:
        if backup == "latest":
            found = backups_list()
            if not found:
                raise CommandError("There is no backup in BACKUP_DIR.")
            backup = str(found[-1].path)
        if not replace and (Client.objects.exists() or User.objects.exists()):
            raise CommandError(
                "This database already holds data. Restore into an empty database, or pass "
                "--replace to replace what is here."
            )
        try:
            restored = backup_restore(path=backup)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {restored.name}: {Client.objects.count()} clients, "
                f"{User.objects.count()} staff users."
            )
        )
