from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from pipeline.signals import stage_entered

        from .services import stage_entered_receiver

        stage_entered.connect(stage_entered_receiver, dispatch_uid="automations-stage-entered")
