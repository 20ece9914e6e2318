"""Anything Telegram (or someone posing as it) can post to `/bot/webhook/` gets a 200 or a 400 —
never a 500 — and whatever was stored is processed without an error escaping."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botapp import services
from botapp.dispatch import update_process
from botapp.models import TelegramUpdate
from botapp.tests.conftest import SECRET

pytestmark = pytest.mark.django_db

ids = st.one_of(
    st.integers(min_value=1, max_value=2**40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**53, 2**63 - 1, 2**63, -(2**63), 2**64]),
)
texts = st.one_of(
    st.sampled_from(["/start", "/start vk", " ", "\t\n", "/cancel", "34", "1e2", "NaN", "/"]),
    st.text(max_size=50),
    st.text(alphabet=st.sampled_from(["\x00", " ", "/", "a", "я", "\u202e", "9"]), max_size=12),
)
numbers = st.one_of(ids, st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none())
scalars = st.one_of(numbers, texts)
junk = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def updates(draw):
    chat = {"id": draw(ids), "type": draw(st.sampled_from(["private", "group", "x", 5]))}
    user = {"id": draw(ids), "is_bot": draw(st.booleans()), "first_name": draw(texts)}
    message = {
        "message_id": draw(ids),
        "date": draw(st.one_of(st.integers(0, 2**40), ids)),
        "chat": chat,
        "from": user,
        "text": draw(texts),
    }
    if draw(st.booleans()):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": draw(ids)}]
    if draw(st.booleans()):
        message[draw(texts)] = draw(junk)
    kind = draw(st.sampled_from(["message", "edited_message", "callback_query", "other"]))
    if kind == "callback_query":
        body = {"id": draw(texts), "from": user, "chat_instance": "1", "data": draw(texts)}
        if draw(st.booleans()):
            body["message"] = message
    else:
        body = message
    return {"update_id": draw(ids), kind: body}


@st.composite
def bodies(draw):
    update = draw(updates())
    raw = json.dumps(update)
    twist = draw(st.sampled_from(["none", "nan", "inf", "nul_key", "junk", "deep"]))
    if twist == "nan":
        raw = raw.replace(f'"update_id": {update["update_id"]}', '"update_id": NaN', 1)
        raw = raw.replace('"date": ', '"date": NaN, "x": ', 1)
    elif twist == "inf":
        raw = raw.replace('"date": ', '"date": Infinity, "y": -Infinity, "z": 1e999, "w": ', 1)
    elif twist == "nul_key":
        raw = raw.replace('"text"', '"te\\u0000xt"', 1)
    elif twist == "junk":
        raw = json.dumps(draw(junk))
    elif twist == "deep":
        raw = "[" * 5000 + "]" * 5000
    return raw


FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


def post(client, settings, body):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.TELEGRAM_BOT_TOKEN = ""  # replies are skipped, not sent: the handlers are what runs
    settings.TELEGRAM_ADMIN_CHAT_ID = ""
    return client.post(
        "/bot/webhook/",
        data=body,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )


@settings(max_examples=500, **FUZZ)
@given(body=bodies())
def test_webhook_never_answers_500(client, settings, body):
    response = post(client, settings, body)
    assert response.status_code in (200, 400), response.content


@settings(max_examples=100, **FUZZ)
@given(body=bodies())
def test_what_the_webhook_stores_is_processed_without_an_error_escaping(client, settings, body):
    assert post(client, settings, body).status_code in (200, 400)
    for row in TelegramUpdate.objects.filter(processed_at__isnull=True):
        update_process(update_id=row.update_id)  # no exception escapes
        row.refresh_from_db()
        assert row.processed_at is not None


def test_blank_text_and_nul_are_handled_not_500(post_update, fake_telegram):
    from botapp.tests import factories as f

    for text in ("   ", "\t", "При\x00вет", "/start\x00"):
        assert post_update(f.message(901, text)).status_code == 200
    assert not TelegramUpdate.objects.filter(processed_at__isnull=True).exists()
    assert TelegramUpdate.objects.exclude(error="").count() == 0
    assert "\x00" not in json.dumps(list(TelegramUpdate.objects.values_list("payload", flat=True)))


def test_huge_ids_nan_and_infinity_are_refused(post_update, fake_telegram):
    from botapp.tests import factories as f

    for payload in (
        {**f.message(902, "/start"), "update_id": 2**63},
        f.message(2**63, "/start"),
        f.message(-(2**64), "/start"),
    ):
        assert post_update(payload).status_code == 400
    raw = json.dumps(f.message(903, "/start")).replace('"date": ', '"date": NaN, "x": ', 1)
    assert post_update(None, raw=raw.encode()).status_code == 400
    raw = json.dumps(f.message(903, "/start")).replace('"date": ', '"date": 1e999, "x": ', 1)
    assert post_update(None, raw=raw.encode()).status_code == 400
    assert not TelegramUpdate.objects.exists()


def test_an_update_failing_on_the_database_every_time_stops_blocking_its_chat(fake_telegram):
    from django.db import DatabaseError

    from botapp.dispatch import dispatch
    from botapp.tests import factories as f

    first = TelegramUpdate.objects.create(
        update_id=1, chat_id=904, kind="message", payload=f.message(904, "/start")
    )
    later = TelegramUpdate.objects.create(
        update_id=2, chat_id=904, kind="message", payload=f.message(904, "/start")
    )

    def broken(row):
        if row.pk == first.pk:
            raise DatabaseError("value too long for type character varying(32)")
        return dispatch(row)

    for _ in range(services.MAX_UPDATE_ATTEMPTS - 1):
        with pytest.raises(DatabaseError):
            services.update_process(update_id=later.update_id, handle=broken)  # the task retries
    assert services.update_process(update_id=later.update_id, handle=broken) == 2

    first.refresh_from_db(), later.refresh_from_db()
    assert first.processed_at and "gave up after 4 tries" in first.error
    assert later.processed_at and later.error == ""
    assert fake_telegram.sent("sendMessage", chat_id=904)
