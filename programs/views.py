from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.access import change_required, role_required
from crm.models import User
from crm.notifications import telegram_unreachable_reason
from ui.paging import CappedPaginator

from . import selectors, services
from .forms import ExerciseForm, ProgramAssignForm, ProgramFilterForm, TemplateFilterForm
from .models import ProgramTemplate

PAGE_SIZE = 50


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    form = ProgramFilterForm(request.GET or None)
    programs = selectors.program_list(user=request.user, **form.filters())
    page = CappedPaginator(programs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx and request.htmx.target == "program-results":
        return render(request, "programs/program_list.html#results", context)
    return render(request, "programs/program_list.html", context)


def _weeks_table(program) -> list[dict]:
    return program.content.get("weeks", [])


def _current_week(program, weeks: list[dict]) -> int:
    """The week the client is in now, counted from delivery (or assignment); 1 before it starts."""
    if not weeks:
        return 0
    started = timezone.localtime(program.delivered_at or program.assigned_at).date()
    passed = (timezone.localdate() - started).days // 7 + 1
    numbers = [week["number"] for week in weeks]
    return passed if passed in numbers else (numbers[-1] if passed > numbers[-1] else numbers[0])


def _week_url(pk: int, week: int) -> str:
    return f"{reverse('programs:program-detail', args=[pk])}?week={week}"


def _week_context(request: HttpRequest, program, number: int | None) -> dict:
    """One week shown (the weeks are tabs): `number`, else the current one; 404 for a week the
    program does not have."""
    weeks = _weeks_table(program)
    current = _current_week(program, weeks)
    if number is None:
        number = current
    week = next((w for w in weeks if w["number"] == number), None)
    if weeks and week is None:
        raise Http404
    numbers = [w["number"] for w in weeks]
    index = numbers.index(number) if week else 0
    return {
        "program": program,
        "weeks": weeks,
        "week": week,
        "current_week": current,
        "previous_week": numbers[index - 1] if index > 0 else None,
        "next_week": numbers[index + 1] if week and index + 1 < len(numbers) else None,
        "editable": request.user.can_change,
    }


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The program with its weeks as tabs (`?week=N`, deep-linkable; the current week by default)."""
    program = selectors.program_get_for(request.user, pk)
    try:
        number = int(request.GET["week"])
    except (KeyError, ValueError):
        number = None
    try:
        context = _week_context(request, program, number)
    except Http404:
        context = _week_context(request, program, None)
    return render(request, "programs/program_detail.html", context)


@login_required
def program_week(request: HttpRequest, pk: int, week: int) -> HttpResponse:
    """One week's tab as a fragment for htmx (the tab bar follows out of band)."""
    program = selectors.program_get_for(request.user, pk)
    if not request.htmx:
        return redirect(_week_url(pk, week))
    context = _week_context(request, program, week)
    return render(request, "programs/program_detail.html#week-fragment", context | {"oob": True})


def _exercise(program, exercise_id: str) -> tuple[dict, dict, dict]:
    for week in program.content.get("weeks", []):
        for day in week.get("days", []):
            for exercise in day.get("exercises", []):
                if exercise.get("id") == exercise_id:
                    return week, day, exercise
    raise Http404


def _row(request, program, exercise, *, error: str = "") -> HttpResponse:
    return render(
        request,
        "programs/program_detail.html#exercise-row",
        {"program": program, "exercise": exercise, "editable": True, "row_error": error},
    )


@login_required
def exercise_row(request: HttpRequest, pk: int, exercise_id: str) -> HttpResponse:
    """One exercise row (htmx "cancel" of an edit); a browser gets the program page."""
    program = selectors.program_get_for(request.user, pk)
    week, _day, exercise = _exercise(program, exercise_id)
    if not request.htmx:
        return redirect(f"{_week_url(pk, week['number'])}#ex-{exercise_id}")
    return render(
        request,
        "programs/program_detail.html#exercise-row",
        {"program": program, "exercise": exercise, "editable": request.user.can_change},
    )


@require_http_methods(["GET", "POST"])
@change_required
def exercise_edit(request: HttpRequest, pk: int, exercise_id: str) -> HttpResponse:
    program = selectors.program_get_for(request.user, pk, for_change=True)
    week, _day, exercise = _exercise(program, exercise_id)
    form = ExerciseForm(request.POST or None, initial=exercise)
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.program_exercise_update(
                program=program,
                exercise_id=exercise_id,
                data=services.ExerciseData(**form.cleaned_data),
            )
        except services.ProgramError as exc:
            return _row(request, program, exercise, error=str(exc))
        if request.htmx:
            return _row(request, program, exercise)
        messages.success(request, _("Exercise saved; the PDF is being updated."))
        return redirect(f"{_week_url(pk, week['number'])}#ex-{exercise_id}")
    context = {"program": program, "exercise": exercise, "form": form}
    if request.htmx:
        return render(request, "programs/program_detail.html#exercise-edit", context)
    return render(request, "programs/exercise_form.html", context)


@require_http_methods(["GET", "POST"])
@change_required
def exercise_add(request: HttpRequest, pk: int, week: int, day: int) -> HttpResponse:
    program = selectors.program_get_for(request.user, pk, for_change=True)
    form = ExerciseForm(request.POST or None)
    context = {"program": program, "week_number": week, "day_number": day, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.program_exercise_add(
                program=program, week=week, day=day, data=services.ExerciseData(**form.cleaned_data)
            )
        except services.ProgramError as exc:
            if not program.content or not any(
                w["number"] == week and any(d["number"] == day for d in w["days"])
                for w in program.content.get("weeks", [])
            ):
                raise Http404(str(exc)) from exc
            form.add_error(None, str(exc))
            template = "programs/program_detail.html#exercise-add" if request.htmx else None
            return render(request, template or "programs/exercise_form.html", context)
        if request.htmx:
            return render(
                request,
                "programs/program_detail.html#exercise-added",
                {**context, "exercise": exercise, "editable": True},
            )
        messages.success(request, _("Exercise added; the PDF is being updated."))
        return redirect(f"{_week_url(pk, week)}#ex-{exercise['id']}")
    if request.htmx:
        return render(request, "programs/program_detail.html#exercise-add", context)
    return render(request, "programs/exercise_form.html", context)


@require_POST
@change_required
def exercise_delete(request: HttpRequest, pk: int, exercise_id: str) -> HttpResponse:
    program = selectors.program_get_for(request.user, pk, for_change=True)
    week, _day, exercise = _exercise(program, exercise_id)
    try:
        services.program_exercise_delete(program=program, exercise_id=exercise_id)
    except services.ProgramError as exc:
        if request.htmx:
            return _row(request, program, exercise, error=str(exc))
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return HttpResponse("")
        messages.success(request, _("Exercise removed; the PDF is being updated."))
    return redirect(_week_url(pk, week["number"]))


@login_required
def program_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The program's PDF, rendered now if it is missing or out of date (seeded programs)."""
    program = selectors.program_get_for(request.user, pk)
    program = services.program_ensure_pdf(program=program)
    return FileResponse(
        program.pdf.open("rb"),
        as_attachment=True,
        filename=f"program-{program.pk}.pdf",
        content_type="application/pdf",
    )


@require_POST
@change_required
def program_send(request: HttpRequest, pk: int) -> HttpResponse:
    program = selectors.program_get_for(request.user, pk, for_change=True)
    reason = telegram_unreachable_reason(program.client)
    if reason:
        messages.error(request, reason + " " + _("Download the PDF and send it yourself."))
        return redirect("programs:program-detail", pk=pk)
    program = services.program_ensure_pdf(program=program)
    if services.program_send(program=program):
        messages.success(request, _("The PDF is queued for the client in Telegram."))
    else:
        messages.error(request, _("The PDF could not be prepared; nothing was sent."))
    return redirect("programs:program-detail", pk=pk)


@require_http_methods(["GET", "POST"])
@change_required
def program_assign(request: HttpRequest) -> HttpResponse:
    initial = {"client": request.GET.get("client", "")}
    form = ProgramAssignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program = services.program_assign(
                client=data["client"],
                kind=data["kind"],
                template=data["template"],
                actor=request.user,
                token=data["token"],
            )
        except services.ProgramError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Program assigned to %(client)s.") % {"client": data["client"]}
            )
            return redirect("programs:program-detail", pk=program.pk)
    return render(request, "programs/program_assign.html", {"form": form})


@login_required
def template_library(request: HttpRequest) -> HttpResponse:
    version = selectors.active_version()
    form = TemplateFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    templates = selectors.template_list(version=version, **filters)
    page = Paginator(templates, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/template_library.html",
        {
            "version": version,
            "versions": selectors.template_versions(),
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_sync": request.user.is_superuser or request.user.role == User.Role.ADMIN,
            "source": services.sources.configured_source(),
        },
    )


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(ProgramTemplate.objects.select_related("version"), pk=pk)
    return render(
        request,
        "programs/template_detail.html",
        {"template": template, "weeks": template.content.get("weeks", [])},
    )


@require_POST
@role_required(User.Role.ADMIN)
def template_sync(request: HttpRequest) -> HttpResponse:
    try:
        result = services.templates_sync(actor=request.user)
    except services.TemplateSyncError as exc:
        messages.error(request, _("Nothing loaded; the previous version stays in use."))
        for problem in (exc.problems or [str(exc)])[:20]:
            messages.error(request, problem)
    else:
        version = result.version
        if result.created:
            messages.success(
                request,
                _("Loaded version %(number)s: %(templates)s programs, %(rows)s rows.")
                % {
                    "number": version.number,
                    "templates": version.template_count,
                    "rows": version.row_count,
                },
            )
        else:
            messages.info(request, _("The sheet has not changed; nothing loaded."))
    return redirect("programs:template-library")
