"""What a handler gets: the update, the chat's locked conversation row, the client and the texts.

Handlers answer through `say` / `edit`, which only queue outbound messages (sent after commit)."""

from dataclasses import dataclass, field

from crm.models import Client

from .models import BotChat, OutboundMessage, TelegramUpdate
from .services import message_queue
from .texts import Texts


@dataclass
class Ctx:
    row: TelegramUpdate
    update: object  # telegram.Update (parsed by botapp.client)
    chat_id: int
    texts: Texts = field(default_factory=Texts)
    client: Client | None = None
    chat: BotChat | None = None
    consent_asked: bool = False  # a consent question went out with this update's replies

    @property
    def message(self):
        return self.update.message

    @property
    def text(self) -> str:
        message = self.update.message
        return (message.text or "") if message else ""

    @property
    def data(self) -> str:
        query = self.update.callback_query
        return (query.data or "") if query else ""

    def say(self, text: str, markup: dict | None = None) -> OutboundMessage:
        return message_queue(
            chat_id=self.chat_id, client=self.client, text=text, reply_markup=markup
        )

    def edit(self, text: str, markup: dict | None = None) -> None:
        """Replace the message whose button was pressed (drops its buttons unless new ones given)."""
        query = self.update.callback_query
        message = getattr(query, "message", None) if query else None
        if message is None or not getattr(message, "message_id", None):
            return
        message_queue(
            chat_id=self.chat_id,
            client=None,  # an edit is not a new message in the history
            kind=OutboundMessage.Kind.EDIT,
            text=text,
            reply_markup=markup,
            edit_message_id=message.message_id,
        )

    def reset(self, **extra: object) -> None:
        """Back to no flow: the conversation state, the step and the answers cleared."""
        chat = self.chat
        chat.state, chat.step, chat.answers, chat.editing = BotChat.State.IDLE, "", {}, False
        for name, value in extra.items():
            setattr(chat, name, value)
        chat.save()
