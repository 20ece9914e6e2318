from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backups import BackupError
from ops.services import restore_drill_run


class Command(BaseCommand):
    help = (
        "Restore the latest backup (or the one given) into a scratch database and compare every "
        "table's row count with the source; reports to the staff chat and /healthz."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", nargs="?", help="A backup directory (default: the latest).")

    def handle(self, *args, backup: str | None, **options) -> None:
        try:
            run = restore_drill_run(path=backup)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restore drill passed ({run.name}): {run.detail}"))
