"""The first published consent texts (Russian). Staff edit them in admin, which publishes version 2."""

from django.db import migrations
from django.utils import timezone

from privacy.defaults import SHIPPED


def publish(apps, schema_editor):
    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    now = timezone.now()
    for kind, text in SHIPPED.items():
        PolicyVersion.objects.get_or_create(
            kind=kind, version=1, defaults={"text": text, "published_at": now}
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
