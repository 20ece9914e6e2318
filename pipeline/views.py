from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import summaries
from crm.access import admin_required, get_client_for
from crm.forms import ClientFilterForm
from crm.views import client_stage_change
from ui import charts, periods

from . import selectors, services
from .forms import MoveForm, ReorderForm, StageForm
from .models import PipelineStage

BOARD_FILTERS = ("q", "trainer", "source")


def _board_filters(request: HttpRequest, data) -> tuple[ClientFilterForm, dict]:
    form = ClientFilterForm(
        {k: data.get(k, "") for k in BOARD_FILTERS}, user=request.user, prefix=None
    )
    return form, {k: v for k, v in form.filters().items() if k in BOARD_FILTERS}


def _filter_query(filters: dict) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    form, filters = _board_filters(request, request.GET)
    context = {
        "board": selectors.board_get(user=request.user, filters=filters),
        "filter_form": form,
        "filter_query": _filter_query(filters),
    }
    if request.htmx and request.htmx.target == "board-columns":
        return render(request, "pipeline/board.html#columns", context)
    return render(request, "pipeline/board.html", context)


@login_required
@require_GET
def board_column(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The next page of one column ("show more")."""
    stage = get_object_or_404(PipelineStage, pk=stage_id)
    _form, filters = _board_filters(request, request.GET)
    try:
        offset = max(int(request.GET.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    cards, next_offset = selectors.column_page(
        user=request.user, stage=stage, filters=filters, offset=offset
    )
    context = {
        "stage": stage,
        "cards": cards,
        "next_offset": next_offset,
        "filter_query": _filter_query(filters),
    }
    if not request.htmx:
        # Without htmx the board itself is the page to go back to.
        return redirect(f"{reverse('pipeline:board')}?{_filter_query(filters)}")
    return render(request, "pipeline/board.html#column-page", context)


def _move_context(request, client, form) -> dict:
    return {
        "client": client,
        "form": form,
        "stages": list(PipelineStage.objects.all()),
        "lost_reasons": list(selectors.lost_reasons_offered()),
        "inactive_code": PipelineStage.Code.INACTIVE,
    }


@login_required
def client_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The one endpoint that moves a client between stages. GET: the move form (a modal on the
    board). POST: move the card (drag, button or modal), or the client page's dropdown."""
    if request.method == "GET":
        client = get_client_for(request.user, pk, for_change=True)
        initial = {"stage": request.GET.get("stage") or client.stage_id}
        context = _move_context(request, client, MoveForm(initial=initial))
        if request.htmx:
            return render(request, "pipeline/client_move.html#move-modal", context)
        return render(request, "pipeline/client_move.html", context)
    if request.method != "POST":
        return HttpResponse(status=405)
    client = get_client_for(request.user, pk, for_change=True)
    if request.POST.get("via") == "client":  # the client page's dropdown: its own block back
        return client_stage_change(request, client)
    via_modal = request.POST.get("via") == "modal"
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.stage_move(
                client=client,
                stage=form.cleaned_data["stage"],
                actor=request.user,
                notes=form.cleaned_data["notes"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except services.StageError as exc:
            error = str(exc)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if error:
        if request.htmx and via_modal:
            return render(
                request,
                "pipeline/client_move.html#move-modal",
                _move_context(request, client, form),
            )
        if request.htmx:
            return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
        messages.error(request, error)
        return render(
            request,
            "pipeline/client_move.html",
            _move_context(request, client, form),
            status=422,
        )
    stage = form.cleaned_data["stage"]
    messages.success(
        request,
        _("%(client)s moved to “%(stage)s”.") % {"client": client, "stage": stage.name},
    )
    if not request.htmx:
        return redirect("pipeline:board")
    _form, filters = _board_filters(request, request.POST)
    stages = list(PipelineStage.objects.all())
    client.stage = form.cleaned_data["stage"]
    context = {
        "client": client,
        "cards": [selectors.card_get(client=client, stages=stages)],
        "columns": selectors.column_counts(user=request.user, filters=filters, stages=stages),
        "stages": stages,
    }
    return render(request, "pipeline/_moved.html", context)


@require_GET
def stage_history_api(request: HttpRequest, pk: int) -> JsonResponse:
    """A client's moves as JSON; same ownership rule as the pages (404 for someone else's client)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "authentication required"}, status=401)
    client = get_client_for(request.user, pk)
    return JsonResponse(
        {
            "client": {"id": client.pk, "name": str(client)},
            "current_stage": client.stage.name if client.stage else None,
            "moves": selectors.stage_history(client=client),
        },
        json_dumps_params={"ensure_ascii": False},
    )


# --- Stage settings -------------------------------------------------------------------------------


def _stages_context(request, *, new_form=None, edit_forms=None) -> dict:
    stages = list(PipelineStage.objects.all())
    counts = selectors.stage_client_counts()
    edit_forms = edit_forms or {}
    rows = [
        {
            "stage": stage,
            "clients": counts.get(stage.pk, 0),
            "form": edit_forms.get(stage.pk) or StageForm(instance=stage, prefix=f"s{stage.pk}"),
        }
        for stage in stages
    ]
    return {"rows": rows, "new_form": new_form or StageForm(prefix="new")}


def _stages_response(request, context=None) -> HttpResponse:
    context = context or _stages_context(request)
    if request.htmx:
        return render(request, "pipeline/stage_settings.html#stage-list", context)
    return render(request, "pipeline/stage_settings.html", context)


@admin_required
@require_GET
def stage_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "pipeline/stage_settings.html", _stages_context(request))


@require_POST
@admin_required
def stage_create(request: HttpRequest) -> HttpResponse:
    form = StageForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            stage = services.stage_create(**form.cleaned_data)
        except services.StageError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Stage “%(name)s” added.") % {"name": stage.name})
            form = None
    else:
        messages.error(request, _("The stage was not added: check the highlighted fields."))
    if not request.htmx and form is None:
        return redirect("pipeline:stages")
    return _stages_response(request, _stages_context(request, new_form=form))


@require_POST
@admin_required
def stage_update(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_object_or_404(PipelineStage, pk=stage_id)
    form = StageForm(request.POST, instance=stage, prefix=f"s{stage.pk}")
    edit_forms = {}
    if form.is_valid():
        try:
            services.stage_update(stage=stage, **form.cleaned_data)
        except services.StageError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Stage “%(name)s” saved.") % {"name": stage.name})
    else:
        # Keep what the user typed, with the errors, instead of the saved values.
        edit_forms[stage.pk] = form
        messages.error(request, _("The stage was not saved: check the highlighted fields."))
    if not request.htmx and not edit_forms:
        return redirect("pipeline:stages")
    return _stages_response(request, _stages_context(request, edit_forms=edit_forms))


@require_POST
@admin_required
def stage_delete(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_object_or_404(PipelineStage, pk=stage_id)
    try:
        services.stage_delete(stage=stage)
    except services.StageError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage.name})
    if not request.htmx:
        return redirect("pipeline:stages")
    return _stages_response(request)


@require_POST
@admin_required
def stage_shift(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_object_or_404(PipelineStage, pk=stage_id)
    services.stage_shift(stage=stage, offset=-1 if request.POST.get("direction") == "up" else 1)
    if not request.htmx:
        return redirect("pipeline:stages")
    return _stages_response(request)


@require_POST
@admin_required
def stage_reorder(request: HttpRequest) -> HttpResponse:
    form = ReorderForm(request.POST)
    if form.is_valid():
        try:
            services.stage_reorder(stage_ids=form.cleaned_data["stage_ids"])
        except services.StageError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("New stage order saved."))
    else:
        messages.error(request, _("The stage list is not valid."))
    if not request.htmx:
        return redirect("pipeline:stages")
    return _stages_response(request)


# --- Analytics ------------------------------------------------------------------------------------


@login_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    period_form, period = periods.period_form(request.GET)
    summary = summaries.summary_or_compute(
        "pipeline.selectors.analytics_summary",
        user=request.user,
        stored=period == periods.default_period(),
        compute=lambda: selectors.analytics_get(
            user=request.user, since=period.since, until=period.until
        ),
    )
    data = summary.value
    context = {
        "data": data,
        "summary": summary,
        "period_form": period_form,
        "period": period,
        "stage_chart": charts.bar_chart(
            [(stage.name, count, stage.color) for stage, count in data.now_per_stage],
            title=_("Clients per stage now"),
        ),
        "funnel_chart": charts.bar_chart(
            [
                (step.stage.name, round(step.rate * 100, 1), step.stage.color)
                for step in data.funnel
                if step.rate is not None
            ],
            title=_("Conversion to the next stage, %"),
            unit="%",
            max_value=100,
        ),
        "days_chart": charts.bar_chart(
            [(stage.name, days, stage.color) for stage, days, _n in data.median_days if days],
            title=_("Median days in stage"),
        ),
        "weeks_chart": charts.line_chart(
            [(week.strftime("%d.%m"), count) for week, count in data.weeks],
            title=_("New leads per week"),
        ),
        "sources_chart": charts.bar_chart(
            [(row.label, row.clients, None) for row in data.sources],
            title=_("Clients by source"),
        ),
        "lost_chart": charts.bar_chart(
            [(name or _("Other (own words)"), n, None) for name, n in data.lost_reasons],
            title=_("Lost reasons"),
        ),
    }
    return render(request, "pipeline/analytics.html", context)
