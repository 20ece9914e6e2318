from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = _("Progress journal")

    def ready(self) -> None:
        from privacy.signals import health_withdrawn

        from .services import health_data_delete

        health_withdrawn.connect(health_data_delete, dispatch_uid="progress-health-withdrawn")
