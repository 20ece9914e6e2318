import json
import time

import pytest
from django.test import override_settings

from crm.models import Client, Lead
from marketing.chat import contact_detect
from marketing.models import ChatMessage, ChatSession, WebsiteSettings
from payments.models import Tariff
from programs.tests.servers import json_response

from .conftest import SITE, completion

VISITOR = "visitor-0123456789"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def send(text="Здравствуйте", *, session=VISITOR, origin=SITE, raw=None, **headers):
        body = (
            raw
            if raw is not None
            else json.dumps({"session": session, "text": text, "consent": True})
        )
        extra = {"HTTP_ORIGIN": origin} if origin else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/api/chat/message", data=body, content_type="application/json", **extra, **headers
            )

    return send


def test_answer_comes_from_the_llm_with_prompt_tariffs_and_faq(site, llm, post):
    from botapp.models import FaqEntry

    Tariff.objects.create(name="12 недель", price="9900.00", duration_days=84)
    FaqEntry.objects.create(question="Можно ли дома?", answer="Да, есть домашние программы.")
    response = post("Сколько стоит программа?")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response.json() == {
        "session": VISITOR,
        "reply": "Ответ тренера: Сколько стоит программа?",
    }
    sent = llm.requests[-1].json()
    assert sent["model"] == "env-model"
    system = sent["messages"][0]["content"]
    assert site.widget_system_prompt in system
    assert "12 недель: 9900 ₽" in system and "Можно ли дома?" in system
    assert "https://t.me/trainer_test_bot?start=site" in system
    session = ChatSession.objects.get(visitor_id=VISITOR)
    assert list(session.messages.values_list("role", "text")) == [
        ("visitor", "Сколько стоит программа?"),
        ("assistant", "Ответ тренера: Сколько стоит программа?"),
    ]
    assert session.message_count == 2 and session.client is None


def test_history_goes_to_the_llm(site, llm, post):
    post("Первый вопрос")
    post("Второй вопрос")
    messages = llm.requests[-1].json()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "Первый вопрос" and messages[3]["content"] == "Второй вопрос"


def test_website_settings_provider_wins_over_environment(site, llm, post):
    site.llm_base_url, site.llm_api_key, site.llm_model = f"{llm.url}/v1", "site-key", "site-model"
    site.save()
    post("Привет")
    request = llm.requests[-1]
    assert request.json()["model"] == "site-model"
    assert request.headers["authorization"] == "Bearer site-key"


def test_phone_in_a_message_makes_a_lead_and_tells_staff(site, llm, post, fake_telegram):
    post("Здравствуйте, хочу узнать про программу")
    assert not Lead.objects.exists()
    response = post("Мой телефон 8 (916) 123-45-67, перезвоните")
    assert "свяжется" in response.json()["reply"]
    client = Client.objects.get(phone="+79161234567")
    lead = client.leads.get()
    assert lead.source == "website_chat"
    assert ChatSession.objects.get(visitor_id=VISITOR).client == client
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage")]
    assert any("website_chat" in text for text in staff)
    # Another message in the same chat makes no second lead.
    post("А ещё мой телеграм @anna_fit")
    assert Lead.objects.count() == 1


def test_telegram_username_or_wish_to_buy_make_a_lead(site, llm, post):
    post("пишите в телеграм @anna_fit")
    assert Client.objects.get(telegram_username="anna_fit").leads.get().source == "website_chat"
    post("Хочу купить тариф", session="another-visitor-1")
    session = ChatSession.objects.get(visitor_id="another-visitor-1")
    assert session.client is not None and session.client.leads.get().source == "website_chat"


@pytest.mark.parametrize(
    ("text", "phone", "telegram", "buy"),
    [
        ("звоните +7 916 123 45 67", "+79161234567", "", False),
        ("мой email anna@example.com", "", "", False),
        ("t.me/anna_fit", "", "anna_fit", False),
        ("Как оплатить?", "", "", True),
        ("Сколько подходов делать 3 раза в неделю?", "", "", False),
    ],
)
def test_contact_detect(text, phone, telegram, buy):
    found = contact_detect(text)
    assert (found.phone, found.telegram_username, found.wants_to_buy) == (phone, telegram, buy)


def test_llm_down_gives_the_standard_answer_and_tells_staff_once(
    site, llm, post, fake_telegram, settings
):
    llm.route(
        "POST",
        "/v1/chat/completions",
        lambda r: json_response({"error": {"message": "down"}}, status=503),
    )
    first = post("Привет")
    second = post("Вы тут?")
    for response in (first, second):
        assert response.status_code == 200
        reply = response.json()["reply"]
        assert "https://t.me/trainer_test_bot?start=site" in reply and "+7 900 000-00-00" in reply
    assert ChatMessage.objects.filter(is_fallback=True).count() == 2
    assert (
        ChatMessage.objects.filter(role="visitor").count() == 2
    )  # nothing the visitor wrote is lost
    notes = [c for c in fake_telegram.sent("sendMessage") if "LLM" in c.params["text"]]
    assert len(notes) == 1
    assert WebsiteSettings.objects.get().llm_down_since is not None
    # Back up: the next answer is the LLM's again and the next outage is reported again.
    llm.route("POST", "/v1/chat/completions", lambda r: json_response(completion("Снова тут")))
    assert post("Ещё вопрос").json()["reply"] == "Снова тут"
    assert WebsiteSettings.objects.get().llm_down_since is None


