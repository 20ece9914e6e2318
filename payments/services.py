"""The only code that changes a payment's status.

Every change of a payment's status — YooKassa's webhook, the poll of lost webhooks, the return page,
the demo provider, a staff member's confirmation (web, admin, staff chat), a cash/card payment
recorded by hand, a refund — goes through `payment_transition`: it refuses moves TRANSITIONS does not
allow, writes a `PaymentEvent` and runs the new status's follow-ups exactly once under a row lock.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from audit.services import Action, audit_diff, audit_record, audit_snapshot
from config.celery import enqueue_on_commit
from crm.leads import lead_convert
from crm.models import Client, ClientContact, Notification, User
from crm.notifications import client_message, staff_notify
from crm.services import lead_register, notification_create
from pipeline.services import stage_apply_event
from programs.tasks import program_generate_task
from ui.formatting import format_money

from . import gateways
from .extensions import purchase_fulfil
from .gateways import GatewayError, RemotePayment
from .models import (
    MANUAL_PROVIDERS,
    PROMOTION_FIELDS,
    Payment,
    PaymentEvent,
    PromoCode,
    PromoCodeUsage,
    Promotion,
    ProviderNotification,
    Refund,
    Subscription,
    Tariff,
)

logger = logging.getLogger(__name__)

# A pending online payment holds its promo code's place this long (YooKassa cancels unpaid
# payments within about an hour), so two clients racing for the last use cannot both get it.
PROMO_RESERVATION = timedelta(hours=1)
# A payment whose creation failed may be retried with the same key while YooKassa keeps it (24 h).
RETRY_WINDOW = timedelta(hours=23)
# A created payment's link is handed out again for a repeated request within this time.
LINK_REUSE_WINDOW = timedelta(minutes=50)
ONLINE_PROVIDERS = (Payment.Provider.YOOKASSA, Payment.Provider.DEMO)
OPEN = (Payment.Status.PENDING, Payment.Status.WAITING_FOR_CAPTURE)
Status = Payment.Status
Source = PaymentEvent.Source


class PaymentError(Exception):
    """The payment could not be made; the message is safe to show to a client or a trainer."""


# --- Promo codes ----------------------------------------------------------------------------------


def promo_code_check(
    *, code: str, tariff: Tariff, client: Client | None, lock: bool = False
) -> PromoCode:
    """The usable promo code for this tariff and client, or PaymentError saying why not.

    With `lock=True` (inside a transaction) the code's row is locked, so limits are judged against
    a count no concurrent payment can change until this transaction ends.
    """
    queryset = PromoCode.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    promo = queryset.filter(code=code.strip().upper()).first()
    if promo is None or not promo.is_active:
        raise PaymentError(_("Promo code “%(code)s” does not exist.") % {"code": code.strip()})
    now = timezone.now()
    if promo.valid_from and now < promo.valid_from:
        raise PaymentError(_("Promo code “%(code)s” is not valid yet.") % {"code": promo.code})
    if promo.valid_to and now > promo.valid_to:
        raise PaymentError(_("Promo code “%(code)s” has expired.") % {"code": promo.code})
    allowed = list(promo.tariffs.values_list("pk", flat=True))
    if allowed and tariff.pk not in allowed:
        raise PaymentError(
            _("Promo code “%(code)s” does not apply to “%(tariff)s”.")
            % {"code": promo.code, "tariff": tariff.name}
        )
    taken = Q(status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED)) | Q(
        status__in=OPEN, created_at__gte=now - PROMO_RESERVATION
    )
    if promo.max_uses is not None and promo.payments.filter(taken).count() >= promo.max_uses:
        raise PaymentError(_("Promo code “%(code)s” has been used up.") % {"code": promo.code})
    if (
        client is not None
        and promo.max_uses_per_client is not None
        and promo.payments.filter(taken, client=client).count() >= promo.max_uses_per_client
    ):
        raise PaymentError(_("You have already used promo code “%(code)s”.") % {"code": promo.code})
    return promo


def price_quote(*, tariff: Tariff, promo_code: str = "", client: Client | None = None) -> Decimal:
    """What the client would pay now (raises PaymentError for a bad promo code)."""
    return price_offer(tariff=tariff, promo_code=promo_code, client=client).amount


# --- Promotions -----------------------------------------------------------------------------------


def _in_schedule(promotion: Promotion, local: datetime) -> bool:
    if local.weekday() not in (promotion.weekdays or []):
        return False
    moment = local.time()
    if promotion.time_from and moment < promotion.time_from:
        return False
    return not (promotion.time_to and moment >= promotion.time_to)


def promotion_benefit(promotion: Promotion, tariff: Tariff) -> Decimal:
    """What a promotion is worth to the client in roubles, to compare it with a promo code: the
    discount, or the bonus's share of the price (extra days of the tariff's period, extra visits of
    a visit-count membership; extra visits on anything else are worth nothing)."""
    price = tariff.price
    if promotion.is_discount:
        return promotion.discount_on(price)
    if promotion.kind == Promotion.Kind.DAYS:
        return (price * promotion.value / tariff.duration_days).quantize(Decimal("0.01"))
    visits = _plan_visits(tariff)
    if not visits:
        return Decimal("0.00")
    return (price * promotion.value / visits).quantize(Decimal("0.01"))


def _plan_visits(tariff: Tariff) -> int | None:
    """The number of visits the tariff sells, when an app (the academy) sells visits with it."""
    plan = getattr(tariff, "academy_plan", None)  # a missing reverse one-to-one: AttributeError
    return getattr(plan, "visits", None)


def promotions_current(at: datetime | None = None) -> list[Promotion]:
    """Active promotions whose dates include `at`'s local day, each with `tariff_ids` (empty: every
    tariff). One query for the promotions and one for their tariffs."""
    today = timezone.localdate(at or timezone.now())
    promotions = list(
        Promotion.objects.filter(is_active=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .prefetch_related("tariffs")
        .order_by("id")
    )
    for promotion in promotions:
        promotion.tariff_ids = {tariff.pk for tariff in promotion.tariffs.all()}
    return promotions


def promotions_in_force(at: datetime | None = None) -> list[Promotion]:
    """The promotions running at `at` (default now), whatever their tariffs."""
    local = timezone.localtime(at or timezone.now())
    return [promotion for promotion in promotions_current(at) if _in_schedule(promotion, local)]


def promotion_in_force(promotion: Promotion, at: datetime | None = None) -> bool:
    """Whether this promotion runs at `at` (default now): active, within its dates, weekdays and
    hours (the studio's local time)."""
    local = timezone.localtime(at or timezone.now())
    today = local.date()
    return (
        promotion.is_active
        and (promotion.starts_on is None or promotion.starts_on <= today)
        and (promotion.ends_on is None or today <= promotion.ends_on)
        and _in_schedule(promotion, local)
    )


def promotion_pick(
    promotions: list[Promotion], *, tariff: Tariff, at: datetime | None = None
) -> Promotion | None:
    """Of `promotions` (for this tariff), the one in force at `at` on its weekdays and hours in the
    studio's local time; with several, the one worth most to the client (the oldest on a tie)."""
    local = timezone.localtime(at or timezone.now())
    in_force = [promotion for promotion in promotions if _in_schedule(promotion, local)]
    if not in_force:
        return None
    return max(in_force, key=lambda promotion: promotion_benefit(promotion, tariff))


def promotion_for(tariff: Tariff, at: datetime | None = None) -> Promotion | None:
    """The promotion in force for `tariff` at `at` (default now): active, for this tariff (or every
    tariff), within its dates, weekdays and hours (the studio's local time)."""
    mine = [
        promotion
        for promotion in promotions_current(at)
        if not promotion.tariff_ids or tariff.pk in promotion.tariff_ids
    ]
    return promotion_pick(mine, tariff=tariff, at=at)


PROMOTION_SCALARS = [name for name in PROMOTION_FIELDS if name != "tariffs"]


@transaction.atomic
def promotion_save(*, promotion: Promotion, tariffs: list[Tariff], actor: User) -> Promotion:
    """Save a promotion a staff member created or changed (validated by its form), with the audit
    entry of what changed."""
    before = {}
    if promotion.pk:
        stored = Promotion.objects.prefetch_related("tariffs").get(pk=promotion.pk)
        before = audit_snapshot(stored, PROMOTION_SCALARS)
        before["tariffs"] = sorted(tariff.name for tariff in stored.tariffs.all())
    promotion.full_clean()
    promotion.save()
    promotion.tariffs.set(tariffs)
    after = audit_snapshot(promotion, PROMOTION_SCALARS)
    after["tariffs"] = sorted(tariff.name for tariff in tariffs)
    audit_record(
        actor=actor,
        action=Action.PROMOTION_SAVE,
        obj=promotion,
        changes=audit_diff(before, after),
    )
    return promotion


@dataclass(frozen=True)
class Offer:
    """What a purchase costs right now and why: the list price, the promotion in force and the
    promo code that apply, and a note for the client when one of them gave way to the other."""

    list_price: Decimal
    amount: Decimal
    promo: PromoCode | None = None
    promotion: Promotion | None = None
    promotion_discount: Decimal = Decimal("0.00")
    bonus_visits: int = 0
    bonus_days: int = 0
    note: str = ""

    def payment_fields(self) -> dict:
        return {
            "promo_code": self.promo,
            "promotion": self.promotion,
            "promotion_discount": self.promotion_discount,
            "bonus_visits": self.bonus_visits,
            "bonus_days": self.bonus_days,
        }


def _with_promotion(promotion: Promotion, price: Decimal, tariff: Tariff) -> dict:
    bonus = int(promotion.value) if not promotion.is_discount else 0
    return {
        "promotion": promotion,
        "promotion_discount": promotion.discount_on(price),
        "bonus_visits": bonus if promotion.kind == Promotion.Kind.VISITS else 0,
        "bonus_days": bonus if promotion.kind == Promotion.Kind.DAYS else 0,
    }


def price_offer(
    *,
    tariff: Tariff,
    promo_code: str = "",
    client: Client | None = None,
    at: datetime | None = None,
    lock: bool = False,
) -> Offer:
    """The price of `tariff` for `client` at `at` (default now) with the promotion in force and the
    promo code (PaymentError, safe to show, for a bad code).

    A promotion and a promo code add up only when the promotion says so (the code then applies to
    the promotion's price); otherwise the client gets the one worth more to them — the promotion on
    a tie, so the code is not spent — and the offer's note tells them which.
    """
    price = tariff.price
    promotion = promotion_for(tariff, at)
    promo = None
    if promo_code.strip():
        promo = promo_code_check(code=promo_code, tariff=tariff, client=client, lock=lock)
    if promotion is None:
        amount = promo.discounted(price) if promo else price
        return Offer(list_price=price, amount=amount, promo=promo)
    applied = _with_promotion(promotion, price, tariff)
    after_promotion = price - applied["promotion_discount"]
    if promo is None:
        return Offer(list_price=price, amount=after_promotion, **applied)
    if promotion.combines_with_promo_code:
        return Offer(
            list_price=price, amount=promo.discounted(after_promotion), promo=promo, **applied
        )
    by_code = promo.discounted(price)
    if price - by_code > promotion_benefit(promotion, tariff):
        note = _(
            "Promo code %(code)s does not combine with the promotion “%(promotion)s”; the promo "
            "code is better for you, so it is applied."
        ) % {"code": promo.code, "promotion": promotion.name}
        return Offer(list_price=price, amount=by_code, promo=promo, note=note)
    note = _(
        "Promo code %(code)s does not combine with the promotion “%(promotion)s”; the promotion is "
        "better for you, so it is applied and the code stays unused."
    ) % {"code": promo.code, "promotion": promotion.name}
    return Offer(list_price=price, amount=after_promotion, note=note, **applied)


# --- Creating payments ----------------------------------------------------------------------------


def _customer(client: Client) -> dict | None:
    if client.email:
        return {"email": client.email}
    if client.phone:
        return {"phone": client.phone.lstrip("+")}
    return None


def _reusable(*, client: Client, tariff: Tariff, offer: Offer, provider: str):
    """An earlier online payment for the same purchase that a repeated request should continue.

    A row whose creation at the provider failed is retried with its own idempotence key (never a
    second charge); a row with a fresh link hands that link out again.
    """
    now = timezone.now()
    return (
        Payment.objects.select_for_update()
        .filter(
            client=client,
            tariff=tariff,
            promo_code=offer.promo,
            promotion=offer.promotion,
            amount=offer.amount,
            provider=provider,
            status=Payment.Status.PENDING,
        )
        .filter(
            Q(provider_payment_id__isnull=True, created_at__gte=now - RETRY_WINDOW)
            | Q(provider_payment_id__isnull=False, created_at__gte=now - LINK_REUSE_WINDOW)
        )
        .order_by("-created_at")
        .first()
    )


def payment_create(
    *,
    client: Client,
    tariff: Tariff,
    promo_code: str = "",
    actor: User | None = None,
    source: str = Source.WEB,
) -> Payment:
    """Create an online payment for a tariff and return it with its `confirmation_url`.

    The row (with its idempotence key) is committed before the provider is called, so a timeout
    leaves a visible pending payment with `last_error`; calling again for the same purchase reuses
    that row and key, so YooKassa never charges twice. Moves the client to "Принимают решение".
    Raises PaymentError (message safe to show) for a bad promo code or a provider failure.
    Call it outside a transaction: inside one, a rollback after a timeout would also drop the row
    that holds the idempotence key.
    """
    try:
        gateway = gateways.online_gateway()
    except GatewayError as exc:
        logger.error("Online payments unavailable: %s", exc)
        raise PaymentError(_("Online payment is not available right now.")) from exc
    if not tariff.is_active:
        raise PaymentError(_("This tariff is no longer sold."))

    with transaction.atomic():
        offer = price_offer(tariff=tariff, promo_code=promo_code, client=client, lock=True)
        amount = offer.amount
        payment = _reusable(client=client, tariff=tariff, offer=offer, provider=gateway.provider)
        if payment is not None and payment.provider_payment_id:
            return payment
        if payment is None:
            metadata = {"list_price": str(tariff.price)}
            if offer.note:
                metadata["offer_note"] = offer.note
            payment = Payment(
                client=client,
                tariff=tariff,
                amount=amount,
                provider=gateway.provider,
                created_by=actor,
                metadata=metadata,
                **offer.payment_fields(),
            )
            payment.full_clean()
            payment.save()
            payment_event_record(
                payment=payment,
                from_status="",
                to_status=payment.status,
                source=source,
                actor=actor,
            )
            stage_apply_event(client=client, event="payment_created", actor=actor)
            staff_notify(
                text=_("%(client)s started paying for “%(tariff)s”: %(amount)s ₽.")
                % {"client": client, "tariff": tariff.name, "amount": amount},
                client=client,
            )

    try:
        remote = gateway.payment_create(
            amount=payment.amount,
            description=_("%(tariff)s, payment #%(id)s")
            % {"tariff": tariff.name, "id": payment.pk},
            idempotence_key=payment.idempotence_key,
            metadata={"payment_id": str(payment.pk), "client_id": str(client.pk)},
            customer=_customer(client),
        )
    except GatewayError as exc:
        Payment.objects.filter(pk=payment.pk).update(
            last_error=str(exc)[:255], updated_at=timezone.now()
        )
        payment.last_error = str(exc)[:255]
        staff_notify(
            text=_("YooKassa did not create payment #%(id)s for %(client)s; the client may retry.")
            % {"id": payment.pk, "client": client},
            client=client,
        )
        raise PaymentError(
            _("The payment service did not answer. Please try again in a minute.")
        ) from exc

    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        locked.provider_payment_id = remote.id
        locked.confirmation_url = remote.confirmation_url
        locked.last_error = ""
        locked.save(
            update_fields=["provider_payment_id", "confirmation_url", "last_error", "updated_at"]
        )
        if remote.status != Payment.Status.PENDING:
            payment_apply_remote(payment=locked, remote=remote, source=Source.POLL)
    locked.refresh_from_db()
    return locked


# --- The one success path -------------------------------------------------------------------------


def _subscription_extend(*, payment: Payment, today) -> Subscription:
    current = (
        Subscription.objects.select_for_update()
        .filter(client=payment.client, tariff=payment.tariff, ends_on__gte=today)
        .order_by("-ends_on")
        .first()
    )
    days = timedelta(days=payment.tariff.duration_days + payment.bonus_days)
    if current is not None:
        current.ends_on += days
        current.last_payment = payment
        current.save(update_fields=["ends_on", "last_payment", "updated_at"])
        return current
    return Subscription.objects.create(
        client=payment.client,
        tariff=payment.tariff,
        starts_on=today,
        ends_on=today + days - timedelta(days=1),
        last_payment=payment,
    )


# --- The one place a status changes ---------------------------------------------------------------

# Every legal move of a payment's status; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.WAITING_FOR_CAPTURE, Status.SUCCEEDED, Status.CANCELED}),
    Status.WAITING_FOR_CAPTURE: frozenset({Status.SUCCEEDED, Status.CANCELED}),
    Status.SUCCEEDED: frozenset({Status.REFUNDED}),
    Status.CANCELED: frozenset(),
    Status.REFUNDED: frozenset(),
}


