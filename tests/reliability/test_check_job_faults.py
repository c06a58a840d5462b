"""Check jobs on real Celery workers and a real Redis broker, with faults: every record once.

A Redis server of the test's own (port 8117, append-only file, so a restart keeps its queue)
and `celery -A config worker` processes serve a scratch SQLite database. A worker is killed
with SIGKILL in the middle of a job, or Redis is restarted in the middle of one; a second
worker (or the same one, reconnected) finishes. Each case must end with the job done, every
chunk committed once, and each input record answered exactly once, bad records included.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = 8117
RECORDS = 12000
CHUNK = 200

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

_SEED = """
import datetime, django
django.setup()
from django.contrib.auth import get_user_model
from registry import services
from tests.factories import InstrumentFactory, ListingFactory, ScheduleFactory, SubstanceFactory
D = datetime.date
actor = services.Actor.system("faults")
get_user_model().objects.create_user("screener", "s@example.org", "pw")
schedule = ScheduleFactory(code="NM", name="Non-medical", name_zh="非药用类")
instrument = InstrumentFactory(jurisdiction=schedule.jurisdiction, effective_on=D(2017, 3, 1),
                               published_on=D(2017, 2, 1))
fentanyl = SubstanceFactory(uid="fentanyl", name_en="Fentanyl",
                            smiles="CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1")
ListingFactory(schedule=schedule, substance=fentanyl, listed_by=instrument,
               effective_from=D(2017, 3, 1))
fentanyls = services.define_class(actor=actor, uid="class-fentanyls", name_en="Fentanyls", rules=[
    {"label": "4-anilidopiperidine", "kind": "include",
     "smarts": "O=C-N(-c1ccccc1)-C1CCN(-[!#1])CC1"}])
ListingFactory(schedule=schedule, substance=None, substance_class=fentanyls,
               listed_by=InstrumentFactory(jurisdiction=schedule.jurisdiction,
                                           effective_on=D(2019, 5, 1)),
               effective_from=D(2019, 5, 1))
"""

_SUBMIT = """
import datetime, sys, django
django.setup()
from django.contrib.auth import get_user_model
from registry import jobs
with open(sys.argv[1], "rb") as upload:
    job = jobs.create_job(owner=get_user_model().objects.get(username="screener"), upload=upload,
                          file_name="library.smi", on=datetime.date(2024, 1, 1),
                          jurisdiction=None)
