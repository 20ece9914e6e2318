"""Personal data in the bot (152-FZ): the consent before the questionnaire (a purchase needs none:
processing to perform a contract is lawful without it, art. 6 p. 1(5)), the separate health-data consent before the first measurements or photos, clients from before
consents asked once, /consent (and withdrawing the health consent alone), /mydata and /forget. The records and rules are `privacy`'s; these parse the
press, call its services and reply."""

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from config.celery import enqueue_on_commit
from privacy import services as privacy
from privacy.models import Channel, Consent, ConsentKind, DeletionRequest
from privacy.selectors import consent_decision

from .. import callbacks as cb
from .. import replies
from ..context import Ctx
from ..services import message_queue
from . import checkin, menu, questionnaire

MYDATA_TASK = "botapp.client_data_send"
GRANTED, DECLINED = Consent.Decision.GRANTED, Consent.Decision.DECLINED
# What the person was about to do when the consent was asked; it goes on after "Agree".
NEXT: dict[cb.ConsentNext, Callable[[Ctx], None]] = {
    cb.ConsentNext.MENU: menu.show_menu,
    cb.ConsentNext.QUESTIONNAIRE: questionnaire.start,
    cb.ConsentNext.CHECKIN: checkin.start,
}
DECLINED_TEXT = {ConsentKind.PERSONAL: "consent_declined", ConsentKind.HEALTH: "health_declined"}
THANKS_TEXT = {ConsentKind.PERSONAL: "consent_thanks", ConsentKind.HEALTH: "health_thanks"}


def _policy_url(policy) -> str:
    return policy.policy_url or f"{settings.SITE_URL}{reverse('privacy:policy')}"


def ask(ctx: Ctx, kind: str, then: cb.ConsentNext) -> None:
    """Show the current published text of this consent with Agree / Decline."""
    policy = privacy.policy_in_force(kind=kind)
    privacy.consent_asked(client=ctx.client, kind=kind)
    ctx.consent_asked = True
    text, markup = replies.consent_message(
        ctx.texts, kind=kind, text=policy.text, url=_policy_url(policy), then=then
    )
    ctx.say(text, markup)


def needs(kind: str, then: cb.ConsentNext, handler: Callable[[Ctx], None]):
    """Run the handler only for a client who agreed to this consent; otherwise ask for it (and
    carry on with `then` once they agree)."""

    def run(ctx: Ctx) -> None:
        if consent_decision(client=ctx.client, kind=kind) == GRANTED:
            handler(ctx)
        else:
            ask(ctx, kind, then)

    return run


def ask_if_due(ctx: Ctx) -> None:
    """A client from before consents existed is asked once, at their next message (after its
    answer), unless this update already asked or decided."""
    client = ctx.client
    if ctx.consent_asked or client is None or client.forgotten_at is not None:
        return
    if privacy.consent_ask_due(client=client, kind=ConsentKind.PERSONAL):
        ask(ctx, ConsentKind.PERSONAL, cb.ConsentNext.MENU)


def on_consent(ctx: Ctx) -> None:
    parsed = cb.consent_parse(ctx.data)
    if parsed is None or parsed[0] not in ConsentKind.values:
        menu.show_menu(ctx)
        return
    kind, answer, then = parsed
    ctx.consent_asked = True  # the person is answering one: do not ask another on top
    if answer == cb.ConsentAnswer.ASK:
        ask(ctx, kind, then)
        return
    if answer in (cb.ConsentAnswer.WITHDRAW, cb.ConsentAnswer.WITHDRAW_CONFIRMED):
        _withdraw(ctx, kind, confirmed=answer == cb.ConsentAnswer.WITHDRAW_CONFIRMED)
        return
    decision = GRANTED if answer == cb.ConsentAnswer.AGREE else DECLINED
    if consent_decision(client=ctx.client, kind=kind) != decision:  # a second press records nothing
        privacy.consent_record(
            client=ctx.client, kind=kind, decision=decision, channel=Channel.TELEGRAM
        )
    query = ctx.update.callback_query
    original = getattr(query.message, "text", "") if query and query.message else ""
    label = ctx.texts.get("btn_consent_agree" if decision == GRANTED else "btn_consent_decline")
    if original:
        ctx.edit(f"{original}\n\n→ {label}")  # the buttons go; the text and the answer stay
    if decision == DECLINED:
        ctx.say(
            ctx.texts.get(DECLINED_TEXT[kind]),
            replies.consent_declined_markup(ctx.texts, kind=kind, then=then),
        )
        return
    ctx.say(ctx.texts.get(THANKS_TEXT[kind]))
    NEXT[then](ctx)


