"""Demo data for `manage.py seed_demo`: tariffs, a promo code and a payment history that matches each
client's stage (pending or cancelled for those still deciding, paid — sometimes refunded — for
those who bought). Idempotent: tariffs by name, payments by their deterministic idempotence key."""

import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm.models import Client

from .models import (
    Payment,
    PaymentEvent,
    PromoCode,
    PromoCodeUsage,
    Promotion,
    Subscription,
    Tariff,
)
from .services import clients_paid_refresh, promotion_pick

TARIFFS = [
    (
        "Программа на 12 недель",
        "Персональная программа тренировок на 12 недель в PDF.",
        "4990",
        84,
        True,
    ),
    (
        "3 месяца с ведением",
        "Программа, еженедельные созвоны и разбор техники по видео.",
        "14990",
        90,
        True,
    ),
    ("План питания", "Рацион под вашу цель с расчётом КБЖУ на месяц.", "1990", 30, False),
]
PROMO = ("START10", PromoCode.Kind.PERCENT, Decimal("10"))
WEEKDAYS, WEEKENDS, EVERY_DAY = [0, 1, 2, 3, 4], [5, 6], [0, 1, 2, 3, 4, 5, 6]
# name: kind, value, weekdays, from, until, tariff names (empty: all), combines with a promo code.
# The academy's memberships are created by its own demo, which calls ensure_promotions() again.
PROMOTIONS = {
    "Утро будней": ("percent", "20", WEEKDAYS, None, time(16), ["Безлимит на месяц"], False),
    "2+1: занятие в подарок": ("visits", "1", WEEKDAYS, None, time(16), ["8 занятий"], False),
    "Неделя в подарок по выходным": (
        "days",
        "7",
        WEEKENDS,
        None,
        None,
        ["3 месяца с ведением"],
        False,
    ),
    "Вечерний план питания": ("fixed", "300", EVERY_DAY, time(19), None, ["План питания"], True),
}


def ensure_promotions() -> int:
    """The demo's promotions on whichever of their tariffs exist (by name); created once each."""
    created = 0
    for name, (kind, value, days, start, end, tariff_names, combines) in PROMOTIONS.items():
        tariffs = list(Tariff.objects.filter(name__in=tariff_names))
        if not tariffs:
            continue
        promotion, was_created = Promotion.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "value": Decimal(value),
                "weekdays": days,
                "time_from": start,
                "time_to": end,
                "starts_on": date(2026, 1, 1),
                "combines_with_promo_code": combines,
            },
        )
        if was_created:
            promotion.tariffs.set(tariffs)
        created += was_created
    return created


BOUGHT = {"purchased", "active", "finished"}


def ensure_tariffs() -> tuple[list[Tariff], int]:
    created, tariffs = 0, []
    for order, (name, description, price, days, grants) in enumerate(TARIFFS, 1):
        tariff, was_created = Tariff.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "price": Decimal(price),
                "duration_days": days,
                "grants_paid_program": grants,
                "order": order * 10,
            },
        )
        created += was_created
        tariffs.append(tariff)
    return tariffs, created


def _payment(
    client: Client, n: int, tariff: Tariff, status: str, at, promo, rng, promotions=()
) -> Payment:
    # The promotion that was running when the client paid (the demo's promotions never combine
    # with its promo code but one, so either applies; the price with both is never below 1 ₽).
    mine = [
        p
        for p in promotions
        if (not p.tariff_ids or tariff.pk in p.tariff_ids)
        and (p.starts_on is None or p.starts_on <= timezone.localdate(at))
    ]
    promotion = promotion_pick(mine, tariff=tariff, at=at)
    if promotion and promo and not promotion.combines_with_promo_code:
        promo = None
    discount = promotion.discount_on(tariff.price) if promotion else Decimal("0.00")
    amount = tariff.price - discount
    amount = promo.discounted(amount) if promo else amount
    bonus = int(promotion.value) if promotion and not promotion.is_discount else 0
    online = rng.random() < 0.8
    paid = status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED)
    key = f"demo-seed-{client.phone}-{n}"
    provider = Payment.Provider.YOOKASSA if online else rng.choice(["cash", "card"])
    provider_id, link = (f"seed-{key}" if online else None), ""
    if status == Payment.Status.PENDING:
        # Open payments go to the demo checkout, so the journey can be finished on a fresh machine.
        provider, provider_id = Payment.Provider.DEMO, key
        link = settings.SITE_URL + reverse("payments:demo-checkout", args=[key])
    return Payment(
        client=client,
        tariff=tariff,
        amount=amount,
        refunded_amount=amount if status == Payment.Status.REFUNDED else Decimal("0.00"),
        status=status,
        provider=provider,
        provider_payment_id=provider_id,
        confirmation_url=link,
        idempotence_key=key,
        promo_code=promo,
        promotion=promotion,
        promotion_discount=discount,
        bonus_visits=bonus if promotion and promotion.kind == Promotion.Kind.VISITS else 0,
        bonus_days=bonus if promotion and promotion.kind == Promotion.Kind.DAYS else 0,
        paid_at=at + timedelta(minutes=rng.randint(2, 40)) if paid else None,
        confirmed_by=None if online else client.trainer,
        created_at=at,
        metadata={"seed": True},
    )


