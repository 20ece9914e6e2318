import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.ip import client_ip
from config.ratelimit import rate_exceeded
from crm import safejson, summaries
from crm.access import admin_required, change_required, get_client_for
from ui import periods
from ui.paging import CappedPaginator, IdsFirst

from . import gateways, selectors, services
from .forms import ManualPaymentForm, PayForm, PaymentFilterForm, PromotionForm, RefundForm
from .gateways import GatewayError
from .models import Payment, Promotion, Tariff

logger = logging.getLogger(__name__)
PAGE_SIZE = 25
PAY_SESSION_KEY = "payments:last_payment"


# --- Staff pages ----------------------------------------------------------------------------------


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if not data.get("date_from") and not data.get("date_to"):
        # The last 90 days unless a period is chosen: totals and revenue are bounded by it.
        data["date_from"] = periods.default_period().start.isoformat()
    form = PaymentFilterForm(data)
    filters = form.filters()
    payments = selectors.payment_list(user=request.user, filters=filters)
    page = CappedPaginator(IdsFirst(payments), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    summary = summaries.summary_or_compute(
        "payments.selectors.revenue_summary",
        user=request.user,
        stored=filters == selectors.default_filters(),
        compute=lambda: selectors.revenue_summary_for(payments, user=request.user, filters=filters),
    )
    context |= {
        "totals": summary.value.totals,
        "revenue": summary.value.revenue,
        "summary": summary,
    }
    if request.htmx:
        return render(request, "payments/payment_list.html#results", context)
    return render(request, "payments/payment_list.html", context)


def _payment_for(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(
        selectors.payments_visible(user=request.user).select_related(
            "client", "tariff", "promo_code", "confirmed_by", "created_by"
        ),
        pk=pk,
    )


@login_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment_for(request, pk)
    return render(
        request,
        "payments/payment_detail.html",
        {
            "payment": payment,
            "refunds": payment.refunds.select_related("created_by"),
            "events": payment.events.select_related("actor"),
            "refund_form": RefundForm(),
        },
    )


@require_POST
@change_required
def payment_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment_for(request, pk)
    try:
        services.payment_confirm(payment=payment, actor=request.user, source=services.Source.WEB)
    except services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Payment #%(id)s is confirmed.") % {"id": payment.pk})
    return redirect("payments:payment-detail", pk=payment.pk)


@require_POST
@change_required
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_admin:
        raise PermissionDenied
    payment = _payment_for(request, pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("payments:payment-detail", pk=payment.pk)
    try:
        refund = services.refund_create(
            payment=payment,
            actor=request.user,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
        )
    except services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Refund of %(amount)s ₽: %(status)s.")
            % {"amount": refund.amount, "status": refund.get_status_display()},
        )
    return redirect("payments:payment-detail", pk=payment.pk)


@change_required
def payment_record(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for(request.user, client_pk, for_change=True)
    form = ManualPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_record_manual(
                client=client,
                tariff=data["tariff"],
                provider=data["provider"],
                actor=request.user,
                amount=data["amount"],
                promo_code=data["promo_code"],
                note=data["note"],
            )
        except services.PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payment #%(id)s is recorded.") % {"id": payment.pk})
            return redirect("payments:payment-detail", pk=payment.pk)
    return render(request, "payments/payment_record.html", {"client": client, "form": form})


@login_required
def tariff_list(request: HttpRequest) -> HttpResponse:
    tariffs = Tariff.objects.order_by("order", "id")
    return render(request, "payments/tariff_list.html", {"tariffs": tariffs})


@login_required
def promo_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.promo_codes_with_usage(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/promo_list.html", {"page": page})


@login_required
def promotion_list(request: HttpRequest) -> HttpResponse:
    promotions = Promotion.objects.prefetch_related("tariffs").annotate(
        sold=Count("payments", filter=Q(payments__status__in=selectors.PAID))
    )
    in_force = {promotion.pk for promotion in services.promotions_in_force()}
    return render(
        request, "payments/promotion_list.html", {"promotions": promotions, "in_force": in_force}
    )


@admin_required
def promotion_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    promotion = get_object_or_404(Promotion, pk=pk) if pk else Promotion()
    form = PromotionForm(request.POST or None, instance=promotion)
    if request.method == "POST" and form.is_valid():
        saved = services.promotion_save(
            promotion=form.save(commit=False),
            tariffs=list(form.cleaned_data["tariffs"]),
            actor=request.user,
        )
        messages.success(request, _("Promotion “%(name)s” is saved.") % {"name": saved.name})
        return redirect("payments:promotion-list")
    return render(request, "payments/promotion_form.html", {"form": form, "promotion": promotion})


# --- YooKassa webhook -----------------------------------------------------------------------------


@csrf_exempt
@require_POST
def yookassa_webhook(request: HttpRequest) -> HttpResponse:
    if settings.YOOKASSA_WEBHOOK_CHECK_IP:
        ip = client_ip(request)  # X-Forwarded-For only as our own proxies wrote it
        if not ip or not gateways.ip_is_yookassa(ip):
            logger.warning("YooKassa webhook from a foreign address %s refused", ip)
            return HttpResponse(status=403)
    try:
        data = safejson.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponse("invalid json", status=400, content_type="text/plain")
    try:
        _row, created = services.notification_receive(data=data)
    except services.NotificationInvalid as exc:
        return HttpResponse(str(exc)[:200], status=400, content_type="text/plain")
    # Stored: acknowledged whatever happens next (a task acts on it, the sweep if that fails).
    return JsonResponse({"result": "stored" if created else "duplicate"})


# --- Demo provider --------------------------------------------------------------------------------


def _demo_payment(provider_payment_id: str) -> Payment:
    if not settings.DEBUG:
        raise Http404
    return get_object_or_404(
        Payment.objects.select_related("tariff"),
        provider=Payment.Provider.DEMO,
        provider_payment_id=provider_payment_id,
    )


def demo_checkout(request: HttpRequest, provider_payment_id: str) -> HttpResponse:
    """The demo provider's checkout: pay or cancel, then back to the return page."""
    payment = _demo_payment(provider_payment_id)
    if request.method == "POST":
        paid = request.POST.get("action") == "pay"
        try:
            services.demo_checkout_finish(provider_payment_id=provider_payment_id, paid=paid)
        except (services.PaymentError, GatewayError) as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(settings.YOOKASSA_RETURN_URL)
    return render(request, "payments/demo_checkout.html", {"payment": payment})


# --- Public pay page ------------------------------------------------------------------------------


def pay(request: HttpRequest) -> HttpResponse:
    """Website visitors choose a tariff, leave contacts and go to the checkout."""
    form = PayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Each order creates a client, a lead, a staff note and a provider payment: a stranger's
        # script must not fill the board. Counted per visitor address, valid orders only.
        if rate_exceeded(
            "pay", client_ip(request), limit=settings.PAY_RATE_PER_ADDRESS, window=3600
        ):
            form.add_error(None, _("Too many orders from your address. Try again in an hour."))
            return _pay_page(request, form, status=429)
        try:
            client = services.pay_page_client(
                name=data["name"], phone=data["phone"], email=data["email"]
            )
            payment = services.payment_create(
                client=client,
                tariff=data["tariff"],
                promo_code=data["promo_code"],
                source=services.Source.WEB,
            )
        except services.PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            request.session[PAY_SESSION_KEY] = payment.pk
            return HttpResponseRedirect(payment.confirmation_url)
    return _pay_page(request, form, status=200)


def _pay_page(request: HttpRequest, form: PayForm, *, status: int) -> HttpResponse:
    return render(
        request,
        "payments/pay.html",
        {"form": form, "offers": selectors.tariff_offers(), "demo": gateways.demo_enabled()},
        status=status,
    )


def pay_return(request: HttpRequest) -> HttpResponse:
    """Where the checkout sends the visitor back: the payment's real status, asked from the provider."""
    payment = None
    pk = request.session.get(PAY_SESSION_KEY)
    if pk:
        payment = Payment.objects.select_related("tariff").filter(pk=pk).first()
    if payment is not None and payment.is_open:
        try:
            services.payment_sync(payment=payment)
        except GatewayError:
            logger.info("Return page could not re-read payment %s", payment.pk)
        payment.refresh_from_db()
    return render(request, "payments/pay_return.html", {"payment": payment})
