"""Client import: upload → preview (every row checked, nothing written) → import all or nothing.

The uploaded file waits for the confirmation under var/imports/ (named by a random token kept in
the session), so the confirmation imports exactly what was previewed."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.access import role_required

from .forms import ImportForm
from .imports import MAX_BYTES, ImportError_, import_apply, import_plan

IMPORT_DIR = Path(settings.BASE_DIR) / "var" / "imports"
PREVIEW_ROWS = 200


def _stash(request: HttpRequest, name: str, content: bytes, on_duplicate: str) -> str:
    IMPORT_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    (IMPORT_DIR / token).write_bytes(content)
    request.session["client_import"] = {"token": token, "name": name, "on_duplicate": on_duplicate}
    return token


def _stashed(request: HttpRequest) -> tuple[dict, bytes] | None:
    info = request.session.get("client_import")
    if not info:
        return None
    path = IMPORT_DIR / info["token"]
    if not path.is_file():
        return None
    return info, path.read_bytes()


def _forget(request: HttpRequest) -> None:
    info = request.session.pop("client_import", None)
    if info:
        (IMPORT_DIR / info["token"]).unlink(missing_ok=True)


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
                _forget(request)
                if not plan.errors:
                    _stash(request, upload.name, content, on_duplicate)
                context.update(
                    plan=plan,
                    shown=plan.rows[:PREVIEW_ROWS],
                    errors=plan.errors[:PREVIEW_ROWS],
                    counts={a: plan.count(a) for a in ("create", "update", "skip")},
                )
    status = 422 if request.method == "POST" and (form.errors or context.get("errors")) else 200
    return render(request, "desk/client_import.html", context, status=status)


def _confirm(request: HttpRequest) -> HttpResponse:
    stashed = _stashed(request)
    if stashed is None:
        messages.error(request, _("The preview has expired: upload the file again."))
        return redirect("desk:client-import")
    info, content = stashed
    try:
        plan = import_plan(name=info["name"], content=content, on_duplicate=info["on_duplicate"])
        counts = import_apply(plan=plan, actor=request.user)
    except ImportError_ as error:
        messages.error(request, str(error))
        return redirect("desk:client-import")
    finally:
        _forget(request)
    messages.success(
        request,
        _("Imported: %(create)s new clients, %(update)s updated, %(skip)s skipped.") % counts,
    )
    return redirect("crm:client-list")
