"""The payment state machine: only TRANSITIONS' moves happen, each leaves one history row, and
every path (webhook, poll, web, admin, staff chat, demo, refunds) goes through it."""

from decimal import Decimal

import pytest

from crm.models import Lead
from crm.tests.factories import ClientFactory, UserFactory, stage
from payments import services
from payments.models import Payment, PaymentEvent

from .factories import PaymentFactory

pytestmark = pytest.mark.django_db
S = Payment.Status
Source = services.Source


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.CANCELED, S.SUCCEEDED),
        (S.CANCELED, S.PENDING),
        (S.REFUNDED, S.SUCCEEDED),
        (S.SUCCEEDED, S.CANCELED),
        (S.SUCCEEDED, S.PENDING),
        (S.WAITING_FOR_CAPTURE, S.PENDING),
        (S.PENDING, S.REFUNDED),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(start, to, enqueued):
    payment = PaymentFactory(status=start)
    outcome = services.payment_transition(payment=payment, to=to, source=Source.WEBHOOK)
    assert outcome == services.Transition.REFUSED
    payment.refresh_from_db()
    assert payment.status == start and payment.paid_at is None
    assert not payment.events.exists() and enqueued == []


def test_every_legal_move_is_in_the_map():
    assert services.TRANSITIONS == {
        S.PENDING: {S.WAITING_FOR_CAPTURE, S.SUCCEEDED, S.CANCELED},
        S.WAITING_FOR_CAPTURE: {S.SUCCEEDED, S.CANCELED},
        S.SUCCEEDED: {S.REFUNDED},
        S.CANCELED: set(),
        S.REFUNDED: set(),
    }


def test_a_move_writes_who_what_and_where_and_runs_follow_ups_once(enqueued):
    staff = UserFactory()
    client = ClientFactory(stage=stage("deciding"))
    Lead.objects.create(client=client, status=Lead.Status.QUALIFIED)
    payment = PaymentFactory(client=client, provider="cash", provider_payment_id=None)

    first = services.payment_transition(
        payment=payment, to=S.WAITING_FOR_CAPTURE, source=Source.POLL
    )
    second = services.payment_transition(
        payment=payment, to=S.SUCCEEDED, source=Source.ADMIN, actor=staff
    )
    again = services.payment_transition(payment=payment, to=S.SUCCEEDED, source=Source.WEBHOOK)

    assert (first, second, again) == (
        services.Transition.MOVED,
        services.Transition.MOVED,
        services.Transition.UNCHANGED,
    )
    rows = list(PaymentEvent.objects.values_list("from_status", "to_status", "source", "actor"))
    assert rows == [
        ("pending", "waiting_for_capture", "poll", None),
        ("waiting_for_capture", "succeeded", "admin", staff.pk),
    ]
    payment.refresh_from_db()
    assert payment.confirmed_by == staff and payment.paid_at
    assert client.leads.get().status == Lead.Status.CONVERTED  # the first successful payment
    assert len([c for c in enqueued if c[0] == "botapp.client_message"]) == 1


def test_refund_to_zero_goes_through_the_machine(enqueued):
    staff = UserFactory(role="admin")
    payment = services.payment_record_manual(
        client=ClientFactory(), tariff=PaymentFactory().tariff, provider="card", actor=staff
    )
    services.refund_create(payment=payment, actor=staff, amount=Decimal("100.00"))
    payment.refresh_from_db()
    assert payment.status == S.SUCCEEDED  # partly refunded: still paid
    services.refund_create(payment=payment, actor=staff)
    payment.refresh_from_db()
    assert payment.status == S.REFUNDED
    assert list(payment.events.values_list("from_status", "to_status", "source")) == [
        ("", "pending", "web"),
        ("pending", "succeeded", "web"),
        ("succeeded", "refunded", "web"),
    ]


def test_staff_may_confirm_only_open_money_they_took(enqueued):
    staff = UserFactory()
    for provider in ("yookassa", "demo"):
        online = PaymentFactory(provider=provider)
        assert not online.staff_may_confirm
        with pytest.raises(services.PaymentError, match="только платёжный сервис"):
            services.payment_confirm(payment=online, actor=staff, source=Source.WEB)
        online.refresh_from_db()
        assert online.status == S.PENDING
    for provider in ("cash", "card", "transfer", "manual"):
        manual = PaymentFactory(provider=provider, provider_payment_id=None)
        assert manual.staff_may_confirm
        services.payment_confirm(payment=manual, actor=staff, source=Source.WEB)
        manual.refresh_from_db()
        assert manual.status == S.SUCCEEDED and not manual.staff_may_confirm
