import json
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.ip import client_ip
from config.ratelimit import rate_exceeded
from crm.access import role_required
from crm.models import User

from . import attribution, chat, posts, services
from .forms import AdSpendForm, PeriodForm, ScheduleForm, SocialPostForm, WebsiteSettingsForm
from .models import AdSpend, SocialPost
from .selectors import bot_deep_link, website_settings_get

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024


# --- the trainer's side ------------------------------------------------------------------------------


@role_required(User.Role.ADMIN)
def website_settings(request: HttpRequest) -> HttpResponse:
    site = website_settings_get()
    form = WebsiteSettingsForm(request.POST or None, request.FILES or None, instance=site)
    if request.method == "POST":
        if form.is_valid():
            services.website_settings_update(form=form, actor=request.user)
            messages.success(request, _("Website settings saved."))
            return redirect("marketing:website-settings")
        messages.error(request, _("Please correct the errors below."))
    widget_tag = f'<script src="{settings.SITE_URL.rstrip("/")}/widget.js" async></script>'
    return render(
        request,
        "marketing/website_settings.html",
        {
            "form": form,
            "site": site,
            "widget_tag": widget_tag,
            "bot_link": bot_deep_link(start="site", site=site),
            "env_llm": bool(settings.LLM_API_BASE_URL and settings.LLM_MODEL),
        },
        status=422 if request.method == "POST" else 200,
    )


@require_GET
def website_photo(request: HttpRequest) -> FileResponse:
    """The trainer's public photo (the site may show it)."""
    site = website_settings_get()
    if not site.photo:
        raise Http404
    try:
        return FileResponse(site.photo.open("rb"))
    except FileNotFoundError as exc:
        raise Http404 from exc


# --- the widget on the trainer's site ----------------------------------------------------------------


