"""Hostile load against gunicorn with the production settings and config/gunicorn.py.

Two workers, as in the report: a 1,000-item worst-case anonymous check is answered within 15 s
while simple reads on the other worker are answered within 1 s each, and slow-loris connections
do not keep the server from answering. The figures are printed.

The database is the SQLite copy of the real data that the benchmarks build (production refuses
SQLite unless ALLOW_SQLITE_IN_PRODUCTION is set, as here); the cache and throttles use Redis.
"""

import concurrent.futures
import os
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.test_hostile_check import SULFUR_LATTICE_100

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _serve  # noqa: E402

PORT = int(os.environ.get("HOSTILE_SERVER_PORT", "0")) or None
REDIS_URL = os.environ.get("HOSTILE_REDIS_URL", "redis://127.0.0.1:6379/5")


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture(scope="module")
def served():
    path = _serve.sqlite_database(0)
    env = _serve.django_env(
        f"sqlite:///{path}",
        DJANGO_SETTINGS_MODULE="config.settings_production",
        ALLOW_SQLITE_IN_PRODUCTION="1",
        REDIS_URL=REDIS_URL,
        SECURE_SSL_REDIRECT="0",
        RESPONSE_CACHE_SECONDS="0",
        ALLOWED_HOSTS="127.0.0.1",
    )
    for name in ("API_ANON_RATE", "API_USER_RATE", "API_EXPORT_RATE"):
        env.pop(name, None)  # the production throttles as they are
    _serve.collectstatic(env)
    port = PORT or _serve.free_port()
    args = [
        str(_serve.VENV_BIN / "gunicorn"),
        "-c",
        "config/gunicorn.py",
        f"--bind=127.0.0.1:{port}",
        "--workers=2",
        "--log-level=warning",
        "config.wsgi",
    ]
    with _serve.server(args, env=env, probe="/health/", port=port) as (base, process):
        yield base, process


def _timed_get(base: str, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = httpx.get(base + path, timeout=30)
    return response.status_code, time.perf_counter() - started


def test_a_worst_case_check_is_answered_in_time_and_reads_go_on(served):
    base, process = served
    # Every worker has read the registry once: reads side by side, since one after another
    # could all go to the worker that wakes first, and the other's first read (its caches
    # filled then, 0.5-0.7 s) counted as a read slowed by the check.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: _timed_get(base, "/api/v1/substances/fentanyl/"), range(32)))
    outcome = {}

    def check():
        started = time.perf_counter()
        response = httpx.post(
            base + "/api/v1/check/", json={"items": [SULFUR_LATTICE_100] * 1000}, timeout=60
        )
        outcome["status"] = response.status_code
        outcome["seconds"] = time.perf_counter() - started
        if response.status_code == 200:
            statuses = [r["status"] for r in response.json()["results"]]
            outcome["statuses"] = {s: statuses.count(s) for s in set(statuses)}

    worker = threading.Thread(target=check)
    worker.start()
    time.sleep(0.5)  # the check has started on one worker
    reads = []
    while worker.is_alive():
        reads.append(_timed_get(base, "/api/v1/substances/fentanyl/"))
        time.sleep(0.1)
    worker.join()
    slowest = max(seconds for _status, seconds in reads)
    figures = (
        f"1,000-item worst-case check: HTTP {outcome['status']} in {outcome['seconds']:.1f} s; "
        f"{len(reads)} reads meanwhile, slowest {slowest * 1000:.0f} ms; "
        f"verdicts {outcome.get('statuses')}"
    )
    print("\n" + figures)  # shown with -s; in the message of any assertion that fails
    assert 200 <= outcome["status"] < 500, figures
    assert outcome["seconds"] < 15, figures
    assert reads and all(status == 200 for status, _ in reads), figures
    assert slowest < 1.0, figures
    assert process.poll() is None


def _slow_loris(base: str, stop: threading.Event) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(1):
            try:
                sock.sendall(b"X-a: b\r\n")  # one more header a second, never the end
            except OSError:
                return


def test_slow_clients_do_not_hold_the_workers(served):
    base, process = served
    stop = threading.Event()
    lorises = [threading.Thread(target=_slow_loris, args=(base, stop)) for _ in range(4)]
    for loris in lorises:
        loris.start()
    try:
        time.sleep(2)  # the slow connections have been accepted and are trickling
        timings = [_timed_get(base, "/api/v1/substances/fentanyl/") for _ in range(10)]
    finally:
        stop.set()
        for loris in lorises:
            loris.join()
    slowest = max(seconds for _status, seconds in timings)
    print(f"\nwith 4 slow-loris connections open: 10 reads, slowest {slowest * 1000:.0f} ms")
    assert all(status == 200 for status, _ in timings)
    assert slowest < 1.0
    assert process.poll() is None


def test_connections_are_kept_alive_and_closed_after_their_share(served):
    """One connection carries a client's requests (config/gunicorn.py: twice the threads), and
    the answer to its 100th closes it, so that a client's connections spread over the workers."""
    base, _process = served
    host, port = base.removeprefix("http://").split(":")
    answers = []
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        stream = sock.makefile("rb")
        for _ in range(100):
            sock.sendall(b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            stream.read(int(headers["content-length"]))
            answers.append((status.split()[1], headers.get("connection")))
        assert stream.read() == b""  # the server closed it
    assert answers[:99] == [(b"200", "keep-alive")] * 99
    assert answers[99] == (b"200", "close")
