"""The API's throttles on Redis, as deployed: the sliding log kept in one round trip.

A redis-server of the module's own, on a Unix socket in a temporary folder (no port to collide
with another run), stands behind the default cache. Counts are exact under concurrent requests
(DRF's read-then-write way loses some), a refused request is not counted, Retry-After says how
long until the window has room, and an anonymous reader is counted once. A busy client's
requests are let through on leases of a few entries of its log, never more than its rate.
"""

import shutil
import subprocess
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from registry.api import throttling
from tests.api.test_http import (
    test_the_export_has_its_own_stricter_rate as export_rate,
)
from tests.api.test_http import (
    test_token_clients_are_counted_per_account as counted_per_account,
)

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


@pytest.fixture(scope="module")
def redis_socket(tmp_path_factory):
    folder = tmp_path_factory.mktemp("redis")
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--save",
            "",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.05)
        else:
            pytest.fail("redis-server did not open its socket")
        yield socket
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def on_redis(redis_socket):
    caches = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"unix://{redis_socket}",
            "KEY_PREFIX": "throttle-test",
        },
    }
    with override_settings(CACHES=caches):
        cache.clear()
        yield
        cache.clear()


def _rates(**rates):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    )


def test_the_redis_log_is_used(on_redis):
    assert throttling._redis_of(cache) is not None


def test_an_anonymous_reader_is_refused_past_the_rate_with_retry_after(on_redis, anon, registry):
    with _rates(anon="3/minute", user="1000/minute"):
        for _ in range(3):
            assert anon.get("/api/v1/substances/").status_code == 200
        refused = anon.get("/api/v1/substances/")
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 60
        # Refused requests are not counted: the log still holds three.
        assert anon.get("/api/v1/substances/").status_code == 429
        assert len(cache.client.get_client().keys("*")) == 1
        (key,) = cache.client.get_client().keys("*")
        assert cache.client.get_client().zcard(key) == 3
        # Another client is counted apart.
        assert anon.get("/api/v1/substances/", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_an_anonymous_reader_is_counted_once_not_also_as_an_account(on_redis, anon, registry):
    with _rates(anon="5/minute", user="1/minute"):
        assert all(anon.get("/api/v1/jurisdictions/").status_code == 200 for _ in range(5))


def test_accounts_are_counted_per_account(db, on_redis, curator, reader_token, registry):
    counted_per_account(curator, reader_token, registry)


def test_the_export_keeps_its_own_scope_and_rate(on_redis, anon, registry):
    export_rate(anon, registry)


def _read_at_once(threads: int, requests: int) -> list[int]:
    """The statuses of `requests` reads by each of `threads` clients, started together."""
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def reader():
        client = APIClient()
        start.wait()
        try:
            for _ in range(requests):
                status = client.get("/api/v1/jurisdictions/").status_code
                with lock:
                    statuses.append(status)
        finally:
            connection.close()  # this thread's own: the test database is dropped after

    running = [threading.Thread(target=reader) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return statuses


def test_concurrent_readers_are_counted_exactly(on_redis, transactional_db):
    # 8 threads, 40 requests against a rate of 25: exactly 25 pass. DRF's way (read the log,
    # write it back) lets requests that overlap overwrite each other's entries.
    with _rates(anon="25/minute", user="1000/minute"):
        statuses = _read_at_once(8, 5)
    assert sorted(set(statuses)) == [200, 429]
    assert statuses.count(200) == 25


def test_reads_go_on_unthrottled_when_redis_does_not_answer(tmp_path, anon, registry, caplog):
    # As deployed, the cache ignores Redis errors (IGNORE_EXCEPTIONS): a Redis outage must not
    # turn every API read into a 500.
    caches = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"unix://{tmp_path / 'nobody-listens.sock'}",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        },
    }
    with override_settings(CACHES=caches), _rates(anon="1/minute", user="1/minute"):
        assert throttling._redis_of(cache) is not None
        assert anon.get("/api/v1/substances/").status_code == 200
        assert anon.get("/api/v1/substances/").status_code == 200
    assert "Redis did not answer" in caplog.text


def test_the_log_is_kept_by_one_script_sent_again_if_redis_forgot_it(on_redis, anon, registry):
    redis = cache.client.get_client()
    with _rates(anon="2/minute", user="1000/minute"):
        assert anon.get("/api/v1/jurisdictions/").status_code == 200
        redis.script_flush()  # a restarted Redis knows no script
        assert anon.get("/api/v1/jurisdictions/").status_code == 200
        assert anon.get("/api/v1/jurisdictions/").status_code == 429
    (key,) = redis.keys("*")
    assert redis.zcard(key) == 2
    assert 0 < redis.ttl(key) <= 60


def _log(redis) -> list[tuple[bytes, float]]:
    (key,) = redis.keys("*")
    return redis.zrange(key, 0, -1, withscores=True)


def test_a_busy_client_is_counted_a_lease_at_a_time(on_redis, anon, registry):
    redis = cache.client.get_client()
    # 1,000 a minute: leases of 10 entries, one trip to Redis for every ten requests.
    with _rates(anon="1000/minute", user="1000/minute"):
        started = time.time()
        assert all(anon.get("/api/v1/jurisdictions/").status_code == 200 for _ in range(25))
    log = _log(redis)
    assert len(log) == 30
    # Each entry is logged at its lease's end: it leaves the window no sooner than the request
    # it let through.
    assert all(score >= started + throttling.LEASE_SECONDS for _member, score in log[1:])


def test_a_lease_ended_unused_is_given_back(on_redis, anon, registry, monkeypatch):
    monkeypatch.setattr(throttling, "LEASE_SECONDS", 0.05)
    redis = cache.client.get_client()
    with _rates(anon="1000/minute", user="1000/minute"):
        assert anon.get("/api/v1/jurisdictions/").status_code == 200
        assert len(_log(redis)) == 10
        time.sleep(0.1)
        assert anon.get("/api/v1/jurisdictions/").status_code == 200
    # The nine ended unused are out of the log; a new lease of ten is in it.
    assert len(_log(redis)) == 11


def test_leases_never_let_more_than_the_rate_through(on_redis, transactional_db):
    # 8 threads, 60 requests each, against 200 a minute (leases of two entries): at most 200
    # pass, and at most a lease's worth fewer (an entry taken and not used).
    with _rates(anon="200/minute", user="1000/minute"):
        statuses = _read_at_once(8, 60)
    assert 199 <= statuses.count(200) <= 200


def test_a_rate_of_zero_refuses_every_request(on_redis, anon, registry):
    # A scope switched off: refused with the whole window to wait, not an error.
    with _rates(anon="0/minute", user="1000/minute"):
        refused = anon.get("/api/v1/jurisdictions/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 60
