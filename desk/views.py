from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.access import get_client_for, role_required

from . import selectors, services
from .forms import MoneyForm, SellForm, ShiftCloseForm, WriteOffForm

DESK_ROLES = ("admin", "operator")
VIEW_ROLES = ("admin", "operator", "read_only")
SHIFTS_PER_PAGE = 30


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _back_to_client(pk: int) -> HttpResponse:
    return redirect(reverse("crm:client-detail", args=[pk]) + "?tab=payments#desk")


# --- Client ledger ------------------------------------------------------------------------------


def _money_operation(request, pk, service, success: str) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = MoneyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_client(pk)
    try:
        entry = service(client=client, actor=request.user, **form.cleaned_data)
    except services.DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success % {"amount": entry.amount})
    return _back_to_client(pk)


@require_POST
@role_required(*DESK_ROLES)
def ledger_top_up(request: HttpRequest, pk: int) -> HttpResponse:
    return _money_operation(
        request, pk, services.ledger_top_up, _("%(amount)s ₽ put on the balance.")
    )


@require_POST
@role_required(*DESK_ROLES)
def ledger_refund(request: HttpRequest, pk: int) -> HttpResponse:
    return _money_operation(
        request, pk, services.ledger_refund, _("%(amount)s ₽ returned from the balance.")
    )


@require_POST
@role_required(*DESK_ROLES)
def ledger_repay(request: HttpRequest, pk: int) -> HttpResponse:
    return _money_operation(request, pk, services.ledger_repay, _("%(amount)s ₽ of debt repaid."))


@require_POST
@role_required("admin")
def ledger_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_client(pk)
    try:
        entry = services.ledger_write_off(client=client, actor=request.user, **form.cleaned_data)
    except services.DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(amount)s ₽ of debt written off.") % {"amount": entry.amount})
    return _back_to_client(pk)


@require_POST
@role_required(*DESK_ROLES)
def ledger_sell(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = SellForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_client(pk)
    try:
        entry = services.ledger_sell(client=client, actor=request.user, **form.cleaned_data)
    except services.DeskError as error:
        messages.error(request, str(error))
    else:
        payment = entry.payment
        text = _("“%(tariff)s” sold for %(amount)s ₽.") % {
            "tariff": form.cleaned_data["tariff"].name,
            "amount": entry.amount,
        }
        if payment.promotion_id:
            text += " " + _("Promotion “%(promotion)s”: %(label)s.") % {
                "promotion": payment.promotion.name,
                "label": payment.promotion.label(),
            }
        messages.success(request, text)
        if payment.metadata.get("offer_note"):
            messages.info(request, payment.metadata["offer_note"])
    return _back_to_client(pk)


# --- Shifts -------------------------------------------------------------------------------------


@require_GET
@role_required(*VIEW_ROLES)
def shift_list(request: HttpRequest) -> HttpResponse:
    current = selectors.open_shift(operator=request.user)
    page = Paginator(selectors.shifts_visible(user=request.user), SHIFTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "current": current,
        "expected": services.shift_expected(shift=current) if current else None,
        "close_form": ShiftCloseForm() if current else None,
        "page": page,
        "can_run": request.user.is_superuser or request.user.role in DESK_ROLES,
    }
    return render(request, "desk/shift_list.html", context)


@require_POST
@role_required(*DESK_ROLES)
def shift_open(request: HttpRequest) -> HttpResponse:
    try:
        services.shift_open(operator=request.user)
    except services.DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Shift opened."))
    return redirect("desk:shift-list")


def _visible_shift(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.shifts_visible(user=request.user), pk=pk)


@require_GET
@role_required(*VIEW_ROLES)
def shift_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _visible_shift(request, pk)
    context = {
        "shift": shift,
        "entries": selectors.shift_entries(shift=shift),
        "expected": services.shift_expected(shift=shift) if shift.is_open else None,
        "close_form": ShiftCloseForm()
        if shift.is_open and (request.user.is_admin or shift.operator_id == request.user.pk)
        else None,
    }
    return render(request, "desk/shift_detail.html", context)


@require_POST
@role_required(*DESK_ROLES)
def shift_close(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _visible_shift(request, pk)
    form = ShiftCloseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("desk:shift-detail", pk=pk)
    try:
        services.shift_close(
            shift=shift,
            actor=request.user,
            counted=form.counted(),
            comment=form.cleaned_data["comment"],
        )
    except services.DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Shift closed."))
    return redirect("desk:shift-detail", pk=pk)