def _history(payment: Payment) -> list[PaymentEvent]:
    """The events `payment_transition` would have written for this seeded payment."""
    online = payment.provider in (Payment.Provider.YOOKASSA, Payment.Provider.DEMO)
    source = PaymentEvent.Source.WEBHOOK if online else PaymentEvent.Source.WEB
    created = PaymentEvent.Source.BOT if online else PaymentEvent.Source.WEB
    Status = Payment.Status
    events = [
        PaymentEvent(
            payment=payment,
            to_status=Status.PENDING,
            source=created,
            actor=payment.confirmed_by,
            created_at=payment.created_at,
        )
    ]
    if payment.paid_at:
        events.append(
            PaymentEvent(
                payment=payment,
                from_status=Status.PENDING,
                to_status=Status.SUCCEEDED,
                source=source,
                actor=payment.confirmed_by,
                created_at=payment.paid_at,
            )
        )
    if payment.status == Status.REFUNDED:
        events.append(
            PaymentEvent(
                payment=payment,
                from_status=Status.SUCCEEDED,
                to_status=Status.REFUNDED,
                source=PaymentEvent.Source.WEB,
                created_at=min(payment.paid_at + timedelta(days=2), timezone.now()),
            )
        )
    if payment.status == Status.CANCELED:
        events.append(
            PaymentEvent(
                payment=payment,
                from_status=Status.PENDING,
                to_status=Status.CANCELED,
                source=PaymentEvent.Source.POLL,
                created_at=payment.created_at + timedelta(hours=1),
            )
        )
    return events


@transaction.atomic
def seed(*, clients: list[Client], rng: random.Random) -> int:
    tariffs, rows = ensure_tariffs()
    promo, promo_created = PromoCode.objects.get_or_create(
        code=PROMO[0], defaults={"kind": PROMO[1], "value": PROMO[2], "max_uses": 200}
    )
    rows += promo_created + ensure_promotions()
    promotions = list(Promotion.objects.filter(is_active=True).prefetch_related("tariffs"))
    for promotion in promotions:
        promotion.tariff_ids = {t.pk for t in promotion.tariffs.all()}
    now = timezone.now()
    payments: list[Payment] = []
    before = Payment.objects.count()
    for client in clients:
        # Each client's history comes from its own seed: a re-run makes the same rows (same keys).
        rng = random.Random(f"payments-{client.phone}")
        code = client.stage.code if client.stage else ""
        decided_at = client.stage_changed_at or client.created_at
        start = client.created_at + (decided_at - client.created_at) / 2
        if code == "deciding":
            if rng.random() < 0.3:
                payments.append(
                    _payment(client, 1, tariffs[0], Payment.Status.CANCELED, start, None, rng)
                )
            payments.append(
                _payment(
                    client,
                    2,
                    rng.choice(tariffs[:2]),
                    Payment.Status.PENDING,
                    decided_at,
                    None,
                    rng,
                )
            )
        elif code in BOUGHT:
            tariff = rng.choices(tariffs, weights=[6, 3, 1])[0]
            status = Payment.Status.REFUNDED if rng.random() < 0.04 else Payment.Status.SUCCEEDED
            use_promo = promo if rng.random() < 0.15 else None
            payments.append(
                _payment(client, 1, tariff, status, decided_at, use_promo, rng, promotions)
            )
            if code != "purchased" and rng.random() < 0.25:  # upsell: a nutrition plan later
                later = min(now, decided_at + timedelta(days=rng.randint(3, 30)))
                payments.append(
                    _payment(
                        client,
                        2,
                        tariffs[2],
                        Payment.Status.SUCCEEDED,
                        later,
                        None,
                        rng,
                        promotions,
                    )
                )
        elif code == "inactive" and rng.random() < 0.3:
            payments.append(
                _payment(client, 1, tariffs[0], Payment.Status.CANCELED, start, None, rng)
            )
    created = Payment.objects.bulk_create(payments, ignore_conflicts=True)
    clients_paid_refresh({p.client_id for p in payments})
    keys = [p.idempotence_key for p in created]
    fresh = list(
        Payment.objects.filter(idempotence_key__in=keys, events__isnull=True).select_related(
            "tariff"
        )
    )
    PaymentEvent.objects.bulk_create(event for p in fresh for event in _history(p))
    PromoCodeUsage.objects.bulk_create(
        [
            PromoCodeUsage(
                promo_code_id=p.promo_code_id,
                client_id=p.client_id,
                payment=p,
                discount=p.tariff.price - p.promotion_discount - p.amount,
                used_at=p.paid_at,
            )
            for p in fresh
            if p.promo_code_id and p.paid_at
        ],
        ignore_conflicts=True,
    )
    saved = {
        p.idempotence_key: p
        for p in Payment.objects.filter(
            idempotence_key__in=keys, status=Payment.Status.SUCCEEDED
        ).select_related("tariff")
    }
    have = set(
        Subscription.objects.filter(last_payment__in=saved.values()).values_list(
            "last_payment_id", flat=True
        )
    )
    subscriptions = [
        Subscription(
            client_id=p.client_id,
            tariff=p.tariff,
            starts_on=timezone.localdate(p.paid_at),
            ends_on=timezone.localdate(p.paid_at)
            + timedelta(days=p.tariff.duration_days + p.bonus_days - 1),
            last_payment=p,
        )
        for p in saved.values()
        if p.pk not in have
    ]
    Subscription.objects.bulk_create(subscriptions)
    return rows + Payment.objects.count() - before + len(subscriptions)