class Transition(StrEnum):
    """What `payment_transition` did."""

    MOVED = "moved"  # the status changed, the history row and the follow-ups are written
    UNCHANGED = "unchanged"  # already in that status (a duplicate notification): nothing done
    REFUSED = "refused"  # not a legal move from the current status: nothing done


class SyncOutcome(StrEnum):
    """What a provider's answer (webhook, poll, return page, demo checkout) did to our payment."""

    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    WAITING = "waiting"
    REFUNDED = "refunded"
    SAME = "same"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"
    IGNORED = "ignored"


def payment_event_record(
    *, payment: Payment, from_status: str, to_status: str, source: str, actor=None, note=""
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=to_status,
        source=source,
        actor=actor,
        note=note[:255],
    )


def clients_paid_refresh(client_ids: Iterable[int]) -> int:
    """Set `Client.paid_total` of these clients from their succeeded payments, net of partial
    refunds (a fully refunded payment is no longer succeeded): recomputed, never added to, so a
    retried task or a replayed notification leaves the same number. One UPDATE; returns the rows."""
    kept = (
        Payment.objects.filter(client=OuterRef("pk"), status=Status.SUCCEEDED)
        .order_by()
        .values("client")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values("total")
    )
    return Client.objects.filter(pk__in=list(client_ids)).update(
        paid_total=Coalesce(Subquery(kept), Value(Decimal("0.00")))
    )


