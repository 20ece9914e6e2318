import logging
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from botapp import client as tg
from botapp.models import TelegramUpdate
from botapp.services import update_store

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Long polling for development and small installs: fetch updates and hand them to the worker "
        "exactly as the webhook does (removes a registered webhook first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=int, default=25, help="Long-poll seconds.")
        parser.add_argument("--once", action="store_true", help="One poll, then exit.")

    def handle(self, *args, **options) -> None:
        if not tg.bot_enabled():
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: the bot is off.")
        try:
            me = tg.get_me()
            tg.delete_webhook()
        except tg.BotError as exc:
            raise CommandError(f"Telegram refused: {exc}") from exc
        self.stdout.write(f"Polling as @{me.get('username')} (Ctrl-C to stop)…")
        last = TelegramUpdate.objects.filter(update_id__gt=0).order_by("-update_id").first()
        offset = last.update_id + 1 if last else None
        backoff = 1
        while True:
            try:
                updates = tg.get_updates(offset, timeout=options["timeout"])
                backoff = 1
            except tg.BotRetryAfter as exc:
                time.sleep(exc.seconds)
                continue
            except tg.BotError as exc:
                logger.warning("getUpdates failed: %s; retrying in %s s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            for payload in updates:
                try:
                    update_store(payload=payload, source=TelegramUpdate.Source.POLLING)
                except ValueError:
                    logger.warning("Skipped a malformed update: %s", payload)
                offset = payload["update_id"] + 1
            if options["once"]:
                self.stdout.write(f"{len(updates)} update(s) stored.")
                return
