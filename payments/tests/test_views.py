from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from crm.models import Client, Lead
from crm.tests.factories import (
    AdminFactory,
    ClientFactory,
    LeadFactory,
    TrainerFactory,
    UserFactory,
    stage,
)
from payments import client_page, services
from payments.gateways import GatewayError
from payments.models import Payment, PaymentEvent, Refund

from .factories import PaymentFactory, TariffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def other_trainer():
    return TrainerFactory()


@pytest.fixture
def own_payment(trainer):
    return PaymentFactory(client=ClientFactory(trainer=trainer, stage=stage("deciding")))


def test_list_shows_filters_totals_and_revenue(client, trainer, enqueued):
    own = ClientFactory(trainer=trainer)
    cheap = TariffFactory(name="План питания", price=Decimal("1990"))
    services.payment_record_manual(client=own, tariff=cheap, provider="cash", actor=trainer)
    PaymentFactory(client=own, status=Payment.Status.CANCELED)
    PaymentFactory(client=ClientFactory(trainer=TrainerFactory()), amount=Decimal("99999"))
    client.force_login(trainer)

    page = client.get(reverse("payments:payment-list"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "99999" not in body and "99 999" not in body  # another trainer's client
    assert page.context["totals"].revenue == Decimal("1990.00")
    assert page.context["totals"].count == 2
    assert page.context["revenue"].by_tariff[0].label == "План питания"

    filtered = client.get(reverse("payments:payment-list"), {"status": "canceled"})
    assert [p.status for p in filtered.context["page"].object_list] == ["canceled"]
    assert filtered.context["totals"].revenue == 0
    partial = client.get(
        reverse("payments:payment-list"), {"provider": "cash"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in partial.content and b"payment-results" in partial.content


def test_list_shows_the_last_90_days_unless_a_period_is_chosen(client, trainer, enqueued):
    own = ClientFactory(trainer=trainer)
    old = PaymentFactory(client=own, status=Payment.Status.SUCCEEDED, amount=Decimal("700"))
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=120))
    recent = PaymentFactory(client=own, status=Payment.Status.SUCCEEDED, amount=Decimal("300"))
    client.force_login(trainer)
    today = timezone.localdate()

    page = client.get(reverse("payments:payment-list"))
    assert [p.pk for p in page.context["page"].object_list] == [recent.pk]
    assert page.context["totals"].count == 1
    assert f'value="{today - timedelta(days=89):%Y-%m-%d}"' in page.content.decode()

    longer = client.get(
        reverse("payments:payment-list"), {"date_from": f"{today - timedelta(days=200):%Y-%m-%d}"}
    )
    assert {p.pk for p in longer.context["page"].object_list} == {recent.pk, old.pk}
    assert longer.context["totals"].count == 2


def test_list_query_count_is_constant(client, django_assert_max_num_queries, enqueued):
    admin = AdminFactory()
    client.force_login(admin)
    url = reverse("payments:payment-list")

    def measure() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    PaymentFactory.create_batch(3)
    small = measure()
    PaymentFactory.create_batch(60, status=Payment.Status.SUCCEEDED)
    large = measure()
    assert small == large
    with django_assert_max_num_queries(12):
        client.get(url)


def test_list_stops_counting_at_the_cap(client, trainer, monkeypatch, enqueued):
    monkeypatch.setattr("ui.paging.ROW_CAP", 2)
    for _ in range(3):
        PaymentFactory(client=ClientFactory(trainer=trainer))
    client.force_login(trainer)
    page = client.get(reverse("payments:payment-list"))
    assert page.context["page"].paginator.count.label == "2+"
    assert "Подходит больше 2: показаны только первые страницы" in page.content.decode()


def test_detail_owner_sees_it_other_trainer_gets_404(client, trainer, other_trainer, own_payment):
    url = reverse("payments:payment-detail", args=[own_payment.pk])
    client.force_login(trainer)
    assert client.get(url).status_code == 200
    client.force_login(other_trainer)
    assert client.get(url).status_code == 404


def test_confirm_by_owner_other_trainer_404_read_only_403(
    client, trainer, other_trainer, own_payment, enqueued
):
    url = reverse("payments:payment-confirm", args=[own_payment.pk])
    client.force_login(UserFactory(role="read_only"))
    assert client.post(url).status_code == 403
    client.force_login(other_trainer)
    assert client.post(url).status_code == 404
    own_payment.refresh_from_db()
    assert own_payment.status == Payment.Status.PENDING

    # An online payment is settled only by its provider: the trainer's confirm changes nothing.
    client.force_login(trainer)
    page = client.post(url, follow=True)
    assert "только платёжный сервис" in page.content.decode()
    assert "Подтвердить оплату" not in page.content.decode()  # and the button is not offered
    own_payment.refresh_from_db()
    assert own_payment.status == Payment.Status.PENDING and not own_payment.events.exists()

    # Money the trainer took themselves (a transfer) is confirmed by them.
    transfer = PaymentFactory(
        client=own_payment.client, provider=Payment.Provider.TRANSFER, provider_payment_id=None
    )
    detail = client.get(reverse("payments:payment-detail", args=[transfer.pk]))
    assert "Подтвердить оплату" in detail.content.decode()
    assert client.post(reverse("payments:payment-confirm", args=[transfer.pk])).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Payment.Status.SUCCEEDED and transfer.confirmed_by == trainer
    assert transfer.client.stage.code == "purchased"
    [event] = transfer.events.all()
    assert (event.from_status, event.to_status, event.source, event.actor) == (
        "pending",
        "succeeded",
        "web",
        trainer,
    )


def test_record_cash_payment_page(client, trainer, other_trainer, enqueued):
    own = ClientFactory(trainer=trainer, stage=stage("consultation"))
    tariff = TariffFactory()
    url = reverse("payments:payment-record", args=[own.pk])
    client.force_login(other_trainer)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(role="read_only"))
    assert client.get(url).status_code == 403

    client.force_login(trainer)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"tariff": tariff.pk, "provider": "cash", "promo_code": "NOPE"})
    assert bad.status_code == 200 and "NOPE" in bad.content.decode()
    assert not Payment.objects.exists()
    done = client.post(url, {"tariff": tariff.pk, "provider": "card", "amount": "4500"})
    payment = Payment.objects.get()
    assert done.url == reverse("payments:payment-detail", args=[payment.pk])
    assert payment.provider == "card" and payment.amount == Decimal("4500.00")
    assert payment.status == Payment.Status.SUCCEEDED and payment.confirmed_by == trainer


