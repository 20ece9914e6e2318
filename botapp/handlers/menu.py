"""/start, the main menu, FAQ, contacts, /cancel and messages outside any flow."""

from django.utils.translation import gettext as _

from crm.models import Notification
from crm.notifications import staff_notify
from crm.services import notification_create

from .. import callbacks as cb
from .. import replies
from ..context import Ctx
from ..models import FaqEntry


def start(ctx: Ctx) -> None:
    ctx.reset()
    name = ctx.update.effective_user.first_name or ""
    ctx.say(ctx.texts.get("welcome", name=name))
    ctx.say(ctx.texts.get("menu"), replies.menu_markup(ctx.texts))


def show_menu(ctx: Ctx) -> None:
    ctx.say(ctx.texts.get("menu"), replies.menu_markup(ctx.texts))


def show_faq(ctx: Ctx) -> None:
    entries = list(FaqEntry.objects.filter(is_active=True).values_list("pk", "question"))
    if not entries:
        ctx.say(ctx.texts.get("faq_empty"), replies.back_markup(ctx.texts))
        return
    ctx.say(ctx.texts.get("faq_title"), replies.faq_list_markup(ctx.texts, entries))


def show_contacts(ctx: Ctx) -> None:
    ctx.say(ctx.texts.get("contacts"), replies.back_markup(ctx.texts))


def on_faq(ctx: Ctx) -> None:
    pk = cb.payload_id(ctx.data, cb.FAQ)
    entry = FaqEntry.objects.filter(pk=pk, is_active=True).first() if pk else None
    if entry is None:
        show_menu(ctx)
        return
    ctx.say(f"{entry.question}\n\n{entry.answer}", replies.faq_entry_markup(ctx.texts))


def cancel(ctx: Ctx) -> None:
    if ctx.chat.state == ctx.chat.State.IDLE:
        ctx.say(ctx.texts.get("nothing_to_cancel"), replies.menu_markup(ctx.texts))
        return
    ctx.reset(promo_code="")
    ctx.say(ctx.texts.get("cancelled"), replies.menu_markup(ctx.texts))


def on_edited(ctx: Ctx) -> None:
    """An edited message is kept in the history; it does not re-answer a question."""


def unsupported(ctx: Ctx) -> None:
    ctx.say(ctx.texts.get("unsupported"))


def inbox(ctx: Ctx) -> None:
    """Free text outside a flow goes to the trainer (and is already in the client's history)."""
    client = ctx.client
    if not client.is_preview:
        staff_notify(
            text=ctx.texts.get("staff_inbox", name=client.full_name, text=ctx.text[:3000]),
            client=client,
        )
        # The client's own trainer sees it under the bell; a replayed update notifies once.
        notification_create(
            recipient=client.trainer,
            kind=Notification.Kind.CLIENT_WROTE,
            client=client,
            text=_("%(name)s wrote: %(text)s") % {"name": client.full_name, "text": ctx.text[:200]},
            dedup_key=f"telegram-update:{ctx.update.update_id}",
        )
    ctx.say(ctx.texts.get("inbox_ack"))


def on_stale_callback(ctx: Ctx) -> None:
    """A button we no longer know (an old keyboard): show the menu again."""
    show_menu(ctx)
