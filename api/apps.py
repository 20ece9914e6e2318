from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("API and webhooks")

    def ready(self) -> None:
        # Outgoing webhooks observe the domain's history rows; they never steer the business flow.
        from . import receivers  # noqa: F401
