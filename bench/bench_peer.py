"""The registry against a peer: Datasette serving the same SQLite file, on the same machine.

    .venv/bin/pip install -e '.[dev,bench]'
    .venv/bin/python bench/bench_peer.py [--substances 100000] [--seconds 10] [--connections 16]
                                         [--rounds 3] [--per-key]

Builds (once, in the temp folder) a SQLite database with the real data and N synthetic
substances, then serves that one file twice on loopback, each with gunicorn and the same
number of workers: the registry as deployed (config/gunicorn.py: threaded workers) and
Datasette (uvicorn workers).
It loads each with the same load generator (wrk if installed, else a bounded Python client)
and prints requests/s and p50/p95/p99 latency for:

- name search: the registry's `GET /api/v1/substances/?q=TEXT` (every name, English, Chinese,
  code names and synonyms, normalized, salts' names and INN spellings; CAS, InChIKey, SMILES)
  against
  Datasette at its best: an FTS5 trigram index on the normalized English and Chinese names, as a
  Datasette user would make it (`sqlite-utils enable-fts FILE substances_substance search_key_en
  search_key_zh --fts5 --tokenize trigram`, made once in the same file), queried with
  `_search=KEY` and its leanest JSON (`_nocount=1&_nofacet=1&_shape=array`);
- detail lookups: `GET /api/v1/substances/<uid>/` (the substance with its names, listings and
  precursor uses) against Datasette's row JSON (`/db/substances_substance/<id>.json`).

Each server is first measured one request at a time (which also warms it), then under load:
both servers are up together and loaded in turn, for several rounds, and the ratio is given per
round and as their median (one run after the other drifted by up to half between runs).
Each load also gives the CPU time the server's workers spent per request (from /proc, the
workers gunicorn replaced included), which the machine's drift moves less than throughput;
`--per-key` then loads each search key alone and prints that cost per key for both servers.
The registry runs as deployed, with Redis (throttle counts, the detail representations kept by
registry version) when Redis answers, but without its response cache (RESPONSE_CACHE_SECONDS=0),
as Datasette has none; a last line shows the registry with the cache, for information.
"""

import argparse
import os
import sqlite3
import statistics
import sys
from contextlib import closing
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
    "pentedrone",
    "4-fluoro",
    "tryptamine",
    "卡西酮",
    "nitazene",
    "methyl",
    "zzqx",
]


def search_key(text: str) -> str:
    from substances.normalize import search_key as key

    return key(text)


