"""The first published consent texts (Russian). Staff edit them in admin, which publishes version 2."""

from django.db import migrations
from django.utils import timezone

PERSONAL = (
    "Чтобы подобрать вам программу тренировок, тренеру нужны ваши ответы на анкету: имя, пол, "
    "возраст, рост, вес, цель и опыт тренировок, а также ваш Telegram для связи.\n\n"
    "Нажимая «Согласен», вы даёте согласие на обработку этих персональных данных для подбора "
    "программы, связи с вами и приёма оплаты (Федеральный закон № 152-ФЗ «О персональных "
    "данных»). Согласие действует, пока вы его не отзовёте: команда /forget удалит ваши данные "
    "в течение 30 дней, а /mydata пришлёт всё, что о вас хранится."
)
HEALTH = (
    "Чтобы следить за вашим прогрессом, тренер хранит ваши замеры (вес, объёмы) и фотографии. "
    "Это сведения о состоянии здоровья: по закону (ст. 10 152-ФЗ) на их обработку нужно "
    "отдельное согласие.\n\nНажимая «Согласен», вы даёте согласие на обработку замеров и фото "
    "только для оценки прогресса и корректировки программы. Отозвать его можно командой /forget."
)


def publish(apps, schema_editor):
    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    now = timezone.now()
    for kind, text in (("personal", PERSONAL), ("health", HEALTH)):
        PolicyVersion.objects.get_or_create(
            kind=kind, version=1, defaults={"text": text, "published_at": now}
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
