"""The only code that talks to a payment provider: YooKassa through its official SDK, or the demo provider.

Both gateways answer with the same small dataclasses, so the services never see an SDK object.
Every YooKassa call configures the SDK again with `api_url` (a `configure()` without it silently
points the SDK back at production) and runs with a timeout (the SDK itself sets none).
"""

import ipaddress
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import Retry
from yookassa import Configuration
from yookassa import Payment as YooPayment
from yookassa import Refund as YooRefund
from yookassa.client import ApiClient
from yookassa.domain.common import SecurityHelper
from yookassa.domain.exceptions.not_found_error import NotFoundError
from yookassa.domain.notification import WebhookNotificationFactory

logger = logging.getLogger(__name__)


class GatewayError(Exception):
    """The provider could not be reached or refused the request; safe to retry with the same key.

    `uncertain` is True when no answer came (timeout, broken connection): the request may have
    been carried out, so only a retry with the same idempotence key is safe.
    """

    def __init__(self, message: str, *, uncertain: bool = False):
        super().__init__(message)
        self.uncertain = uncertain


class GatewayNotFound(GatewayError):
    """The provider does not know the object (404): final, asking again will not change it."""


def _no_answer(exc: BaseException | None) -> bool:
    # The SDK turns a timeout into an AttributeError (it reads `.response` of the exception), so
    # look through the whole chain for the network error underneath.
    while exc is not None:
        if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@dataclass(frozen=True)
class RemotePayment:
    id: str
    status: str
    amount: Decimal
    confirmation_url: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRefund:
    id: str
    payment_id: str
    status: str
    amount: Decimal


@dataclass(frozen=True)
class Notification:
    event: str  # "payment.succeeded", "refund.succeeded", …
    object_id: str  # the payment's or the refund's id at the provider


def yookassa_configured() -> bool:
    return bool(settings.YOOKASSA_SHOP_ID and settings.YOOKASSA_SECRET_KEY)


def demo_enabled() -> bool:
    """The demo provider stands in for YooKassa only on a developer machine without credentials."""
    return settings.DEBUG and not yookassa_configured()


def _money(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError) as exc:
        raise GatewayError(f"Bad amount from the provider: {value!r}") from exc


# --- YooKassa -------------------------------------------------------------------------------------


class _TimeoutSession(requests.Session):
    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", settings.EXTERNAL_HTTP_TIMEOUT)
        if kwargs["timeout"] is None:
            kwargs["timeout"] = settings.EXTERNAL_HTTP_TIMEOUT
        return super().request(method, url, **kwargs)


class _ApiClient(ApiClient):
    """The SDK's client with a timeout on every request (the stock one can hang for ever)."""

    def get_session(self):
        session = _TimeoutSession()
        # Only YooKassa's "202 try later" is retried here; a timeout surfaces to the service, which
        # keeps the row and its key so the next attempt is the same payment, not a second one.
        retries = Retry(
            total=self.max_attempts,
            connect=0,
            read=0,
            backoff_factor=self.timeout / 1000,
            allowed_methods=["POST"],
            status_forcelist=[202],
        )
        adapter = HTTPAdapter(max_retries=retries)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session


class _Payment(YooPayment):
    def __init__(self):
        self.client = _ApiClient()


class _Refund(YooRefund):
    def __init__(self):
        self.client = _ApiClient()


def _configure() -> None:
    Configuration.configure(
        settings.YOOKASSA_SHOP_ID,
        settings.YOOKASSA_SECRET_KEY,
        api_url=settings.YOOKASSA_API_URL,
        max_attempts=2,
        timeout=500,
    )


def _call(what: str, func, *args):
    _configure()
    try:
        return func(*args)
    except GatewayError:
        raise
    except NotFoundError as exc:
        logger.warning("YooKassa %s: no such object: %s", what, exc)
        raise GatewayNotFound(str(exc) or "not found") from exc
    except Exception as exc:  # network errors, timeouts, API errors: all mean "not done, retry"
        uncertain = _no_answer(exc)
        logger.warning(
            "YooKassa %s failed (%s): %s", what, "no answer" if uncertain else "refused", exc
        )
        raise GatewayError(str(exc) or exc.__class__.__name__, uncertain=uncertain) from exc


def _remote_payment(response) -> RemotePayment:
    confirmation = getattr(response, "confirmation", None)
    return RemotePayment(
        id=str(response.id),
        status=str(response.status),
        amount=_money(response.amount.value),
        confirmation_url=getattr(confirmation, "confirmation_url", "") or "",
        metadata=dict(response.metadata or {}),
    )