def test_refund_is_for_admins_only(client, trainer, enqueued):
    payment = services.payment_record_manual(
        client=ClientFactory(trainer=trainer),
        tariff=TariffFactory(),
        provider="cash",
        actor=trainer,
    )
    url = reverse("payments:payment-refund", args=[payment.pk])
    client.force_login(trainer)
    assert client.post(url, {"amount": "100"}).status_code == 403
    client.force_login(UserFactory(role="read_only"))
    assert client.post(url, {"amount": "100"}).status_code == 403
    client.force_login(TrainerFactory())
    assert client.post(url, {"amount": "100"}).status_code == 403
    assert not Refund.objects.exists()
    client.force_login(AdminFactory())
    assert client.post(url, {"amount": "100", "reason": "Не подошло время"}).status_code == 302
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("100.00")
    assert Refund.objects.get().created_by.role == "admin"


def test_tariff_and_promo_pages(client, trainer):
    TariffFactory(name="3 месяца с ведением")
    client.force_login(trainer)
    assert "3 месяца с ведением" in client.get(reverse("payments:tariff-list")).content.decode()
    assert client.get(reverse("payments:promo-list")).status_code == 200


def test_admin_confirm_action(admin_client, admin_user, enqueued):
    manual = PaymentFactory.create_batch(2, provider="card", provider_payment_id=None)
    online = PaymentFactory()  # settled by YooKassa only
    done = PaymentFactory(status=Payment.Status.CANCELED, provider="cash", provider_payment_id=None)
    response = admin_client.post(
        reverse("admin:payments_payment_changelist"),
        {
            "action": "confirm_payments",
            "_selected_action": [p.pk for p in [*manual, online, done]],
        },
    )
    assert response.status_code == 302
    assert set(Payment.objects.filter(status=Payment.Status.SUCCEEDED)) == set(manual)
    assert {e.source for e in PaymentEvent.objects.all()} == {"admin"}
    assert {e.actor for e in PaymentEvent.objects.all()} == {admin_user}
    online.refresh_from_db()
    done.refresh_from_db()
    assert online.status == Payment.Status.PENDING and done.status == Payment.Status.CANCELED


@pytest.mark.parametrize(
    "name",
    ["tariff", "payment", "paymentevent", "promocode", "promocodeusage", "subscription", "refund"],
)
def test_admin_pages_open(admin_client, name, enqueued):
    PaymentFactory()
    assert admin_client.get(reverse(f"admin:payments_{name}_changelist")).status_code == 200


# --- Client page --------------------------------------------------------------------------------


