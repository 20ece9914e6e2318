from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Clients")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_tally_install, sender=self)


def _tally_install(sender, using, **kwargs):
    from django.db import connections

    from .tally import tally_install

    tally_install(connections[using])