@transaction.atomic
def payment_transition(
    *,
    payment: Payment,
    to: str,
    source: str,
    actor: User | None = None,
    paid_at=None,
    note: str = "",
) -> Transition:
    """Move a payment to status `to`, if TRANSITIONS allows it from where it is now.

    Under the payment's row lock: the status (and `paid_at`/`confirmed_by` on success), one
    `PaymentEvent` (from, to, source, actor, time), then the follow-ups of the new status, exactly
    once — for success: promo usage, subscription, the client's lead converted and stage moved to
    "Куплена услуга"; after commit the paid program, the staff note and the client's thanks.
    A payment already in `to` gives UNCHANGED; an illegal move gives REFUSED; neither changes
    anything, so duplicated or out-of-order notifications are harmless.
    """
    locked = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("client", "tariff", "promo_code")
        .get(pk=payment.pk)
    )
    current = locked.status
    if current == to:
        return Transition.UNCHANGED
    if to not in TRANSITIONS[current]:
        logger.info("Refused payment %s move %s -> %s (%s)", locked.pk, current, to, source)
        return Transition.REFUSED
    fields = ["status", "updated_at"]
    locked.status = to
    if to == Status.SUCCEEDED:
        locked.paid_at = paid_at or timezone.now()
        locked.confirmed_by = actor
        locked.last_error = ""
        fields += ["paid_at", "confirmed_by", "last_error"]
    if to == Status.CANCELED and note:
        locked.metadata = {**locked.metadata, "cancel_reason": note[:200]}
        fields.append("metadata")
    locked.save(update_fields=fields)
    if Status.SUCCEEDED in (current, to):
        clients_paid_refresh([locked.client_id])
    payment_event_record(
        payment=locked, from_status=current, to_status=to, source=source, actor=actor, note=note
    )
    if to == Status.SUCCEEDED:
        _after_succeeded(locked, actor=actor)
    payment.status, payment.paid_at, payment.confirmed_by = (
        locked.status,
        locked.paid_at,
        locked.confirmed_by,
    )
    return Transition.MOVED


