from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from pipeline import services as pipeline_services
from pipeline.forms import MoveForm
from pipeline.models import LostReason, PipelineStage

from . import selectors, services, summaries
from .access import change_required, ensure_can_change, get_client_for, visible_clients
from .extensions import CLIENT_TABS, DEFAULT_TAB, client_sections
from .forms import (
    ClientActionForm,
    ClientCreateForm,
    ClientFilterForm,
    ClientProfileForm,
    ClientQuestionnaireForm,
    FollowUpForm,
    QuickLeadForm,
    TaskDoneForm,
    TaskForm,
)
from .models import Client, ClientAction, Notification, Task
from .search import MIN_LENGTH, search_everything


def _dashboard_context(request: HttpRequest) -> dict:
    return {
        "dashboard": selectors.dashboard_get(user=request.user),
        "today": timezone.localdate(),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Home: a trainer starts the day with their tasks; other roles with the overview."""
    if request.user.is_trainer:
        return today(request)
    return overview(request)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/dashboard.html", _dashboard_context(request))


# --- Today: tasks --------------------------------------------------------------------------------


def _today_context(request: HttpRequest) -> dict:
    return {"day": selectors.today_get(user=request.user), "today": timezone.localdate()}


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/today.html", _today_context(request))


def _task_for(request: HttpRequest, pk: int) -> Task:
    ensure_can_change(request.user)
    return get_object_or_404(
        selectors.tasks_visible(request.user).select_related("client", "client__stage"), pk=pk
    )


def _after_task_change(request: HttpRequest, task: Task) -> HttpResponse:
    """Back where the user was: the Today list (htmx swaps it whole), or the client page."""
    target = request.POST.get("next", "")
    if request.htmx and request.POST.get("from") == "today":
        response = render(request, "crm/today.html#tasks", _today_context(request))
        response["HX-Retarget"], response["HX-Reswap"] = "#today-tasks", "outerHTML"
        response["HX-Trigger"] = "badges-changed"  # the overdue count in the top bar follows
        return response
    if not (target and url_has_allowed_host_and_scheme(target, {request.get_host()})):
        target = reverse("crm:client-detail", args=[task.client_id])
    if request.htmx:  # from the client page: reload it, the task list and the history changed
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@change_required
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the "what happened / next step" form (inline under the task with htmx); POST: done."""
    task = _task_for(request, pk)
    form = TaskDoneForm(request.POST or None, initial={"next_kind": "", "outcome": "reached"})
    if request.method == "POST" and form.is_valid():
        try:
            done = services.task_complete(task=task, actor=request.user, **form.service_kwargs())
        except services.TaskError as error:
            messages.error(request, error.messages[0])
        else:
            text = _("Done: %(task)s with %(name)s.") % {"task": task.label, "name": task.client}
            if done.next_task:
                text += " " + _("Next step: %(when)s.") % {
                    "when": formats.date_format(
                        timezone.localtime(done.next_task.due_at), "d.m H:i"
                    )
                }
            messages.success(request, text)
        return _after_task_change(request, task)
    source = request.POST.get("from") or request.GET.get("from", "")
    context = {"task": task, "form": form, "source": source}
    if request.htmx:  # htmx swaps only 2xx answers: the form with its errors comes back as 200
        return render(request, "crm/task_done.html#done-form", context)
    status = 422 if request.method == "POST" else 200
    return render(request, "crm/task_done.html", context, status=status)


@require_POST
@change_required
def task_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick "tomorrow" / "in 3 days" / "next week": same time of day, a later date."""
    task = _task_for(request, pk)
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        days = 0
    if days not in (1, 3, 7):
        messages.error(request, _("Pick when to move the task."))
        return _after_task_change(request, task)
    local = timezone.localtime(max(task.due_at, timezone.now()))
    due = local.replace(hour=timezone.localtime(task.due_at).hour, minute=0) + timedelta(days=days)
    try:
        services.task_reschedule(task=task, due_at=due)
    except services.TaskError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("Moved to %(when)s.") % {"when": formats.date_format(due, "d.m H:i")},
        )
    return _after_task_change(request, task)


@require_POST
@change_required
def client_task_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = TaskForm(request.POST)
    if form.is_valid():
        services.task_create(client=client, created_by=request.user, **form.cleaned_data)
        messages.success(request, _("Task added."))
        if not request.htmx:
            return redirect("crm:client-detail", pk=pk)
        client.refresh_from_db(fields=["next_contact_at"])
        return _after_change(request, client, "next-contact-block")
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crm:client-detail", pk=pk)
    return _after_change(request, client, "next-contact-block", task_form=form)


# --- Notifications ----------------------------------------------------------------------------------

NOTIFICATIONS_SHOWN = 50


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The bell's page: the latest notifications; opening it marks them read."""
    items = list(
        Notification.objects.filter(recipient=request.user)
        .select_related("client")
        .order_by("-created_at", "-id")[:NOTIFICATIONS_SHOWN]
    )
    unread = [n.pk for n in items if n.read_at is None]
    if unread:
        services.notifications_mark_read(user=request.user, ids=unread)
    return render(request, "crm/notifications.html", {"items": items, "unread": set(unread)})


@login_required
@require_GET
def workspace_badges(request: HttpRequest) -> HttpResponse:
    """The counts in the top bar, fetched after the page loads (pages keep their query counts)."""
    return render(
        request, "crm/_badges.html", {"badges": selectors.workspace_badges_get(user=request.user)}
    )


@require_POST
@change_required
def client_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        services.client_set_next_contact(client=client, next_contact_at=form.next_contact_at())
        if form.next_contact_at():
            messages.success(
                request, _("Next contact with %(name)s is scheduled.") % {"name": client}
            )
        else:
            messages.success(request, _("Follow-up with %(name)s is done.") % {"name": client})
    else:
        for error in form.errors.get("next_contact_date", []):
            messages.error(request, error)
    if request.htmx:
        return render(request, "crm/dashboard.html#follow-ups", _dashboard_context(request))
    return redirect("crm:dashboard")


# --- Client list ------------------------------------------------------------------------------------

CLIENTS_PER_PAGE = 50
LIST_FILTERS = (
    "q",
    "stage",
    "trainer",
    "source",
    "follow_up",
    "owes",
    "created_from",
    "created_to",
)


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    stages = PipelineStage.objects.all()
    form = ClientFilterForm(request.GET, user=request.user, stages=stages)
    sort = request.GET.get("sort", "-created")
    clients = selectors.clients_listed(
        user=request.user,
        queryset=Client.objects.select_related("stage", "trainer", "account"),
        filters=form.filters(),
        sort=sort,
    )
    page = Paginator(clients, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "filtered": any(request.GET.get(k) for k in LIST_FILTERS),
        "today": timezone.localdate(),
    }
    if request.htmx and request.htmx.target == "client-results":
        return render(request, "crm/client_list.html#results", context)
    return render(request, "crm/client_list.html", context)


@change_required
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientCreateForm(request.POST or None, user=request.user)
    duplicates: list = []
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(actor=request.user, **form.cleaned_data)
        except services.ClientDuplicateError as error:
            duplicates = _duplicates_for(request.user, error.existing)
            form.add_error(None, error.messages[0])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Client %(name)s added.") % {"name": client})
            return redirect("crm:client-detail", pk=client.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "crm/client_create.html",
        {"form": form, "duplicates": duplicates},
        status=status,
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _duplicates_for(user, existing) -> list[dict]:
    """Existing clients to point at; one the user may not open is named without a link."""
    visible = set(
        visible_clients(user).filter(pk__in=[c.pk for c in existing]).values_list("pk", flat=True)
    )
    return [{"client": c, "visible": c.pk in visible} for c in existing]


# --- Client page ------------------------------------------------------------------------------------

TIMELINE_LIMIT = 50
OPEN_TASKS_SHOWN = 10


def _detail_context(request: HttpRequest, client: Client, **extra) -> dict:
    """What the page around the tabs needs: the header (stage, next task) and the action bar."""
    open_tasks = list(services.client_open_tasks(client)[:OPEN_TASKS_SHOWN])
    context = {
        "client": client,
        "open_tasks": open_tasks,
        "next_task": open_tasks[0] if open_tasks else None,
        "tabs": _tab_links(client),
        "today": timezone.localdate(),
        "now": timezone.now(),
    }
    context.update(extra)
    return context


def _overview_context(request: HttpRequest, client: Client) -> dict:
    return {
        "stages": list(PipelineStage.objects.all()),
        "lost_reasons": list(LostReason.objects.filter(is_active=True)),
        "action_form": ClientActionForm(initial={"kind": ClientAction.Kind.CALL}),
        "move_form": MoveForm(initial={"stage": client.stage_id}),
        "task_form": TaskForm(),
    }


def _tab_links(client: Client) -> list[dict]:
    names = {
        "overview": pgettext("client page tab", "Overview"),
        "history": pgettext("client page tab", "History"),
        "progress": pgettext("client page tab", "Progress"),
        "program": pgettext("client page tab", "Program"),
        "payments": pgettext("client page tab", "Payments"),
        "chat": pgettext("client page tab", "Chat"),
    }
    page = reverse("crm:client-detail", args=[client.pk])
    return [
        {
            "code": code,
            "name": names[code],
            "url": page if code == DEFAULT_TAB else f"{page}?tab={code}",
            "fragment": reverse("crm:client-tab", args=[client.pk, code]),
        }
        for code in CLIENT_TABS
    ]


def _tab_context(request: HttpRequest, client: Client, tab: str, **extra) -> dict:
    """One tab's content: only what it shows is queried (each tab is loaded on its own)."""
    context = {"tab": tab, "sections": client_sections(request=request, client=client, tab=tab)}
    if tab == DEFAULT_TAB:
        context.update(_overview_context(request, client))
    elif tab == "history":
        context["timeline"] = selectors.client_timeline_get(client=client, limit=TIMELINE_LIMIT)
    context.update(extra)
    return context


def _page_context(request: HttpRequest, client: Client, tab: str, **extra) -> dict:
    context = _detail_context(request, client)
    context.update(_tab_context(request, client, tab, **extra))
    return context


@login_required
@require_GET
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The header, the tab bar and the chosen tab (`?tab=`, deep-linkable); other tabs load on
    demand from `client_tab`."""
    client = get_client_for(request.user, pk)
    tab = request.GET.get("tab", DEFAULT_TAB)
    if tab not in CLIENT_TABS:
        tab = DEFAULT_TAB
    return render(request, "crm/client_detail.html", _page_context(request, client, tab))


@login_required
@require_GET
def client_tab(request: HttpRequest, pk: int, tab: str) -> HttpResponse:
    """One tab as a fragment for htmx (the tab bar follows out of band); the whole page otherwise."""
    if tab not in CLIENT_TABS:
        raise Http404
    client = get_client_for(request.user, pk)
    if not request.htmx:
        url = reverse("crm:client-detail", args=[pk])
        return redirect(url if tab == DEFAULT_TAB else f"{url}?tab={tab}")
    context = _tab_context(request, client, tab)
    context.update(client=client, tabs=_tab_links(client), now=timezone.now(), tabs_oob=True)
    if tab == DEFAULT_TAB:
        context["open_tasks"] = list(services.client_open_tasks(client)[:OPEN_TASKS_SHOWN])
    return render(request, "crm/client_detail.html#tab-fragment", context)


SECTION_FORMS = {"profile": ClientProfileForm, "questionnaire": ClientQuestionnaireForm}


def _section_form(section: str, request: HttpRequest, client: Client, data=None):
    form_class = SECTION_FORMS[section]
    kwargs = {"user": request.user} if form_class is ClientProfileForm else {}
    return form_class(data, instance=client, prefix=section, **kwargs)


@login_required
def client_section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """Inline editing of the profile or the questionnaire: GET ?edit=1 gives the form, POST saves."""
    if section not in SECTION_FORMS:
        raise Http404
    editing = request.method == "POST" or request.GET.get("edit") == "1"
    client = get_client_for(request.user, pk, for_change=editing)
    template = f"crm/client_detail.html#{section}"
    if request.method == "GET":
        form = _section_form(section, request, client) if editing else None
        if not request.htmx:
            context = _page_context(request, client, DEFAULT_TAB, **{f"{section}_form": form})
            return render(request, "crm/client_detail.html", context)
        return render(request, template, {"client": client, f"{section}_form": form})
    if request.method != "POST":
        return HttpResponse(status=405)
    form = _section_form(section, request, client, request.POST)
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.client_update(
                client=get_client_for(request.user, pk), data=data, actor=request.user
            )
        except services.ClientDuplicateError as error:
            form.add_error(None, error.messages[0])
            form.duplicates = _duplicates_for(request.user, error.existing)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            if not request.htmx:
                return redirect("crm:client-detail", pk=pk)
            client = get_client_for(request.user, pk)
            return render(request, template, {"client": client, f"{section}_form": None})
    if not request.htmx:
        context = _page_context(request, client, DEFAULT_TAB, **{f"{section}_form": form})
        return render(request, "crm/client_detail.html", context, status=422)
    return render(request, template, {"client": client, f"{section}_form": form})


def _after_change(request: HttpRequest, client: Client, partial: str, **extra) -> HttpResponse:
    """The changed block (on the overview tab), plus the header, swapped out of band."""
    context = _detail_context(request, client, oob=True)
    context.update(_overview_context(request, client))
    context["tasks_oob"] = partial != "next-contact-block"  # a logged call may set the next one
    context.update(extra)
    context["main_partial"] = f"crm/client_detail.html#{partial}"
    return render(request, "crm/_client_changed.html", context)


def client_stage_change(request: HttpRequest, client: Client) -> HttpResponse:
    """The client page's stage dropdown, saved as soon as it changes (asking a reason for
    Неактивен). Not a URL of its own: the one stage-move endpoint (`pipeline:client-move`) hands a
    post marked `via=client` here, with the client already checked for this user's change."""
    pk = client.pk
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            move = pipeline_services.stage_move(
                client=client,
                stage=form.cleaned_data["stage"],
                actor=request.user,
                notes=form.cleaned_data["notes"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except pipeline_services.StageError as error:
            messages.error(request, str(error))
        else:
            if move:
                messages.success(
                    request,
                    _("Stage changed to “%(stage)s”.") % {"stage": move.to_stage_name},
                )
            if not request.htmx:
                return redirect("crm:client-detail", pk=pk)
            return _after_change(request, client, "stage-block")
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crm:client-detail", pk=pk)
    # Keep the chosen stage on screen and ask for what is missing (the reason for Неактивен):
    # the first time as a question, an error only once the user saved without one.
    asking = set(form.errors) == {"lost_reason"} and not request.POST.get("reason_asked")
    return _after_change(request, client, "stage-block", move_form=form, asking_reason=asking)


@require_POST
@change_required
def client_action(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = ClientActionForm(request.POST)
    if form.is_valid():
        services.client_action_log(
            client=client,
            author=request.user,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            happened_at=form.cleaned_data["happened_at"],
            next_contact_at=form.next_contact_at(),
        )
        messages.success(request, _("Logged."))
        if not request.htmx:
            return redirect("crm:client-detail", pk=pk)
        return _after_change(request, client, "action-block")
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crm:client-detail", pk=pk)
    return _after_change(request, client, "action-block", action_form=form)


# --- Top bar: search and quick add ------------------------------------------------------------------

SEARCH_DROPDOWN_LIMIT = 5
SEARCH_PAGE_LIMIT = 20


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The top bar's search: a dropdown as you type (htmx), a full page at /search/?q=."""
    text = request.GET.get("q", "").strip()
    dropdown = bool(request.htmx) and request.htmx.target == "search-results"
    limit = SEARCH_DROPDOWN_LIMIT if dropdown else SEARCH_PAGE_LIMIT
    context = {
        "q": text,
        "groups": search_everything(user=request.user, text=text, limit=limit),
        "too_short": 0 < len(text) < MIN_LENGTH,
    }
    if dropdown:
        return render(request, "crm/search.html#results", context)
    return render(request, "crm/search.html", context)


@change_required
def lead_quick_add(request: HttpRequest) -> HttpResponse:
    """A lead in three fields from anywhere; a duplicate links to the client we already have."""
    form = QuickLeadForm(request.POST or None)
    duplicates: list = []
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.client_create(actor=request.user, **form.service_kwargs())
        except services.ClientDuplicateError as error:
            duplicates = _duplicates_for(request.user, error.existing)
            form.add_error(None, error.messages[0])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, _("Lead %(name)s added.") % {"name": created})
                return redirect("crm:client-detail", pk=created.pk)
            form = QuickLeadForm()
    context = {"form": form, "duplicates": duplicates, "created": created}
    if request.htmx:
        return render(request, "crm/lead_quick_add.html#form", context)
    status = 422 if request.method == "POST" else 200
    return render(request, "crm/lead_quick_add.html", context, status=status)


@require_POST
@change_required
def client_take(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Take this lead": an unassigned client becomes the current trainer's."""
    if not request.user.is_trainer:
        raise PermissionDenied
    client = get_client_for(request.user, pk, for_change=True)
    try:
        services.client_take(client=client, user=request.user)
    except services.LeadTakenError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("%(name)s is your client now.") % {"name": client})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("crm:client-detail", pk=pk)


@login_required
@require_POST
def summary_recompute(request: HttpRequest) -> HttpResponse:
    """Compute and store a page's summarised numbers for the viewer's scope ("Recompute now" under
    them), then back to the page, which reads them as of now."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("crm:dashboard")
    try:
        summaries.summary_recompute(request.POST.get("name", ""), user=request.user)
    except KeyError:
        return HttpResponseBadRequest(_("There is no such summary."))
    return redirect(target)
