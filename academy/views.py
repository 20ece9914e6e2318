from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.access import (
    change_required,
    ensure_can_change,
    get_client_for,
    role_required,
    visible_clients,
)
from crm.models import User

from . import ranks, reports, selectors, services
from .forms import (
    CalendarFilterForm,
    CancelForm,
    CapacityForm,
    FreezeForm,
    GradingForm,
    MembershipSellForm,
    ReportFilterForm,
    SessionCreateForm,
    TrainingGroupForm,
)
from .models import (
    Attendance,
    Discipline,
    Grading,
    GradingCandidate,
    Membership,
    TrainingGroup,
)

SCHEDULE_ROLES = (User.Role.ADMIN, User.Role.OPERATOR)


@login_required
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    """The week's schedule: seven columns on a wide screen, a list of days on a phone."""
    form = CalendarFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    start = selectors.week_start(filters.get("week") or timezone.localdate())
    days = selectors.week_calendar(
        user=request.user,
        start=start,
        discipline_id=filters["discipline"].pk if filters.get("discipline") else None,
        trainer_id=filters["trainer"].pk if filters.get("trainer") else None,
    )
    query = request.GET.copy()
    links = {}
    for name, day in (("prev", start - timedelta(days=7)), ("next", start + timedelta(days=7))):
        query["week"] = day.isoformat()
        links[name] = "?" + query.urlencode()
    return render(
        request,
        "academy/week.html",
        {
            "days": days,
            "start": start,
            "end": start + timedelta(days=6),
            "form": form,
            "links": links,
            "can_schedule": request.user.is_superuser or request.user.role in SCHEDULE_ROLES,
        },
    )


