from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from payments.services import payments_check_pending


class Command(BaseCommand):
    help = (
        "Re-read open online payments from YooKassa and settle them (for webhooks that never came)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-age",
            type=int,
            default=2,
            help="Skip payments younger than this many minutes (their webhook may still come).",
        )

    def handle(self, *args, min_age: int, **options) -> None:
        result = payments_check_pending(min_age=timedelta(minutes=min_age))
        self.stdout.write(
            f"Checked {result.checked}, settled {result.changed}, could not check {result.failed}."
        )
