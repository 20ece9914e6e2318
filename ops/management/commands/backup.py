from django.core.management.base import BaseCommand, CommandError

from ops.backups import BackupError
from ops.services import backup_run


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump -Fc; SQLite: online backup API) and the media "
        "files into BACKUP_DIR, checksummed, then delete backups past retention."
    )

    def handle(self, *args, **options) -> None:
        try:
            run = backup_run()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = (run.size_bytes or 0) / 1024 / 1024
        self.stdout.write(self.style.SUCCESS(f"Backup written: {run.detail} ({size:.1f} MB)"))
