from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotappConfig(AppConfig):
    name = "botapp"
    verbose_name = _("Telegram bot")

    def ready(self) -> None:
        # Register the tasks other domains enqueue by name (botapp.staff_notify, …) in every
        # process, not only in a worker that autodiscovered them.
        from . import tasks  # noqa: F401
