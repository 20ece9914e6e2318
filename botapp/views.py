import hmac
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from crm import safejson
from crm.access import change_required, get_client_for

from . import preview as bot_preview
from . import selectors, services
from .client import bot_enabled, document_open, document_size, preview_chat_id
from .forms import PreviewPressForm, PreviewSendForm, ReplyForm

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Telegram's webhook: check the secret, store the update, answer at once (a task handles it)."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return HttpResponseForbidden("bad secret")
    try:
        payload = safejson.loads(request.body)
        stored = services.update_store(payload=payload)
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("not a Telegram update")
    return JsonResponse({"ok": True, "duplicate": stored is None})


# --- the bot preview ---------------------------------------------------------------------------------


def _preview_context(request: HttpRequest) -> dict:
    chat_id = preview_chat_id(request.user.pk)
    return {
        "bubbles": selectors.preview_messages(chat_id=chat_id),
        "bot_enabled": bot_enabled(),
        "form": PreviewSendForm(),
    }


@login_required
@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    if request.htmx:
        return render(request, "botapp/preview.html#chat", _preview_context(request))
    return render(request, "botapp/preview.html", _preview_context(request))


def _preview_done(request: HttpRequest) -> HttpResponse:
    if request.htmx:
        return render(request, "botapp/preview.html#chat", _preview_context(request))
    return redirect("botapp:preview")


@require_POST
@change_required
def preview_send(request: HttpRequest) -> HttpResponse:
    form = PreviewSendForm(request.POST)
    if form.is_valid():
        bot_preview.preview_send(user=request.user, text=form.cleaned_data["text"])
    else:
        messages.error(request, _("Type a message first (at most 4096 characters)."))
    return _preview_done(request)


@require_POST
@change_required
def preview_press(request: HttpRequest) -> HttpResponse:
    form = PreviewPressForm(request.POST)
    if not form.is_valid() or not bot_preview.preview_press(
        user=request.user, message_id=form.cleaned_data["message"], data=form.cleaned_data["data"]
    ):
        messages.error(request, _("That button is no longer there."))
    return _preview_done(request)


@require_POST
@change_required
def preview_reset(request: HttpRequest) -> HttpResponse:
    bot_preview.preview_reset(user=request.user)
    messages.success(request, _("The preview chat starts over: send /start."))
    return _preview_done(request)


@login_required
@require_GET
def preview_document(request: HttpRequest, pk: int) -> HttpResponse:
    """A document the bot sent in this staff member's preview chat (nobody else's)."""
    bubble = selectors.preview_message_for(chat_id=preview_chat_id(request.user.pk), pk=pk).first()
    if bubble is None or not bubble.document or document_size(bubble.document) is None:
        raise Http404
    return FileResponse(
        document_open(bubble.document),
        as_attachment=True,
        filename=bubble.document_name or "document.pdf",
    )


# --- the inbox: a trainer answers a client from the client page -----------------------------------------


@require_POST
@change_required
def client_reply(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for(request.user, pk, for_change=True)
    form = ReplyForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.inbox_reply(client=client, text=form.cleaned_data["text"], author=request.user)
        except services.InboxError as exc:
            error = str(exc)
    else:
        error = "; ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        from .client_page import chat_section_html

        return HttpResponse(
            chat_section_html(request=request, client=client, error=error, sent=not error)
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("The message is queued; the bot sends it to the client in Telegram.")
        )
    try:
        return redirect(reverse("crm:client-detail", args=[client.pk]) + "?tab=chat")
    except NoReverseMatch:
        return redirect("crm:dashboard")


@login_required
def my_telegram(request: HttpRequest) -> HttpResponse:
    """The staff member's own Telegram: a one-time link to tie it, or unlink it."""
    from .services import STAFF_LINK_PREFIX, bot_username, staff_link_create, staff_link_remove

    link = None
    if request.method == "POST":
        if request.POST.get("action") == "unlink":
            staff_link_remove(user=request.user)
            messages.success(request, _("Your Telegram is unlinked."))
            return redirect("botapp:my-telegram")
        link = staff_link_create(user=request.user)
    username = bot_username() if link else ""
    command = f"/start {STAFF_LINK_PREFIX}{link.token}" if link else ""
    return render(
        request,
        "botapp/my_telegram.html",
        {
            "command": command,
            "deep_link": f"https://t.me/{username}?start={STAFF_LINK_PREFIX}{link.token}"
            if link and username
            else "",
        },
    )