def _roll_context(request: HttpRequest, session, **extra) -> dict:
    roll = selectors.roll_call(session=session)
    today = timezone.localdate()
    return {
        "session": session,
        "roll": roll,
        "statuses": Attendance.Status.choices,
        "roll_open": not session.is_cancelled
        and timezone.localtime(session.starts_at).date() <= today,
        "can_change": request.user.can_change,
        **extra,
    }


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The roll call: one tap per student, saved at once."""
    session = selectors.session_get_for(request.user, pk)
    return render(
        request,
        "academy/session_detail.html",
        _roll_context(
            request,
            session,
            capacity_form=CapacityForm(initial={"capacity": session.capacity}),
            cancel_form=CancelForm(),
        ),
    )


@require_POST
@change_required
def attendance_mark(request: HttpRequest, pk: int, client_id: int) -> HttpResponse:
    session = selectors.session_get_for(request.user, pk, for_change=True)
    student = selectors.roll_member(session=session, client_id=client_id)
    if student is None:
        raise Http404
    error = ""
    try:
        services.attendance_mark(
            session=session,
            client=student,
            status=request.POST.get("status", ""),
            actor=request.user,
        )
    except services.AcademyError as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("academy:session-detail", pk=session.pk)
    context = _roll_context(request, session)
    row = next(r for r in context["roll"].rows if r.client.pk == student.pk)
    return render(
        request, "academy/session_detail.html#roll-tap", {**context, "row": row, "error": error}
    )


@login_required
@require_GET
def walk_in_search(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(request.user, pk, for_change=True)
    query = request.GET.get("q", "")
    found = selectors.walk_in_candidates(
        clients=visible_clients(request.user, for_analytics=True), query=query
    )
    return render(
        request,
        "academy/session_detail.html#walk-in-results",
        {"session": session, "found": found, "query": query},
    )


@require_POST
@change_required
def walk_in_add(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(request.user, pk, for_change=True)
    try:
        client = get_client_for(request.user, int(request.POST.get("client", "0")))
    except ValueError as exc:
        raise Http404 from exc
    try:
        services.attendance_mark(
            session=session,
            client=client,
            status=Attendance.Status.PRESENT,
            actor=request.user,
            walk_in=True,
        )
    except services.AcademyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(client)s added to the roll call.") % {"client": client})
    return redirect("academy:session-detail", pk=session.pk)


@require_POST
@change_required
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(request.user, pk, for_change=True)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            told = services.session_cancel(
                session=session, reason=form.cleaned_data["reason"], actor=request.user
            )
        except services.AcademyError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The session is cancelled; %(count)s booked clients have been told.")
                % {"count": told},
            )
    return redirect("academy:session-detail", pk=session.pk)


@require_POST
@change_required
def session_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for(request.user, pk, for_change=True)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("capacity", []):
            messages.error(request, error)
        return redirect("academy:session-detail", pk=session.pk)
    try:
        services.session_update(
            session=session, capacity=form.cleaned_data["capacity"], actor=request.user
        )
    except services.AcademyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Capacity saved."))
    return redirect("academy:session-detail", pk=session.pk)


@role_required(*SCHEDULE_ROLES)
def session_create(request: HttpRequest) -> HttpResponse:
    """A one-off session (seminar, open mat)."""
    form = SessionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_create(
                title=data["title"],
                discipline=data["discipline"],
                trainer=data["trainer"],
                hall=data["hall"],
                starts_at=form.starts_at(),
                duration_minutes=data["duration_minutes"],
                capacity=data["capacity"],
                level=data["level"],
                actor=request.user,
            )
        except services.AcademyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Session created."))
            return redirect("academy:session-detail", pk=session.pk)
    return render(request, "academy/session_form.html", {"form": form})


@require_POST
@change_required
def membership_sell(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.user, client_id, for_change=True)
    form = MembershipSellForm(request.POST)
    if form.is_valid():
        try:
            membership = services.membership_sell(
                client=client,
                plan=form.cleaned_data["plan"],
                provider=form.cleaned_data["provider"],
                actor=request.user,
            )
        except services.AcademyError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Membership sold: %(membership)s.")
                % {"membership": services.membership_left_text(membership)},
            )
    else:
        messages.error(request, _("Choose a membership and how it was paid."))
    return redirect("crm:client-detail", pk=client.pk)


@require_POST
@change_required
def membership_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.filter(client__in=visible_clients(request.user)), pk=pk
    )
    form = FreezeForm(request.POST)
    if form.is_valid():
        try:
            services.membership_freeze(
                membership=membership,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                actor=request.user,
            )
        except services.AcademyError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The membership is frozen."))
    else:
        messages.error(request, _("Enter both dates of the freeze."))
    return redirect("crm:client-detail", pk=membership.client_id)


@login_required
def ranks_overview(request: HttpRequest) -> HttpResponse:
    """Students by rank with their progress; the eligible ones can be put into a grading."""
    disciplines = list(Discipline.objects.filter(ranks__isnull=False).distinct())
    chosen = next(
        (d for d in disciplines if str(d.pk) == request.GET.get("discipline")),
        disciplines[0] if disciplines else None,
    )
    form = GradingForm(request.POST or None)
    rows = ranks.ranks_with_progress(discipline=chosen, user=request.user) if chosen else []
    if request.method == "POST" and chosen:
        ensure_can_change(request.user)
        allowed = {row.current.client_id: row.current.client for row in rows}
        picked = [
            allowed[int(pk)]
            for pk in request.POST.getlist("client")
            if pk.isdigit() and int(pk) in allowed
        ]
        if form.is_valid():
            try:
                grading = ranks.grading_create(
                    discipline=chosen,
                    held_on=form.cleaned_data["held_on"],
                    clients=picked,
                    examiner=request.user,
                    notes=form.cleaned_data["notes"],
                )
            except services.AcademyError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Grading planned; the candidates have been invited."))
                return redirect("academy:grading-detail", pk=grading.pk)
    only_eligible = request.GET.get("eligible") == "1"
    return render(
        request,
        "academy/ranks.html",
        {
            "disciplines": disciplines,
            "chosen": chosen,
            "rows": [r for r in rows if r.eligible] if only_eligible else rows,
            "eligible_count": sum(r.eligible for r in rows),
            "only_eligible": only_eligible,
            "form": form,
            "gradings": Grading.objects.filter(discipline=chosen).order_by("-held_on")[:10]
            if chosen
            else [],
        },
    )


def _grading_for(user: User, pk: int) -> Grading:
    grading = get_object_or_404(Grading.objects.select_related("discipline", "examiner"), pk=pk)
    if user.is_trainer and grading.examiner_id != user.pk:
        raise Http404
    return grading


@login_required
def grading_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grading = _grading_for(request.user, pk)
    candidates = list(
        grading.candidates.select_related("client", "target_rank").order_by("client__last_name")
    )
    error = ""
    if request.method == "POST":
        ensure_can_change(request.user)
        results = {
            c.pk: (request.POST.get(f"result-{c.pk}", ""), request.POST.get(f"notes-{c.pk}", ""))
            for c in candidates
        }
        try:
            promoted = ranks.grading_record(grading=grading, results=results, actor=request.user)
        except services.AcademyError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Results saved: %(count)s promoted.") % {"count": promoted})
            return redirect("academy:grading-detail", pk=grading.pk)
    return render(
        request,
        "academy/grading_detail.html",
        {
            "grading": grading,
            "candidates": candidates,
            "error": error,
            "results": GradingCandidate.Result.choices[1:],
            "can_change": request.user.can_change,
        },
    )


@login_required
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """Attendance by class and week, per student, active members by day, membership sales."""
    form = ReportFilterForm(request.GET or None, user=request.user)
    if request.GET and not form.is_valid():
        return render(request, "academy/reports.html", {"form": form})
    if not request.GET:
        form = ReportFilterForm({}, user=request.user)
        form.is_valid()
    data = form.cleaned_data
    f = reports.filters_for(
        user=request.user,
        start=data["start"],
        end=data["end"],
        discipline_id=data["discipline"].pk if data.get("discipline") else None,
        trainer_id=data["trainer"].pk if data.get("trainer") else None,
    )
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    by_day = reports.active_members_by_day(f)
    query = request.GET.copy()
    query.pop("page", None)
    shown = {**data, "discipline": data.get("discipline"), "trainer": data.get("trainer")}
    return render(
        request,
        "academy/reports.html",
        {
            "form": ReportFilterForm(initial=shown, user=request.user),
            "filters": f,
            "by_class": reports.attendance_by_class(f),
            "students": reports.attendance_by_student(f, page=page),
            "members_by_day": by_day,
            "members_max": max((n for _d, n in by_day), default=0),
            "sales": reports.membership_sales_by_month(f),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    groups = TrainingGroup.objects.select_related("discipline", "hall", "trainer").annotate(
        regulars_count=Count("regulars", distinct=True)
    )
    if request.user.is_trainer:
        groups = groups.filter(trainer=request.user)
    return render(
        request,
        "academy/group_list.html",
        {
            "groups": groups.order_by("discipline__order", "start_time", "title"),
            "can_schedule": request.user.is_superuser or request.user.role in SCHEDULE_ROLES,
        },
    )


@role_required(*SCHEDULE_ROLES)
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a group class; its sessions for the coming weeks follow at once."""
    group = get_object_or_404(TrainingGroup, pk=pk) if pk else None
    form = TrainingGroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_save(group=form.save(commit=False), actor=request.user)
        except services.AcademyError as exc:
            form.add_error(None, str(exc))
        else:
            created = services.sessions_generate()
            messages.success(
                request,
                _("Group saved; %(count)s new sessions scheduled.") % {"count": created},
            )
            return redirect("academy:group-list")
    return render(request, "academy/group_form.html", {"form": form, "group": group})
