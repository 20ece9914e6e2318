"""Messages to people, for every domain: the trainer's Telegram chat and a client's chat.

The bot (`botapp`) owns the Telegram client; domains below it call these functions, which enqueue
the bot's tasks by name after the transaction commits (nothing is sent for a rolled-back change).
"""

from django.conf import settings
from django.utils.translation import gettext as _

from config.celery import enqueue_on_commit

from .models import Client

STAFF_NOTIFY_TASK = "botapp.staff_notify"
CLIENT_MESSAGE_TASK = "botapp.client_message"
# A staff member's own Telegram is a channel of `crm.services.notification_create`.
NOTIFICATION_SEND_TASK = "botapp.notification_send"


def staff_notify(*, text: str, client: Client | None = None) -> bool:
    """Tell the staff chat (TELEGRAM_ADMIN_CHAT_ID) something that needs a person's attention."""
    return enqueue_on_commit(STAFF_NOTIFY_TASK, text=text, client_id=client.pk if client else None)


def client_message(*, client: Client, text: str) -> bool:
    """Send a text to a client through the bot; it is recorded as an outbound ClientContact."""
    return enqueue_on_commit(CLIENT_MESSAGE_TASK, client_id=client.pk, text=text)


def telegram_unreachable_reason(client: Client) -> str:
    """Why the bot cannot deliver to this client now ("" when it can): the bot is off (no token; a
    bot-preview client is still reachable in the preview), the client never wrote to the bot, or
    blocked it. Pages use it to say what really happened instead of "the bot will send it"."""
    if client.telegram_id is None:
        return _("This client has no Telegram chat with the bot.")
    if client.bot_blocked_at:
        return _("This client has blocked the bot.")
    if not settings.TELEGRAM_BOT_TOKEN and not client.is_preview:
        return _("The bot is off (TELEGRAM_BOT_TOKEN is not set): nothing was sent.")
    return ""
