"""The registry's absolute targets, measured on the real data and at scale.

    .venv/bin/python bench/bench_targets.py [--substances 100000] [--seconds 10]
    .venv/bin/python bench/bench_targets.py --postgres postgres://USER@HOST --substances 1000000

On SQLite (the default) the databases are files in the temp folder; with --postgres they are
databases on that server (registry_bench_0 and registry_bench_N), built once and reused.

Serves each database with gunicorn (2 workers, no response cache) on loopback, with Redis as
deployed when it answers (the throttles, the kept rankings and representations, and what
`manage.py warm_pages` made ahead, as at release: docs/deployment.md), and measures,
one request at a time unless said otherwise, so that the latency is the server's time plus a
loopback round trip:

- search p95: the API's `?q=` (target < 20 ms on SQLite, < 50 ms on PostgreSQL) and the public
  search page (< 40 ms on SQLite, < 60 ms on PostgreSQL), for a mix of names;
- substance page (target < 100 ms): the public page and the API detail;
- the change feed's page time (target: independent of the feed's length), compared between the
  real data's feed and the large one's, at its start, middle and end;
- the export of the real data (target < 1 s), the whole NDJSON body;
- catching up 10,000 changes (target < 2 s): a client following `next` with limit=1000;
- a worker's memory after load (target < 150 MB): RSS of each gunicorn worker after a load run
  of the mix above with 16 connections; then the same for two new workers on the cache the
  first ones filled, as after a recycle.
"""

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _serve

QUERIES = [
    "fentanyl",
    "芬太尼",
    "ketamine",
    "carfentanil",
    "5F-ADB",
    "methamphetamine",
    "pentedrone",
    "4-fluoro",
    "卡西酮",
    "nitazene",
    "fentanil",
    "zzqx",
]


def uids(url: str, n: int = 60) -> list[str]:
    """Half real, half synthetic substances, at random."""
    real = _serve.query(
        url,
        "SELECT uid FROM substances_substance WHERE uid NOT LIKE 'syn-%%' ORDER BY random() "
        "LIMIT %s",
        n // 2,
    )
    synthetic = _serve.query(
        url,
        "SELECT uid FROM substances_substance WHERE uid LIKE 'syn-%%' ORDER BY random() LIMIT %s",
        n - len(real),
    )
    return [row[0] for row in real + synthetic]


def head(url: str) -> int:
    return _serve.query(url, "SELECT MAX(seq) FROM registry_change")[0][0]


def summary(name: str, times: list[float], target: float | None = None) -> str:
    p50, p95 = _serve.percentile(times, 50), _serve.percentile(times, 95)
    verdict = ""
    if target is not None:
        verdict = f"  target p95 < {target:.0f} ms: {'met' if p95 < target else 'NOT MET'}"
    return f"  {name:38} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (n={len(times)}){verdict}"


