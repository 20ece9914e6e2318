"""Consent → export → forget → purge, then no trace of the person in any table or file."""

import json
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

from botapp.models import BotChat, OutboundMessage, TelegramUpdate
from crm.models import Client, ClientAction, ClientContact, Lead
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from pipeline.services import stage_apply_event
from privacy import selectors, services
from privacy.models import Channel, Consent, ConsentKind, DeletionRequest
from programs.tests.factories import TrainingProgramFactory
from progress.models import ProgressPhoto
from progress.tests.factories import ProgressJournalFactory, image_bytes

pytestmark = pytest.mark.django_db

FIRST, LAST = "Златослава", "Неповторимова"
PHONE, TG_ID, TG_USER, EMAIL = "+79991112233", 777000111, "zlata_unique_fit", "zlata@example.org"
SECRET_TEXT = "мой секретный вопрос про колено"
NEEDLES = [FIRST, LAST, PHONE, "9991112233", str(TG_ID), TG_USER, EMAIL, SECRET_TEXT]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVACY_EXPORT_DIR = tmp_path / "exports"
    return settings.MEDIA_ROOT


@pytest.fixture
def person(media):
    """A client with data in every domain: questionnaire, consents, measurements, photos, a program
    PDF, messages both ways, Telegram updates, history, notes and a paid payment."""
    trainer = TrainerFactory()
    client = ClientFactory(
        trainer=trainer,
        stage=None,
        first_name=FIRST,
        last_name=LAST,
        phone=PHONE,
        telegram_id=TG_ID,
        telegram_username=TG_USER,
        email=EMAIL,
        gender="female",
        age=34,
        goal="weight_loss",
        height_cm=168,
        weight_kg=Decimal("71.5"),
        notes=f"Колено болит. {SECRET_TEXT}",
    )
    stage_apply_event(client=client, event="lead_created")
    Lead.objects.create(client=client, source="telegram")
    ClientAction.objects.create(
        client=client, kind="note", description=f"Звонила {FIRST}", happened_at=timezone.now()
    )
    for kind in ConsentKind.values:
        services.consent_record(
            client=client, kind=kind, decision="granted", channel=Channel.TELEGRAM
        )
    ProgressJournalFactory(client=client, notes=SECRET_TEXT)
    photo = ProgressPhoto(client=client, pose="front")
    photo.image.save("front.jpg", ContentFile(image_bytes()), save=True)
    program = TrainingProgramFactory(client=client)
    program.pdf.save("program.pdf", ContentFile(b"%PDF-1.7 " + FIRST.encode()), save=True)
    ClientContact.objects.create(
        client=client,
        channel="telegram",
        direction="inbound",
        text=SECRET_TEXT,
        contact_data=f"@{TG_USER}",
        sent_at=timezone.now(),
    )
    OutboundMessage.objects.create(chat_id=TG_ID, client=client, text=f"{FIRST}, привет!")
    BotChat.objects.create(chat_id=TG_ID, client=client)
    TelegramUpdate.objects.create(
        update_id=5550001,
        chat_id=TG_ID,
        kind="message",
        payload={
            "update_id": 5550001,
            "message": {"from": {"first_name": FIRST, "username": TG_USER}, "text": SECRET_TEXT},
        },
    )
    payment = PaymentFactory(
        client=client,
        status="succeeded",
        paid_at=timezone.now(),
        metadata={"receipt_email": EMAIL, "phone": PHONE},
    )
    return {"client": client, "photo": photo, "program": program, "payment": payment}


def _text_columns():
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            for field in model._meta.concrete_fields:
                if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                    yield model, field
                elif isinstance(field, (models.BigIntegerField, models.PositiveBigIntegerField)):
                    yield model, field


def _traces_in_database(needles: list[str] = NEEDLES) -> list[str]:
    found = []
    for model, field in _text_columns():
        table, column = model._meta.db_table, field.column
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
            for (value,) in cursor.fetchall():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for needle in needles:
                    if needle in str(text):
                        found.append(f"{table}.{column}: {needle}")
    return found


def _traces_in_files(*roots: Path, needles: list[str] = NEEDLES) -> list[str]:
    found = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file():
                body = path.read_bytes()
                found += [f"{path}: {n}" for n in needles if n.encode() in body or n in path.name]
    return found