def _after_succeeded(payment: Payment, *, actor: User | None) -> None:
    client, tariff = payment.client, payment.tariff
    if payment.promo_code_id:
        PromoCode.objects.select_for_update().filter(pk=payment.promo_code_id).first()
        PromoCodeUsage.objects.get_or_create(
            payment=payment,
            defaults={
                "promo_code_id": payment.promo_code_id,
                "client": client,
                "discount": max(
                    tariff.price - payment.promotion_discount - payment.amount, Decimal("0.00")
                ),
                "used_at": payment.paid_at,
            },
        )
    lead_convert(client=client)
    stage_apply_event(client=client, event="payment_succeeded", actor=actor)
    _subscription_extend(payment=payment, today=timezone.localdate(payment.paid_at))
    purchase_fulfil(payment=payment)  # e.g. the academy's membership for this payment
    if tariff.grants_paid_program:
        enqueue_on_commit(program_generate_task.name, client.pk, "paid", f"payment:{payment.pk}")
    notification_create(
        recipient=client.trainer,
        kind=Notification.Kind.CLIENT_PAID,
        client=client,
        text=_("%(client)s paid %(amount)s for “%(tariff)s”.")
        % {"client": client, "amount": format_money(payment.amount), "tariff": tariff.name},
        url=reverse("payments:payment-detail", args=[payment.pk]),
        dedup_key=f"payment:{payment.pk}:succeeded",
    )
    staff_notify(
        text=_("Payment received: %(client)s, “%(tariff)s”, %(amount)s ₽ (%(provider)s).")
        % {
            "client": client,
            "tariff": tariff.name,
            "amount": payment.amount,
            "provider": payment.get_provider_display(),
        },
        client=client,
    )
    thanks = _("Thank you! Your payment for “%(tariff)s” has been received.") % {
        "tariff": tariff.name
    }
    if tariff.grants_paid_program:
        thanks += " " + _("Your full program is being prepared and will arrive here shortly.")
    client_message(client=client, text=thanks)


