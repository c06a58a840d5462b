"""The detail representations a worker has built lately, kept by the registry's version.

A resource's detail is read from many rows (names, listings, relations, uses) and costs tens of
milliseconds to build; it changes only when the registry does, or with the request's base URL
(links are absolute), language or day (answers that depend on the date). It is kept here under
all of those, so an entry can never be served after a write: the next read asks under the new
version and builds it again (`Change.objects.version()`, read in the request's own snapshot).
Old entries are never read again and leave as the cache fills (least recently used first).

Per process and bounded, so junk query strings cannot grow it, and nothing needs clearing.
"""

import threading
from collections import OrderedDict

from django.utils import timezone, translation

from registry.models import Change

MAX_ENTRIES = 512
"""Details kept per worker process: about 30 KB each as Python objects (15 MB in all)."""


class DetailCache:
    def __init__(self, entries: int = MAX_ENTRIES) -> None:
        self.entries = entries
        self._kept: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, request, resource: str) -> tuple:
        return (
            resource,
            request.get_full_path(),
            request.build_absolute_uri("/"),
            translation.get_language(),
            timezone.localdate().isoformat(),
            Change.objects.version(),
        )

    def get_or_build(self, key: tuple, build):
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        data = build()
        with self._lock:
            self._kept[key] = data
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
        return data

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


details = DetailCache()
