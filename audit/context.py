"""Where the current staff write comes from: the request's address and path, request-scoped.

Services take an `actor` but never the request; `audit_record` reads the address from here, so any
service called from a view records it without threading the request through every signature. The
middleware sets it per request (a ContextVar: safe under threads and async); outside a request
(Celery, management commands) it is empty.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest

from config.ip import client_ip


@dataclass(frozen=True)
class RequestOrigin:
    ip: str | None = None
    path: str = ""


NO_ORIGIN = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("audit_origin", default=None)


def current_origin() -> RequestOrigin:
    return _origin.get() or NO_ORIGIN


def origin_from_request(request: HttpRequest) -> RequestOrigin:
    return RequestOrigin(ip=client_ip(request), path=request.path[:255])


@contextmanager
def origin_set(origin: RequestOrigin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


class AuditOriginMiddleware:
    """Makes the request's address available to `audit_record` for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        with origin_set(origin_from_request(request)):
            return self.get_response(request)
