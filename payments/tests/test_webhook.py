import json
from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from crm.tests.factories import ClientFactory, stage
from payments import services
from payments.models import (
    Payment,
    PromoCodeUsage,
    ProviderNotification,
    Refund,
    Subscription,
)
from pipeline.models import StageMove

from .factories import PromoCodeFactory, TariffFactory
from .fake_yookassa import notification

pytestmark = pytest.mark.django_db
URL = "/payments/yookassa/webhook/"


def outcome(event, object_id) -> str:
    """What processing the stored notification came to ("" while it waits)."""
    return ProviderNotification.objects.get(event=event, object_id=object_id).outcome


def post(client, body, **extra):
    """The webhook, with what it promises after commit (processing the notification) run."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, data=data, content_type="application/json", **extra)


@pytest.fixture
def pending(yookassa, enqueued):
    PromoCodeFactory(code="WELCOME")
    customer = ClientFactory(stage=stage("consultation"))
    return services.payment_create(client=customer, tariff=TariffFactory(), promo_code="WELCOME")


def test_url_is_the_public_contract():
    assert reverse("payments:yookassa-webhook") == URL


def test_pending_to_succeeded_exactly_once_however_many_times_it_arrives(client, yookassa, pending):
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    body = notification("payment.succeeded", pending.provider_payment_id)

    answers = [post(client, body) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert answers[0].json() == {"result": "stored"}
    assert {a.json()["result"] for a in answers[1:]} == {"duplicate"}
    row = ProviderNotification.objects.get()  # stored once under (event, object id)
    assert row.outcome == "succeeded" and row.attempts == 1 and row.processed_at
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED and pending.paid_at
    assert pending.client.stage.code == "purchased"
    moves = StageMove.objects.filter(client=pending.client, event="payment_succeeded")
    assert moves.count() == 1 and moves.get().to_stage_name == "Куплена услуга"
    assert Subscription.objects.filter(client=pending.client).count() == 1
    assert PromoCodeUsage.objects.filter(payment=pending).count() == 1


def test_forged_success_for_a_pending_payment_changes_nothing(client, yookassa, pending):
    # The body says "succeeded" with a matching amount; the API says it is still pending.
    body = notification(
        "payment.succeeded",
        pending.provider_payment_id,
        amount={"value": f"{pending.amount:.2f}", "currency": "RUB"},
        metadata={"payment_id": str(pending.pk)},
    )
    answer = post(client, body)
    assert answer.status_code == 200
    assert outcome("payment.succeeded", pending.provider_payment_id) == "same"
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING and pending.paid_at is None
    assert pending.client.stage.code == "deciding"
    assert not Subscription.objects.exists()
    assert ("GET", f"/v3/payments/{pending.provider_payment_id}") in yookassa.requests


def test_late_cancel_after_success_is_ignored(client, yookassa, pending):
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    post(client, notification("payment.succeeded", pending.provider_payment_id))
    yookassa.set_status(pending.provider_payment_id, "canceled")  # an API glitch, out of order
    answer = post(client, notification("payment.canceled", pending.provider_payment_id))
    assert answer.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED


def test_cancel_and_waiting_for_capture(client, yookassa, pending):
    yookassa.set_status(pending.provider_payment_id, "waiting_for_capture")
    post(client, notification("payment.waiting_for_capture", pending.provider_payment_id))
    pending.refresh_from_db()
    assert pending.status == Payment.Status.WAITING_FOR_CAPTURE
    yookassa.set_status(pending.provider_payment_id, "canceled")
    post(client, notification("payment.canceled", pending.provider_payment_id))
    pending.refresh_from_db()
    assert pending.status == Payment.Status.CANCELED
    assert pending.client.stage.code == "deciding"


def test_amount_mismatch_at_the_provider_is_not_settled(client, yookassa, pending):
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    yookassa.payments[pending.provider_payment_id]["amount"]["value"] = "1.00"
    post(client, notification("payment.succeeded", pending.provider_payment_id))
    assert outcome("payment.succeeded", pending.provider_payment_id) == "mismatch"
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe",
        "[]",
        json.dumps({"type": "notification"}),
        json.dumps({"type": "notification", "event": "payment.succeeded", "object": {}}),
        json.dumps({"type": "notification", "event": "payment.succeeded", "object": {"id": 5}}),
    ],
)
def test_garbage_gets_400(client, yookassa, body):
    assert post(client, body).status_code == 400


def test_unknown_payment_gets_200_and_a_log_line(client, yookassa, caplog):
    unknown = "2d8b1b9e-000f-5000-9000-1ad1a0c7e4b2"
    answer = post(client, notification("payment.succeeded", unknown))
    assert answer.status_code == 200 and outcome("payment.succeeded", unknown) == "unknown"
    assert "unknown payment" in caplog.text


def test_our_payment_unknown_to_the_api_is_final_not_a_retry_loop(
    client, yookassa, pending, caplog
):
    del yookassa.payments[pending.provider_payment_id]  # the API answers 404 for it

    assert (
        post(client, notification("payment.succeeded", pending.provider_payment_id)).status_code
        == 200
    )

    row = ProviderNotification.objects.get()
    assert row.outcome == "unknown" and row.processed_at and row.retry_at is None
    assert "unknown to the provider" in caplog.text
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING


def test_api_down_at_webhook_time_the_notification_is_kept_and_processed_later(
    client, yookassa, pending
):
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    yookassa.down = True
    body = notification("payment.succeeded", pending.provider_payment_id)
    answer = post(client, body)
    assert answer.status_code == 200 and answer.json() == {"result": "stored"}
    row = ProviderNotification.objects.get()
    assert row.processed_at is None and row.attempts == 1 and "GatewayError" in row.error
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    # YooKassa's own retry is a duplicate: acknowledged, nothing more.
    assert post(client, body).json() == {"result": "duplicate"}

    yookassa.down = False
    assert services.notifications_reprocess() == {"processed": 0, "waiting": 0, "failed": 0}
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):  # past its backoff
        assert services.notifications_reprocess()["processed"] == 1
    pending.refresh_from_db()
    row.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED and row.outcome == "succeeded"
    assert row.attempts == 2


def test_a_notification_unprocessed_for_a_day_is_given_up_and_the_staff_told_once(
    client, yookassa, pending, enqueued
):
    yookassa.down = True
    post(client, notification("payment.succeeded", pending.provider_payment_id))

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert services.notifications_reprocess()["failed"] == 1
            assert services.notifications_reprocess()["failed"] == 0

    row = ProviderNotification.objects.get()
    assert row.outcome == "failed" and row.processed_at
    notes = [kw["text"] for _n, _a, kw in enqueued if "YooKassa notif" in kw.get("text", "")]
    assert len(notes) == 1 and pending.provider_payment_id in notes[0]


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


def test_refund_succeeded_notification_is_idempotent(client, yookassa, pending):
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    post(client, notification("payment.succeeded", pending.provider_payment_id))
    pending.refresh_from_db()
    refund = services.refund_create(payment=pending, actor=None)
    body = notification(
        "refund.succeeded", refund.provider_refund_id, payment_id=pending.provider_payment_id
    )
    for _ in range(3):
        assert post(client, body).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.REFUNDED and pending.refunded_amount == pending.amount
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


def test_refund_made_in_the_yookassa_dashboard_is_recorded(client, yookassa, pending, settings):
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    post(client, notification("payment.succeeded", pending.provider_payment_id))
    refund_id = "2d8b1b9e-0000-5000-a000-000000000001"
    yookassa.refunds[refund_id] = {
        "id": refund_id,
        "payment_id": pending.provider_payment_id,
        "status": "succeeded",
        "amount": {"value": "500.00", "currency": "RUB"},
        "created_at": "2026-01-01T11:00:00.000Z",
    }
    for _ in range(2):
        post(
            client,
            notification("refund.succeeded", refund_id, payment_id=pending.provider_payment_id),
        )
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED and str(pending.refunded_amount) == "500.00"


# --- Source address check -------------------------------------------------------------------------

YOOKASSA_IP = "185.71.76.5"


def test_ip_check_refuses_foreign_senders(client, yookassa, pending, settings):
    settings.YOOKASSA_WEBHOOK_CHECK_IP = True
    yookassa.set_status(pending.provider_payment_id, "succeeded")
    body = notification("payment.succeeded", pending.provider_payment_id)
    assert post(client, body, REMOTE_ADDR="203.0.113.9").status_code == 403
    # X-Forwarded-For from an address that is not our proxy is not believed.
    assert (
        post(client, body, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=YOOKASSA_IP).status_code
        == 403
    )
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    assert post(client, body, REMOTE_ADDR=YOOKASSA_IP).status_code == 200


def test_ip_check_honours_forwarded_for_from_our_proxy(client, yookassa, pending, settings):
    settings.YOOKASSA_WEBHOOK_CHECK_IP = True
    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    body = notification("payment.succeeded", pending.provider_payment_id)
    spoofed = f"{YOOKASSA_IP}, 198.51.100.7"  # the client wrote the first hop itself
    assert (
        post(client, body, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=spoofed).status_code == 403
    )
    assert (
        post(
            client,
            body,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.7, {YOOKASSA_IP}",
        ).status_code
        == 200
    )


def test_production_settings_check_the_ip():
    import importlib
    import os

    os.environ.setdefault("SECRET_KEY", "x" * 50)
    production = importlib.import_module("config.settings.production")
    assert production.YOOKASSA_WEBHOOK_CHECK_IP is True


def test_sql_queries_per_notification_are_bounded(client, yookassa, pending):
    from django.db import connection

    yookassa.set_status(pending.provider_payment_id, "succeeded")
    body = json.dumps(notification("payment.succeeded", pending.provider_payment_id))
    counts = []
    for _ in range(2):
        stored, processed = [], []
        with TestCase.captureOnCommitCallbacks() as promised:
            with connection.execute_wrapper(
                lambda run, sql, *a: stored.append(sql) or run(sql, *a)
            ):
                client.post(URL, data=body, content_type="application/json")
        with connection.execute_wrapper(lambda run, sql, *a: processed.append(sql) or run(sql, *a)):
            for callback in promised:
                callback()
        counts.append((len(stored), len(processed)))
    (store, process), (duplicate, nothing) = counts
    # Storing is a look-up, the row and its durable follow-up; a duplicate is one look-up.
    assert store <= 7 and duplicate <= 3 and nothing == 0, counts
    # Processing settles everything (status + history row, promo, lead, stage, subscription,
    # automations…) — a fixed number whatever the history.
    assert process <= 50, counts


def test_a_refund_the_api_does_not_know_is_final_not_a_retry_loop(client, yookassa, pending):
    unknown = "2d8b1b9e-0000-5000-a000-00000000dead"
    response = post(client, notification("refund.succeeded", unknown, payment_id="x"))
    assert response.status_code == 200 and outcome("refund.succeeded", unknown) == "unknown"
    assert not Refund.objects.exists()
