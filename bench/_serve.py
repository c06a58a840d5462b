"""What the HTTP benchmarks share: scratch databases, servers on loopback, a load generator.

Servers are started on 127.0.0.1 on a free port and stopped at the end (a context manager
owns each process). The load generator is wrk when it is installed (`apt-get install wrk`),
else a bounded Python client (threads + httpx); every figure printed says which one measured it.
Every run is bounded in time and in requests.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SCRATCH = Path(tempfile.gettempdir())
BENCH_SECRET = "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef"


# --- databases ------------------------------------------------------------------------------


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def deployed_cache(db: int = 14) -> dict[str, str]:
    """The registry's cache as deployed (docs/deployment.md): Redis, emptied first, holding the
    throttles' counts, the kept rankings and the API's detail representations, shared by the
    workers. Without a Redis answering, nothing: the workers keep their own in-process caches,
    which also count in their memory."""
    ping = subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip()
    if ping != "PONG":
        print("Redis is not answering: the registry runs on its in-process caches")
        return {}
    subprocess.run(["redis-cli", "-n", str(db), "flushdb"], capture_output=True, check=True)
    return {"REDIS_URL": f"redis://127.0.0.1:6379/{db}"}


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=BENCH_SECRET,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="0",
        # The benchmark is one client on loopback: throttles would measure the throttle.
        API_ANON_RATE="100000000/minute",
        API_USER_RATE="100000000/minute",
        API_EXPORT_RATE="100000/minute",
        RESPONSE_CACHE_SECONDS="0",
        LOG_LEVEL="ERROR",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def fill(url: str, name: str, substances: int, *, quiet: bool) -> None:
    """Migrate an empty database, load the real data, then add synthetic substances."""
    env = django_env(url)
    print(f"building {name} (real data + {substances:,} synthetic substances) ...")
    manage("migrate", "--no-input", "-v0", env=env)
    manage("load_registry", "-v0", env=env)
    if substances:
        verbosity = ["-v0"] if quiet else []
        manage(
            "generate_synthetic",
            f"--substances={substances}",
            "--i-know-this-is-not-production",
            *verbosity,
            env=env,
        )


def source_fingerprint() -> str:
    """A short digest of what decides a built database: the migrations, the fixtures, the loader."""
    digest = hashlib.sha256()
    files = sorted(
        [*ROOT.glob("*/migrations/*.py"), *ROOT.glob("fixtures/**/*"), ROOT / "registry/loading.py"]
    )
    for file in files:
        if file.is_file():
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def sqlite_database(substances: int) -> Path:
    """A SQLite file holding the real data plus `substances` synthetic ones, built once.

    The file is named after the migrations and fixtures that built it, so a checkout with other
    migrations or other data builds its own instead of reusing one it cannot migrate or whose
    data it does not hold.
    """
    path = SCRATCH / f"registry-bench-{substances}-{source_fingerprint()}.sqlite3"
    if path.exists():
        return path
    # Two processes may want it at once (test modules on two workers): one builds, the other
    # waits for the lock and then finds it built.
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        building = path.with_suffix(".building")
        for leftover in SCRATCH.glob(f"{building.name}*"):
            leftover.unlink()
        started = time.perf_counter()
        fill(f"sqlite:///{building}", path.name, substances, quiet=True)
        with contextlib.closing(sqlite3.connect(building)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("ANALYZE")
        building.rename(path)
        print(f"  built in {time.perf_counter() - started:.0f} s")
    return path


def postgres_database(server: str, substances: int) -> str:
    """A PostgreSQL database on `server` with the real data plus `substances` synthetic ones.

    Built once as registry_bench_N (under another name until complete) and reused.
    """
    import psycopg

    server = server.rstrip("/")
    name = f"registry_bench_{substances}"
    url = f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        names = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
        if name in names:
            manage("migrate", "--no-input", "-v0", env=django_env(url))
            return url
        building = f"{name}_building"
        admin.execute(f'DROP DATABASE IF EXISTS "{building}"')
        admin.execute(f'CREATE DATABASE "{building}"')
    started = time.perf_counter()
    fill(f"{server}/{building}", name, substances, quiet=False)  # a million: show progress
    with psycopg.connect(f"{server}/{building}", autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    print(f"  built in {time.perf_counter() - started:.0f} s")
    return url


def query(url: str, sql: str, *params) -> list[tuple]:
    """Rows of one query on a sqlite:/// or postgres:// database (%s placeholders)."""
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql.replace("%%", "%").replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(sql, params).fetchall()


