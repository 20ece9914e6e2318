"""The check-in through the real bot: webhook → router → progress.checkin → fake Bot API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from botapp.tests.conftest import ADMIN_CHAT, fake_telegram, post_update  # noqa: F401
from botapp.tests.journey import TelegramUser
from crm.models import Client
from progress import services
from progress.models import ProgressJournal

pytestmark = pytest.mark.django_db

USER = 777070


@pytest.fixture
def olga(fake_telegram, post_update):  # noqa: F811
    person = TelegramUser(fake_telegram, post_update, USER)
    person.say("/start")
    client = Client.objects.get(telegram_id=USER)
    services.measurement_save(
        client=client,
        period="before",
        values={"weight": Decimal(72), "waist": Decimal(84)},
        measured_on=timezone.localdate() - timedelta(days=7),
    )
    return person


def test_client_sends_a_checkin_and_sees_the_change_since_start(olga, fake_telegram):  # noqa: F811
    olga.say("/progress")
    assert "неделя 1" in olga.last_text() and "Вес, кг?" in olga.last_text()
    assert olga.buttons() == ["Пропустить", "Отменить"]
    olga.say("семьдесят")
    assert olga.last_text().startswith("Не понял число")
    olga.say("700")
    assert "ожидаю от 30 до 300" in olga.last_text()
    olga.say("70,5")
    olga.press("Пропустить")  # chest
    olga.say("81")  # waist
    for _ in range(8):
        olga.press("Пропустить")
    summary = olga.last_text()
    assert "Спасибо! Замеры сохранены (неделя 1)." in summary
    assert "Вес, кг: 70,5 (−1,5 с начала)" in summary
    assert "Талия, см: 81 (−3 с начала)" in summary
    entry = ProgressJournal.objects.get(client__telegram_id=USER, period="week_1")
    assert (entry.weight, entry.chest, entry.waist, entry.source) == (
        Decimal("70.5"),
        None,
        Decimal(81),
        "bot",
    )
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert any("прислал(а) замеры (Неделя 1)" in text for text in staff)
    # After the check-in free text goes to the trainer again, not to the journal.
    olga.say("Спасибо!")
    assert ProgressJournal.objects.filter(client__telegram_id=USER).count() == 2


def test_cancel_and_menu_during_a_checkin(olga):
    olga.say("/progress")
    olga.say("71")
    olga.say("/menu")  # other commands keep working
    olga.say("90")  # still the check-in: chest
    assert "3/11" in olga.last_text()
    olga.press("Отменить")
    assert "не сохранены" in olga.last_text()
    assert not ProgressJournal.objects.filter(period="week_1").exists()


def test_report_reaches_the_client_as_a_document(olga, fake_telegram, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    client = Client.objects.get(telegram_id=USER)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.report_send(client=client, comment="Так держать!")
    [document] = fake_telegram.sent("sendDocument", chat_id=USER)
    assert document.params.get("caption") == "Ваш отчёт о прогрессе"
    filename, data = document.files["document"]
    assert filename.endswith(".pdf") and data.startswith(b"%PDF-")
    with TestCase.captureOnCommitCallbacks(execute=True):  # a retried task sends nothing twice
        from botapp.tasks import send_document_task

        send_document_task(client_id=client.pk, path=f"progress/reports/{client.pk}/{filename}")
    assert len(fake_telegram.sent("sendDocument", chat_id=USER)) == 1
