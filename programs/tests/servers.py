"""A tiny HTTP server on 127.0.0.1 for tests: Google Sheets, CSV exports, an OpenAI-compatible API."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes):
        parsed = urlparse(handler.path)
        self.method = handler.command
        self.path = parsed.path
        self.query = parse_qs(parsed.query)
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.body = body

    def json(self):
        return json.loads(self.body or b"{}")


# A route answers (status, content type, body bytes).
Route = Callable[[Request], tuple[int, str, bytes]]


class LocalServer:
    def __init__(self):
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self, self.rfile.read(length) if length else b"")
                server.requests.append(request)
                route = server.routes.get((request.method, request.path))
                if route is None:
                    status, kind, body = 404, "text/plain", b"not found"
                else:
                    status, kind, body = route(request)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, method: str, path: str, handler: Route) -> None:
        self.routes[(method, path)] = handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def json_response(data, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(data, ensure_ascii=False).encode()