def collectstatic(env: dict[str, str]) -> None:
    # One at a time: two runs writing the same static root at once trip over each other's files.
    with open(SCRATCH / "registry-bench-collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manage("collectstatic", "--no-input", "-v0", env=env)


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def server(args: list[str], *, env: dict[str, str], probe: str, port: int):
    """Run a server process on loopback until the block ends; yield its base URL."""
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - outlives this statement, closed below
        prefix="bench-server-", suffix=".log", delete=False
    )
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + probe)
        yield base, process
    except Exception:
        log.flush()
        print(Path(log.name).read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def gunicorn_registry(env: dict[str, str], *, workers: int, port: int):
    args = [
        str(VENV_BIN / "gunicorn"),
        # As deployed (config/gunicorn.py: threaded workers, connections kept alive), with the
        # worker count and the address of the run.
        "--config=config/gunicorn.py",
        "config.wsgi",
        f"--workers={workers}",
        f"--bind=127.0.0.1:{port}",
        "--timeout=60",
        "--log-level=warning",
    ]
    return server(args, env=env, probe="/health/", port=port)


def worker_rss_mb(process: subprocess.Popen) -> list[float]:
    """Resident memory of each gunicorn worker (the children of the master), in MB."""
    import psutil

    master = psutil.Process(process.pid)
    return [child.memory_info().rss / 2**20 for child in master.children()]


def workers_cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user and system) spent so far by a server's workers: those alive, and those
    the master has already replaced and reaped (gunicorn recycles workers)."""
    import psutil

    master = psutil.Process(process.pid)
    reaped = master.cpu_times()
    total = reaped.children_user + reaped.children_system
    for child in master.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            times = child.cpu_times()
            total += times.user + times.system
    return total


# --- load -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.rps:8.0f} req/s  p50 {self.p50_ms:6.1f} ms  p95 {self.p95_ms:6.1f} ms  "
            f"p99 {self.p99_ms:6.1f} ms  errors {self.errors}  ({self.requests} requests, "
            f"{self.tool})"
        )


_LUA = """
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load(base: str, paths: list[str], *, seconds: int = 10, connections: int = 16) -> LoadResult:
    """Requests rotating through `paths` for `seconds` from `connections` clients."""
    if shutil.which("wrk"):
        return _wrk(base, paths, seconds=seconds, connections=connections)
    return _python_load(base, paths, seconds=seconds, connections=connections)


def _wrk(base: str, paths: list[str], *, seconds: int, connections: int) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % ", ".join(_lua_string(p) for p in paths))
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout=30s",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk said: {out}")
    requests, micros, errors, p50, p95, p99 = (int(g) for g in match.groups())
    return LoadResult("wrk", requests, micros / 1e6, errors, p50 / 1e3, p95 / 1e3, p99 / 1e3)


def _python_load(base: str, paths: list[str], *, seconds: int, connections: int) -> LoadResult:
    import httpx

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    cap = 200_000  # requests at most, whatever the speed

    def client(offset: int) -> None:
        mine: list[float] = []
        failed = 0
        with httpx.Client(base_url=base, timeout=10) as http:
            i = offset
            while time.monotonic() < deadline and len(mine) < cap // connections:
                started = time.perf_counter()
                try:
                    ok = http.get(paths[i % len(paths)]).status_code < 400
                except httpx.HTTPError:
                    ok = False
                mine.append(time.perf_counter() - started)
                failed += not ok
                i += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return LoadResult(
        "python-httpx", len(latencies), elapsed, errors[0], q[49] * 1e3, q[94] * 1e3, q[98] * 1e3
    )


def timed_requests(base: str, paths: list[str], *, rounds: int = 3) -> list[float]:
    """One request at a time (no queueing): each path `rounds` times; latencies in ms."""
    import httpx

    times = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for path in paths:  # warm: the first request of a worker pays for imports and indexes
            http.get(path)
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                response = http.get(path)
                times.append((time.perf_counter() - started) * 1e3)
                if response.status_code >= 400:
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return times


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]
