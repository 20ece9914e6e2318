import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

# Rebuilt by migrate or worthless in a copy: content types, permissions, sessions, login attempts.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes", "admin.logentry"]


class Command(BaseCommand):
    help = (
        "Write a portable backup (all data as JSON + private media files) to one .tar.gz. "
        "Works on SQLite and PostgreSQL alike; for large PostgreSQL databases prefer pg_dump."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", help="File to write (default var/backups/crm-<time>.tar.gz)."
        )

    def handle(self, *args, output: str | None, **options) -> None:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = (
            Path(output) if output else Path(settings.VAR_DIR) / "backups" / f"crm-{stamp}.tar.gz"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        media = Path(settings.MEDIA_ROOT)
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data.json"
            call_command(
                "dumpdata",
                exclude=EXCLUDED,
                natural_foreign=True,
                output=str(data),
                verbosity=0,
            )
            partial = target.with_suffix(".partial")
            with tarfile.open(partial, "w:gz") as archive:
                archive.add(data, arcname="data.json")
                if media.exists():
                    archive.add(media, arcname="media")
            partial.replace(target)  # never leave a half-written backup under the final name
        size = target.stat().st_size / 1024 / 1024
        self.stdout.write(self.style.SUCCESS(f"Backup written: {target} ({size:.1f} MB)"))
