import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from crm import demo

SEED_JOBS = ["ops-database-analyze", "crm-summaries-refresh"]


class Command(BaseCommand):
    help = (
        "Load a demo business: staff, clients with stage histories, leads, actions and contacts, and "
        "what each app adds (programs, payments, progress). Idempotent: a re-run adds only what is "
        "missing. Streams in batches: 100 000 clients seed in bounded memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients", type=int, default=300, help="Number of demo clients (default 300)."
        )

    def handle(self, *args, clients: int, **options) -> None:
        started = time.monotonic()
        demo.seed_business(count=clients, log=self.stdout.write)
        # What the scheduler would do next, so the demo shows it at once: the planner's statistics
        # and the pages' summaries (their "as of" line).
        call_command("run_scheduled", job=SEED_JOBS, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
        self.stdout.write(
            f"Log in as {demo.DEMO_ADMIN.username} / {demo.DEMO_ADMIN.password} (admin) or "
            f"{demo.DEMO_TRAINER.username} / {demo.DEMO_TRAINER.password} (trainer)."
        )