def consents(ctx: Ctx) -> None:
    """/consent: what the client agreed to and when, with the way to withdraw the health consent
    alone (withdrawing the other one is /forget) or to give it."""

    def state(kind: str) -> str:
        consent = (
            Consent.objects.filter(client=ctx.client, kind=kind).order_by("-at", "-id").first()
        )
        if consent is None or consent.decision != GRANTED:
            return ctx.texts.get("consent_not_given")
        return ctx.texts.get(
            "consent_given", date=timezone.localtime(consent.at).strftime("%d.%m.%Y")
        )

    health = state(ConsentKind.HEALTH)
    ctx.say(
        ctx.texts.get("consents", personal=state(ConsentKind.PERSONAL), health=health),
        replies.consents_markup(
            ctx.texts,
            kind=ConsentKind.HEALTH,
            given=consent_decision(client=ctx.client, kind=ConsentKind.HEALTH) == GRANTED,
        ),
    )


def _withdraw(ctx: Ctx, kind: str, *, confirmed: bool) -> None:
    """A withdrawal from /consent: the personal-data consent is /forget; the health one asks to
    confirm, then its data goes at once."""
    if kind == ConsentKind.PERSONAL:
        forget(ctx)
    elif not confirmed:
        ctx.say(
            ctx.texts.get("health_withdraw_ask"),
            replies.health_withdraw_markup(ctx.texts, kind=kind),
        )
    else:
        query = ctx.update.callback_query
        original = getattr(query.message, "text", "") if query and query.message else ""
        if original:
            ctx.edit(original)  # the buttons go: one press is enough
        done = privacy.health_withdraw(client=ctx.client, channel=Channel.TELEGRAM)
        ctx.say(
            ctx.texts.get("health_withdrawn" if done else "health_not_given"),
            replies.menu_markup(ctx.texts),
        )


def mydata(ctx: Ctx) -> None:
    """/mydata: the export is built by a task after commit (it may be large), then sent as files."""
    ctx.say(ctx.texts.get("mydata_preparing"))
    enqueue_on_commit(
        MYDATA_TASK, client_id=ctx.client.pk, request_key=f"mydata:{ctx.row.update_id}"
    )


def forget(ctx: Ctx) -> None:
    ctx.say(
        ctx.texts.get("forget_ask", days=settings.PRIVACY_PURGE_GRACE_DAYS),
        replies.forget_markup(ctx.texts),
    )


def _purge_date(request: DeletionRequest) -> str:
    return timezone.localtime(request.purge_after).strftime("%d.%m.%Y")


def _say_plain(ctx: Ctx, text: str) -> None:
    """A reply to a forgotten person: not written to the (hidden) client's history."""
    message_queue(chat_id=ctx.chat_id, text=text)


def on_forget(ctx: Ctx) -> None:
    query = ctx.update.callback_query
    original = getattr(query.message, "text", "") if query and query.message else ""
    if ctx.data != cb.Forget.CONFIRM:
        if original:
            ctx.edit(original)
        ctx.say(ctx.texts.get("forget_kept"), replies.menu_markup(ctx.texts))
        return
    result = privacy.client_forget(client=ctx.client, channel=Channel.TELEGRAM)
    if original:
        ctx.edit(original)
    key = "forget_done" if result.created else "forget_already"
    _say_plain(ctx, ctx.texts.get(key, date=_purge_date(result.request)))


def forgotten_chat(ctx: Ctx) -> bool:
    """This chat belongs to a person who asked to be forgotten, and the update is about that
    (/forget again, /mydata, a privacy button): answer it without registering a new client.
    Anything else is a person coming back: a new client, as after the purge."""
    request = (
        DeletionRequest.objects.filter(
            client__bot_chat__chat_id=ctx.chat_id, status=DeletionRequest.Status.HIDDEN
        )
        .only("purge_after")
        .first()
    )
    if request is None:
        return False
    if ctx.update.callback_query is not None:
        about = ctx.data.startswith((cb.FORGET, cb.CONSENT))
    else:
        word = ctx.text.split(maxsplit=1)[0].split("@", 1)[0] if ctx.text else ""
        about = word in ("/forget", "/mydata", "/consent")
    if about:
        _say_plain(ctx, ctx.texts.get("forget_already", date=_purge_date(request)))
    return about