def measure(label: str, url: str, *, seconds: int, export: bool) -> dict:
    import httpx

    env = _serve.django_env(url, **_serve.deployed_cache())
    _serve.collectstatic(env)
    sample = uids(url)
    last = head(url)
    print(f"\n== {label}: {last:,} changes in the feed")
    if env.get("REDIS_URL"):
        # As a release does (docs/deployment.md): what the pages derive with RDKit, made ahead.
        started = time.perf_counter()
        _serve.manage("warm_pages", "-v0", env=env)
        took = time.perf_counter() - started
        print(f"  {'manage.py warm_pages (the release step)':38} {took:7.1f} s")
    figures = {}
    with _serve.gunicorn_registry(env, workers=2, port=_serve.free_port()) as (base, process):
        api_search = [f"/api/v1/substances/?q={quote(q)}" for q in QUERIES]
        web_search = [f"/search/?q={quote(q)}" for q in QUERIES]
        pages = [f"/substances/{uid}/" for uid in sample]
        details = [f"/api/v1/substances/{uid}/" for uid in sample]
        for name, paths, target in (
            ("search, API ?q=", api_search, 50 if url.startswith("postgres") else 20),
            ("search, public page", web_search, 60 if url.startswith("postgres") else 40),
            ("substance page", pages, 100),
            ("substance, API detail", details, 100),
        ):
            times = _serve.timed_requests(base, paths, rounds=5)
            figures[name] = times
            print(summary(name, times, target))
        feed = []
        for after in (0, last // 2, max(0, last - 100)):
            times = _serve.timed_requests(base, [f"/api/v1/changes/?after={after}"], rounds=20)
            feed.extend(times)
            print(summary(f"feed page ?after={after}", times))
        figures["feed"] = feed
        times = _serve.timed_requests(base, ["/changes/"], rounds=20)
        print(summary("public changes page 1", times))
        if export:
            with httpx.Client(base_url=base, timeout=60) as http:
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    with http.stream("GET", "/api/v1/export/") as response:
                        size = sum(len(chunk) for chunk in response.iter_bytes())
                    runs.append((time.perf_counter() - started) * 1e3)
            figures["export"] = runs
            print(
                f"  {'export (whole NDJSON body)':38} best {min(runs):7.0f} ms  worst "
                f"{max(runs):7.0f} ms  ({size / 1e6:.1f} MB)  target < 1000 ms: "
                f"{'met' if max(runs) < 1000 else 'NOT MET'}"
            )
        if last > 10_000:
            with httpx.Client(base_url=base, timeout=60) as http:
                started = time.perf_counter()
                url, applied = f"/api/v1/changes/?after={last - 10_000}&limit=1000", 0
                while url:
                    page = http.get(url).json()
                    applied += len(page["results"])
                    url = page["next"]
                elapsed = (time.perf_counter() - started) * 1e3
            figures["catch_up"] = elapsed
            print(
                f"  {'catching up ' + format(applied, ',') + ' changes':38} {elapsed:7.0f} ms  "
                f"target < 2000 ms: {'met' if elapsed < 2000 else 'NOT MET'}"
            )
        mix = api_search + web_search + pages[:20] + details[:20]
        figures["rss"] = load_and_memory(
            base, process, mix, seconds, "load, the mix above, 16 connections", "after load"
        )
    if env.get("REDIS_URL"):
        # New workers on the cache the first ones filled, as a worker recycled after its
        # max_requests starts: what the registry derived with RDKit (class verdicts, drawings)
        # is read back, so a worker imports RDKit only if it derives something new.
        with _serve.gunicorn_registry(env, workers=2, port=_serve.free_port()) as (base, process):
            figures["rss_recycled"] = load_and_memory(
                base, process, mix, seconds, "the mix again, new workers", "new workers, cache kept"
            )
    return figures


def load_and_memory(base, process, mix, seconds: int, load_label: str, rss_label: str) -> list:
    """The mix under load with 16 connections, then each worker's RSS, printed and returned."""
    result = _serve.load(base, mix, seconds=seconds, connections=16)
    print(f"  {load_label:38} {result.line()}")
    rss = _serve.worker_rss_mb(process)
    print(
        f"  {'worker RSS, ' + rss_label:38} "
        + ", ".join(f"{mb:.0f} MB" for mb in rss)
        + f"  target < 150 MB: {'met' if max(rss) < 150 else 'NOT MET'}"
    )
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substances", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (postgres://user@host:port) to measure instead of SQLite",
    )
    args = parser.parse_args()
    if args.postgres:
        real = _serve.postgres_database(args.postgres, 0)
        large = _serve.postgres_database(args.postgres, args.substances)
    else:
        real = f"sqlite:///{_serve.sqlite_database(0)}"
        large = f"sqlite:///{_serve.sqlite_database(args.substances)}"
    small = measure("the real data", real, seconds=args.seconds, export=True)
    big = measure(
        f"the real data + {args.substances:,} synthetic substances",
        large,
        seconds=args.seconds,
        export=False,
    )
    ratio = _serve.percentile(big["feed"], 50) / _serve.percentile(small["feed"], 50)
    print(
        f"\nfeed page p50, large feed / small feed: {ratio:.2f}x "
        "(about 1 means independent of the feed's length)"
    )


if __name__ == "__main__":
    main()
