from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .access import change_required, get_client_for
from .forms import FollowUpForm


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
