from django.db import migrations

from automations.defaults import DEFAULT_RULES, create_default_rules


def create_rules(apps, schema_editor):
    create_default_rules(
        apps.get_model("automations", "Rule"), apps.get_model("pipeline", "PipelineStage")
    )


def remove_rules(apps, schema_editor):
    apps.get_model("automations", "Rule").objects.filter(
        code__in=[rule["code"] for rule in DEFAULT_RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("automations", "0001_initial"), ("pipeline", "0002_default_stages")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
