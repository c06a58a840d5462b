"""config/wsgi.py: a worker freezes its heap after its first requests, and answers as before."""

import gc
import io
import threading
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config import wsgi


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def _inner(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


def _get(app, path="/"):
    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    seen = {}
    body = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
    return seen["status"], body


def test_the_heap_is_frozen_after_the_counts_and_not_before(unfrozen):
    app = wsgi.FreezeWarmHeap(_inner, after={1, 3})
    frozen = []
    for n in range(5):
        assert _get(app, f"/{n}") == ("200 OK", f"/{n}".encode())
        frozen.append(gc.get_freeze_count() > 0)
        gc.unfreeze()
    # Before the second request (after one) and before the fourth (after three).
    assert frozen == [False, True, False, True, False]


def test_threads_freeze_once_per_count(unfrozen, monkeypatch):
    freezes = []
    monkeypatch.setattr(wsgi.gc, "freeze", lambda: freezes.append(1))
    app = wsgi.FreezeWarmHeap(_inner, after={10, 100})
    threads = [threading.Thread(target=lambda: [_get(app) for _ in range(25)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert app.served == 200
    assert len(freezes) == 2


@pytest.fixture
def connections_kept():
    """As Django's test client does: a request must not close the test's connection, which
    holds the test's transaction (on PostgreSQL the health check then found it closed)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_deployed_application_answers_through_the_wrapper(unfrozen, connections_kept):
    assert isinstance(wsgi.application, wsgi.FreezeWarmHeap)
    environ = {"PATH_INFO": "/health/", "HTTP_HOST": "localhost", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    seen = {}
    response = wsgi.application(environ, lambda status, headers: seen.update(status=status))
    body = b"".join(response)
    response.close()
    assert seen["status"].startswith("200"), body[:300]
