from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """The shared UI kernel: template filters (money, numbers, labels) and server-side SVG charts."""

    name = "ui"
    verbose_name = _("Interface")
