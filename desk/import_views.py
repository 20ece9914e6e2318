"""Client import: upload → preview (every row checked, nothing written) → import all or nothing, in
the background (`desk.tasks.client_import_task`), with a page that follows it.

The checked file waits for the confirmation in the database (`ClientImport`, its id in the
session), so the confirmation imports exactly what was previewed, on any web or worker machine."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm.access import role_required

from .forms import ImportForm
from .imports import MAX_BYTES, ImportError_, import_confirm, import_plan, import_preview_store
from .models import ClientImport

PREVIEW_ROWS = 200
SESSION_KEY = "client_import"


@role_required("admin", "operator")
def client_import(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than 10 MB."))
        else:
            content = upload.read()
            on_duplicate = form.cleaned_data["on_duplicate"]
            try:
                plan = import_plan(name=upload.name, content=content, on_duplicate=on_duplicate)
            except ImportError_ as error:
                form.add_error("file", str(error))
            else:
                request.session.pop(SESSION_KEY, None)
                if not plan.errors:
                    stored = import_preview_store(
                        name=upload.name,
                        content=content,
                        on_duplicate=on_duplicate,
                        actor=request.user,
                    )
                    request.session[SESSION_KEY] = stored.pk
                context.update(
                    plan=plan,
                    shown=plan.rows[:PREVIEW_ROWS],
                    errors=plan.errors[:PREVIEW_ROWS],
                    counts={a: plan.count(a) for a in ("create", "update", "skip")},
                )
    status = 422 if request.method == "POST" and (form.errors or context.get("errors")) else 200
    return render(request, "desk/client_import.html", context, status=status)


def _confirm(request: HttpRequest) -> HttpResponse:
    queued = import_confirm(import_id=request.session.pop(SESSION_KEY, 0), actor=request.user)
    if queued is None:
        messages.error(request, _("The preview has expired: upload the file again."))
        return redirect("desk:client-import")
    return redirect("desk:client-import-status", pk=queued.pk)


@role_required("admin", "operator")
def client_import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the confirmed import is: polled by htmx while it runs, the outcome once it has."""
    found = get_object_or_404(ClientImport.objects.defer("content"), pk=pk, created_by=request.user)
    template = "desk/_import_status.html" if request.htmx else "desk/client_import_status.html"
    return render(request, template, {"job": found})
