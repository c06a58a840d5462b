"""Two checkouts of the registry side by side: this one and another (a commit before a change).

    git worktree add /tmp/registry-before <commit>
    .venv/bin/python bench/bench_ab.py --before /tmp/registry-before [--substances 100000]

Serves the same SQLite database (the real data and N synthetic substances, as the other
benchmarks build it) from both checkouts at once, each with gunicorn as deployed (2 workers,
config/gunicorn.py) and Redis when it answers, and times the same requests one at a time,
taking the two in turn, round after round (which goes first alternates): the machine's drift
falls on both alike, where two runs one after the other drifted by a third on this machine.
Prints p50 and p95 per kind of request for each checkout. With `--load SECONDS`, then loads
each in turn with the four kinds mixed (16 connections, SECONDS each, `--rounds` times) and
prints the throughput and the p50/p95/p99 latency per round: the tail under load, where a worker's
pauses (a full garbage collection) fall on the requests waiting behind it. The other checkout
runs with this one's Python environment (its own dependencies may differ: say so when quoting).
"""

import argparse
import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _serve
from bench_peer import QUERIES


@contextlib.contextmanager
def served(root: Path, env: dict[str, str], port: int):
    """gunicorn serving the checkout at `root`, as deployed."""
    python = _serve.VENV_BIN / "python"
    subprocess.run(
        [str(python), "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=root,
        env=env,
        check=True,
    )
    args = [
        str(_serve.VENV_BIN / "gunicorn"),
        "--config=config/gunicorn.py",
        "config.wsgi",
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    process = subprocess.Popen(
        args, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _serve.wait_for(f"{base}/health/")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--substances", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--load", type=int, default=0, metavar="SECONDS", help="also load each side in turn"
    )
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    before = args.before.resolve()
    if not (before / "manage.py").exists():
        parser.error(f"{before} is not a checkout of the registry (no manage.py)")

    path = _serve.sqlite_database(args.substances)
    env = _serve.django_env(f"sqlite:///{path}", **_serve.deployed_cache())
    with contextlib.closing(sqlite3.connect(path)) as db:
        uids = [
            uid
            for (uid,) in db.execute(
                "SELECT uid FROM substances_substance WHERE uid NOT LIKE 'syn-%' "
                "ORDER BY id LIMIT 100"
            )
        ]
    kinds = {
        "API search": [f"/api/v1/substances/?q={quote(q)}" for q in QUERIES],
        "search page": [f"/search/?q={quote(q)}" for q in QUERIES],
        "substance page": [f"/substances/{uid}/" for uid in uids[:40]],
        "API detail": [f"/api/v1/substances/{uid}/" for uid in uids],
    }
    times: dict[tuple[str, str], list[float]] = {
        (kind, side): [] for kind in kinds for side in ("before", "after")
    }
    print(
        f"\n{args.substances:,} synthetic substances + the real data; before: {before.name}, "
        f"after: {here.name}; {args.rounds} rounds, one request at a time"
    )
    with (
        served(before, env, _serve.free_port()) as base_before,
        served(here, env, _serve.free_port()) as base_after,
    ):
        sides = [("before", base_before), ("after", base_after)]
        for number in range(args.rounds):
            for kind, paths in kinds.items():
                for side, base in sides if number % 2 == 0 else sides[::-1]:
                    times[(kind, side)] += _serve.timed_requests(base, paths, rounds=2)
        p = _serve.percentile
        for kind in kinds:
            old, new = times[(kind, "before")], times[(kind, "after")]
            print(
                f"  {kind:15} before p50 {p(old, 50):6.1f} ms  p95 {p(old, 95):6.1f} ms  |  "
                f"after p50 {p(new, 50):6.1f} ms  p95 {p(new, 95):6.1f} ms  (n={len(new)} each)"
            )
        if args.load:
            mix = [path for paths in kinds.values() for path in paths]
            print(f"\nthe four kinds mixed, 16 connections, {args.load} s a run, in turn:")
            for number in range(args.rounds):
                for side, base in sides if number % 2 == 0 else sides[::-1]:
                    result = _serve.load(base, mix, seconds=args.load, connections=16)
                    print(f"  round {number + 1} {side:6} {result.line()}")


if __name__ == "__main__":
    main()
