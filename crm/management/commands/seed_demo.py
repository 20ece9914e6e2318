import random
import time
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from crm import demo
from crm.models import Client, User
from pipeline.services import stages_ensure_defaults


class Command(BaseCommand):
    help = (
        "Load a demo business: staff, clients with stage histories, leads, actions and contacts, and "
        "what each app adds (programs, payments, progress). Idempotent: a re-run adds only what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients", type=int, default=300, help="Number of demo clients (default 300)."
        )

    def handle(self, *args, clients: int, **options) -> None:
        started = time.monotonic()
        stages_ensure_defaults()
        users, users_created = demo.ensure_demo_users()
        trainers = [u for u in users if u.role == User.Role.TRAINER]
        created = demo.seed_clients(count=clients, trainers=trainers)
        self.stdout.write(f"Staff: {users_created} created. Clients: {len(created)} created.")
        # Each app may extend the demo with its own idempotent `demo.seed(clients=..., rng=...)`; it
        # gets every demo client, so an app added later fills in the clients seeded before it.
        everyone = list(
            Client.objects.filter(phone__startswith=demo.DEMO_PHONE_PREFIX)
            .select_related("stage", "trainer")
            .order_by("pk")
        )
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if config.name == "crm" or find_spec(module_name) is None:
                continue
            rows = import_module(module_name).seed(clients=everyone, rng=random.Random(config.name))
            self.stdout.write(f"{config.verbose_name}: {rows} rows created.")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
        self.stdout.write(
            f"Log in as {demo.DEMO_ADMIN.username} / {demo.DEMO_ADMIN.password} (admin) or "
            f"{demo.DEMO_TRAINER.username} / {demo.DEMO_TRAINER.password} (trainer)."
        )