def test_consent_export_forget_purge_leaves_no_trace(
    person, media, django_capture_on_commit_callbacks
):
    client = person["client"]
    photo_path = Path(person["photo"].image.path)
    pdf_path = Path(person["program"].pdf.path)
    assert selectors.may_message(client) and selectors.may_process_health(client)

    # Export: one zip with everything, readable.
    export = services.client_export(client=client)
    [part] = export.parts
    with zipfile.ZipFile(part) as archive:
        names = set(archive.namelist())
        summary = archive.read("README.txt").decode()
        consents = json.loads(archive.read("data/privacy.consent.json"))
        payments = json.loads(archive.read("data/payments.payment.json"))
        telegram = archive.read("data/telegram_messages.json").decode()
        photo_bytes = [
            archive.read(n) for n in names if n.startswith("files/progress.progressphoto/")
        ]
        pdfs = [n for n in names if n.startswith("files/programs.trainingprogram/")]
    assert FIRST in summary and PHONE in summary and "34" in summary
    assert {
        "data/crm.client.json",
        "data/progress.progressjournal.json",
        "data/crm.clientcontact.json",
        "data/pipeline.stagemove.json",
    } <= names
    assert len(consents) == 2 and payments[0]["fields"]["amount"] == str(person["payment"].amount)
    assert SECRET_TEXT in telegram
    assert photo_bytes == [photo_path.read_bytes()] and len(pdfs) == 1

    # Forget: gone at once, messaging stops, identifiers freed.
    with django_capture_on_commit_callbacks(execute=True):
        result = services.client_forget(client=client, channel=Channel.TELEGRAM)
    assert result.created
    assert not Client.objects.filter(pk=client.pk).exists()
    hidden = Client._base_manager.get(pk=client.pk)
    assert hidden.telegram_id is None and hidden.phone is None and hidden.first_name == ""
    assert not selectors.may_message(hidden)
    assert OutboundMessage.objects.get(client=hidden).status == "skipped"
    again = services.client_forget(client=hidden, channel=Channel.TELEGRAM)  # /forget twice
    assert not again.created and DeletionRequest.objects.count() == 1

    # The daily purge, within 30 days.
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_scheduled", "--job", "privacy-purge-daily", stdout=StringIO())

    request = DeletionRequest.objects.get()
    assert request.status == "purged" and request.purge_keys == {}
    assert [s["step"] for s in request.steps] == ["requested", "hidden", "purged"]
    assert not photo_path.exists() and not pdf_path.exists()
    assert not TelegramUpdate.objects.filter(chat_id=TG_ID).exists()
    assert not BotChat.objects.filter(chat_id=TG_ID).exists()
    payment = Payment.objects.get(pk=person["payment"].pk)  # kept for accounting, anonymised
    assert payment.amount == person["payment"].amount and payment.metadata == {}
    assert payment.client_id == client.pk and str(payment.client).startswith("Удалённый клиент")
    services.exports_cleanup(now=timezone.now() + timedelta(days=2))
    assert _traces_in_database() == []
    assert _traces_in_files(media, Path(services.export_dir())) == []


def test_a_person_who_comes_back_after_the_purge_is_new(person, django_capture_on_commit_callbacks):
    from botapp.services import client_from_telegram

    client = person["client"]
    services.client_forget(client=client, channel=Channel.TELEGRAM)
    services.clients_purge(now=timezone.now() + timedelta(days=30))

    new, created = client_from_telegram(
        user_id=TG_ID, chat_id=TG_ID, first_name=FIRST, username=TG_USER
    )
    assert created and new.pk != client.pk
    assert selectors.consent_decision(client=new, kind=ConsentKind.PERSONAL) is None


def test_purge_waits_for_the_grace_period_and_runs_once(person, settings):
    settings.PRIVACY_PURGE_GRACE_DAYS = 3
    services.client_forget(client=person["client"], channel=Channel.STAFF)
    assert services.clients_purge(now=timezone.now() + timedelta(days=2)) == 0
    assert services.clients_purge(now=timezone.now() + timedelta(days=3, minutes=1)) == 1
    assert services.clients_purge(now=timezone.now() + timedelta(days=4)) == 0


def test_forgotten_client_is_404_for_admins_and_gone_from_lists(client, person):
    admin = AdminFactory()
    client.force_login(admin)
    forgotten = person["client"]
    assert client.get(f"/clients/{forgotten.pk}/").status_code == 200
    services.client_forget(client=forgotten, channel=Channel.TELEGRAM)

    for url in (
        f"/clients/{forgotten.pk}/",
        f"/api/clients/{forgotten.pk}/pipeline-history",
        f"/clients/{forgotten.pk}/progress/",
        f"/clients/{forgotten.pk}/privacy/export/",
    ):
        assert client.get(url).status_code == 404, url
    listing = client.get("/clients/").content.decode()
    assert FIRST not in listing and LAST not in listing
    payments_page = client.get("/payments/").content.decode()
    assert FIRST not in payments_page


def test_may_message_follows_the_latest_decision_and_legacy_clients(media):
    from privacy.selectors import clients_messageable, policy_current

    policy = policy_current(kind=ConsentKind.PERSONAL)
    legacy = ClientFactory(created_at=policy.published_at - timedelta(days=1))
    newcomer = ClientFactory()
    assert selectors.may_message(legacy) and not selectors.may_message(newcomer)
    services.consent_record(
        client=newcomer, kind="personal", decision="granted", channel="telegram"
    )
    services.consent_record(client=legacy, kind="personal", decision="declined", channel="telegram")
    assert selectors.may_message(newcomer) and not selectors.may_message(legacy)
    assert set(clients_messageable(Client.objects.all())) == {newcomer}
    assert not selectors.may_process_health(newcomer)
    services.consent_record(client=newcomer, kind="health", decision="granted", channel="telegram")
    assert selectors.may_process_health(newcomer)


def test_consent_records_the_text_version_time_and_channel(media):
    client = ClientFactory()
    first = services.consent_record(
        client=client, kind="personal", decision="granted", channel="website"
    )
    newer = services.policy_publish(
        kind="personal", text="Новая редакция", policy_url="https://x.ru/p"
    )
    second = services.consent_record(
        client=client, kind="personal", decision="granted", channel="telegram"
    )
    assert first.policy.version == 1 and second.policy == newer and newer.version == 2
    assert Consent.objects.filter(client=client).count() == 2