def payment_apply_remote(*, payment: Payment, remote: RemotePayment, source: str) -> SyncOutcome:
    """Bring a payment in line with what the provider says about it. Returns what happened.

    Only the provider's own answer is used (never a notification body); a status change is refused
    when the provider's amount or our id in its metadata do not match this payment.
    """
    ours = remote.metadata.get("payment_id")
    if remote.amount != payment.amount or (ours is not None and ours != str(payment.pk)):
        logger.error(
            "Payment %s does not match the provider's %s (amount %s vs %s, metadata id %s)",
            payment.pk,
            remote.id,
            payment.amount,
            remote.amount,
            ours,
        )
        staff_notify(
            text=_("Payment #%(id)s does not match YooKassa's data; check it by hand.")
            % {"id": payment.pk},
            client=payment.client,
        )
        return SyncOutcome.MISMATCH
    outcomes = {
        Status.SUCCEEDED: SyncOutcome.SUCCEEDED,
        Status.CANCELED: SyncOutcome.CANCELED,
        Status.WAITING_FOR_CAPTURE: SyncOutcome.WAITING,
    }
    if remote.status not in outcomes:
        return SyncOutcome.SAME
    moved = payment_transition(payment=payment, to=remote.status, source=source)
    if moved == Transition.REFUSED and remote.status == Status.CANCELED:
        logger.info("Ignored a cancellation of payment %s in status %s", payment.pk, payment.status)
    return outcomes[remote.status] if moved == Transition.MOVED else SyncOutcome.SAME


def payment_sync(*, payment: Payment, source: str = Source.POLL) -> SyncOutcome:
    """Re-read an online payment from its provider and settle it. Raises GatewayError when down."""
    if payment.provider not in ONLINE_PROVIDERS or not payment.provider_payment_id:
        return SyncOutcome.SAME
    remote = gateways.gateway_for(payment.provider).payment_get(payment.provider_payment_id)
    return payment_apply_remote(payment=payment, remote=remote, source=source)


@dataclass
class CheckResult:
    checked: int = 0
    changed: int = 0
    failed: int = 0


def payments_check_pending(*, min_age: timedelta = timedelta(minutes=2)) -> CheckResult:
    """Re-read open online payments from the provider, for webhooks that never came.

    Payments younger than `min_age` are left to their webhook; older than 7 days are left alone.
    A payment that never reached the provider (its creation failed) is cancelled after 24 hours,
    when YooKassa no longer honours its idempotence key.
    """
    now = timezone.now()
    result = CheckResult()
    open_payments = Payment.objects.filter(
        status__in=OPEN,
        provider__in=ONLINE_PROVIDERS,
        provider_payment_id__isnull=False,
        created_at__lte=now - min_age,
        created_at__gte=now - timedelta(days=7),
    ).order_by("created_at")
    # Rows that never reached the provider and can no longer be retried with their key.
    for payment in Payment.objects.filter(
        status=Payment.Status.PENDING,
        provider__in=ONLINE_PROVIDERS,
        provider_payment_id__isnull=True,
        created_at__lt=now - timedelta(hours=24),
    ):
        result.checked += 1
        moved = payment_transition(
            payment=payment,
            to=Status.CANCELED,
            source=Source.POLL,
            note="never reached the provider",
        )
        result.changed += moved == Transition.MOVED
    for payment in open_payments.iterator(chunk_size=200):
        result.checked += 1
        try:
            outcome = payment_sync(payment=payment)
        except GatewayError as exc:
            result.failed += 1
            logger.warning("Could not check payment %s: %s", payment.pk, exc)
            continue
        if outcome not in (SyncOutcome.SAME, SyncOutcome.MISMATCH):
            result.changed += 1
    return result


