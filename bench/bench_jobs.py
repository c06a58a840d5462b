"""Benchmark: check jobs. Speed-up with N processes, chunk and broker overheads, a million records.

Three measures, on the real data (a scratch SQLite database, see _setup.py):

1. Scaling on this machine: the same structures screened by one process (`jobs.screen`, the
   per-core figure; bench_check.py compares it with a bare RDKit loop) and by N processes
   (`jobs.screen_in_processes`, what `check_structures --workers N` and the local pool do).
2. Overheads that bound scaling further out: the cost of shipping a chunk to a process and
   its verdicts back, of committing a chunk (file + row), and, with --redis, of a broker round
   trip (publish + consume one task message). From them the projected efficiency at N workers:
   chunk time / (chunk time + overheads), and the chunk commits per second the database takes.
3. With --records R: a whole job of R records (default off; 1000000 for the README figure),
   submitted with `jobs.create_job` and run on the local pool of --workers processes; wall time
   of the split, of the run and of reading the results, and the peak memory of the submitting
   process and of each worker.

Run: .venv/bin/python bench/bench_jobs.py [--n 20000] [--workers 2] [--redis redis://...]
     [--records 1000000]
"""

import argparse
import contextlib
import datetime
import io
import os
import pickle
import tempfile
import threading
import time
from pathlib import Path

from _setup import django_with_real_data
from bench_check import structures


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def scaling(smiles: list[str], on: datetime.date, workers: int) -> float:
    from registry import jobs

    records = [(str(n + 1), f"id-{n}", text) for n, text in enumerate(smiles)]
    jobs.screen(records[:500], on, "CN")  # warm caches and imports
    started = time.perf_counter()
    one = jobs.screen(records, on, "CN")
    single = len(records) / (time.perf_counter() - started)
    print(f"1 process : {single:8.0f} records/s")
    best = single
    for n in range(2, workers + 1):
        started = time.perf_counter()
        many = list(jobs.screen_in_processes(records, on, "CN", workers=n))
        rate = len(records) / (time.perf_counter() - started)
        assert many == one, "the processes must give the same verdicts"
        print(
            f"{n} processes: {rate:8.0f} records/s = {rate / single:.2f}x one process "
            f"({rate / single / n:.2f} of linear), same verdicts"
        )
        best = rate
    return best


def overheads(smiles: list[str], on: datetime.date, chunk: int, redis_url: str) -> None:
    from django.contrib.auth import get_user_model

    from registry import jobs

    records = [(str(n + 1), f"id-{n}", text) for n, text in enumerate(smiles[:chunk])]
    started = time.perf_counter()
    rows = jobs.screen(records, on, "CN")
    chunk_seconds = time.perf_counter() - started
    work = jobs.ChunkWork("x", 0, on, "CN", records)
    started = time.perf_counter()
    for _ in range(20):
        pickle.loads(pickle.dumps(work))
        pickle.loads(pickle.dumps((0, rows)))
    ship = (time.perf_counter() - started) / 20
    owner, _ = get_user_model().objects.get_or_create(username="bench-jobs")
    body = "".join(f"{text} {ident}\n" for _, ident, text in records * 20).encode()
    job = jobs.create_job(
        owner=owner, upload=io.BytesIO(body), file_name="b.smi", on=on, jurisdiction="CN"
    )
    started = time.perf_counter()
    for index in range(job.chunk_count):
        jobs.commit_chunk(job.uid, index, rows[: job.chunk_size])
    commit = (time.perf_counter() - started) / job.chunk_count
    jobs.delete_files(job)
    job.delete()
    print(f"a chunk of {chunk} records: {chunk_seconds * 1000:.0f} ms to check")
    print(f"  shipping it to a process and its verdicts back (pickling): {ship * 1000:.1f} ms")
    print(f"  committing it (verdict file + row + counters): {commit * 1000:.1f} ms")
    broker = 0.0
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        key = "bench-jobs-roundtrip"
        message = pickle.dumps(("registry.run_check_chunk", ("0" * 32, 0)))
        started = time.perf_counter()
        for _ in range(500):
            client.lpush(key, message)
            client.brpop(key, timeout=5)
        broker = (time.perf_counter() - started) / 500
        client.delete(key)
        print(f"  a broker round trip (publish + consume, Redis): {broker * 1000:.2f} ms")
    overhead = commit + broker + ship
    efficiency = chunk_seconds / (chunk_seconds + overhead)
    print(
        f"projected efficiency per worker: {efficiency:.3f}; the database takes "
        f"{1 / commit:.0f} chunk commits/s, that is up to {chunk_seconds / commit:.0f} workers "
        "busy before commits queue"
    )
    for n in (4, 8, 16, 32):
        print(f"  N = {n:2d}: {n * efficiency:.1f}x one process (>= 0.8 N: {efficiency >= 0.8})")


