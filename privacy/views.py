"""Staff side of personal data: an admin downloads a client's export or forgets the client."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.access import get_client_for, role_required
from crm.models import User

from . import services
from .forms import ForgetForm
from .models import Channel, ConsentKind


@role_required(User.Role.ADMIN)
def client_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything we hold about the client, as one zip (the same as the bot's /mydata)."""
    client = get_client_for(request.user, pk)
    export = services.client_export(client=client, actor=request.user)
    path = export.parts[0]
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"client-{client.pk}-{timezone.localdate():%Y%m%d}.zip",
        content_type="application/zip",
    )


@role_required(User.Role.ADMIN)
def client_forget(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = ForgetForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        result = services.client_forget(client=client, channel=Channel.STAFF, user=request.user)
        purge_on = timezone.localtime(result.request.purge_after).strftime("%d.%m.%Y")
        messages.success(
            request,
            _(
                "Client #%(id)s is forgotten: gone from every page now; their personal data will "
                "be deleted on %(date)s."
            )
            % {"id": client.pk, "date": purge_on},
        )
        return redirect("crm:client-list")
    return render(
        request,
        "privacy/client_forget.html",
        {"client": client, "form": form, "grace_days": settings.PRIVACY_PURGE_GRACE_DAYS},
    )


@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    """The public page the consent messages link to: the current texts, with their versions."""
    texts = [services.policy_in_force(kind=kind) for kind in ConsentKind.values]
    return render(request, "privacy/policy.html", {"texts": texts})
