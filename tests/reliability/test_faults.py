"""PostgreSQL restarted under load: the service recovers by itself, no write is left partial.

Long and disruptive (it restarts the local PostgreSQL cluster), so it runs only with
RUN_LONG_TESTS=1 and DATABASE_URL pointing at PostgreSQL. gunicorn serves a scratch database
(`registry_faults`, created and dropped here) while readers load the API and a writer creates
substances through it; PostgreSQL is restarted mid-run. Afterwards /health/ must be back to 200
within seconds, every substance the API said it created must exist, and the change feed must be
gap-free and replay to exactly the registry (a write either happened whole or not at all).
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import long_test

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _serve  # noqa: E402

BASE_URL = os.environ.get("DATABASE_URL", "")
RECOVERY_SECONDS = 20

pytestmark = [
    long_test,
    pytest.mark.skipif(not BASE_URL.startswith("postgres"), reason="needs PostgreSQL"),
]

_CHECK_SCRIPT = """
import json, django
django.setup()
from registry.models import Change
from registry.representations import iter_all
from substances.models import Substance
copy = {}
for change in Change.objects.order_by("seq"):
    key = (change.resource_type, change.uid)
    if change.action == "deleted":
        copy.pop(key, None)
    else:
        copy[key] = change.data
now = {(t, u): d for t, u, d in iter_all()}
seqs = list(Change.objects.order_by("seq").values_list("seq", flat=True))
faults = Substance.objects.filter(uid__startswith="fault-")
print(json.dumps({
    "gap_free": seqs == list(range(1, len(seqs) + 1)),
    "replays": copy == now,
    "uids": sorted(faults.values_list("uid", flat=True)),
}))
"""

_SETUP_SCRIPT = """
import django
django.setup()
from django.contrib.auth import get_user_model
from registry import services
from registry import tokens
user = get_user_model().objects.create_superuser("faults", "f@example.org", "pw-faults-123")
print(tokens.issue(user=user, scope="write")[1])
actor = services.Actor.system("faults")
for n in range(200):
    services.create_substance(actor=actor, uid=f"seed-{n}", name_en=f"Seed substance {n}")
"""


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, timeout=60
    )


def _restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=120,
    )


def test_the_service_recovers_from_a_postgres_restart_without_partial_writes():
    import httpx

    url = BASE_URL.rsplit("/", 1)[0] + "/registry_faults"
    _psql("DROP DATABASE IF EXISTS registry_faults WITH (FORCE)")
    _psql("CREATE DATABASE registry_faults")
    env = _serve.django_env(url, CONN_MAX_AGE="60")
    try:
        _serve.manage("migrate", "--no-input", "-v0", env=env)
        _serve.collectstatic(env)
        setup = subprocess.run(
            [sys.executable, "-c", _SETUP_SCRIPT],
            cwd=_serve.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = setup.stdout.strip().splitlines()[-1]
        port = _serve.free_port()
        with _serve.gunicorn_registry(env, workers=2, port=port) as (base, _process):
            created: list[str] = []
            outcomes: dict[str, int] = {}
            stop = threading.Event()

            def writer() -> None:
                headers = {"Authorization": f"Token {token}"}
                with httpx.Client(base_url=base, timeout=10, headers=headers) as http:
                    n = 0
                    while not stop.is_set() and n < 5000:
                        uid = f"fault-{n}"
                        try:
                            response = http.post(
                                "/api/v1/substances/", json={"uid": uid, "name_en": f"F {n}"}
                            )
                            outcomes[uid] = response.status_code
                            if response.status_code == 201:
                                created.append(uid)
                        except httpx.HTTPError:
                            outcomes[uid] = 0
                        n += 1

            thread = threading.Thread(target=writer)
            thread.start()
            time.sleep(3)
            _restart_postgres()
            restarted = time.monotonic()
            recovered = None
            while time.monotonic() - restarted < RECOVERY_SECONDS:
                try:
                    if httpx.get(base + "/health/", timeout=5).status_code == 200:
                        ok = httpx.get(base + "/api/v1/substances/seed-1/", timeout=5)
                        if ok.status_code == 200:
                            recovered = time.monotonic() - restarted
                            break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            time.sleep(3)  # writes go on after the recovery
            stop.set()
            thread.join(timeout=30)
            after = _serve.load(base, ["/api/v1/substances/", "/health/"], seconds=3)
        print(f"\nrecovered in {recovered} s; writes: {len(created)} created, {len(outcomes)} sent")
        assert recovered is not None, f"not healthy {RECOVERY_SECONDS} s after the restart"
        assert after.errors == 0
        check = subprocess.run(
            [sys.executable, "-c", _CHECK_SCRIPT],
            cwd=_serve.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        import json

        state = json.loads(check.stdout.strip().splitlines()[-1])
        assert state["gap_free"]
        assert state["replays"]
        assert set(created) <= set(state["uids"])
    finally:
        _psql("DROP DATABASE IF EXISTS registry_faults WITH (FORCE)")
