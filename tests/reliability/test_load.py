"""A bounded load run on loopback against the API and the public search: zero errors.

gunicorn serves a scratch SQLite database holding the real data (built once per machine, in the
temp folder, by bench/_serve.py). In the ordinary suite the run lasts 10 s with 16 connections;
with RUN_LONG_TESTS=1, 60 s with 64 connections. wrk drives it when installed, else a bounded
Python client.
"""

import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import LONG

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _serve  # noqa: E402

SECONDS, CONNECTIONS = (60, 64) if LONG else (10, 16)
PATHS = [
    "/api/v1/substances/",
    "/api/v1/substances/?q=fentanyl",
    "/api/v1/substances/?q=%E8%8A%AC%E5%A4%AA%E5%B0%BC",
    "/api/v1/substances/fentanyl/",
    "/api/v1/listings/?in_force_on=2024-01-01",
    "/api/v1/changes/?after=100&limit=100",
    "/api/v1/stats/",
    "/search/?q=fentanyl",
    "/search/?q=5F-ADB",
    "/search/?q=%E5%8D%A1%E8%A5%BF%E9%85%AE",
    "/substances/fentanyl/",
]


@pytest.fixture(scope="module")
def served():
    path = _serve.sqlite_database(0)
    env = _serve.django_env(f"sqlite:///{path}")
    _serve.collectstatic(env)
    with _serve.gunicorn_registry(env, workers=2, port=_serve.free_port()) as (base, process):
        yield base, process


def test_a_bounded_load_run_meets_no_error(served):
    base, process = served
    result = _serve.load(base, PATHS, seconds=SECONDS, connections=CONNECTIONS)
    print(f"\nload: {result.line()}")
    assert result.errors == 0
    assert result.requests > SECONDS  # it did serve, not just fail fast
    assert process.poll() is None  # no worker or master died