def _alert_once(payment: Payment, flag: str, text: str) -> bool:
    """Tell the staff about this payment, once per `flag`: the flag is set in the payment's
    metadata by one conditional UPDATE, so however often a job runs only the first one tells."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().filter(pk=payment.pk).first()
        if locked is None or locked.metadata.get(flag):
            return False
        locked.metadata = {**locked.metadata, flag: timezone.now().isoformat()}
        locked.save(update_fields=["metadata"])
        staff_notify(text=text, client=payment.client)
    return True


def paid_programs_reconcile(
    *, older_than: timedelta = timedelta(minutes=15), within: timedelta = timedelta(days=14)
) -> dict:
    """Beat: succeeded payments whose tariff grants the paid program, without a delivered program
    `older_than` after payment (a worker died, the broker lost the task, the bot could not send):
    ask for it again (generation and delivery are idempotent). A client the bot cannot reach, or
    one still without it an hour after payment, is reported to the staff once."""
    from programs.models import TrainingProgram

    now = timezone.now()
    delivered = TrainingProgram.objects.filter(
        client=OuterRef("client"),
        kind=TrainingProgram.Kind.PAID,
        trigger=Concat(Value("payment:"), Cast(OuterRef("pk"), output_field=CharField())),
        delivered_at__isnull=False,
    )
    missing = (
        Payment.objects.filter(
            status=Status.SUCCEEDED,
            tariff__grants_paid_program=True,
            paid_at__lt=now - older_than,
            paid_at__gte=now - within,
        )
        .exclude(Exists(delivered))
        .select_related("client")
        .order_by("paid_at")[:200]
    )
    asked = reported = 0
    for payment in missing:
        client = payment.client
        reachable = client.telegram_id is not None and client.bot_blocked_at is None
        if reachable:
            with transaction.atomic():
                enqueue_on_commit(
                    program_generate_task.name, client.pk, "paid", f"payment:{payment.pk}"
                )
            asked += 1
        if not reachable or now - payment.paid_at > timedelta(hours=1):
            reported += _alert_once(
                payment,
                "program_missing_alerted",
                _(
                    "⚠️ %(client)s paid for “%(tariff)s” but has not received the paid program; "
                    "send it by hand from the client's page."
                )
                % {"client": client, "tariff": payment.tariff.name},
            )
    return {"asked": asked, "reported": reported}


def payments_compare_daily(*, within: timedelta = timedelta(days=30)) -> CheckResult:
    """Beat, daily: every open online payment of the last `within` and every one that succeeded in
    the last two days compared with the provider's API. What can move moves through
    `payment_transition` (source poll); a payment we count as paid that the provider says is
    cancelled is reported to the staff once."""
    now = timezone.now()
    result = CheckResult()
    payments = (
        Payment.objects.filter(provider__in=ONLINE_PROVIDERS, provider_payment_id__isnull=False)
        .filter(
            Q(status__in=OPEN, created_at__gte=now - within)
            | Q(status=Status.SUCCEEDED, paid_at__gte=now - timedelta(days=2))
        )
        .select_related("client", "tariff")
        .order_by("created_at")
    )
    for payment in payments.iterator(chunk_size=200):
        result.checked += 1
        try:
            remote = gateways.gateway_for(payment.provider).payment_get(payment.provider_payment_id)
        except GatewayError as exc:
            result.failed += 1
            logger.warning("Daily check of payment %s failed: %s", payment.pk, exc)
            continue
        if payment.status == Status.SUCCEEDED and remote.status == Status.CANCELED:
            result.failed += 1
            _alert_once(
                payment,
                "provider_canceled_alerted",
                _(
                    "⚠️ Payment #%(id)s of %(client)s is paid here but cancelled in YooKassa; "
                    "check it by hand."
                )
                % {"id": payment.pk, "client": payment.client},
            )
            continue
        outcome = payment_apply_remote(payment=payment, remote=remote, source=Source.POLL)
        if outcome not in (SyncOutcome.SAME, SyncOutcome.MISMATCH):
            result.changed += 1
    return result


# --- Notifications --------------------------------------------------------------------------------


class NotificationInvalid(Exception):
    """The body is not a YooKassa notification (answer 400)."""


def notification_handle(*, data, source: str = Source.WEBHOOK) -> SyncOutcome:
    """Act on a YooKassa notification by re-reading the object it names from the provider's API.

    Returns what happened ("succeeded", "same", "unknown", …). Raises NotificationInvalid for a
    malformed body and GatewayError when the provider cannot be asked (the caller answers so that
    YooKassa retries). Duplicates and out-of-order notifications change nothing.
    """
    try:
        notification = gateways.notification_parse(data)
    except ValueError as exc:
        raise NotificationInvalid(str(exc)) from exc
    if notification.event.startswith("payment."):
        payment = (
            Payment.objects.select_related("client")
            .filter(provider_payment_id=notification.object_id)
            .first()
        )
        if payment is None:
            logger.warning(
                "Notification %s for an unknown payment %s", *notification.__dict__.values()
            )
            return SyncOutcome.UNKNOWN
        try:
            return payment_sync(payment=payment, source=source)
        except gateways.GatewayNotFound:
            # Ours, but YooKassa does not know it: final — asking again will not change that.
            logger.error(
                "Payment %s (%s) is unknown to the provider", payment.pk, notification.object_id
            )
            return SyncOutcome.UNKNOWN
    if notification.event == "refund.succeeded":
        return _refund_notification(notification.object_id, source=source)
    logger.info("Ignored notification %s", notification.event)
    return SyncOutcome.IGNORED


NOTIFICATION_TASK = "payments.notification_process"
NOTIFICATION_GIVE_UP = timedelta(hours=24)  # as long as YooKassa itself retries a notification
NOTIFICATION_KEEP = timedelta(days=90)


def notification_receive(*, data) -> tuple[ProviderNotification, bool]:
    """Store a YooKassa notification once per (event, object) and promise its processing (a durable
    follow-up, so a broker that is down delays it, never loses it). Returns (row, whether it is
    new); a repeat of a stored one changes nothing. Raises NotificationInvalid for a bad body."""
    try:
        notification = gateways.notification_parse(data)
    except ValueError as exc:
        raise NotificationInvalid(str(exc)) from exc
    with transaction.atomic():
        row, created = ProviderNotification.objects.get_or_create(
            provider=Payment.Provider.YOOKASSA,
            event=notification.event[:64],
            object_id=notification.object_id,
            defaults={"body": data},
        )
        if created:
            enqueue_on_commit(NOTIFICATION_TASK, row.pk)
    return row, created


def notification_process(*, notification_id: int) -> str | None:
    """Act on a stored notification, once (under its row lock). The provider's API being
    unreachable leaves it for the sweep (`notifications_reprocess`); an object the API does not
    know is final (logged, marked "unknown"). Returns the outcome, None when left for later."""
    with transaction.atomic():
        row = (
            ProviderNotification.objects.select_for_update()
            .filter(pk=notification_id, processed_at__isnull=True)
            .first()
        )
        if row is None:
            return None  # done already (a repeated task)
        row.attempts += 1
        try:
            outcome = notification_handle(data=row.body)
        except NotificationInvalid as exc:  # stored before a parser change: never will be valid
            outcome, row.error = SyncOutcome.IGNORED, str(exc)[:2000]
        except GatewayError as exc:
            logger.warning("Notification %s waits for the provider: %s", row, exc)
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            # Back off: 1, 2, 4 … 60 minutes between tries of one notification.
            row.retry_at = timezone.now() + timedelta(minutes=min(2 ** (row.attempts - 1), 60))
            row.save(update_fields=["attempts", "error", "retry_at"])
            return None
        row.outcome, row.processed_at = str(outcome), timezone.now()
        row.save(update_fields=["attempts", "outcome", "processed_at", "error"])
    return row.outcome


def notifications_reprocess(*, older_than: timedelta = timedelta(minutes=1)) -> dict:
    """Beat: process stored notifications left unprocessed (the API or the broker was down, a
    worker died), with a backoff; after NOTIFICATION_GIVE_UP mark them failed and tell the staff,
    once (the payment poll still settles the payments themselves). Forgets old processed rows."""
    now = timezone.now()
    done = waiting = failed = 0
    rows = (
        ProviderNotification.objects.filter(
            processed_at__isnull=True, received_at__lt=now - older_than
        )
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("received_at")[:500]
    )
    for row in rows:
        if now - row.received_at > NOTIFICATION_GIVE_UP:
            with transaction.atomic():
                marked = ProviderNotification.objects.filter(
                    pk=row.pk, processed_at__isnull=True
                ).update(outcome=ProviderNotification.Outcome.FAILED, processed_at=now)
                if marked:  # once: the row is processed now
                    failed += 1
                    staff_notify(
                        text=_(
                            "⚠️ YooKassa notification %(event)s for %(object)s could not be "
                            "processed for a day (%(error)s); check the payment in YooKassa."
                        )
                        % {"event": row.event, "object": row.object_id, "error": row.error[:200]}
                    )
            continue
        if notification_process(notification_id=row.pk) is None:
            waiting += 1
        else:
            done += 1
    ProviderNotification.objects.filter(processed_at__lt=now - NOTIFICATION_KEEP).delete()
    return {"processed": done, "waiting": waiting, "failed": failed}


def _refund_notification(provider_refund_id: str, *, source: str) -> SyncOutcome:
    refund = (
        Refund.objects.select_related("payment")
        .filter(provider_refund_id=provider_refund_id)
        .first()
    )
    provider = refund.payment.provider if refund else Payment.Provider.YOOKASSA
    try:
        remote = gateways.gateway_for(provider).refund_get(provider_refund_id)
    except gateways.GatewayNotFound:
        # Not a refund of this shop (or a forged id): final — YooKassa is not asked to retry.
        logger.warning(
            "Refund notification for %s, which YooKassa does not know", provider_refund_id
        )
        return SyncOutcome.UNKNOWN
    if refund is None:
        # A refund made in YooKassa's own dashboard: record it against our payment.
        payment = Payment.objects.filter(provider_payment_id=remote.payment_id).first()
        if payment is None:
            logger.warning("Refund %s for an unknown payment %s", remote.id, remote.payment_id)
            return SyncOutcome.UNKNOWN
        refund, _created = Refund.objects.get_or_create(
            provider_refund_id=remote.id,
            defaults={"payment": payment, "amount": remote.amount, "reason": "YooKassa"},
        )
    if remote.status != Refund.Status.SUCCEEDED or remote.amount != refund.amount:
        return SyncOutcome.SAME
    done = refund_succeed(refund=refund, source=source)
    return SyncOutcome.REFUNDED if done else SyncOutcome.SAME


# --- Manual payments ------------------------------------------------------------------------------


# Money staff take themselves (models.MANUAL_PROVIDERS) is the only money a person may record or
# confirm. An online payment (YooKassa, demo) is settled by its provider alone (webhook, poll).
# Paid from the client's ledger: only desk.services records these, with the ledger entry alongside.
DESK_PROVIDERS = (Payment.Provider.BALANCE, Payment.Provider.DEBT)


@transaction.atomic
def payment_record_manual(
    *,
    client: Client,
    tariff: Tariff,
    provider: str,
    actor: User,
    amount: Decimal | None = None,
    promo_code: str = "",
    note: str = "",
    source: str = Source.WEB,
    desk: bool = False,
    offer: Offer | None = None,
) -> Payment:
    """Record money taken in person (cash, card terminal, transfer) and settle it at once.

    `amount` defaults to the tariff's price after the promotion in force and the promo code (the
    `offer`, priced now unless the caller priced it already). Raises PaymentError for a bad
    provider, amount or promo code. With `desk=True` (desk.services only) the provider may also be
    the client's balance or a debt.
    """
    if provider not in MANUAL_PROVIDERS + (DESK_PROVIDERS if desk else ()):
        raise PaymentError(_("Choose cash, card or another manual method."))
    if offer is None:
        offer = price_offer(tariff=tariff, promo_code=promo_code, client=client, lock=True)
    if amount is None:
        amount = offer.amount
    if amount <= 0:
        raise PaymentError(_("The amount must be positive."))
    metadata = {"note": note[:500]} if note else {}
    if offer.note:
        metadata["offer_note"] = offer.note
    payment = Payment(
        client=client,
        tariff=tariff,
        amount=amount,
        provider=provider,
        created_by=actor,
        metadata=metadata,
        **offer.payment_fields(),
    )
    payment.full_clean()
    payment.save()
    audit_record(
        actor=actor,
        action=Action.PAYMENT_RECORD,
        obj=payment,
        client=client,
        changes={
            "tariff": [None, tariff.name],
            "amount": [None, amount],
            "provider": [None, payment.get_provider_display()],
            **({"promotion": [None, offer.promotion.name]} if offer.promotion else {}),
        },
        note=note,
    )
    payment_event_record(
        payment=payment, from_status="", to_status=payment.status, source=source, actor=actor
    )
    payment_transition(payment=payment, to=Status.SUCCEEDED, source=source, actor=actor)
    payment.refresh_from_db()
    return payment


def payment_confirm(*, payment: Payment, actor: User, source: str) -> Transition:
    """A staff member confirms an open manual payment (cash, card, transfer they took themselves).

    Online payments are refused: only their provider settles them. Raises PaymentError (safe to
    show) for a payment that may not be confirmed; returns MOVED.
    """
    if payment.provider not in MANUAL_PROVIDERS:
        raise PaymentError(
            _("An online payment is confirmed only by the payment provider, not by hand.")
        )
    with transaction.atomic():
        moved = payment_transition(payment=payment, to=Status.SUCCEEDED, source=source, actor=actor)
        if moved != Transition.MOVED:
            payment.refresh_from_db(fields=["status"])
            raise PaymentError(
                _("Only a pending payment can be confirmed; this one is “%(status)s”.")
                % {"status": payment.get_status_display()}
            )
        audit_record(
            actor=actor,
            action=Action.PAYMENT_CONFIRM,
            obj=payment,
            client=payment.client,
            changes={"status": [str(Status.PENDING.label), str(Status.SUCCEEDED.label)]},
        )
    return moved


# --- Refunds --------------------------------------------------------------------------------------


def refund_create(
    *,
    payment: Payment,
    actor: User | None,
    amount: Decimal | None = None,
    reason: str = "",
    source: str = Source.WEB,
) -> Refund:
    """Return money for a paid payment, fully (amount None) or in part.

    Online payments are refunded through the provider (the refund row and its key are stored first,
    so a retry never refunds twice); cash and card payments are recorded as returned by hand.
    Raises PaymentError (safe to show) for a wrong amount or a provider failure.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.SUCCEEDED:
            raise PaymentError(_("Only a paid payment can be refunded."))
        # A refund whose answer never came is retried with its own key, never made anew.
        unanswered = locked.refunds.filter(
            status=Refund.Status.PENDING, provider_refund_id__isnull=True
        ).first()
        if unanswered is not None and amount in (None, unanswered.amount):
            refund, amount = unanswered, unanswered.amount
        else:
            reserved = sum(
                (r.amount for r in locked.refunds.filter(status=Refund.Status.PENDING)),
                Decimal(0),
            )
            available = locked.amount - locked.refunded_amount - reserved
            amount = available if amount is None else amount
            if amount <= 0 or amount > available:
                raise PaymentError(
                    _("The refund must be between 0.01 and %(max)s ₽.")
                    % {"max": number_format(available, 2)}
                )
            refund = Refund.objects.create(
                payment=locked, amount=amount, reason=reason[:255], created_by=actor
            )
            if actor is not None:
                audit_record(
                    actor=actor,
                    action=Action.PAYMENT_REFUND,
                    obj=locked,
                    client=locked.client,
                    changes={"refund": [None, amount]},
                    note=reason,
                )
    if locked.provider not in ONLINE_PROVIDERS:
        refund_succeed(refund=refund, source=source, actor=actor)
        refund.refresh_from_db()
        return refund
    try:
        remote = gateways.gateway_for(locked.provider).refund_create(
            provider_payment_id=locked.provider_payment_id or "",
            amount=amount,
            idempotence_key=refund.idempotence_key,
            reason=reason,
        )
    except GatewayError as exc:
        if exc.uncertain:
            # It may have gone through: the row stays pending with its key, and refunding again
            # repeats the same request, which YooKassa answers with the same refund.
            raise PaymentError(
                _("YooKassa did not answer. Press Refund again to retry the same refund.")
            ) from exc
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.CANCELED)
        raise PaymentError(
            _("YooKassa did not accept the refund: %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    Refund.objects.filter(pk=refund.pk).update(provider_refund_id=remote.id)
    refund.provider_refund_id = remote.id
    if remote.status == Refund.Status.SUCCEEDED:
        refund_succeed(refund=refund, source=source, actor=actor)
    elif remote.status == Refund.Status.CANCELED:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.CANCELED)
    refund.refresh_from_db()
    return refund


@transaction.atomic
def refund_succeed(*, refund: Refund, source: str, actor: User | None = None) -> bool:
    """Record a refund as done, once: the payment's refunded amount, and status refunded (through
    `payment_transition`) when the whole amount is back."""
    locked_payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status == Refund.Status.SUCCEEDED:
        return False
    if locked_payment.refunded_amount + locked.amount > locked_payment.amount:
        logger.error("Refund %s would exceed payment %s", locked.pk, locked_payment.pk)
        return False
    locked.status = Refund.Status.SUCCEEDED
    locked.succeeded_at = timezone.now()
    locked.save(update_fields=["status", "succeeded_at"])
    locked_payment.refunded_amount += locked.amount
    locked_payment.save(update_fields=["refunded_amount", "updated_at"])
    clients_paid_refresh([locked_payment.client_id])
    if locked_payment.refunded_amount == locked_payment.amount:
        payment_transition(payment=locked_payment, to=Status.REFUNDED, source=source, actor=actor)
    staff_notify(
        text=_("Refund of %(amount)s ₽ for payment #%(id)s is done.")
        % {"amount": locked.amount, "id": locked_payment.pk},
        client=locked_payment.client,
    )
    return True


# --- Demo provider --------------------------------------------------------------------------------


def demo_checkout_finish(*, provider_payment_id: str, paid: bool) -> SyncOutcome:
    """The demo checkout's Pay / Cancel: the "provider" changes its state and then notifies us with
    the same JSON YooKassa would send, handled by the same code as the real webhook."""
    gateways.DemoGateway()  # refuses with DEBUG off
    payment = Payment.objects.filter(
        provider=Payment.Provider.DEMO, provider_payment_id=provider_payment_id
    ).first()
    if payment is None:
        raise PaymentError(_("No such payment."))
    status = Payment.Status.SUCCEEDED if paid else Payment.Status.CANCELED
    if payment.metadata.get("demo_status", "pending") == "pending":
        payment.metadata = {**payment.metadata, "demo_status": status}
        Payment.objects.filter(pk=payment.pk).update(metadata=payment.metadata)
    notification = {
        "type": "notification",
        "event": f"payment.{payment.metadata['demo_status']}",
        "object": {
            "id": provider_payment_id,
            "status": payment.metadata["demo_status"],
            "paid": paid,
            "amount": {"value": f"{payment.amount:.2f}", "currency": "RUB"},
            "metadata": {"payment_id": str(payment.pk)},
        },
    }
    return notification_handle(data=notification, source=Source.DEMO)


# --- Public pay page ------------------------------------------------------------------------------


def pay_page_client(*, name: str, phone: str, email: str = "") -> Client:
    """The website visitor as a client: found by phone or created, through crm's one lead service
    (one client per phone, a lead recorded for the visit). `phone` must already be normalized."""
    first, _sep, last = name.strip().partition(" ")
    registration = lead_register(
        source=Client.Source.WEBSITE,
        channel=ClientContact.Channel.PHONE,
        phone=phone,
        first_name=first[:100],
        last_name=last.strip()[:100],
        email=email,
    )
    return registration.client