def peer_index(path: Path) -> None:
    """The FTS5 trigram index a Datasette user would add for name search (once per file)."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    if not db["substances_substance_fts"].exists():
        db["substances_substance"].enable_fts(
            ["search_key_en", "search_key_zh"], fts_version="FTS5", tokenize="trigram"
        )
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()


def sample_rows(path: Path, n: int = 300) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(path)) as db:
        real = db.execute(
            "SELECT id, uid FROM substances_substance WHERE uid NOT LIKE 'syn-%' "
            "ORDER BY id LIMIT ?",
            (n // 2,),
        ).fetchall()
        synthetic = db.execute(
            "SELECT id, uid FROM substances_substance WHERE uid LIKE 'syn-%' "
            "ORDER BY random() LIMIT ?",
            (n - len(real),),
        ).fetchall()
    return real + synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substances", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--per-key",
        action="store_true",
        help="then load each search key alone, and print each server's CPU per request for it",
    )
    args = parser.parse_args()

    path = _serve.sqlite_database(args.substances)
    peer_index(path)
    # The registry as deployed (docs/deployment.md): Redis holds the throttles' counts and the
    # API's detail representations, shared by the workers; the response cache stays off.
    redis = _serve.deployed_cache()
    env = _serve.django_env(f"sqlite:///{path}", **redis)
    _serve.collectstatic(env)
    rows = sample_rows(path)
    db_name = path.stem

    registry_search = [f"/api/v1/substances/?q={quote(q)}" for q in QUERIES]
    peer_search = [
        f"/{db_name}/substances_substance.json?_search={quote(search_key(q))}"
        "&_size=50&_nocount=1&_nofacet=1&_shape=array"
        for q in QUERIES
    ]
    registry_detail = [f"/api/v1/substances/{uid}/" for _pk, uid in rows]
    peer_detail = [f"/{db_name}/substances_substance/{pk}.json?_shape=objects" for pk, _uid in rows]

    print(
        f"\n{args.substances:,} synthetic substances + the real data, one SQLite file; "
        f"{args.workers} workers each; {args.connections} connections, {args.seconds} s per run; "
        f"{args.rounds} rounds, the two servers loaded in turn"
    )
    loads = {
        ("registry", "search"): registry_search,
        ("registry", "detail"): registry_detail,
        ("datasette", "search"): peer_search,
        ("datasette", "detail"): peer_detail,
    }
    results: dict[tuple[str, str], list[_serve.LoadResult]] = {key: [] for key in loads}
    single: dict[tuple[str, str], list[float]] = {}
    peer_env = dict(os.environ, BENCH_DATASETTE_DB=str(path))
    peer_port = _serve.free_port()
    peer = [
        str(_serve.VENV_BIN / "gunicorn"),
        "bench._datasette_app:app",
        "-k",
        "uvicorn_worker.UvicornWorker",
        f"--workers={args.workers}",
        f"--bind=127.0.0.1:{peer_port}",
        "--log-level=warning",
    ]
    registry_port = _serve.free_port()
    # Both servers are up together; only the one being loaded works. Loading them in turn,
    # round after round, spreads the machine's own drift (other work, clock, heat) over both.
    with (
        _serve.gunicorn_registry(env, workers=args.workers, port=registry_port) as (
            ours,
            ours_process,
        ),
        _serve.server(peer, env=peer_env, probe="/-/versions.json", port=peer_port) as (
            theirs,
            theirs_process,
        ),
    ):
        bases = {"registry": ours, "datasette": theirs}
        processes = {"registry": ours_process, "datasette": theirs_process}

        def measured(server: str, paths: list[str]) -> _serve.LoadResult:
            """A load, with the CPU time the server's workers spent per request."""
            before = _serve.workers_cpu_seconds(processes[server])
            result = _serve.load(
                bases[server], paths, seconds=args.seconds, connections=args.connections
            )
            spent = _serve.workers_cpu_seconds(processes[server]) - before
            cpu_ms[id(result)] = 1000 * spent / result.requests if result.requests else 0.0
            return result

        cpu_ms: dict[int, float] = {}
        for (server, name), paths in loads.items():
            rounds = 3 if name == "search" else 1
            single[(server, name)] = _serve.timed_requests(
                bases[server], paths if name == "search" else paths[:50], rounds=rounds
            )
        # The first reads of each detail build it (then it is kept under the registry's
        # version): measured as such, once, before the rounds.
        first = _serve.load(
            ours, registry_detail, seconds=args.seconds, connections=args.connections
        )
        for _round in range(args.rounds):
            for (server, name), paths in loads.items():
                results[(server, name)].append(measured(server, paths))
        per_key = []
        if args.per_key:
            # Each key alone: what one request for it costs each server's workers in CPU.
            for query, ours_path, theirs_path in zip(
                QUERIES, registry_search, peer_search, strict=True
            ):
                per_key.append(
                    (query, measured("registry", [ours_path]), measured("datasette", [theirs_path]))
                )

    def ratio(ours: float, theirs: float) -> str:
        return f"{ours / theirs:.2f}x" if theirs else "n/a"

    for name in ("search", "detail"):
        print("\nname search" if name == "search" else "\ndetail lookup")
        for server in ("registry", "datasette"):
            times = single[(server, name)]
            print(
                f"  {server:10} one at a time: p50 {_serve.percentile(times, 50):7.1f} ms  "
                f"p95 {_serve.percentile(times, 95):7.1f} ms  (n={len(times)})"
            )
        ours_runs, theirs_runs = results[("registry", name)], results[("datasette", name)]
        if name == "detail":
            print(f"  registry   {first.line()}  (first reads: each detail built)")
        for number, (ours, theirs) in enumerate(zip(ours_runs, theirs_runs, strict=True), 1):
            print(f"  round {number}")
            print(f"    registry   {ours.line()}  worker CPU {cpu_ms[id(ours)]:.2f} ms/request")
            print(f"    datasette  {theirs.line()}  worker CPU {cpu_ms[id(theirs)]:.2f} ms/request")
            print(
                f"    ratio registry/datasette: throughput {ratio(ours.rps, theirs.rps)}, "
                f"p50 {ratio(ours.p50_ms, theirs.p50_ms)}, p99 {ratio(ours.p99_ms, theirs.p99_ms)}"
            )
        ratios = sorted(o.rps / t.rps for o, t in zip(ours_runs, theirs_runs, strict=True) if t.rps)
        if ratios:
            print(
                f"  throughput ratio registry/datasette over {len(ratios)} rounds: median "
                f"{statistics.median(ratios):.2f}x (from {ratios[0]:.2f}x to {ratios[-1]:.2f}x; "
                "above 1 favours the registry)"
            )

    if per_key:
        print("\nname search, one key at a time: workers' CPU per request (ms), and throughput")
        print(f"  {'key':12} {'registry':>9} {'datasette':>10}  throughput ratio")
        for query, ours, theirs in per_key:
            print(
                f"  {query:12} {cpu_ms[id(ours)]:9.2f} {cpu_ms[id(theirs)]:10.2f}  "
                f"{ratio(ours.rps, theirs.rps)}"
            )

    if redis:
        cached_env = dict(env, **_serve.deployed_cache(15), RESPONSE_CACHE_SECONDS="600")
        port = _serve.free_port()
        with _serve.gunicorn_registry(cached_env, workers=args.workers, port=port) as (base, _p):
            _serve.timed_requests(base, registry_search, rounds=1)  # fill the cache
            cached = _serve.load(
                base, registry_search, seconds=args.seconds, connections=args.connections
            )
        print(f"name search, registry with its Redis response cache:\n  registry   {cached.line()}")


if __name__ == "__main__":
    main()