def test_client_section_and_timeline(trainer, django_assert_num_queries, enqueued):
    customer = ClientFactory(trainer=trainer)
    paid = services.payment_record_manual(
        client=customer, tariff=TariffFactory(), provider="cash", actor=trainer
    )
    pending = PaymentFactory(client=customer, provider="card", provider_payment_id=None)
    online = PaymentFactory(client=customer)
    request = RequestFactory().get("/")
    request.user = trainer

    with django_assert_num_queries(2):
        [section] = client_page.sections(request=request, client=customer)
    assert reverse("payments:payment-confirm", args=[pending.pk]) in section.html
    assert reverse("payments:payment-confirm", args=[online.pk]) not in section.html
    assert reverse("payments:payment-record", args=[customer.pk]) in section.html
    request.user = UserFactory(role="read_only")
    [read_only] = client_page.sections(request=request, client=customer)
    assert "payment-record" not in read_only.html and "/confirm/" not in read_only.html

    with django_assert_num_queries(1):
        items = client_page.timeline(client=customer, limit=10)
    # The recorded history: the cash payment's creation and success (factory rows have none).
    assert [item.text for item in items] == [
        f"Ожидает оплаты → Оплачен (Веб-страница) · {trainer}",
        f"Создан (Веб-страница) · {trainer}",
    ]
    assert {item.kind for item in items} == {"payment"}
    assert {item.url for item in items} == {reverse("payments:payment-detail", args=[paid.pk])}
    PaymentFactory.create_batch(3, client=customer)
    with django_assert_num_queries(1):
        client_page.timeline(client=customer, limit=10)


# --- Demo provider ------------------------------------------------------------------------------


def test_demo_checkout_pays_through_the_same_notification(client, settings, enqueued):
    settings.DEBUG = True
    settings.YOOKASSA_SHOP_ID = ""
    customer = ClientFactory(stage=stage("consultation"))
    payment = services.payment_create(client=customer, tariff=TariffFactory())
    assert payment.provider == "demo"
    path = reverse("payments:demo-checkout", args=[payment.provider_payment_id])
    assert payment.confirmation_url.endswith(path)
    assert "Demo" in client.get(path).content.decode() or client.get(path).status_code == 200

    assert client.post(path, {"action": "pay"}).status_code == 302
    client.post(path, {"action": "pay"})  # a double click
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    customer.refresh_from_db()
    assert customer.stage.code == "purchased"
    assert customer.stage_moves.filter(event="payment_succeeded").count() == 1


