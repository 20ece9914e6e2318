"""A fake Telegram Bot API server on 127.0.0.1 for tests and the benchmark.

python-telegram-bot's real HTTP layer talks to it (TELEGRAM_API_BASE_URL). It records every call
(method, parameters, uploaded files) and answers like Telegram; `fail_next(method, status, ...)`
makes the next call of a method fail (429 with retry_after, 403 blocked, 400…). With `limits`
it enforces Telegram's sending limits itself, as Telegram does: a send over them is refused with 429
and retry_after (and counted in `refused`), not recorded as sent.
"""

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    params: dict
    files: dict = field(default_factory=dict)  # name -> (filename, bytes)
    result: object = None  # what the fake answered
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None

    @property
    def markup(self) -> dict | None:
        value = self.params.get("reply_markup")
        if isinstance(value, str):
            return json.loads(value)
        return value

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data or url) of every inline button."""
        markup = self.markup or {}
        return [
            (b["text"], b.get("callback_data") or b.get("url", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]


@dataclass
class Limits:
    """Telegram's limits with a margin for the jitter between a sender's clock and this server's:
    `rate` sends in any second overall, a private chat `per_chat`/s after a burst, a group
    `group_per_minute` in any minute."""

    rate: float = 30.0
    per_chat: float = 1.0
    burst: int = 3
    group_per_minute: float = 20.0
    margin: float = 0.1

    def __post_init__(self) -> None:
        self.window: deque[float] = deque()
        self.chats: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self.groups: dict[int, deque[float]] = {}

    def refuse(self, chat_id: int | None, now: float) -> float | None:
        """Seconds to retry after when this send is over a limit; None (and counted) otherwise."""
        while self.window and now - self.window[0] > 1.0:
            self.window.popleft()
        if len(self.window) >= self.rate * (1 + self.margin):
            return 1.0
        if chat_id is not None and chat_id < 0:
            sent = self.groups.setdefault(chat_id, deque())
            while sent and now - sent[0] > 60.0:
                sent.popleft()
            if len(sent) >= self.group_per_minute * (1 + self.margin):
                return max(1.0, 60.0 - (now - sent[0]))
            sent.append(now)
        elif chat_id is not None:
            # A token bucket: a burst (plus one for jitter), refilled at the chat's rate.
            capacity = self.burst + 1
            tokens, at = self.chats.get(chat_id, (capacity, now))
            tokens = min(capacity, tokens + (now - at) * self.per_chat * (1 + self.margin))
            if tokens < 1:
                return 1.0
            self.chats[chat_id] = (tokens - 1, now)
        self.window.append(now)
        return None


SEND_METHODS = {"sendMessage", "sendDocument", "sendPhoto"}


class FakeBotAPI:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits
        self.refused = 0  # sends refused with 429 by `limits`
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self.hangs: dict[str, int] = {}
        self.hanging = threading.Event()  # set once a call is being held
        self.released = threading.Event()
        self.updates: list[dict] = []
        self.lock = threading.RLock()  # predicates of wait_for read the calls under it
        self.condition = threading.Condition(self.lock)
        self._ids = itertools.count(1000)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeBotAPI":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    # --- test controls -----------------------------------------------------------------------------

    def fail_next(self, method: str, status: int, description: str = "", **parameters) -> None:
        body = {"ok": False, "error_code": status, "description": description or f"Error {status}"}
        if parameters:
            body["parameters"] = parameters
        with self.lock:
            self.failures.setdefault(method, []).append((status, body))

    def hang_next(self, method: str) -> None:
        """The next call of `method` is held unanswered and unrecorded — a request lost in flight
        when its sender dies — until the server stops."""
        with self.lock:
            self.hangs[method] = self.hangs.get(method, 0) + 1

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        with self.lock:
            return [
                c
                for c in self.calls
                if (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id)
            ]

    def wait_for(self, predicate, timeout: float = 20.0) -> list[Call]:
        """Block until predicate(calls) is true; returns the calls. AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate(list(self.calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"Fake Bot API: condition not met; calls: {[c.method for c in self.calls]}"
                    )
                self.condition.wait(left)
            return list(self.calls)

    # --- the server side ---------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        method = parts[-1] if parts and parts[0].startswith("bot") else ""
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params, files = self._parse(request.headers.get("Content-Type", ""), raw)
        call = Call(method=method, params=params, files=files)
        with self.lock:
            hang = self.hangs.get(method, 0) > 0
            if hang:
                self.hangs[method] -= 1
        if hang:
            self.hanging.set()
            self.released.wait()
            return
        with self.condition:
            failure = self.failures.get(method, [])
            failed = failure.pop(0) if failure else None
            if failed is None and self.limits is not None and method in SEND_METHODS:
                retry_after = self.limits.refuse(call.chat_id, call.at)
                if retry_after is not None:  # refused, as Telegram does: not a sent message
                    self.refused += 1
                    seconds = round(retry_after)
                    failed = (429, {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {seconds}",
                        "parameters": {"retry_after": seconds},
                    })  # fmt: skip
                    call = None
            if call is not None:
                self.calls.append(call)
            if failed is None:
                result = call.result = self._result(call)
            self.condition.notify_all()
        if failed is not None:
            status, body = failed
        else:
            status, body = 200, {"ok": True, "result": result}
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    @staticmethod
    def _parse(content_type: str, raw: bytes) -> tuple[dict, dict]:
        if not raw:
            return {}, {}
        if content_type.startswith("application/json"):
            return json.loads(raw), {}
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
            )
            params, files = {}, {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename:
                    files[name] = (filename, payload)
                else:
                    params[name] = payload.decode()
            return params, files
        return {k: v[0] for k, v in parse_qs(raw.decode()).items()}, {}

    def _message(self, call: Call, **extra) -> dict:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": call.chat_id or 0, "type": "private"},
            **extra,
        }

    def _result(self, call: Call):
        method = call.method
        if method == "getMe":
            return {
                "id": 42,
                "is_bot": True,
                "first_name": "Тренер-бот",
                "username": "trainer_test_bot",
            }
        if method == "sendMessage":
            return self._message(call, text=call.params.get("text", ""))
        if method == "editMessageText":
            return self._message(call, text=call.params.get("text", ""))
        if method == "sendDocument":
            filename = next(iter(call.files.values()), ("document", b""))[0]
            return self._message(
                call,
                document={"file_id": "F1", "file_unique_id": "U1", "file_name": filename},
            )
        if method == "sendPhoto":
            return self._message(
                call,
                caption=call.params.get("caption", ""),
                photo=[{"file_id": "P1", "file_unique_id": "PU1", "width": 4, "height": 4}],
            )
        if method == "getUpdates":
            updates, self.updates = self.updates, []
            return updates
        if method in {"answerCallbackQuery", "setWebhook", "deleteWebhook"}:
            return True
        return True
