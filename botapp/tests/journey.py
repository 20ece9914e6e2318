"""A client driven only by what the bot sends: read the fake server's messages, press offered buttons."""

from botapp.tests import factories as f


class TelegramUser:
    def __init__(self, fake, post_update, user_id: int):
        self.fake, self.post, self.user_id = fake, post_update, user_id

    def say(self, text: str):
        response = self.post(f.message(self.user_id, text))
        assert response.status_code == 200, response.content
        return response

    def messages(self):
        return [
            c
            for c in self.fake.sent(chat_id=self.user_id)
            if c.method in ("sendMessage", "sendDocument")
        ]

    def last_text(self) -> str:
        call = self.messages()[-1]
        return call.params.get("text") or call.params.get("caption", "")

    def texts(self) -> list[str]:
        return [c.params.get("text") or c.params.get("caption", "") for c in self.messages()]

    def press(self, label: str):
        """Press the newest button with this label (or whose label starts with it)."""
        for call in reversed(self.messages()):
            for text, data in call.buttons():
                if text == label or text.startswith(label):
                    assert not data.startswith("http"), f"{label} is a link"
                    message_id = self._message_id(call)
                    update = f.callback(
                        self.user_id,
                        data,
                        message_id=message_id,
                        text=call.params.get("text", ""),
                        markup=call.markup,
                    )
                    response = self.post(update)
                    assert response.status_code == 200
                    return response
        raise AssertionError(f"No button {label!r} among {[c.buttons() for c in self.messages()]}")

    def agree(self):
        """Agree to the consent the bot is showing (before the questionnaire or a check-in)."""
        return self.press("✅ Согласен")

    def buttons(self) -> list[str]:
        return [text for text, _ in self.messages()[-1].buttons()]

    def link(self, label: str) -> str:
        for call in reversed(self.messages()):
            for text, data in call.buttons():
                if text.startswith(label):
                    return data
        raise AssertionError(f"No link {label!r}")

    @staticmethod
    def _message_id(call) -> int:
        return call.result["message_id"]
