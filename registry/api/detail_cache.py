"""The API's detail representations, kept under the registry's version.

A resource's detail is read from many rows (names, listings, relations, uses) and costs tens of
milliseconds to build. It changes only when the registry does, or with the request's base URL
(links are absolute), language or day (answers that depend on the date); query parameters do
not change it, except `?format=`, which its links carry. It is kept under all of those, so an
entry can never be served after a write: the next read asks under the new version
(`Change.objects.version()`, read in one statement) and builds it again, in a snapshot. Entries of
older versions are never read again and leave with the store's expiry or culling.

An entry is the detail's JSON as the API's JSON renderer writes it (`renderers.Rendered`): a
JSON answer is those bytes, with no parsing or rendering; another format (the browsable API)
parses them.

Two levels hold it:

- the `representations` cache (settings.CACHES): Redis in production, shared by every worker;
  in memory, per process, on the embedded default;
- in front of it, the most recently read entries of this worker (`NEAR_BYTES` in all), which a
  read takes without a round trip to Redis: at 100,000 substances a detail answered from Redis
  cost a worker 0.65 ms of CPU in process, 0.53 ms from here (bench/README.md, 2026-12-06, the
  later stop). Being keyed the same way, it is never read after a write either.
"""

import hashlib
import threading
from collections import OrderedDict

from django.core.cache import caches
from django.utils import timezone, translation
from rest_framework.settings import api_settings

from registry.api.renderers import JSONRenderer, Rendered
from registry.api.snapshot import read_snapshot
from registry.models import Change

ALIAS = "representations"

NEAR_BYTES = 4 * 2**20
"""The bytes of JSON a worker keeps in front of the shared store (a detail is 1-10 KB)."""


class _Near:
    """The most recently read entries, least recently read first out, up to a number of bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._entries: OrderedDict[str, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> Rendered | None:
        with self._lock:
            kept = self._entries.get(name)
            if kept is not None:
                self._entries.move_to_end(name)
            return kept

    def put(self, name: str, kept: Rendered) -> None:
        if len(kept.body) > self.limit:
            return
        with self._lock:
            old = self._entries.pop(name, None)
            self.held -= len(old.body) if old is not None else 0
            self._entries[name] = kept
            self.held += len(kept.body)
            while self.held > self.limit:
                _name, out = self._entries.popitem(last=False)
                self.held -= len(out.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.held = 0


_near = _Near(NEAR_BYTES)


def key(request, resource: str, version: str) -> str:
    # The links of a representation carry the request's `?format=` (DRF keeps it in the URLs it
    # builds): a detail read with it is another entry.
    override = api_settings.URL_FORMAT_OVERRIDE
    parts = (
        resource,
        request.path,
        request.build_absolute_uri("/"),
        request.query_params.get(override, "") if override else "",
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        version,
    )
    # "json": entries are rendered JSON; a store still holding entries of another form (the
    # JSON types kept before) never answers under these names.
    return "detail-json:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def get_or_build(request, resource: str, build) -> tuple[Rendered, int]:
    """The detail for this request, kept if built under the same key, else `build()` (its
    data), and the feed position it reflects.

    A kept detail is found under the version read with the position, in one statement; one
    built is built in a snapshot that reads them again, so that it is what the registry held
    at that position (`request.registry_seq` says which, to an error raised in `build`)."""
    seq, version = Change.objects.position()
    name = key(request, resource, version)
    kept = _near.get(name)
    if kept is None:
        store = caches[ALIAS]
        body = store.get(name)
        if not isinstance(body, bytes):
            with read_snapshot():
                seq, version = Change.objects.position()
                request.registry_seq = seq
                name = key(request, resource, version)
                body = JSONRenderer().render(build())
            store.set(name, body)
        kept = Rendered(body)
        _near.put(name, kept)
    return kept, seq


def clear() -> None:
    caches[ALIAS].clear()
    _near.clear()
