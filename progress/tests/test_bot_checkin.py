"""The check-in through the real bot: webhook → router → progress.checkin → fake Bot API."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.utils import timezone

from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT, SECRET, TOKEN, post_update  # noqa: F401
from botapp.tests.fakes import FakeBotAPI
from botapp.tests.journey import TelegramUser
from crm.models import Client
from progress import services
from progress.models import ProgressJournal, ProgressPhoto

from .factories import image_bytes

pytestmark = pytest.mark.django_db

USER = 777070


class FakeBotAPIWithFiles(FakeBotAPI):
    """The bot app's fake Bot API plus getFile and file downloads (photos a client sends)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}

    def _handle(self, request) -> None:
        path = unquote(request.path.split("?", 1)[0])
        if not path.startswith(f"/file/bot{TOKEN}/"):
            super()._handle(request)
            return
        data = self.files.get(path.rsplit("/", 1)[-1])
        request.send_response(200 if data is not None else 404)
        request.send_header("Content-Length", str(len(data or b"")))
        request.end_headers()
        request.wfile.write(data or b"")

    def _result(self, call):
        if call.method == "getFile":
            file_id = call.params["file_id"]
            size = len(self.files.get(file_id, b""))
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": size,
                "file_path": f"photos/{file_id}",
            }
        return super()._result(call)


@pytest.fixture
def fake_telegram(settings):
    server = FakeBotAPIWithFiles().start()
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE_URL = server.url
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.TELEGRAM_ADMIN_CHAT_ID = str(ADMIN_CHAT)
    settings.TELEGRAM_RATE_GLOBAL = 10_000.0
    settings.TELEGRAM_RATE_PER_CHAT = 10_000.0
    settings.TELEGRAM_RATE_PER_GROUP_MINUTE = 600_000.0
    settings.EXTERNAL_HTTP_TIMEOUT = 5.0
    yield server
    server.stop()


def photo_update(user_id: int, file_id: str) -> dict:
    sizes = [
        {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 120},
        {"file_id": file_id, "file_unique_id": "b", "width": 900, "height": 1200},
    ]
    return f.message(user_id, photo=sizes)


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


def test_client_sends_a_checkin_and_sees_the_change_since_start(
    olga, fake_telegram, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    olga.say("/progress")
    # Measurements and photos are health data: their own consent first (152-FZ art. 10).
    assert "ст. 10 152-ФЗ" in olga.last_text()
    olga.agree()
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
    assert summary.endswith("Фото спереди: пришлите его картинкой или пропустите.")
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
    # Photos: the bot downloads the largest size and stores it privately.
    fake_telegram.files["ph-front"] = image_bytes()
    olga.post(photo_update(USER, "ph-front"))
    assert olga.last_text().startswith("Фото сохранено. Фото сбоку")
    olga.post(photo_update(USER, "ph-missing"))  # Telegram fails to give the file
    assert olga.last_text().startswith("Не получилось загрузить фото")
    olga.press("Пропустить")  # side
    olga.press("Пропустить")  # back
    assert olga.last_text() == "Спасибо! Фото прогресса сохранены, тренер их увидит."
    photo = ProgressPhoto.objects.get(client__telegram_id=USER)
    assert (photo.pose, photo.source) == ("front", "bot")
    assert photo.image.read() == fake_telegram.files["ph-front"]
    # After the check-in free text goes to the trainer again, not to the journal.
    olga.say("Спасибо!")
    assert ProgressJournal.objects.filter(client__telegram_id=USER).count() == 2


def test_cancel_and_menu_during_a_checkin(olga):
    olga.say("/progress")
    olga.agree()
    olga.say("71")
    olga.say("/menu")  # other commands keep working
    olga.say("90")  # still the check-in: chest
    assert "3/11" in olga.last_text()
    olga.press("Отменить")
    assert "не сохранены" in olga.last_text()
    assert not ProgressJournal.objects.filter(period="week_1").exists()


def test_report_reaches_the_client_as_a_document(olga, fake_telegram, settings, tmp_path):
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
