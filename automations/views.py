"""The trainer's pages for automations: the rules with on/off and their results, a rule's editor with
a live preview for a real client and "who would receive this now", and the send log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.access import role_required, scope_to_user, visible_clients
from crm.models import User

from . import selectors, services
from .forms import RuleForm
from .models import NpsResponse, Rule, Run
from .templating import VARIABLES

EDITORS = (User.Role.ADMIN, User.Role.TRAINER)
AUDIENCE_SHOWN = 20


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(Rule.objects.select_related("stage").order_by("order", "id"))
    stats = selectors.rule_stats(
        runs=scope_to_user(Run.objects.all(), request.user, client_path="client")
    )
    for rule in rules:
        rule.stats = stats.get(rule.pk, selectors.RuleStats())
    return render(
        request,
        "automations/rule_list.html",
        {"rules": rules, "can_edit": request.user.is_superuser or request.user.role in EDITORS},
    )


@require_POST
@role_required(*EDITORS)
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=rule_id)
    on = request.POST.get("on") == "1"
    services.rule_toggle(rule=rule, on=on)
    messages.success(
        request,
        (_("“%(name)s” is on.") if on else _("“%(name)s” is off.")) % {"name": rule.name},
    )
    return redirect("automations:rule-list")


def _form(request: HttpRequest, rule: Rule, data=None) -> RuleForm:
    clients = visible_clients(request.user, for_analytics=True).order_by("first_name", "pk")
    return RuleForm(data, instance=rule, clients=clients, prefix="rule")


@role_required(*EDITORS)
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=rule_id) if rule_id else Rule()
    form = _form(request, rule, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        try:
            services.rule_save(rule=rule, tariffs=list(form.cleaned_data["offer_tariffs"]))
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("automations:rule-edit", rule.pk)
    if request.method == "POST":
        messages.error(request, _("The rule was not saved: check the highlighted fields."))
    return render(
        request,
        "automations/rule_edit.html",
        {
            "form": form,
            "rule": rule,
            "preview": _preview(request, form, rule),
            "variables": list(VARIABLES.items()),
        },
    )


def _preview(request: HttpRequest, form: RuleForm, saved: Rule) -> dict:
    """What the rule would do now: the message for a real client, and who would get it."""
    if form.is_bound:
        if not form.is_valid():
            return {"errors": [e for errors in form.errors.values() for e in errors]}
        rule = form.save(commit=False)
        rule.pk = saved.pk
        client = form.cleaned_data.get("preview_client")
    else:
        rule, client = saved, None
    if not rule.trigger:
        return {}
    errors = [e for errors in services.rule_check(rule=rule).values() for e in errors]
    visible = visible_clients(request.user, for_analytics=True)
    audience = selectors.rule_audience(rule=rule, clients=visible, limit=AUDIENCE_SHOWN)
    if client is None:
        client = audience.clients[0] if audience.clients else visible.order_by("pk").first()
    text = markup = None
    if client is not None and rule.message.strip() and not errors:
        text, markup = services.rule_render_for(rule=rule, client=client, now=timezone.now())
    return {
        "errors": errors,
        "audience": audience,
        "client": client,
        "text": text,
        "buttons": [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row],
    }


@require_POST
@role_required(*EDITORS)
def rule_preview(request: HttpRequest) -> HttpResponse:
    rule_id = request.POST.get("rule_id", "")
    saved = get_object_or_404(Rule, pk=int(rule_id)) if rule_id.isdigit() else Rule()
    form = _form(request, saved, request.POST)
    return render(
        request,
        "automations/rule_edit.html#preview",
        {"form": form, "rule": saved, "preview": _preview(request, form, saved)},
    )


@login_required
@require_GET
def run_log(request: HttpRequest) -> HttpResponse:
    runs = scope_to_user(Run.objects.all(), request.user, client_path="client")
    rule_id = request.GET.get("rule", "")
    status = request.GET.get("status", "")
    if rule_id.isdigit():
        runs = runs.filter(rule_id=int(rule_id))
    if status in Run.Status.values:
        runs = runs.filter(status=status)
    page = Paginator(runs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    rows = selectors.runs_with_outcome(run_ids=[run.pk for run in page.object_list])
    return render(
        request,
        "automations/run_log.html",
        {
            "page": page,
            "rows": rows,
            "rules": Rule.objects.order_by("order", "id").only("pk", "name"),
            "statuses": Run.Status.choices,
            "rule_id": rule_id,
            "status": status,
        },
    )


@login_required
@require_GET
def nps_analytics(request: HttpRequest) -> HttpResponse:
    responses = scope_to_user(NpsResponse.objects.all(), request.user, client_path="client")
    return render(
        request, "automations/nps.html", {"report": selectors.nps_report(responses=responses)}
    )