class YooKassaGateway:
    provider = "yookassa"

    def payment_create(
        self,
        *,
        amount: Decimal,
        description: str,
        idempotence_key: str,
        metadata: dict,
        customer: dict | None = None,
    ) -> RemotePayment:
        params: dict = {
            "amount": {"value": f"{amount:.2f}", "currency": "RUB"},
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": settings.YOOKASSA_RETURN_URL},
            "description": description[:128],
            "metadata": metadata,
        }
        if settings.YOOKASSA_RECEIPTS and customer:
            # 54-FZ: the shop sends a receipt line per item; the customer gets it by email or SMS.
            params["receipt"] = {
                "customer": customer,
                "items": [
                    {
                        "description": description[:128],
                        "quantity": "1.00",
                        "amount": {"value": f"{amount:.2f}", "currency": "RUB"},
                        "vat_code": settings.YOOKASSA_VAT_CODE,
                        "payment_mode": "full_payment",
                        "payment_subject": "service",
                    }
                ],
            }
        response = _call("payment create", _Payment.create, params, idempotence_key)
        return _remote_payment(response)

    def payment_get(self, provider_payment_id: str) -> RemotePayment:
        return _remote_payment(_call("payment read", _Payment.find_one, provider_payment_id))

    def refund_create(
        self, *, provider_payment_id: str, amount: Decimal, idempotence_key: str, reason: str = ""
    ) -> RemoteRefund:
        params = {
            "payment_id": provider_payment_id,
            "amount": {"value": f"{amount:.2f}", "currency": "RUB"},
        }
        if reason:
            params["description"] = reason[:250]
        response = _call("refund create", _Refund.create, params, idempotence_key)
        return RemoteRefund(
            id=str(response.id),
            payment_id=str(response.payment_id),
            status=str(response.status),
            amount=_money(response.amount.value),
        )

    def refund_get(self, provider_refund_id: str) -> RemoteRefund:
        response = _call("refund read", _Refund.find_one, provider_refund_id)
        return RemoteRefund(
            id=str(response.id),
            payment_id=str(response.payment_id),
            status=str(response.status),
            amount=_money(response.amount.value),
        )


# --- Demo provider --------------------------------------------------------------------------------


class DemoGateway:
    """A stand-in for YooKassa on a developer machine: the "provider's" state is kept in the
    payment's metadata and the checkout page is served by our own site (`payments:demo-checkout`).

    It refuses to exist with DEBUG off, so a misconfigured production never takes fake money.
    """

    provider = "demo"

    def __init__(self):
        if not settings.DEBUG:
            raise GatewayError("The demo payment provider runs only with DEBUG=1.")

    def payment_create(
        self,
        *,
        amount: Decimal,
        description: str,
        idempotence_key: str,
        metadata: dict,
        customer: dict | None = None,
    ) -> RemotePayment:
        from django.urls import reverse

        # Same key, same payment: like YooKassa, a retry never makes a second one.
        provider_id = f"demo-{uuid.uuid5(uuid.NAMESPACE_URL, idempotence_key).hex}"
        url = settings.SITE_URL + reverse("payments:demo-checkout", args=[provider_id])
        return RemotePayment(
            id=provider_id,
            status="pending",
            amount=amount,
            confirmation_url=url,
            metadata=metadata,
        )

    def payment_get(self, provider_payment_id: str) -> RemotePayment:
        from .models import Payment

        payment = Payment.objects.filter(provider_payment_id=provider_payment_id).first()
        if payment is None:
            raise GatewayError("No such demo payment.")
        return RemotePayment(
            id=provider_payment_id,
            status=payment.metadata.get("demo_status", "pending"),
            amount=payment.amount,
            confirmation_url=payment.confirmation_url,
            metadata={"payment_id": str(payment.pk)},
        )

    def refund_create(
        self, *, provider_payment_id: str, amount: Decimal, idempotence_key: str, reason: str = ""
    ) -> RemoteRefund:
        refund_id = f"demo-refund-{uuid.uuid5(uuid.NAMESPACE_URL, idempotence_key).hex}"
        return RemoteRefund(
            id=refund_id, payment_id=provider_payment_id, status="succeeded", amount=amount
        )

    def refund_get(self, provider_refund_id: str) -> RemoteRefund:
        from .models import Refund

        refund = Refund.objects.select_related("payment").filter(
            provider_refund_id=provider_refund_id
        )
        found = refund.first()
        if found is None:
            raise GatewayError("No such demo refund.")
        return RemoteRefund(
            id=provider_refund_id,
            payment_id=found.payment.provider_payment_id or "",
            status="succeeded",
            amount=found.amount,
        )


def gateway_for(provider: str) -> YooKassaGateway | DemoGateway:
    """The gateway that holds payments of this provider. Raises GatewayError when it cannot run."""
    if provider == "demo":
        return DemoGateway()
    if not yookassa_configured():
        raise GatewayError("YooKassa is not configured (YOOKASSA_SHOP_ID, YOOKASSA_SECRET_KEY).")
    return YooKassaGateway()


def online_gateway() -> YooKassaGateway | DemoGateway:
    """The gateway new online payments go to: YooKassa when configured, else the demo (DEBUG only)."""
    if yookassa_configured():
        return YooKassaGateway()
    return DemoGateway()


def notification_parse(data) -> Notification:
    """Read a notification body into (event, object id). Raises ValueError for anything malformed.

    Nothing in it is trusted beyond "which object to look at": the caller re-reads that object.
    """
    try:
        parsed = WebhookNotificationFactory().create(data)
        event = str(parsed.event)
        object_id = parsed.object.id
    except Exception as exc:
        raise ValueError(f"Not a YooKassa notification: {exc}") from exc
    if not isinstance(object_id, str) or not object_id or len(object_id) > 64:
        raise ValueError("Notification without a usable object id.")
    return Notification(event=event, object_id=object_id)


def ip_is_yookassa(ip: str) -> bool:
    """Whether the address belongs to YooKassa's published notification networks."""
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return SecurityHelper().is_ip_trusted(ip)
