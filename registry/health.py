"""GET /health/: whether this server can answer, for load balancers and monitoring.

It asks each database (the primary, and the replica when one is configured) for `SELECT 1` and
makes a round trip through the cache. 200 with `"status": "ok"` when every one answers, 503
otherwise, always as JSON and never cached. Failures are named by their exception class only:
the endpoint is public, and connection errors can carry host names and user names.
"""

import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure is a 503 with its kind, never a 500
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database(alias: str):
    def check() -> None:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception:
            # A connection broken by a database restart is dropped, so the next request (and
            # this worker's next check) opens a fresh one instead of failing again.
            connection.close_if_unusable_or_obsolete()
            connection.close()
            raise

    return check


def _cache() -> None:
    probe = secrets.token_hex(4)
    cache.set("registry:health", probe, 30)
    if cache.get("registry:health") != probe:
        raise ConnectionError("the cache did not return what was stored")


@never_cache
@require_GET
def health(request):
    checks = {
        "database" if alias == "default" else f"database_{alias}": _timed(_database(alias))
        for alias in settings.DATABASES
    }
    checks["cache"] = _timed(_cache)
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
