"""A local stand-in for YooKassa's API v3 that the real `yookassa` SDK talks to over HTTP.

It keeps payments and refunds in memory, records every Idempotence-Key it receives, answers a
repeated key with the object it first created (as YooKassa does), and can misbehave on purpose:
`timeout_next` creates the payment but answers too late (the client gives up), `down` answers 500.
"""

import json
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeYooKassa:
    def __init__(self):
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.by_key: dict[str, dict] = {}
        self.keys: list[str] = []  # Idempotence-Key of every POST, in order
        self.requests: list[tuple[str, str]] = []
        self.timeout_next = 0.0  # seconds to stall the next POST /payments after creating it
        self.down = False
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}/v3"

    def start(self) -> "FakeYooKassa":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def set_status(self, payment_id: str, status: str) -> None:
        with self.lock:
            self.payments[payment_id]["status"] = status
            self.payments[payment_id]["paid"] = status == "succeeded"

    def _create_payment(self, body: dict) -> dict:
        payment_id = str(uuid.uuid4())
        return {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "test": True,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "recipient": {"account_id": "1", "gateway_id": "1"},
            "created_at": "2026-01-01T10:00:00.000Z",
            "refundable": False,
            "confirmation": {
                "type": "redirect",
                "confirmation_url": f"https://yoomoney.example/checkout?orderId={payment_id}",
                "return_url": body.get("confirmation", {}).get("return_url", ""),
            },
            "_request": body,
        }

    def _create_refund(self, body: dict) -> dict:
        payment = self.payments.get(body.get("payment_id", ""))
        if payment is None or payment["status"] != "succeeded":
            return None
        refund = {
            "id": str(uuid.uuid4()),
            "payment_id": payment["id"],
            "status": "succeeded",
            "amount": body["amount"],
            "created_at": "2026-01-01T11:00:00.000Z",
        }
        return refund

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(
                    {k: v for k, v in payload.items() if not k.startswith("_")}
                ).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _error(self, status: int) -> None:
                self._send(
                    status, {"type": "error", "id": "x", "code": "error", "description": "fake"}
                )

            def do_GET(self):
                fake.requests.append(("GET", self.path))
                if fake.down:
                    return self._error(500)
                parts = self.path.strip("/").split("/")
                if len(parts) == 3 and parts[1] == "payments" and parts[2] in fake.payments:
                    return self._send(200, fake.payments[parts[2]])
                if len(parts) == 3 and parts[1] == "refunds" and parts[2] in fake.refunds:
                    return self._send(200, fake.refunds[parts[2]])
                return self._error(404)

            def do_POST(self):
                fake.requests.append(("POST", self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self.headers.get("Idempotence-Key", "")
                fake.keys.append(key)
                if fake.down:
                    return self._error(500)
                with fake.lock:
                    found = fake.by_key.get(key)
                    if found is None:
                        if self.path.endswith("/payments"):
                            found = fake._create_payment(body)
                            fake.payments[found["id"]] = found
                        elif self.path.endswith("/refunds"):
                            found = fake._create_refund(body)
                            if found is None:
                                return self._error(400)
                            fake.refunds[found["id"]] = found
                            payment = fake.payments[found["payment_id"]]
                            refunded = sum(
                                Decimal(r["amount"]["value"])
                                for r in fake.refunds.values()
                                if r["payment_id"] == payment["id"]
                            )
                            if refunded >= Decimal(payment["amount"]["value"]):
                                payment["status"] = "succeeded"  # YooKassa keeps it succeeded
                        else:
                            return self._error(404)
                        fake.by_key[key] = found
                    stall, fake.timeout_next = fake.timeout_next, 0.0
                if stall:
                    time.sleep(stall)
                return self._send(200, found)

        return Handler


def notification(event: str, object_id: str, **extra) -> dict:
    """A notification body as YooKassa sends it (only the id in it is ever trusted)."""
    kind = "refund" if event.startswith("refund.") else "payment"
    obj = {
        "id": object_id,
        "status": event.split(".", 1)[1],
        "paid": event == "payment.succeeded",
        "amount": {"value": "1.00", "currency": "RUB"},
        "created_at": "2026-01-01T10:00:00.000Z",
        "metadata": {},
        **extra,
    }
    if kind == "refund":
        obj["payment_id"] = extra.get("payment_id", "")
    return {"type": "notification", "event": event, "object": obj}
