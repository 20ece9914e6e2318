import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app, healthcheck

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 3.0


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
    return healthcheck.apply_async(queue=app.conf.task_default_queue).get(timeout=10)["worker"]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker state for load balancers; `?worker=1` also round-trips a Celery task."""
    checks = {"database": _check_database, "broker": _check_broker}
    if request.GET.get("worker") == "1":
        checks["worker"] = _check_worker
    result, healthy = {}, True
    for name, check in checks.items():
        try:
            result[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means "down", and is named
            logger.warning("healthz: %s is down: %s", name, exc)
            result[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    result["status"] = "ok" if healthy else "error"
    return JsonResponse(result, status=200 if healthy else 503)
