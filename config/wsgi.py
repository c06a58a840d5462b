"""WSGI entry point (gunicorn config.wsgi).

The application is wrapped (`FreezeWarmHeap`) so that, once a worker has warmed up, the objects
it keeps for its whole life (modules, URL patterns, templates, serializer fields, caches) are out
of the cyclic garbage collector's sight. Each full collection otherwise walks all of them again:
at 100,000 substances a warm worker holds about 150,000 tracked objects, a full collection took
45 ms, and one came every hundred or so search pages, a pause of 40-95 ms in whichever request
set it off. Frozen after its first requests, the worker's full collections took 6-10 ms
(bench/README.md, 2026-12-05).
"""

import gc
import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

FREEZE_AFTER = frozenset({1, 10, 100, 1_000, 10_000})
"""After how many requests a worker collects and freezes its heap: the first requests import
the views and fill the caches that last; later ones add what a rarer page needs."""


class FreezeWarmHeap:
    """A WSGI application that, before the request following each count in `after`, collects
    the garbage and freezes what survives (`gc.freeze`): it stays in memory as before and is
    freed by reference counting as before, but full collections no longer examine it.

    What a freeze costs: a reference cycle alive at that moment and let go later is not
    reclaimed. A collection just before each freeze leaves only what is still in use, and there
    are five freezes in a worker's life (gunicorn replaces it after max_requests).
    """

    def __init__(self, app, after=FREEZE_AFTER):
        self.app = app
        self.after = frozenset(after)
        self.served = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            freeze = self.served in self.after
            self.served += 1
        if freeze:
            gc.collect()
            gc.freeze()
        return self.app(environ, start_response)


application = FreezeWarmHeap(get_wsgi_application())
