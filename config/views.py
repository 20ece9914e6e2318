import hmac
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops import health

from .celery import app, healthcheck

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 3.0
WORKER_CACHE_KEY = "healthz:worker"


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return "ok"


def _check_worker() -> str:
    return healthcheck.apply_async(queue=app.conf.task_default_queue).get(
        timeout=settings.HEALTH_WORKER_TIMEOUT
    )["worker"]


def _trusted(request: HttpRequest) -> bool:
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("X-Healthz-Token", "")
    if token and given and hmac.compare_digest(token.encode(), given.encode()):
        return True
    try:
        return request.user.is_authenticated and request.user.is_staff
    except Exception:  # noqa: BLE001 - the session store (database) may be what is down
        return False


def _check_worker_shared() -> str:
    """For anonymous callers: at most one worker round trip at a time and per cache period, the
    others read its answer — so nobody can hold web workers by calling `?worker=1` in a loop."""
    cached = cache.get(WORKER_CACHE_KEY)
    if cached is None:
        if not cache.add(f"{WORKER_CACHE_KEY}:lock", 1, settings.HEALTH_WORKER_TIMEOUT + 5):
            return "ok (being checked by another request)"
        try:
            try:
                cached = ("ok", _check_worker())
            except Exception as exc:  # noqa: BLE001
                cached = ("error", f"error: {exc.__class__.__name__}")
            cache.set(WORKER_CACHE_KEY, cached, settings.HEALTH_WORKER_CACHE_SECONDS)
        finally:
            cache.delete(f"{WORKER_CACHE_KEY}:lock")
    state, text = cached
    if state != "ok":
        raise health.Unhealthy(text)
    return text


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part works, 503 naming the parts that do not.

    Database and broker; Telegram (getMe, cached), free disk, the last backup and restore drill, the
    scheduler's heartbeat and the bot's outbox backlog. `?worker=1` also round-trips a Celery task
    (live for staff or a caller with X-Healthz-Token; shared and cached for anyone else)."""
    checks = {"database": _check_database, "broker": _check_broker, **health.CHECKS}
    if request.GET.get("worker") == "1":
        checks["worker"] = _check_worker if _trusted(request) else _check_worker_shared
    result, healthy = {}, True
    for name, check in checks.items():
        try:
            result[name] = check()
        except health.Unhealthy as exc:
            logger.warning("healthz: %s: %s", name, exc)
            result[name] = f"error: {exc}"
            healthy = False
        except Exception as exc:  # noqa: BLE001 - any failure means "down", and is named
            logger.warning("healthz: %s is down: %s", name, exc)
            result[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    result["status"] = "ok" if healthy else "error"
    response = JsonResponse(result, status=200 if healthy else 503)
    # The failing parts were logged above as warnings; Django's own "Service Unavailable" error line
    # would page the staff chat on every probe of a load balancer.
    response._has_been_logged = True
    return response
