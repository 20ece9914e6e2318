"""Anything YooKassa (or someone posing as it) can post to `/payments/yookassa/webhook/` gets a 200
or a 400 — never a 500 — and what was stored is processed without an error escaping."""

import json

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.tests.factories import ClientFactory
from payments import services
from payments.models import ProviderNotification

from .factories import TariffFactory
from .fake_yookassa import notification

pytestmark = pytest.mark.django_db
URL = "/payments/yookassa/webhook/"
FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(["\x00", " ", "-", "a", "я", "\u202e", "9"]), max_size=80),
    st.sampled_from(["", " ", "null", "2d8b1b9e-000f-5000-9000-1ad1a0c7e4b2", "x" * 65]),
)
events = st.one_of(
    st.sampled_from(
        [
            "payment.succeeded",
            "payment.canceled",
            "payment.waiting_for_capture",
            "refund.succeeded",
            "payout.succeeded",
            "deal.closed",
        ]
    ),
    texts,
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
junk = st.recursive(
    st.one_of(numbers, texts),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def bodies(draw, known: str):
    body = notification("payment.succeeded", "placeholder")
    body["event"] = draw(events)
    body["object"]["id"] = draw(st.one_of(st.just(known), texts, numbers))
    if draw(st.booleans()):
        body["object"]["amount"] = draw(junk)
    if draw(st.booleans()):
        body[draw(texts)] = draw(junk)
    raw = json.dumps(body)
    twist = draw(st.sampled_from(["none", "none", "nan", "inf", "nul", "junk", "deep", "type"]))
    if twist == "nan":
        raw = raw.replace('"paid": ', '"paid": NaN, "x": ', 1)
    elif twist == "inf":
        raw = raw.replace('"paid": ', '"paid": Infinity, "z": 1e999, "w": ', 1)
    elif twist == "nul":
        raw = raw.replace('"event"', '"ev\\u0000ent"', 1).replace('"id": "', '"id": "\\u0000', 1)
    elif twist == "junk":
        raw = json.dumps(draw(junk))
    elif twist == "deep":
        raw = "[" * 5000 + "]" * 5000
    elif twist == "type":
        raw = raw.replace('"notification"', json.dumps(draw(texts)), 1)
    return raw


@settings(max_examples=300, **FUZZ)
@given(data=st.data())
def test_webhook_never_answers_500_and_processing_never_raises(client, yookassa, data):
    payment = services.Payment.objects.first() or services.payment_create(
        client=ClientFactory(), tariff=TariffFactory()
    )
    raw = data.draw(bodies(payment.provider_payment_id))
    with TestCase.captureOnCommitCallbacks(execute=True):  # processing runs, as a worker would
        response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code in (200, 400), response.content
    # Nothing stored is left half-done by an error: processed, or waiting for the API.
    for row in ProviderNotification.objects.filter(processed_at__isnull=True):
        assert row.attempts >= 1 and row.error
