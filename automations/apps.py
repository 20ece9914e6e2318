from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from pipeline.signals import stage_entered, stages_entered

        from .services import stage_entered_receiver, stages_entered_receiver

        stage_entered.connect(stage_entered_receiver, dispatch_uid="automations-stage-entered")
        stages_entered.connect(stages_entered_receiver, dispatch_uid="automations-stages-entered")
