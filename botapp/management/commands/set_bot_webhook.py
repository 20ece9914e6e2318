from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from botapp import client as tg


class Command(BaseCommand):
    help = "Register the bot's webhook (SITE_URL + /bot/webhook/) and secret with Telegram."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="Public webhook URL (default: SITE_URL/bot/webhook/).")
        parser.add_argument("--delete", action="store_true", help="Remove the webhook instead.")

    def handle(self, *args, **options) -> None:
        if not tg.bot_enabled():
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: the bot is off.")
        try:
            if options["delete"]:
                tg.delete_webhook()
                self.stdout.write(self.style.SUCCESS("Webhook removed."))
                return
            if not settings.TELEGRAM_WEBHOOK_SECRET:
                raise CommandError(
                    "Set TELEGRAM_WEBHOOK_SECRET first: the webhook refuses updates without it."
                )
            url = options["url"] or settings.SITE_URL + reverse("botapp:webhook")
            if not url.startswith("https://"):
                self.stderr.write("Telegram accepts only https:// webhook URLs; trying anyway.")
            tg.set_webhook(url, settings.TELEGRAM_WEBHOOK_SECRET)
        except tg.BotError as exc:
            raise CommandError(f"Telegram refused: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Webhook set to {url}"))