jobs.dispatch(job)
print(job.uid)
"""

_STATE = """
import json, sys, django
django.setup()
from registry import jobs
from registry.models import CheckJob, CheckJobChunk
job = CheckJob.objects.get(uid=sys.argv[1])
full = sys.argv[2] == "full"
print(json.dumps({
    "status": job.status, "done": job.done, "total": job.total, "errors": job.error_count,
    "chunks": CheckJobChunk.objects.filter(job=job).count(), "chunk_count": job.chunk_count,
    "rows": [[r["record"], r["id"], r["status"]] for r in jobs.iter_results(job)] if full else [],
}))
"""

MOLECULES = [
    "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # fentanyl: listed
    "CCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # butyrfentanyl: the class
    "CC(=O)Nc1ccc(O)cc1",  # paracetamol: not controlled
    "C1CC(N",  # unreadable: a bad record
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",  # caffeine
    "[Xx]",  # not a structure: a bad record
]


def _env(tmp: Path, **extra) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp / 'faults.sqlite3'}",
        "MEDIA_ROOT": str(tmp / "media"),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "CHECK_JOB_STALL_SECONDS": "30",
        "CHECK_JOB_CHUNK_SIZE": str(CHUNK),
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


def _python(script: str, *args: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """A redis-server of the test's own, persisting every write to its append-only file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(100):
            if _answers(REDIS_PORT):
                return
            time.sleep(0.1)
        self.stop()
        pytest.skip(f"the test's own redis-server did not answer on port {REDIS_PORT}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    if _answers(REDIS_PORT):
        pytest.skip(f"port {REDIS_PORT} is taken by another Redis")
    tmp = tmp_path_factory.mktemp("check-job-faults")
    env = _env(tmp)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    _python(_SEED, env=env)
    redis = Redis(tmp)
    redis.start()
    try:
        yield tmp, env, redis
    finally:
        redis.stop()


def _worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill(worker: subprocess.Popen) -> None:
    """SIGKILL to the worker and its pool processes: nothing gets to clean up."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def _submit(tmp: Path, env: dict, name: str) -> tuple[str, list[list]]:
    lines = [f"{MOLECULES[n % len(MOLECULES)]} {name}-{n}" for n in range(RECORDS)]
    path = tmp / f"{name}.smi"
    path.write_text("\n".join(lines) + "\n")
    expected = [[n + 1, f"{name}-{n}"] for n in range(RECORDS)]
    return _python(_SUBMIT, str(path), env=env), expected


def _state(uid: str, env: dict, full: bool = False) -> dict:
    return json.loads(_python(_STATE, uid, "full" if full else "brief", env=env))


def _progress(tmp: Path, uid: str) -> dict:
    """The job's status and committed chunks, read straight from the scratch database."""
    with sqlite3.connect(tmp / "faults.sqlite3", timeout=30) as db:
        job_id, status = db.execute(
            "SELECT id, status FROM registry_checkjob WHERE uid = ?", (uid,)
        ).fetchone()
        (chunks,) = db.execute(
            "SELECT count(*) FROM registry_checkjobchunk WHERE job_id = ?", (job_id,)
        ).fetchone()
    return {"status": status, "chunks": chunks}


def _wait(tmp: Path, uid: str, until, timeout: float) -> dict:
    """Poll until `until(state)`, or until no chunk has been committed for `timeout` seconds.

    The limit is on a stall, not on the whole job: a slow machine that keeps committing chunks
    is not a fault, a worker that stopped is.
    """
    deadline = time.monotonic() + timeout
    chunks = None
    while True:
        state = _progress(tmp, uid)
        if until(state) or time.monotonic() > deadline:
            return state
        if state["chunks"] != chunks:
            chunks, deadline = state["chunks"], time.monotonic() + timeout
        time.sleep(0.1)


def _assert_each_record_once(uid: str, env: dict, expected: list[list]) -> None:
    state = _state(uid, env, full=True)
    assert state["status"] == "done", state | {"rows": len(state["rows"])}
    assert state["done"] == state["total"] == RECORDS
    assert state["chunks"] == state["chunk_count"] == RECORDS // CHUNK
    assert [row[:2] for row in state["rows"]] == expected  # each record once, in file order
    bad = [row for row in state["rows"] if row[2] in ("invalid", "unknown")]
    assert len(bad) == state["errors"] == 2 * RECORDS // len(MOLECULES)
    assert {row[2] for row in state["rows"]} == {"controlled", "not_controlled", "unknown"}


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(scratch):
    tmp, env, _redis = scratch
    log = tmp / "worker-kill.log"
    uid, expected = _submit(tmp, env, "kill")
    first = _worker(env, log)
    try:
        state = _wait(tmp, uid, lambda s: s["chunks"] >= 3, timeout=180)
        assert state["chunks"] >= 3, log.read_text()[-3000:]
    finally:
        _kill(first)
    assert _progress(tmp, uid)["status"] == "running"
    second = _worker(env, log)
    try:
        _wait(tmp, uid, lambda s: s["status"] != "running", timeout=180)
    finally:
        _kill(second)
    _assert_each_record_once(uid, env, expected)


def test_a_redis_restart_mid_job_loses_and_duplicates_nothing(scratch):
    tmp, env, redis = scratch
    log = tmp / "worker-redis.log"
    uid, expected = _submit(tmp, env, "restart")
    worker = _worker(env, log)
    try:
        state = _wait(tmp, uid, lambda s: s["chunks"] >= 3, timeout=180)
        assert state["chunks"] >= 3, log.read_text()[-3000:]
        redis.stop()
        time.sleep(3)
        redis.start()
        _wait(tmp, uid, lambda s: s["status"] != "running", timeout=180)
    finally:
        _kill(worker)
    _assert_each_record_once(uid, env, expected)