def million(records: int, on: datetime.date, workers: int) -> None:
    import psutil
    from django.contrib.auth import get_user_model

    from registry import jobs
    from registry.models import CheckJob

    smiles = structures(20_000)
    path = Path(tempfile.gettempdir()) / f"bench-jobs-{records}.smi"
    if not path.exists():
        with path.open("w") as handle:
            for n in range(records):
                handle.write(f"{smiles[n % len(smiles)]} rec-{n}\n")
    print(f"{records} records, {path.stat().st_size / 2**20:.0f} MB file")
    owner, _ = get_user_model().objects.get_or_create(username="bench-million")
    CheckJob.objects.filter(owner=owner).delete()
    me = psutil.Process()
    peak = {"parent": rss_mb(me.pid), "children": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak["parent"] = max(peak["parent"], rss_mb(me.pid))
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    peak["children"] = max(peak["children"], rss_mb(child.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with path.open("rb") as upload:
        job = jobs.create_job(
            owner=owner, upload=upload, file_name=path.name, on=on, jurisdiction="CN"
        )
    split = time.perf_counter() - started
    pool = jobs.LocalPool(workers=workers)
    started = time.perf_counter()
    pool.run_job(job.uid)
    pool.wait()
    run = time.perf_counter() - started
    pool.shutdown()
    job.refresh_from_db()
    started = time.perf_counter()
    count = sum(1 for _ in jobs.iter_results(job))
    read = time.perf_counter() - started
    stop.set()
    print(f"status {job.status}, {job.done}/{job.total} answered, {count} result rows")
    print(f"split into {job.chunk_count} chunks: {split:.1f} s")
    print(
        f"run on {workers} local processes: {run:.0f} s ({job.total / run:.0f} records/s), "
        f"total {split + run:.0f} s"
    )
    print(f"reading every verdict back: {read:.1f} s")
    print(
        f"peak RSS: submitting process {peak['parent']:.0f} MB, "
        f"largest worker {peak['children']:.0f} MB"
    )
    jobs.delete_files(job)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="structures for the scaling run")
    parser.add_argument("--workers", type=int, default=2, help="processes (this machine: 2)")
    parser.add_argument("--chunk", type=int, default=2000, help="records per chunk")
    parser.add_argument("--redis", default="", help="a Redis URL for the broker round trip")
    parser.add_argument("--records", type=int, default=0, help="run a whole job of this size")
    args = parser.parse_args()
    os.environ.setdefault("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "bench-jobs-media"))
    os.environ["CHECK_JOB_CHUNK_SIZE"] = str(args.chunk)
    os.environ.setdefault("CHECK_JOB_MAX_ACTIVE", "1000")
    os.environ.setdefault("CHECK_JOB_DAILY_RECORDS", str(10**9))
    django_with_real_data("check")
    on = datetime.date.today()
    print(f"{os.cpu_count()} cores")
    smiles = structures(args.n)
    scaling(smiles, on, args.workers)
    overheads(smiles, on, args.chunk, args.redis)
    if args.records:
        million(args.records, on, args.workers)


if __name__ == "__main__":
    main()
