from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-ups")

    def ready(self) -> None:
        from .checks import task_names_check

        checks.register(task_names_check, "celery")
