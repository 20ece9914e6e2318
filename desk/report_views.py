"""Reports and exports: read-only pages, so read-only users see them too."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.services import Action, audit_record
from crm.access import role_required, scope_to_user, visible_clients
from crm.forms import ClientFilterForm
from crm.selectors import clients_filter, clients_sorted
from payments.models import Payment
from ui.charts import line_chart
from ui.periods import Period

from . import exports
from .forms import ReportForm
from .models import LedgerEntry
from .reports import PeriodError, period_for, report_build
from .selectors import shifts_visible
from .xlsx import XlsxWriter

REPORT_ROLES = ("admin", "operator", "read_only")


def _period(request: HttpRequest, form: ReportForm) -> tuple[Period, str]:
    """The asked-for period, or the last 7 days and a message saying why not."""
    data = form.cleaned_data if form.is_valid() else {}
    try:
        return period_for(
            kind=data.get("period") or "week", start=data.get("start"), end=data.get("end")
        ), ""
    except PeriodError as error:
        return period_for(kind="week"), str(error)


@require_GET
@role_required(*REPORT_ROLES)
def report_page(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET or None)
    period, problem = _period(request, form)
    report = report_build(period=period)
    chart = line_chart(
        [(day.strftime("%d.%m"), value) for day, value in report.income_by_day],
        title=form.chart_title,
        unit="₽",
    )
    active_chart = line_chart(
        [(day.strftime("%d.%m"), value) for day, value in report.active_by_day],
        title=form.active_title,
        color="#2563eb",
    )
    return render(
        request,
        "desk/report.html",
        {
            "form": form,
            "report": report,
            "problem": problem,
            "chart": chart,
            "active_chart": active_chart,
            "query": request.GET.urlencode(),
        },
    )


def _export(request: HttpRequest, name: str, what: str) -> str:
    audit_record(actor=request.user, action=Action.EXPORT, note=what)
    return f"{name}-{timezone.localdate():%Y-%m-%d}.xlsx"


@require_GET
@role_required(*REPORT_ROLES)
def report_export(request: HttpRequest) -> HttpResponse:
    period, _problem = _period(request, ReportForm(request.GET or None))
    book = XlsxWriter()
    exports.report_write(book, report_build(period=period))
    return book.response(_export(request, "report", f"report {period.start}..{period.end}"))


@require_GET
@login_required
def client_export(request: HttpRequest) -> HttpResponse:
    """The client list as XLSX, with the list's filters and sort, scoped like the list."""
    form = ClientFilterForm(request.GET, user=request.user)
    clients = clients_sorted(
        clients_filter(visible_clients(request.user), **form.filters()),
        request.GET.get("sort", "-created"),
    )
    book = XlsxWriter()
    exports.clients_write(book, clients)
    return book.response(_export(request, "clients", f"clients {request.GET.urlencode()}"[:500]))


@require_GET
@role_required(*REPORT_ROLES)
def payments_export(request: HttpRequest) -> HttpResponse:
    period, _problem = _period(request, ReportForm(request.GET or None))
    payments = scope_to_user(Payment.objects.all(), request.user, client_path="client").filter(
        created_at__gte=period.since, created_at__lt=period.until
    )
    book = XlsxWriter()
    exports.payments_write(book, payments.order_by("created_at", "id"))
    return book.response(_export(request, "payments", f"payments {period.start}..{period.end}"))


@require_GET
@role_required(*REPORT_ROLES)
def ledger_export(request: HttpRequest) -> HttpResponse:
    period, _problem = _period(request, ReportForm(request.GET or None))
    entries = LedgerEntry.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
    book = XlsxWriter()
    exports.ledger_write(book, entries.order_by("created_at", "id"))
    return book.response(_export(request, "ledger", f"ledger {period.start}..{period.end}"))


@require_GET
@role_required(*REPORT_ROLES)
def shifts_export(request: HttpRequest) -> HttpResponse:
    period, _problem = _period(request, ReportForm(request.GET or None))
    shifts = shifts_visible(user=request.user).filter(
        opened_at__gte=period.since, opened_at__lt=period.until
    )
    book = XlsxWriter()
    exports.shifts_write(book, shifts.order_by("opened_at", "id"))
    return book.response(_export(request, "shifts", f"shifts {period.start}..{period.end}"))


@require_GET
@role_required(*REPORT_ROLES)
def attendance_export(request: HttpRequest) -> HttpResponse:
    """The academy's attendance marks for sessions in the period, scoped like the client list."""
    from academy.models import Attendance

    period, _problem = _period(request, ReportForm(request.GET or None))
    marks = scope_to_user(Attendance.objects.all(), request.user, client_path="client").filter(
        session_starts_at__gte=period.since, session_starts_at__lt=period.until
    )
    book = XlsxWriter()
    exports.attendance_write(book, marks.order_by("session_starts_at", "id"))
    return book.response(_export(request, "attendance", f"attendance {period.start}..{period.end}"))