def _js_json(value) -> str:
    """JSON safe to paste into a script."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    site = website_settings_get()
    config = {
        "enabled": site.widget_enabled,
        "title": site.trainer_name or _("Chat with the trainer"),
        "greeting": site.widget_greeting,
        "maxChars": settings.CHAT_MAX_CHARS,
        "texts": {
            "open": _("Open the chat"),
            "close": _("Close the chat"),
            "placeholder": _("Your message…"),
            "send": _("Send"),
            "failed": _("The message was not sent. Check the connection and try again."),
            "tooLong": _("The message is too long."),
            "consent": _("I agree to the processing of my personal data"),
            "policy": _("Privacy policy"),
            "needConsent": _("Tick the consent box first."),
        },
        "policyUrl": f"{settings.SITE_URL}{reverse('privacy:policy')}",
    }
    body = render_to_string("marketing/widget.js", {"config": _js_json(config)})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def widget_css(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        render_to_string("marketing/widget.css"), content_type="text/css; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _error(message: str, status: int, origin: str | None = None) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    return _cors(response, origin) if origin else response


_ORIGIN = re.compile(r"^https?://[^/\s]+$")


@csrf_exempt  # cross-site by design; no cookies are used, the Origin is checked instead
@require_http_methods(["POST", "OPTIONS"])
def chat_message(request: HttpRequest) -> HttpResponse:
    """`{"session", "text", "consent": true}` → `{"session", "reply"}` for the widget on an
    allowed site (the consent checkbox is required, 152-FZ)."""
    site = website_settings_get()
    origin = request.headers.get("Origin", "").rstrip("/")
    own = settings.SITE_URL.rstrip("/")
    if not _ORIGIN.match(origin) or origin not in [*site.origins, own]:
        logger.info("Website chat: refused origin %r from %s", origin, client_ip(request))
        return _error(_("This site may not use the chat."), 403)
    if not site.widget_enabled:
        return _error(_("The chat is off."), 403, origin)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = MAX_BODY_BYTES + 1
    if length > MAX_BODY_BYTES:
        return _error(_("The message is too long."), 413, origin)
    try:
        data = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return _error(_('Send JSON: {"session": …, "text": …}.'), 400, origin)
    visitor_id, text = data.get("session"), data.get("text")
    if not isinstance(visitor_id, str) or not chat.VISITOR_ID.match(visitor_id):
        return _error(_("The session id is missing or malformed."), 400, origin)
    if not isinstance(text, str) or not text.strip():
        return _error(_("The message is empty."), 400, origin)
    if len(text.strip()) > settings.CHAT_MAX_CHARS:
        return _error(
            _("The message is too long: at most %(n)d characters.")
            % {"n": settings.CHAT_MAX_CHARS},
            400,
            origin,
        )
    if data.get("consent") is not True:  # 152-FZ: the widget's checkbox, ticked
        return _error(
            _(
                "Tick the box to agree to the processing of your personal data: without it the "
                "chat cannot take your message."
            ),
            400,
            origin,
        )
    address = client_ip(request)
    if rate_exceeded(
        "chat-ip", address, limit=settings.CHAT_RATE_PER_ADDRESS, window=3600
    ) or rate_exceeded(
        "chat-visitor", visitor_id, limit=settings.CHAT_RATE_PER_VISITOR, window=600
    ):
        return _error(_("Too many messages. Please wait a little and try again."), 429, origin)
    try:
        result = chat.chat_message_handle(
            visitor_id=visitor_id, text=text, origin=origin, ip_address=address or None
        )
    except ValidationError as exc:
        return _error(" ".join(exc.messages), 400, origin)
    return _cors(JsonResponse({"session": visitor_id, "reply": result.reply}), origin)


# --- social posts -------------------------------------------------------------------------------------

POSTS_PAGE = 25
admin_only = role_required(User.Role.ADMIN)


@admin_only
def post_list(request: HttpRequest) -> HttpResponse:
    found = SocialPost.objects.prefetch_related("publications").order_by(
        F("publish_at").desc(nulls_first=True), "-id"
    )
    status = request.GET.get("status", "")
    if status in SocialPost.Status.values:
        found = found.filter(status=status)
    page = Paginator(found, POSTS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "marketing/post_list.html",
        {
            "page": page,
            "status": status,
            "statuses": SocialPost.Status.choices,
            "query": f"status={status}" if status else "",
        },
    )


def _post_form_page(request: HttpRequest, post: SocialPost | None) -> HttpResponse:
    form = SocialPostForm(request.POST or None, request.FILES or None, instance=post)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save(commit=False)
            if saved.author_id is None:
                saved.author = request.user
            saved.save()
            messages.success(request, _("The post is saved as a draft. Check the preview."))
            return redirect("marketing:post-detail", pk=saved.pk)
        messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "marketing/post_form.html",
        {"form": form, "post": post},
        status=422 if request.method == "POST" else 200,
    )


@admin_only
def post_create(request: HttpRequest) -> HttpResponse:
    return _post_form_page(request, None)


def _post(pk: int) -> SocialPost:
    return get_object_or_404(SocialPost, pk=pk)


@admin_only
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    if post.status != SocialPost.Status.DRAFT:
        messages.error(request, _("Only a draft can be changed. Return the post to draft first."))
        return redirect("marketing:post-detail", pk=post.pk)
    return _post_form_page(request, post)


@admin_only
def post_detail(
    request: HttpRequest, pk: int, schedule_form: ScheduleForm | None = None
) -> HttpResponse:
    post = _post(pk)
    return render(
        request,
        "marketing/post_detail.html",
        {
            "post": post,
            "publications": post.publications.all(),
            "button": posts.post_button(post),
            "deep_link": bot_deep_link(start=post.start_payload),
            "schedule_form": schedule_form
            or ScheduleForm(
                initial={"publish_at": timezone.localtime().replace(second=0, microsecond=0)}
            ),
            "missing": posts.networks_missing(post),
        },
        status=422 if schedule_form is not None else 200,
    )


def _post_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    post = _post(pk)
    try:
        action(post)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("marketing:post-detail", pk=post.pk)


@require_POST
@admin_only
def post_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return post_detail(request, pk, schedule_form=form)
    return _post_action(
        request,
        pk,
        lambda post: posts.post_schedule(post=post, publish_at=form.cleaned_data["publish_at"]),
        _(
            "The post is scheduled. It goes out at the first check (every 10 minutes) after that time."
        ),
    )


@require_POST
@admin_only
def post_unschedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, lambda post: posts.post_unschedule(post=post), _("The post is a draft again.")
    )


@require_POST
@admin_only
def post_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda post: posts.post_retry(post=post),
        _("The failed networks will be tried again at the next check."),
    )


@require_POST
@admin_only
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    if post.status != SocialPost.Status.DRAFT:
        messages.error(request, _("Only a draft can be deleted."))
        return redirect("marketing:post-detail", pk=post.pk)
    post.delete()
    messages.success(request, _("The draft is deleted."))
    return redirect("marketing:post-list")


@admin_only
def post_image(request: HttpRequest, pk: int) -> FileResponse:
    post = _post(pk)
    if not post.image:
        raise Http404
    try:
        return FileResponse(post.image.open("rb"))
    except FileNotFoundError as exc:
        raise Http404 from exc


# --- attribution ---------------------------------------------------------------------------------------


@admin_only
def analytics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    default = {"date_from": (today - timedelta(days=89)).isoformat(), "date_to": today.isoformat()}
    period = PeriodForm(request.GET if "date_from" in request.GET else default)
    if not period.is_valid():
        period_values = {"date_from": today - timedelta(days=89), "date_to": today}
    else:
        period_values = period.cleaned_data
    spend_form = AdSpendForm(request.POST or None)
    if request.method == "POST":
        if spend_form.is_valid():
            attribution.adspend_set(**spend_form.cleaned_data)
            messages.success(request, _("Ad spend saved."))
            return redirect(f"{request.path}?{request.GET.urlencode()}")
        messages.error(request, _("Please correct the errors below."))
    report = attribution.attribution_report(
        date_from=period_values["date_from"], date_to=period_values["date_to"]
    )
    return render(
        request,
        "marketing/analytics.html",
        {
            "period": period,
            "report": report,
            "spend_form": spend_form,
            "spends": AdSpend.objects.filter(month__gte=report.date_from.replace(day=1))[:50],
        },
        status=422 if request.method == "POST" else 200,
    )
