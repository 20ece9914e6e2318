"""A person's whole life through the bot, 152-FZ: consents, questionnaire, measurements and a photo,
messages to the trainer, staff edits (audited), a payment, /mydata, /forget, the daily purge — then no
trace of them in any table or file; the payment stays, anonymised, and the audit log keeps who did
what when without their values."""

import io
import json
import zipfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from botapp.tests import factories as f
from botapp.tests.conftest import post_update  # noqa: F401
from botapp.tests.journey import TelegramUser
from botapp.tests.test_questionnaire import answer_all
from crm.models import Client
from crm.services import client_update
from crm.tests.factories import AdminFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from privacy import services
from privacy.models import DeletionRequest
from privacy.services import REDACTED
from privacy.tests.test_lifecycle import _traces_in_database, _traces_in_files
from progress.models import ProgressJournal, ProgressPhoto
from progress.tests.factories import image_bytes
from progress.tests.test_bot_checkin import fake_telegram, photo_update  # noqa: F401

pytestmark = pytest.mark.django_db

FIRST, LAST, TG_USER, TG_ID = "Златослава", "Неповторимова", "zlata_unique_fit", 777000222
PHONE, EMAIL = "+79991112233", "zlata@example.org"
SECRET_TEXT = "мой секретный вопрос про колено"
NEEDLES = [FIRST, LAST, TG_USER, str(TG_ID), PHONE, "9991112233", EMAIL, SECRET_TEXT]


@pytest.fixture
def zlata(fake_telegram, post_update, settings, tmp_path, monkeypatch):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVACY_EXPORT_DIR = tmp_path / "exports"
    person = {"id": TG_ID, "is_bot": False, "first_name": FIRST, "last_name": LAST}
    person |= {"username": TG_USER, "language_code": "ru"}
    monkeypatch.setattr(f, "user", lambda user_id, *a, **k: dict(person))
    monkeypatch.setattr(f, "_chat", lambda user_id: {**person, "type": "private"})
    return TelegramUser(fake_telegram, post_update, TG_ID)


def test_consent_export_forget_purge_through_the_bot_leaves_no_trace(
    zlata,
    fake_telegram,  # noqa: F811
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    admin = AdminFactory()
    zlata.say("/start")
    zlata.press("🎁 Бесплатная программа")
    zlata.agree()
    answer_all(zlata)
    zlata.press("✅ Всё верно")
    client = Client.objects.get(telegram_id=TG_ID)
    assert client.first_name == FIRST and client.goal == "weight_loss"

    zlata.say("/progress")
    zlata.agree()  # the health-data consent
    zlata.say("70,5")
    for _ in range(10):
        zlata.press("Пропустить")
    fake_telegram.files["ph-front"] = image_bytes()
    zlata.post(photo_update(TG_ID, "ph-front"))
    zlata.say(SECRET_TEXT)  # to the trainer
    photo = ProgressPhoto.objects.get(client=client)
    assert ProgressJournal.objects.filter(client=client).exists()

    # Staff work on the client: audited with before/after values, and a note naming her.
    client_update(client=client, data={"phone": PHONE, "email": EMAIL}, actor=admin)
    audit_record(actor=admin, action="export", note=f"Выгрузка для {FIRST} {LAST}, {PHONE}")
    PaymentFactory(client=client, status="succeeded", paid_at=timezone.now(), metadata={"e": EMAIL})
    entries = AuditEntry.objects.count()

    zlata.say("/mydata")
    [(_name, body)] = [c.files["document"] for c in fake_telegram.sent("sendDocument")[-1:]]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = set(archive.namelist())
        readme = archive.read("README.txt").decode()
        consents = json.loads(archive.read("data/privacy.consent.json"))
        payments = json.loads(archive.read("data/payments.payment.json"))
    assert FIRST in readme and PHONE in readme
    assert sorted(c["fields"]["kind"] for c in consents) == ["health", "personal"]
    assert payments[0]["fields"]["status"] == "succeeded"
    assert {"data/progress.progressjournal.json", "data/crm.clientcontact.json"} <= names
    assert any(n.startswith("files/progress.progressphoto/") for n in names)
    assert any(n.startswith("files/programs.trainingprogram/") for n in names)

    zlata.say("/forget")
    zlata.press("🗑 Да, удалить мои данные")
    zlata.say("/forget")  # twice: harmless
    assert zlata.last_text().startswith("Ваш запрос на удаление уже принят")
    assert not Client.objects.filter(pk=client.pk).exists()

    with time_machine.travel(
        timezone.now() + timedelta(days=settings.PRIVACY_PURGE_GRACE_DAYS + 1)
    ):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_scheduled", "--job", "privacy-purge-daily", stdout=StringIO())
    request = DeletionRequest.objects.get()
    assert request.status == "purged" and request.steps[-1]["audit_entries_redacted"] >= 2
    assert not Path(photo.image.path).exists()

    payment = Payment.objects.get(client_id=client.pk)  # kept for accounting, anonymised
    assert payment.metadata == {} and payment.status == "succeeded"
    # The audit log keeps every entry, who and what, without her values.
    assert list(AuditEntry.objects.values_list("action", flat=True)[:3]) == [
        "privacy.purge",
        "privacy.forget",
        "privacy.export",  # /mydata
    ]
    assert AuditEntry.objects.count() == entries + 3
    update = AuditEntry.objects.get(action="client.update", client_id=client.pk)
    assert update.changes == {"phone": [REDACTED, REDACTED], "email": [REDACTED, REDACTED]}
    assert update.actor == admin and update.redacted_at is not None
    assert update.object_repr == f"Удалённый клиент #{client.pk}"
    note = AuditEntry.objects.get(action="export").note
    assert note == f"Выгрузка для {REDACTED}, {REDACTED}"

    services.exports_cleanup(now=timezone.now() + timedelta(days=2))
    traces = _traces_in_database(NEEDLES)
    assert traces == [], "\n".join(sorted(set(traces)))
    assert _traces_in_files(tmp_path, needles=NEEDLES) == []
