"""Messages to people, for every domain: the trainer's Telegram chat and a client's chat.

The bot (`botapp`) owns the Telegram client; domains below it call these functions, which enqueue
the bot's tasks by name after the transaction commits (nothing is sent for a rolled-back change).
"""

from config.celery import enqueue_on_commit

from .models import Client, User

STAFF_NOTIFY_TASK = "botapp.staff_notify"
CLIENT_MESSAGE_TASK = "botapp.client_message"
TRAINER_NOTIFY_TASK = "botapp.trainer_notify"


def staff_notify(*, text: str, client: Client | None = None) -> bool:
    """Tell the staff chat (TELEGRAM_ADMIN_CHAT_ID) something that needs a person's attention."""
    return enqueue_on_commit(STAFF_NOTIFY_TASK, text=text, client_id=client.pk if client else None)


def client_message(*, client: Client, text: str) -> bool:
    """Send a text to a client through the bot; it is recorded as an outbound ClientContact."""
    return enqueue_on_commit(CLIENT_MESSAGE_TASK, client_id=client.pk, text=text)


def trainer_notify(*, user: User, text: str, client: Client | None = None) -> bool:
    """Tell one staff member something: in their own Telegram when they linked it (`/start
    staff_<token>`), otherwise in the staff chat."""
    return enqueue_on_commit(
        TRAINER_NOTIFY_TASK, user_id=user.pk, text=text, client_id=client.pk if client else None
    )
