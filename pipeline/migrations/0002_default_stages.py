from django.db import migrations

from pipeline.defaults import DEFAULT_STAGES, create_default_stages


def create_stages(apps, schema_editor):
    create_default_stages(apps.get_model("pipeline", "PipelineStage"))


def remove_stages(apps, schema_editor):
    PipelineStage = apps.get_model("pipeline", "PipelineStage")
    PipelineStage.objects.filter(code__in=[row[0] for row in DEFAULT_STAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]

    operations = [migrations.RunPython(create_stages, remove_stages)]