def test_demo_checkout_cancel(client, settings):
    settings.DEBUG = True
    settings.YOOKASSA_SHOP_ID = ""
    payment = services.payment_create(client=ClientFactory(), tariff=TariffFactory())
    client.post(
        reverse("payments:demo-checkout", args=[payment.provider_payment_id]), {"action": "cancel"}
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELED


def test_demo_provider_refuses_without_debug(client, settings):
    payment = PaymentFactory(provider="demo", provider_payment_id="demo-1")
    settings.DEBUG = False
    url = reverse("payments:demo-checkout", args=["demo-1"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "pay"}).status_code == 404
    with pytest.raises(GatewayError):
        services.demo_checkout_finish(provider_payment_id="demo-1", paid=True)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


# --- Public pay page ----------------------------------------------------------------------------


def test_pay_page_creates_one_client_and_redirects_to_yookassa(client, yookassa, enqueued):
    tariff = TariffFactory(name="Программа на 12 недель")
    page = client.get(reverse("payments:pay"))
    assert "Программа на 12 недель" in page.content.decode()
    data = {
        "tariff": tariff.pk,
        "name": "Анна Петрова",
        "phone": "8 (916) 123-45-67",
        "email": "a@example.ru",
    }

    first = client.post(reverse("payments:pay"), data)
    assert first.status_code == 302 and first.url.startswith("https://yoomoney.example/checkout")
    customer = Client.objects.get(phone="+79161234567")
    assert (customer.first_name, customer.last_name, customer.source) == (
        "Анна",
        "Петрова",
        "website",
    )
    assert Lead.objects.filter(client=customer, source="website").count() == 1
    assert customer.stage.code == "deciding"
    client.post(reverse("payments:pay"), data)
    assert Client.objects.filter(phone="+79161234567").count() == 1  # a repeat visit, same client

    payment = Payment.objects.get()
    pending = client.get(reverse("payments:pay-return"))
    assert pending.context["payment"].status == "pending"
    yookassa.set_status(payment.provider_payment_id, "succeeded")
    paid = client.get(reverse("payments:pay-return"))
    assert paid.context["payment"].status == "succeeded"  # asked YooKassa, not the webhook


def test_pay_page_finds_an_existing_client(client, yookassa, enqueued):
    existing = ClientFactory(phone="+79161112233", stage=stage("finished"))
    LeadFactory(client=existing)
    client.post(
        reverse("payments:pay"),
        {"tariff": TariffFactory().pk, "name": "Кто-то", "phone": "+79161112233", "promo_code": ""},
    )
    assert Client.objects.count() == 1
    assert Payment.objects.get().client == existing
    existing.refresh_from_db()
    assert existing.stage.code == "deciding"  # a repeat purchase


def test_pay_page_shows_clear_errors(client, yookassa):
    tariff = TariffFactory()
    bad_phone = client.post(
        reverse("payments:pay"), {"tariff": tariff.pk, "name": "А", "phone": "123"}
    )
    assert bad_phone.status_code == 200 and bad_phone.context["form"].errors["phone"]
    bad_promo = client.post(
        reverse("payments:pay"),
        {"tariff": tariff.pk, "name": "А", "phone": "+79160000001", "promo_code": "NOPE"},
    )
    assert "NOPE" in bad_promo.content.decode()
    assert not Payment.objects.exists()


def test_revenue_numbers(enqueued):
    from payments.selectors import revenue_get

    admin = AdminFactory()
    tariff, food = (
        TariffFactory(price=Decimal("4990")),
        TariffFactory(name="Питание", price=Decimal("1990")),
    )
    buyer = LeadFactory(status=Lead.Status.CONVERTED).client
    LeadFactory(client=buyer, status=Lead.Status.QUALIFIED)  # a second lead: still one client
    LeadFactory(status=Lead.Status.QUALIFIED)  # qualified, never paid
    LeadFactory(status=Lead.Status.NEW)  # not qualified
    services.payment_record_manual(client=buyer, tariff=tariff, provider="cash", actor=admin)
    refunded = services.payment_record_manual(
        client=buyer, tariff=food, provider="card", actor=admin
    )
    services.refund_create(payment=refunded, actor=admin, amount=Decimal("990"))
    PaymentFactory(client=buyer, status=Payment.Status.CANCELED)

    revenue = revenue_get(user=admin)

    assert revenue.total == Decimal("5990.00")
    assert [(r.label, r.revenue) for r in revenue.by_tariff] == [
        (tariff.name, Decimal("4990.00")),
        ("Питание", Decimal("1000.00")),
    ]
    assert sum(r.payments for r in revenue.by_month) == 2
    assert revenue.average_check == Decimal("3490.00")
    assert (revenue.qualified_clients, revenue.paying_clients, revenue.paid_share) == (2, 1, 50)


def test_revenue_by_month_follows_the_studio_clock_at_midnight():
    """Moscow is UTC+3: 23:30 on 31 October is 20:30 UTC, 00:30 on 1 November is 21:30 UTC on the
    31st — October and November on every database."""
    from datetime import datetime

    from payments.selectors import revenue_get

    admin = AdminFactory()
    tz = timezone.get_current_timezone()
    late = datetime(2026, 10, 31, 23, 30, tzinfo=tz)
    for when, amount in ((late, "100"), (late + timedelta(hours=1), "20"), (late, "5")):
        PaymentFactory(status=Payment.Status.SUCCEEDED, paid_at=when, amount=Decimal(amount))
    PaymentFactory(status=Payment.Status.PENDING, paid_at=None)
    months = [(r.label, r.payments, r.revenue) for r in revenue_get(user=admin).by_month]
    assert months == [("11.2026", 1, Decimal("20")), ("10.2026", 2, Decimal("105"))]


def test_pay_page_limits_orders_per_visitor_behind_the_proxy(client, yookassa, enqueued, settings):
    settings.PROXY_COUNT = 1
    settings.PAY_RATE_PER_ADDRESS = 2
    tariff = TariffFactory()

    def order(n: int, forwarded: str, remote: str = "127.0.0.1"):
        return client.post(
            reverse("payments:pay"),
            {"tariff": tariff.pk, "name": "Гость", "phone": f"+7916000000{n}"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    assert [order(n, "198.51.100.1").status_code for n in range(2)] == [302, 302]
    refused = order(2, "198.51.100.1")
    assert refused.status_code == 429
    assert "Слишком много заказов с вашего адреса" in refused.content.decode()
    assert Client.objects.count() == Payment.objects.count() == 2  # the refused one made nothing
    assert order(3, "198.51.100.2").status_code == 302  # another visitor is still served
    assert Payment.objects.count() == 3

    # A stranger's own X-Forwarded-For is not believed: its orders share its own bucket.
    assert [
        order(4 + n, f"198.51.100.{10 + n}", remote="203.0.113.9").status_code for n in range(3)
    ] == [302, 302, 429]
