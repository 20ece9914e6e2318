"""Endpoints for machines: the trainer's website contact form."""

import logging

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.celery import enqueue_on_commit
from config.ip import client_ip
from config.ratelimit import rate_exceeded

from . import safejson, services
from .extensions import website_bot_link
from .models import ClientAction, ClientContact
from .phones import normalize_phone

logger = logging.getLogger(__name__)
CONSENT_TASK = "privacy.consent_record"  # privacy sits above crm: asked by task name


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    message = forms.CharField(label=gettext_lazy("Message"), max_length=4000, required=False)
    source = forms.SlugField(max_length=64, required=False)
    # 152-FZ: the visitor ticks the consent to the processing of their data (recorded by privacy).
    consent = forms.BooleanField(
        label=gettext_lazy("I agree to the processing of my personal data"),
        error_messages={
            "required": gettext_lazy(
                "Tick the box to agree to the processing of your personal data: without it we "
                "cannot take your request."
            )
        },
    )
    # Honeypot: invisible on the website, only bots fill it in.
    website_url = forms.CharField(required=False)

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        return normalize_phone(raw) if raw else ""

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("phone") and not cleaned.get("email"):
            raise ValidationError(_("Leave a phone or an email so the trainer can reach you."))
        return cleaned


def _cors(request: HttpRequest, response: JsonResponse) -> JsonResponse:
    origin = request.headers.get("Origin", "")
    if origin and origin in settings.WEBSITE_FORM_ALLOWED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Vary"] = "Origin"
    return response


def _payload(request: HttpRequest) -> dict | None:
    """The form's fields as strings; None for a body that is not that (a number or an object as a
    name is refused, not turned into the text "{'a': 1}")."""
    if request.content_type == "application/json":
        try:
            data = safejson.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        if not all(
            isinstance(value, str)
            or value is None
            or (key == "consent" and isinstance(value, bool))
            for key, value in data.items()
        ):
            return None
        return {key: value for key, value in data.items() if value is not None}
    return {key: value.replace("\x00", "") for key, value in request.POST.items()}


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def website_contact_form(request: HttpRequest) -> JsonResponse:
    """A lead from the website: JSON or form-encoded `name`, `phone` and/or `email`, `message`,
    `source`, and the required `consent` (a ticked checkbox: "on", or `true` in JSON)."""
    if request.method == "OPTIONS":
        return _cors(request, JsonResponse({}, status=204))
    data = _payload(request)
    if data is None:
        return _cors(
            request,
            JsonResponse(
                {"ok": False, "error": _("The request body is not valid JSON.")}, status=400
            ),
        )
    if rate_exceeded(
        "contact-form",
        client_ip(request),
        limit=settings.CONTACT_FORM_RATE_PER_ADDRESS,
        window=3600,
    ):
        return _cors(
            request,
            JsonResponse(
                {"ok": False, "error": _("Too many requests. Try again later.")}, status=429
            ),
        )
    form = ContactForm(data)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return _cors(request, JsonResponse({"ok": False, "errors": errors}, status=400))
    thanks = _("Thank you! The trainer will contact you soon.")
    if form.cleaned_data["website_url"]:
        logger.info("Contact form: honeypot filled from %s, ignored", client_ip(request))
        return _cors(request, JsonResponse({"ok": True, "message": thanks}, status=201))
    first, _sep, last = form.cleaned_data["name"].strip().partition(" ")
    registration = services.lead_register(
        source=form.cleaned_data["source"] or "website",
        channel=ClientContact.Channel.EMAIL
        if not form.cleaned_data["phone"]
        else ClientContact.Channel.PHONE,
        phone=form.cleaned_data["phone"],
        email=form.cleaned_data["email"],
        first_name=first,
        last_name=last.strip(),
        message=form.cleaned_data["message"],
    )
    enqueue_on_commit(CONSENT_TASK, registration.client.pk, "personal", "granted", "website")
    # The seed: the visitor gets the bot's invite link, and the client's card records it.
    bot_link = website_bot_link(start="site")
    if bot_link:
        thanks = _(
            "Thank you! The trainer will contact you soon. Meanwhile, get a free program from our "
            "Telegram bot: %(link)s"
        ) % {"link": bot_link}
    services.client_action_log(
        client=registration.client,
        author=None,
        kind=ClientAction.Kind.MESSAGE,
        description=_("Website form: %(message)s. Bot link sent: %(link)s")
        % {"message": form.cleaned_data["message"] or "—", "link": bot_link or "—"},
    )
    status = 201 if registration.client_created else 200
    return _cors(
        request,
        JsonResponse({"ok": True, "message": thanks, "bot_link": bot_link}, status=status),
    )
