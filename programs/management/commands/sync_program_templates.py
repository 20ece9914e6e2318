import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs import services
from programs.library import bundled_rows
from programs.models import TemplateVersion


class Command(BaseCommand):
    help = (
        "Load the program template library (Google Sheets, public CSV export or the bundled copy) "
        "into the database as a new active version. A broken sheet loads nothing and lists the "
        "rows to fix; the previous version stays in use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            choices=TemplateVersion.Source.values,
            help="Where to load from (default: gspread when PROGRAM_SHEET_KEY and "
            "GOOGLE_SERVICE_ACCOUNT_FILE are set, else csv when PROGRAM_SHEET_CSV_URLS is set, "
            "else bundled).",
        )
        parser.add_argument(
            "--export-csv",
            metavar="DIR",
            help="Write the bundled library as one CSV per sheet tab into DIR (a starting sheet "
            "to import into Google Sheets) and exit.",
        )

    def handle(self, *args, source: str | None, export_csv: str | None, **options) -> None:
        if export_csv:
            folder = Path(export_csv)
            folder.mkdir(parents=True, exist_ok=True)
            for tab, rows in bundled_rows().items():
                path = folder / f"{tab}.csv"
                with path.open("w", encoding="utf-8", newline="") as handle:
                    csv.writer(handle).writerows(rows)
                self.stdout.write(f"{path}: {len(rows) - 1} rows")
            return
        try:
            result = services.templates_sync(source=source)
        except services.TemplateSyncError as exc:
            for problem in exc.problems[:50]:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"Nothing loaded: {exc}") from exc
        version = result.version
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded version {version.number} from {version.get_source_display()}: "
                    f"{version.template_count} programs, {version.row_count} rows."
                )
            )
        else:
            self.stdout.write(f"Version {version.number} is unchanged; nothing loaded.")
