from django.db import migrations

from pipeline.defaults import DEFAULT_LOST_REASONS, create_default_lost_reasons


def create_reasons(apps, schema_editor):
    create_default_lost_reasons(apps.get_model("pipeline", "LostReason"))


def remove_reasons(apps, schema_editor):
    apps.get_model("pipeline", "LostReason").objects.filter(name__in=DEFAULT_LOST_REASONS).delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0003_lost_reasons")]

    operations = [migrations.RunPython(create_reasons, remove_reasons)]
