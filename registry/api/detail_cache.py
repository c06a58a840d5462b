"""The API's detail representations, kept under the registry's version.

A resource's detail is read from many rows (names, listings, relations, uses) and costs tens of
milliseconds to build. It changes only when the registry does, or with the request's base URL
(links are absolute), language or day (answers that depend on the date); query parameters do
not change it. It is kept under all of those, so an entry can never be served after a write:
the next read asks under the new version (`Change.objects.version()`, read in the request's own
snapshot) and builds it again. Entries of older versions are never read again and leave with
the store's expiry or culling.

The store is the `representations` cache (settings.CACHES): Redis in production, shared by
every worker; in memory, per process, on the embedded default.
"""

import hashlib
import json

from django.core.cache import caches
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from registry.models import Change

ALIAS = "representations"


def key(request, resource: str, version: str) -> str:
    parts = (
        resource,
        request.path,
        request.build_absolute_uri("/"),
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        version,
    )
    return "detail:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def get_or_build(request, resource: str, build) -> tuple[dict, int]:
    """The detail for this request, from the store if built under the same key, else `build()`,
    and the feed position it reflects (read with the version, in the request's snapshot)."""
    store = caches[ALIAS]
    seq, version = Change.objects.position()
    name = key(request, resource, version)
    data = store.get(name)
    if data is None:
        # Kept as the JSON types it is written as: no model instance or lazy text rides along
        # (unpickling those costs more than building some details).
        data = json.loads(JSONRenderer().render(build()))
        store.set(name, data)
    return data, seq


def clear() -> None:
    caches[ALIAS].clear()
