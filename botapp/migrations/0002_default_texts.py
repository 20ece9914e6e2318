"""Ship the bot's texts and a starter FAQ in Russian, so admins see and edit every one."""

from django.db import migrations


def forwards(apps, schema_editor):
    from botapp.texts import DEFAULT_FAQ, DEFAULTS

    BotText = apps.get_model("botapp", "BotText")
    FaqEntry = apps.get_model("botapp", "FaqEntry")
    existing = set(BotText.objects.values_list("key", flat=True))
    BotText.objects.bulk_create(
        BotText(key=key, text=text, description=where)
        for key, (text, where) in DEFAULTS.items()
        if key not in existing
    )
    if not FaqEntry.objects.exists():
        FaqEntry.objects.bulk_create(
            FaqEntry(question=q, answer=a, order=i * 10) for i, (q, a) in enumerate(DEFAULT_FAQ, 1)
        )


class Migration(migrations.Migration):
    dependencies = [("botapp", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