def test_llm_timeout_gives_the_standard_answer(site, llm, post, settings):
    settings.CHAT_LLM_TIMEOUT = 0.5

    def slow(request):
        time.sleep(4)
        return json_response(completion("поздно"))

    llm.route("POST", "/v1/chat/completions", slow)
    started = time.monotonic()
    response = post("Привет")
    # Gave up long before the LLM answered (a wide margin: a loaded CI machine adds seconds).
    assert time.monotonic() - started < 3.5
    assert "start=site" in response.json()["reply"]


def test_no_llm_configured_gives_the_standard_answer(site, post, settings):
    settings.LLM_API_BASE_URL = settings.LLM_MODEL = ""
    response = post("Привет")
    assert response.status_code == 200 and "start=site" in response.json()["reply"]


@pytest.mark.parametrize(
    ("origin", "status"),
    [("https://evil.example.com", 403), ("", 403), ("null", 403), (SITE + "/", 200)],
)
def test_only_allowed_origins(site, llm, post, origin, status):
    response = post("Привет", origin=origin)
    assert response.status_code == status
    if status == 403:
        assert "Access-Control-Allow-Origin" not in response
        assert not ChatMessage.objects.exists()


def test_preflight(site, client):
    ok = client.options("/api/chat/message", HTTP_ORIGIN=SITE)
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == SITE
    assert "Content-Type" in ok["Access-Control-Allow-Headers"]
    assert (
        client.options("/api/chat/message", HTTP_ORIGIN="https://evil.example").status_code == 403
    )


def test_widget_off_refuses(site, post):
    site.widget_enabled = False
    site.save()
    assert post("Привет").status_code == 403


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (json.dumps({"session": VISITOR, "text": "   "}), "empty"),
        (json.dumps({"session": VISITOR, "text": "я" * 1001}), "too long"),
        (json.dumps({"session": "x", "text": "hi"}), "session"),
        (json.dumps({"session": VISITOR, "text": 5}), "empty"),
        (json.dumps(["not", "an", "object"]), "JSON"),
        ("{broken", "JSON"),
    ],
)
def test_bad_messages_get_clear_errors(site, llm, post, body, message):
    with override_settings(LANGUAGE_CODE="en"):
        response = post(raw=body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message.lower() in response.json()["error"].lower()
    assert response["Access-Control-Allow-Origin"] == SITE  # the widget can show the error
    assert not ChatMessage.objects.exists()


def test_oversized_body_is_refused(site, post):
    response = post(raw=json.dumps({"session": VISITOR, "text": "a" * 20000}))
    assert response.status_code == 413
    assert not ChatMessage.objects.exists()


def test_flood_from_one_visitor_and_one_address(site, llm, post, settings):
    settings.CHAT_RATE_PER_VISITOR = 3
    settings.CHAT_RATE_PER_ADDRESS = 5
    assert [post(f"сообщение {i}").status_code for i in range(4)] == [200, 200, 200, 429]
    # Every attempt counts against the address, refused ones too: the fifth passes, then 429.
    others = [post("привет", session=f"other-visitor-{i}").status_code for i in range(3)]
    assert others == [200, 429, 429]
    assert ChatMessage.objects.filter(role="visitor").count() == 4


def test_script_in_a_message_is_stored_as_text_and_escaped_on_the_client_page(
    site, llm, post, client
):
    from crm.tests.factories import AdminFactory

    post("<script>alert(1)</script> мой телефон +79161234567")
    lead = Client.objects.get(phone="+79161234567")
    client.force_login(AdminFactory())
    page = client.get(f"/clients/{lead.pk}/?tab=chat").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert 'id="website-chat"' in page


def test_client_page_chat_section_queries_do_not_grow(
    site, llm, post, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.tests.factories import AdminFactory

    post("мой телефон +79161234567")
    lead = Client.objects.get(phone="+79161234567")
    client.force_login(AdminFactory())
    with CaptureQueriesContext(connection) as small:
        client.get(f"/clients/{lead.pk}/?tab=chat")
    session = ChatSession.objects.get()
    ChatMessage.objects.bulk_create(
        [ChatMessage(session=session, role="visitor", text=f"m{i}") for i in range(150)]
    )
    with CaptureQueriesContext(connection) as large:
        page = client.get(f"/clients/{lead.pk}/?tab=chat").content.decode()
    assert len(large) == len(small)
    assert "m149" in page and "m10<" not in page  # the newest 100 only


@pytest.mark.parametrize("consent", [None, False, "yes"])
def test_a_message_without_the_consent_box_is_refused_in_russian(site, llm, post, consent):
    body = {"session": VISITOR, "text": "Мой телефон +7 916 123-45-67"}
    if consent is not None:
        body["consent"] = consent
    response = post(raw=json.dumps(body))
    assert response.status_code == 400
    assert response.json()["error"] == (
        "Отметьте согласие на обработку персональных данных: без него чат не может принять "
        "ваше сообщение."
    )
    assert not ChatMessage.objects.exists() and not Client.objects.exists()


def test_a_lead_from_the_chat_carries_the_widget_consent(site, llm, post):
    from privacy.models import Consent

    post("Запишите меня, +7 916 123-45-67")
    lead = Client.objects.get(phone="+79161234567")
    consent = Consent.objects.get(client=lead)
    assert (consent.kind, consent.decision, consent.channel) == ("personal", "granted", "widget")
    assert consent.policy.version == 1


def test_a_lead_from_the_chat_with_no_published_text_gets_the_shipped_one(site, llm, post):
    """The chat answered 500 when the consent texts were gone (flushed tables, a deleted row)."""
    from privacy.models import Consent, PolicyVersion

    PolicyVersion.objects.all().delete()
    post("Запишите меня, +7 916 123-45-67")
    consent = Consent.objects.get(client__phone="+79161234567")
    assert (consent.decision, consent.policy.version) == ("granted", 1)
