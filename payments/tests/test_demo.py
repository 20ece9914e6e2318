import random

import pytest
from django.core.management import call_command

from crm.models import Client
from payments import demo
from payments.models import Payment, PromoCode, Promotion, Subscription, Tariff

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_tariffs_promo_and_payments_that_match_stages(capsys):
    call_command("seed_demo", "--clients", "120")
    assert "Платежи:" in capsys.readouterr().out
    # The academy's membership plans are tariffs too (with payments of their own): leave them out.
    ours = {"tariff__academy_plan__isnull": True}
    assert list(Tariff.objects.filter(academy_plan__isnull=True).values_list("name", "price")) == [
        ("Программа на 12 недель", 4990),
        ("3 месяца с ведением", 14990),
        ("План питания", 1990),
    ]
    assert PromoCode.objects.filter(code="START10").exists()
    paid = Payment.objects.filter(status__in=["succeeded", "refunded"], **ours).select_related(
        "client__stage"
    )
    assert paid.exists()
    assert {p.client.stage.code for p in paid} <= {"purchased", "active", "finished"}
    assert all(p.paid_at and p.paid_at >= p.created_at for p in paid)
    pending = Payment.objects.filter(status="pending").select_related("client__stage")
    assert {p.client.stage.code for p in pending} == {"deciding"}
    assert all(p.provider == "demo" and p.confirmation_url for p in pending)
    assert (
        Subscription.objects.filter(**ours).count()
        == Payment.objects.filter(status="succeeded", **ours).count()
    )
    buyers = Client.objects.filter(stage__code__in=["purchased", "active", "finished"])
    assert not buyers.exclude(payments__status__in=["succeeded", "refunded"]).exists()
    # Promotions on the shop's and the academy's tariffs; past sales carry the one that ran then.
    assert set(Promotion.objects.values_list("name", flat=True)) == set(demo.PROMOTIONS)
    assert Promotion.objects.get(name="2+1: занятие в подарок").tariffs.get().name == "8 занятий"
    promoted = Payment.objects.filter(promotion__isnull=False, **ours).select_related("tariff")
    for payment in promoted:
        price = payment.tariff.price - payment.promotion_discount
        assert payment.amount == price or payment.promo_code_id


def test_seed_is_idempotent():
    call_command("seed_demo", "--clients", "40")
    before = (Payment.objects.count(), Subscription.objects.count(), Tariff.objects.count())
    clients = list(Client.objects.select_related("stage"))
    demo.seed(clients=clients, rng=random.Random("payments"))
    assert (Payment.objects.count(), Subscription.objects.count(), Tariff.objects.count()) == before
