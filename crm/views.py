from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pipeline import services as pipeline_services
from pipeline.forms import MoveForm
from pipeline.models import LostReason, PipelineStage

from . import selectors, services
from .access import change_required, get_client_for, visible_clients
from .extensions import client_sections
from .forms import (
    ClientActionForm,
    ClientCreateForm,
    ClientFilterForm,
    ClientProfileForm,
    ClientQuestionnaireForm,
    FollowUpForm,
    NextContactForm,
)
from .models import Client, ClientAction


def _dashboard_context(request: HttpRequest) -> dict:
    return {
        "dashboard": selectors.dashboard_get(user=request.user),
        "today": timezone.localdate(),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/dashboard.html", _dashboard_context(request))


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
    clients = selectors.clients_sorted(
        selectors.clients_filter(
            visible_clients(request.user).select_related("stage", "trainer", "account"),
            **form.filters(),
        ),
        sort,
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


def _detail_context(request: HttpRequest, client: Client, **extra) -> dict:
    context = {
        "client": client,
        "stages": list(PipelineStage.objects.all()),
        "lost_reasons": list(LostReason.objects.filter(is_active=True)),
        "timeline": selectors.client_timeline_get(client=client, limit=TIMELINE_LIMIT),
        "action_form": ClientActionForm(initial={"kind": ClientAction.Kind.CALL}),
        "next_contact_form": NextContactForm(
            initial={"next_contact_at": timezone.localtime(client.next_contact_at)}
            if client.next_contact_at
            else None
        ),
        "move_form": MoveForm(initial={"stage": client.stage_id}),
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk)
    context = _detail_context(request, client)
    context["sections"] = client_sections(request=request, client=client)
    return render(request, "crm/client_detail.html", context)


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
            context = _detail_context(request, client, **{f"{section}_form": form})
            context["sections"] = client_sections(request=request, client=client)
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
        context = _detail_context(request, client, **{f"{section}_form": form})
        context["sections"] = client_sections(request=request, client=client)
        return render(request, "crm/client_detail.html", context, status=422)
    return render(request, template, {"client": client, f"{section}_form": form})


def _after_change(request: HttpRequest, client: Client, partial: str, **extra) -> HttpResponse:
    """The changed block, plus the timeline and the header, swapped out of band."""
    context = _detail_context(request, client, oob=True, **extra)
    context["main_partial"] = f"crm/client_detail.html#{partial}"
    return render(request, "crm/_client_changed.html", context)


@require_POST
@change_required
def client_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """The stage dropdown on the client page: saved as soon as it changes (reason for Неактивен)."""
    client = get_client_for(request.user, pk, for_change=True)
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


@require_POST
@change_required
def client_next_contact(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = NextContactForm(request.POST)
    if form.is_valid():
        services.client_set_next_contact(
            client=client, next_contact_at=form.cleaned_data["next_contact_at"]
        )
        messages.success(request, _("Next contact saved."))
        if not request.htmx:
            return redirect("crm:client-detail", pk=pk)
        return _after_change(request, client, "next-contact-block")
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crm:client-detail", pk=pk)
    return _after_change(request, client, "next-contact-block", next_contact_form=form)
