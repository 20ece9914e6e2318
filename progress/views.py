from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import summaries
from crm.access import change_required, get_client_for
from crm.models import Client
from crm.notifications import telegram_unreachable_reason
from ui import periods

from . import selectors, services
from .forms import MeasurementForm, MetricChoiceForm, PhotoForm, ReportForm, TargetForm
from .models import Period, ProgressJournal
from .report import report_pdf

DEFAULT_CHARTS = ("weight", "waist")
PAGE = "progress/client_progress.html"


def _chosen_metrics(request: HttpRequest, progress) -> list[str]:
    form = MetricChoiceForm(request.GET)
    chosen = form.cleaned_data["metric"] if form.is_valid() else []
    if not chosen:
        present = [m.field for m in progress.metrics]
        chosen = [f for f in DEFAULT_CHARTS if f in present] or present[:2]
    return chosen


def _entry_form(
    client: Client, entries: list[ProgressJournal], period: str | None
) -> MeasurementForm:
    """A blank form for the next period, or the given period's entry to correct."""
    by_period = {e.period: e for e in entries}
    if period in by_period:
        entry = by_period[period]
        return MeasurementForm(
            initial={
                "period": period,
                "measured_on": entry.measured_on,
                "notes": entry.notes,
                **entry.values(),
            }
        )
    if period not in Period.values:
        period = next((p for p in Period.values if p not in by_period), Period.AFTER)
    return MeasurementForm(initial={"period": period, "measured_on": timezone.localdate()})


def _journal_param(value: str | None):
    """?program=<id> | none | (missing: AUTO)."""
    if value == "none":
        return None
    if value and value.isdigit():
        return int(value)
    return selectors.AUTO


def _context(request: HttpRequest, client: Client, **extra) -> dict:
    wanted = _journal_param(request.POST.get("program") or request.GET.get("program"))
    progress = selectors.client_progress_get(client=client, program=wanted)
    chosen = _chosen_metrics(request, progress)
    return {
        "client": client,
        "progress": progress,
        "charts": selectors.client_charts(progress, chosen),
        "chosen": chosen,
        "journal_key": str(progress.program.pk) if progress.program else "none",
        "metric_form": MetricChoiceForm(initial={"metric": chosen}),
        "form": extra.pop("form", None)
        or _entry_form(client, progress.entries, request.GET.get("period")),
        "target_form": extra.pop("target_form", None) or TargetForm(),
        "photo_form": extra.pop("photo_form", None) or PhotoForm(),
        "report_form": ReportForm(),
        **extra,
    }


@login_required
def client_progress(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk)
    context = _context(request, client)
    if request.htmx and request.htmx.target in ("journal", "charts", "entry-form"):
        return render(request, f"{PAGE}#{request.htmx.target}", context)
    return render(request, PAGE, context)


def _respond(request: HttpRequest, client: Client, partial: str, status: int = 200, **extra):
    if request.htmx:
        # 200 even for a form with errors: htmx swaps only successful responses.
        return render(request, f"{PAGE}#{partial}", _context(request, client, **extra))
    if status != 200:
        return render(request, PAGE, _context(request, client, **extra), status=status)
    return redirect("progress:client-progress", pk=client.pk)


@require_POST
@change_required
def entry_save(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        try:
            entry, created = services.measurement_save(
                client=client,
                program=_program_of(client, form.cleaned_data["program"]),
                period=form.cleaned_data["period"],
                values=form.metric_values(),
                measured_on=form.cleaned_data["measured_on"],
                notes=form.cleaned_data["notes"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            text = (
                _("Entry for %(period)s saved.")
                if created
                else _("Entry for %(period)s corrected.")
            )
            messages.success(request, text % {"period": entry.get_period_display()})
            return _respond(request, client, "journal")
    return _respond(request, client, "journal", status=422, form=form)


def _program_of(client: Client, key: str):
    """The client's program named by the form's hidden field ("none" or "" = outside programs)."""
    if not key or key == "none":
        return None
    program = client.programs.filter(pk=int(key)).first() if key.isdigit() else None
    if program is None:
        raise ValidationError({"program": _("This program belongs to another client.")})
    return program


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_POST
@change_required
def entry_delete(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    entry = get_object_or_404(ProgressJournal, pk=entry_pk, client=client)
    services.measurement_delete(entry=entry)
    messages.success(request, _("Entry deleted."))
    return _respond(request, client, "journal")


@require_POST
@change_required
def target_save(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.target_set(
                client=client,
                metric=form.cleaned_data["metric"],
                value=form.cleaned_data["value"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return _respond(request, client, "journal")
    return _respond(request, client, "journal", status=422, target_form=form)


@require_POST
@change_required
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["image"]
        if upload.size > services.PHOTO_MAX_BYTES:
            form.add_error("image", _("The photo is larger than 10 MB."))
        else:
            try:
                services.photo_add(
                    client=client,
                    pose=form.cleaned_data["pose"],
                    taken_on=form.cleaned_data["taken_on"],
                    content=upload.read(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Photo added."))
                return _respond(request, client, "photos")
    return _respond(request, client, "photos", status=422, photo_form=form)


@login_required
def photo_file(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    client = get_client_for(request.user, pk)
    photo = selectors.photo_get_for(user=request.user, pk=photo_pk)
    if photo is None or photo.client_id != client.pk:
        raise Http404
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
@change_required
def photo_delete(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    photo = selectors.photo_get_for(user=request.user, pk=photo_pk)
    if photo is None or photo.client_id != client.pk:
        raise Http404
    services.photo_delete(photo=photo)
    messages.success(request, _("Photo deleted."))
    return _respond(request, client, "photos")


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk)
    form = ReportForm(request.GET)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    response = HttpResponse(
        report_pdf(
            client=client, comment=comment, program=_journal_param(request.GET.get("program"))
        ),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="progress-{client.pk}-{timezone.localdate():%Y-%m-%d}.pdf"'
    )
    return response


@require_POST
@change_required
def report_send(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The comment is too long."))
    elif reason := telegram_unreachable_reason(client):
        messages.error(request, reason + " " + _("Download the PDF and send it yourself."))
    elif services.report_send(
        client=client,
        comment=form.cleaned_data["comment"],
        program=selectors.client_progress_get(
            client=client, program=_journal_param(request.POST.get("program")), with_photos=False
        ).program,
        actor=request.user,
    ):
        messages.success(request, _("The report is on its way to the client in Telegram."))
    else:
        messages.error(request, _("The report could not be queued; download the PDF instead."))
    return _respond(request, client, "report")


@login_required
def analytics(request: HttpRequest) -> HttpResponse:
    period_form, period = periods.period_form(request.GET)
    summary = summaries.summary_or_compute(
        "progress.selectors.analytics_summary",
        user=request.user,
        stored=period == periods.default_period(),
        compute=lambda: selectors.analytics_get(
            user=request.user, start=period.start, end=period.end
        ),
    )
    return render(
        request,
        "progress/analytics.html",
        {
            "analytics": summary.value,
            "summary": summary,
            "period_form": period_form,
            "period": period,
        },
    )
