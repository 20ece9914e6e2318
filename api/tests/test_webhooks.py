"""Outgoing webhooks to a real local receiver: signed, retried with backoff, logged, never twice,
never to internal addresses unless allowed."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from api.collect import webhooks_collect
from api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from api.webhooks import (
    PAUSE_AFTER_FAILURES,
    UnsafeUrl,
    subscription_save,
    url_check,
    webhook_deliver,
    webhook_emit,
)
from crm.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 that checks each request's signature and answers with the next
    status of `answers` (then 200)."""

    def __init__(self, secret_of):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.secret_of = secret_of
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-CRM-Timestamp"]
                expected = (
                    "sha256="
                    + hmac.new(
                        receiver.secret_of().encode(),
                        f"{timestamp}.".encode() + body,
                        hashlib.sha256,
                    ).hexdigest()
                )
                receiver.requests.append(
                    {
                        "event": self.headers["X-CRM-Event"],
                        "signed": hmac.compare_digest(expected, self.headers["X-CRM-Signature"]),
                        "body": json.loads(body),
                    }
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscription(settings, admin_user):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    holder = {}
    receiver = Receiver(lambda: holder["subscription"].secret)
    holder["subscription"] = subscription_save(
        url=receiver.url,
        events=[WebhookEvent.CLIENT_CREATED, WebhookEvent.CLIENT_STAGE_CHANGED],
        actor=admin_user,
    )
    yield holder["subscription"], receiver
    receiver.close()


def _sweep(capture, minutes: int = 2) -> None:
    """Beat's minute job, once history has settled: collect new rows, send what is due."""
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
        with capture(execute=True):
            call_command("run_scheduled", "--job", "api-webhooks-send-due")


def test_a_new_client_is_delivered_signed(
    subscription, client, trainer, bearer, django_capture_on_commit_callbacks
):
    _subscription, receiver = subscription
    webhooks_collect()  # the collector runs from the start: history before it is not sent
    response = client.post(
        "/api/v1/clients",
        {"first_name": "Вебхук", "phone": "+79160000001"},
        content_type="application/json",
        **bearer(trainer),
    )
    assert response.status_code == 201
    # Not settled yet (a concurrent transaction may still commit an earlier row): nothing sent.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled", "--job", "api-webhooks-send-due")
    assert receiver.requests == []
    _sweep(django_capture_on_commit_callbacks)
    events = sorted(request["event"] for request in receiver.requests)
    assert events == ["client.created", "client.stage_changed"]
    assert all(request["signed"] for request in receiver.requests)
    created = next(r for r in receiver.requests if r["event"] == "client.created")
    assert created["body"]["data"]["first_name"] == "Вебхук"
    assert created["body"]["data"]["stage"]["code"] == "first_contact"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    # The next pass finds nothing new and sends nothing again.
    _sweep(django_capture_on_commit_callbacks, minutes=3)
    assert len(receiver.requests) == 2


def test_history_before_the_collector_started_is_not_sent(subscription):
    ClientFactory()
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert webhooks_collect() == 0
    assert not WebhookDelivery.objects.exists()


def test_failed_delivery_is_retried_with_backoff_and_sent_once(subscription):
    sub, receiver = subscription
    receiver.answers = [500]
    client_obj = ClientFactory()
    webhook_emit(event=WebhookEvent.CLIENT_CREATED, key=str(client_obj.pk), payload={"id": 1})
    # The same occurrence again (a replayed service call) records nothing new.
    webhook_emit(event=WebhookEvent.CLIENT_CREATED, key=str(client_obj.pk), payload={"id": 1})
    delivery = WebhookDelivery.objects.get()
    # The test's transaction never commits, so the on-commit send is done by hand here.
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at > timezone.now()
    # Not yet due: the sweep and a duplicate task leave it alone.
    call_command("run_scheduled", "--job", "api-webhooks-send-due")
    assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    assert len(receiver.requests) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        call_command("run_scheduled", "--job", "api-webhooks-send-due")
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2
    assert webhook_deliver(delivery_id=delivery.pk) == "delivered"
    assert len(receiver.requests) == 2
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0


def test_a_url_that_keeps_failing_is_paused_and_the_staff_told(subscription, monkeypatch):
    sub, receiver = subscription
    told = []
    monkeypatch.setattr("api.webhooks.staff_notify", lambda **kwargs: told.append(kwargs["text"]))
    receiver.answers = [503] * PAUSE_AFTER_FAILURES
    for n in range(PAUSE_AFTER_FAILURES):
        webhook_emit(event=WebhookEvent.CLIENT_CREATED, key=f"c{n}", payload={})
        webhook_deliver(delivery_id=WebhookDelivery.objects.get(event_key=f"c{n}").pk)
    sub.refresh_from_db()
    assert sub.paused_at is not None
    assert len(told) == 1 and sub.url in told[0]
    # Paused: new events are not recorded for it.
    assert webhook_emit(event=WebhookEvent.CLIENT_CREATED, key="after", payload={}) == []


def test_events_it_did_not_ask_for_are_not_sent(subscription):
    assert webhook_emit(event=WebhookEvent.PAYMENT_SUCCEEDED, key="1", payload={}) == []


def test_never_to_internal_addresses(settings, admin_user):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    for url in [
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "ftp://example.com/x",
    ]:
        with pytest.raises(UnsafeUrl):
            url_check(url)
    with pytest.raises(UnsafeUrl):
        subscription_save(url="http://127.0.0.1/x", events=["client.created"], actor=admin_user)
    assert not WebhookSubscription.objects.exists()


def test_a_delivery_to_a_url_that_became_internal_fails_without_sending(settings, admin_user):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    sub = subscription_save(url="http://127.0.0.1:9/x", events=["client.created"], actor=admin_user)
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    webhook_emit(event=WebhookEvent.CLIENT_CREATED, key="1", payload={})
    delivery = WebhookDelivery.objects.get(subscription=sub)
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "внутренние" in delivery.last_error


def test_send_again_from_the_admin(
    subscription, admin_client_logged_in, django_capture_on_commit_callbacks
):
    _sub, receiver = subscription
    receiver.answers = [500] * 5
    webhook_emit(event=WebhookEvent.CLIENT_CREATED, key="x", payload={})
    delivery = WebhookDelivery.objects.get()
    for _ in range(5):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 5
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_logged_in.post(
            "/admin/api/webhookdelivery/",
            {"action": "send_again", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.requests) == 6


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_payment_settled_by_the_provider_is_delivered_once(
    settings, admin_user, django_capture_on_commit_callbacks
):
    from payments.models import PaymentEvent
    from payments.services import payment_transition
    from payments.tests.factories import PaymentFactory

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    holder = {}
    receiver = Receiver(lambda: holder["subscription"].secret)
    holder["subscription"] = subscription_save(
        url=receiver.url, events=[WebhookEvent.PAYMENT_SUCCEEDED], actor=admin_user
    )
    try:
        webhooks_collect()
        payment = PaymentFactory()
        for _ in range(2):  # a duplicated notification
            payment_transition(payment=payment, to="succeeded", source=PaymentEvent.Source.WEBHOOK)
        _sweep(django_capture_on_commit_callbacks)
        assert [r["event"] for r in receiver.requests] == ["payment.succeeded"]
        data = receiver.requests[0]["body"]["data"]
        assert (data["id"], data["status"], data["source"]) == (payment.pk, "succeeded", "webhook")
        assert receiver.requests[0]["signed"]
    finally:
        receiver.close()


def test_a_delivered_program_is_sent_once(settings, admin_user, django_capture_on_commit_callbacks):
    from programs.tests.factories import TrainingProgramFactory

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    holder = {}
    receiver = Receiver(lambda: holder["subscription"].secret)
    holder["subscription"] = subscription_save(
        url=receiver.url, events=[WebhookEvent.PROGRAM_DELIVERED], actor=admin_user
    )
    try:
        webhooks_collect()
        program = TrainingProgramFactory(delivered_at=timezone.now())
        _sweep(django_capture_on_commit_callbacks)
        _sweep(django_capture_on_commit_callbacks, minutes=4)  # the overlap re-reads it: no resend
        assert [r["body"]["data"]["id"] for r in receiver.requests] == [program.pk]
    finally:
        receiver.close()


def test_an_nps_answer_is_sent(settings, admin_user, django_capture_on_commit_callbacks):
    from automations.models import NpsResponse

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    holder = {}
    receiver = Receiver(lambda: holder["subscription"].secret)
    holder["subscription"] = subscription_save(
        url=receiver.url, events=[WebhookEvent.NPS_RECEIVED], actor=admin_user
    )
    try:
        webhooks_collect()
        answer = NpsResponse.objects.create(client=ClientFactory(), score=4)
        _sweep(django_capture_on_commit_callbacks)
        data = receiver.requests[0]["body"]["data"]
        assert (data["id"], data["score"], data["group"]) == (answer.pk, 4, "detractor")
    finally:
        receiver.close()
