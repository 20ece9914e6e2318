"""Outgoing webhooks: which subscriptions get an event, how a delivery is signed and sent.

A delivery is a row first (unique per subscription and occurrence, recorded by `api.collect` from
the history tables), then an HTTP POST from a worker: a retried task or a replayed event never
sends twice, and a broker outage only delays (the minute sweep sends what is due). Receivers verify `X-CRM-Signature: sha256=<hex>`, the HMAC-SHA256
of `<X-CRM-Timestamp>.<body>` with the subscription's secret, and reject old timestamps.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_on_commit
from crm.notifications import staff_notify

from .models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

DELIVER_TASK = "api.tasks.webhook_deliver_task"
# Waits before the 2nd, 3rd… attempt; after the last one the delivery is marked failed.
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
PAUSE_AFTER_FAILURES = 10


class UnsafeUrl(ValueError):
    """The URL points at our own machine or a private network."""


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def url_check(url: str) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or reserved addresses (SSRF),
    unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS (tests, an on-premises receiver)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(_("Only http and https addresses can receive webhooks."))
    if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise UnsafeUrl(
            _("The host %(host)s cannot be resolved.") % {"host": parts.hostname}
        ) from (error)
    if any(_blocked(info[4][0]) for info in infos):
        raise UnsafeUrl(_("Webhooks are never sent to internal or private addresses."))


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_emit(*, event: str, key: str, payload: dict) -> list[WebhookDelivery]:
    """Record a delivery of `event` for every active subscription that wants it, due now (the
    minute sweep sends it). Idempotent per (subscription, event, key)."""
    deliveries = []
    subscriptions = WebhookSubscription.objects.filter(is_active=True, paused_at__isnull=True)
    body = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    for subscription in subscriptions:
        if event not in subscription.events:
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    subscription=subscription,
                    event=event,
                    event_key=key[:100],
                    payload={
                        "event": event,
                        "created_at": timezone.now().isoformat(),
                        "data": body,
                    },
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:
            continue  # this occurrence was recorded before
        deliveries.append(delivery)
    return deliveries


def _failed(delivery: WebhookDelivery, error: str, status: int | None = None) -> None:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_error = error[:500]
    delivery.response_status = status
    if delivery.attempts > len(BACKOFF):
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(
        update_fields=["attempts", "last_error", "response_status", "status", "next_attempt_at"]
    )
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    subscription.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if subscription.consecutive_failures >= PAUSE_AFTER_FAILURES and subscription.paused_at is None:
        subscription.paused_at = now
        fields.append("paused_at")
        staff_notify(
            text=_(
                "Webhook %(url)s failed %(count)s times in a row and is paused. Last error: %(error)s"
            )
            % {"url": subscription.url, "count": subscription.consecutive_failures, "error": error}
        )
    subscription.save(update_fields=fields)


def webhook_deliver(*, delivery_id: int) -> str:
    """Send one delivery if it is due; returns its status. Safe to call twice: a delivered or
    failed delivery is left alone, and a row lock keeps two workers from sending at once."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return delivery.status if delivery else "missing"
        if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now():
            return delivery.status
        subscription = delivery.subscription
        if not subscription.is_active or subscription.paused_at:
            return delivery.status
        body = json.dumps(delivery.payload, ensure_ascii=False).encode()
        timestamp = int(time.time())
        try:
            url_check(subscription.url)
            response = requests.post(
                subscription.url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "FitnessCRM-Webhooks/1",
                    "X-CRM-Event": delivery.event,
                    "X-CRM-Delivery": str(delivery.pk),
                    "X-CRM-Timestamp": str(timestamp),
                    "X-CRM-Signature": signature(
                        secret=subscription.secret, timestamp=timestamp, body=body
                    ),
                },
                timeout=settings.EXTERNAL_HTTP_TIMEOUT,
                allow_redirects=False,  # a redirect could point inside our network
            )
        except (requests.RequestException, UnsafeUrl) as error:
            logger.warning("Webhook %s to %s failed: %s", delivery.pk, subscription.url, error)
            _failed(delivery, str(error))
            return delivery.status
        if 200 <= response.status_code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.attempts += 1
            delivery.response_status = response.status_code
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.last_error = ""
            delivery.save()
            WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
            return delivery.status
        logger.warning(
            "Webhook %s to %s answered %s", delivery.pk, subscription.url, response.status_code
        )
        _failed(
            delivery, f"HTTP {response.status_code}: {response.text[:200]}", response.status_code
        )
        return delivery.status


def deliveries_send_due(*, limit: int = 500) -> int:
    """The minute sweep: enqueue pending deliveries whose time has come (new ones and retries)."""
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            subscription__is_active=True,
            subscription__paused_at__isnull=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        enqueue_on_commit(DELIVER_TASK, delivery_id=pk)
    return len(ids)


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """ "Send again" from the log: back to pending, due now, with a fresh attempt budget."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    enqueue_on_commit(DELIVER_TASK, delivery_id=delivery.pk)
    return delivery


@transaction.atomic
def subscription_save(
    *, url: str, events: list[str], actor, subscription: WebhookSubscription | None = None
) -> WebhookSubscription:
    """Create or change a subscription; the URL must pass the SSRF check."""
    url_check(url)
    subscription = subscription or WebhookSubscription(created_by=actor)
    subscription.url = url
    subscription.events = sorted(set(events))
    subscription.full_clean()
    subscription.save()
    return subscription
