"""The whole client journey, driven only by what the bot sends and the buttons it offers.

/start → questionnaire (with wrong answers) → free PDF → tariffs → Buy → fake YooKassa success
webhook → paid PDF → Активный клиент. Real update JSON to the webhook, python-telegram-bot's real HTTP
layer to the fake Bot API, the real yookassa SDK to the fake YooKassa, WeasyPrint PDFs read back.
"""

import io
import json

import pytest
from pypdf import PdfReader

from botapp.models import OutboundMessage
from botapp.tasks import program_deliver_task
from botapp.tests.conftest import ADMIN_CHAT
from botapp.tests.journey import TelegramUser
from botapp.tests.test_questionnaire import answer_all
from crm.models import Client, ClientContact, Lead
from payments.models import Payment
from payments.tests.factories import TariffFactory
from payments.tests.fake_yookassa import notification
from pipeline.models import StageMove
from programs.models import TrainingProgram

pytestmark = pytest.mark.django_db
USER = 123123123


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_full_journey_to_active_client(
    fake_telegram, post_update, yookassa, client, django_capture_on_commit_callbacks
):
    TariffFactory(name="12 недель с тренером", price="4990.00", grants_paid_program=True)
    anna = TelegramUser(fake_telegram, post_update, USER)

    anna.say("/start vk_ads")
    anna.press("🎁 Бесплатная программа")
    anna.agree()
    answer_all(anna)  # with wrong answers on the way
    anna.press("✅ Всё верно")

    person = Client.objects.get(telegram_id=USER)
    documents = fake_telegram.sent("sendDocument", chat_id=USER)
    assert len(documents) == 1, anna.texts()
    free_name, free_pdf = documents[0].files["document"]
    assert free_name == "Бесплатная программа.pdf" and free_pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(free_pdf)).pages) >= 1 and pdf_text(free_pdf).strip()
    free = TrainingProgram.objects.get(client=person, kind="free")
    assert free.delivered_at is not None
    # Right after the free program: the tariffs with a Buy button.
    assert anna.texts()[-1].startswith("Понравилась программа?")
    anna.press("Купить «12 недель с тренером»")

    payment = Payment.objects.get(client=person)
    assert anna.link("💳 Оплатить") == payment.confirmation_url
    person.refresh_from_db()
    assert person.stage.code == "deciding"

    yookassa.set_status(payment.provider_payment_id, "succeeded")
    body = json.dumps(notification("payment.succeeded", payment.provider_payment_id))
    for _ in range(2):  # a repeated notification changes nothing and sends nothing
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/payments/yookassa/webhook/", data=body, content_type="application/json"
            )
        assert response.status_code == 200

    documents = fake_telegram.sent("sendDocument", chat_id=USER)
    assert [d.files["document"][0] for d in documents] == [
        "Бесплатная программа.pdf",
        "Программа на 12 недель.pdf",
    ]
    paid_pdf = documents[1].files["document"][1]
    assert len(PdfReader(io.BytesIO(paid_pdf)).pages) > len(PdfReader(io.BytesIO(free_pdf)).pages)
    paid = TrainingProgram.objects.get(client=person, kind="paid")
    assert paid.delivered_at is not None

    # A retried delivery task sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        program_deliver_task(program_id=paid.pk)
        program_deliver_task(program_id=free.pk)
    assert len(fake_telegram.sent("sendDocument", chat_id=USER)) == 2

    person.refresh_from_db()
    assert person.stage.code == "active" and person.stage.name == "Активный клиент"
    events = list(
        StageMove.objects.filter(client=person)
        .order_by("moved_at", "id")
        .values_list("event", flat=True)
    )
    assert events == [
        "lead_created",
        "questionnaire_completed",
        "payment_created",
        "payment_succeeded",
        "program_delivered",
    ]
    assert Lead.objects.get(client=person).status == Lead.Status.CONVERTED
    assert Lead.objects.get(client=person).source == "vk_ads"

    # No duplicate messages: every text the client got after the questionnaire is there once.
    texts = anna.texts()
    tail = texts[
        texts.index("Спасибо! Готовлю вашу бесплатную программу — пришлю её сюда через минуту.") :
    ]
    assert len(tail) == len(set(tail)), tail
    assert sum("Спасибо" in t and "оплат" in t.lower() for t in texts) == 1
    assert not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists()

    # The trainer sees every message on the client's page: each inbound update and each sent
    # message (texts and documents) is one history row.
    inbound = ClientContact.objects.filter(client=person, direction="inbound").count()
    outbound = ClientContact.objects.filter(client=person, direction="outbound").count()
    assert outbound == len(anna.messages())
    assert inbound == len([c for c in fake_telegram.sent("answerCallbackQuery")]) + sum(
        1
        for t in ClientContact.objects.filter(client=person, direction="inbound").values_list(
            "text", flat=True
        )
        if not t.startswith("[кнопка]")
    )
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert len(staff) == len(set(staff))
