"""Benchmark: how long a client takes to copy the registry and to catch up with the feed.

On a scratch database with the real data, behind a real HTTP server in this process:

1. a full export (/api/v1/export/): its time and size, read raw and loaded by the example
   client (examples/sync_client.py) into its SQLite copy;
2. the export's snapshot: writes committed while it streams must not show in it;
3. 10,000 changes made through the services (repeated amendments of substances and listings),
   then the time for the client to catch up through /api/v1/changes/ at several page sizes,
   and a check that its copy equals the registry afterwards.

Prints figures; asserts nothing about time.

Run: .venv/bin/python bench/bench_sync.py [--changes 10000]
"""

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from _setup import ROOT, django_with_real_data


def serve():
    """The project's WSGI application on a free local port, in a thread."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def make_changes(n: int) -> float:
    """n changes through the services: amend substances' notes and listings' scope in turn."""
    from django.db import transaction

    from registry import services
    from registry.models import Listing
    from substances.models import Substance

    actor = services.Actor.system("bench")
    substances = list(Substance.objects.order_by("uid")[:200])
    listings = list(Listing.objects.order_by("uid")[:200])
    started = time.perf_counter()
    done = 0
    while done < n:
        with transaction.atomic():  # a batch per commit, as a bulk import would
            for _ in range(min(500, n - done)):
                if done % 2:
                    substance = substances[done % len(substances)]
                    substance.notes = f"bench amendment {done}"
                    services.save_resource(substance, actor=actor)
                else:
                    listing = listings[done % len(listings)]
                    listing.notes = f"bench amendment {done}"
                    services.save_resource(listing, actor=actor)
                done += 1
    return time.perf_counter() - started


def registry_now() -> dict:
    from registry.representations import iter_all

    return {(t, uid): json.loads(json.dumps(data)) for t, uid, data in iter_all()}


def replay(upto: int) -> dict:
    from registry.models import Change

    state: dict = {}
    for change in Change.objects.filter(seq__lte=upto).order_by("seq").iterator():
        key = (change.resource_type, change.uid)
        if change.action == "deleted":
            state.pop(key, None)
        else:
            state[key] = change.data
    return state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=10_000)
    args = parser.parse_args()
    django_with_real_data("sync")

    import requests
    from django.db import connection

    from examples.sync_client import LocalCopy, SyncClient
    from registry import services
    from registry.models import Change, Listing

    server, base = serve()
    session = requests.Session()
    print(f"database: {connection.vendor}; feed head {Change.objects.head()}")

    # 1. The export, raw.
    started = time.perf_counter()
    response = session.get(f"{base}/api/v1/export/", stream=True)
    body = b"".join(response.iter_content(chunk_size=1 << 16))
    raw_seconds = time.perf_counter() - started
    lines = body.splitlines()
    header = json.loads(lines[0])
    print(
        f"export: {len(body) / 1e6:.2f} MB, {len(lines) - 1} resources, "
        f"{raw_seconds:.2f} s over HTTP (seq {header['seq']})"
    )

    # 1b. The export loaded by the example client into its copy.
    workdir = Path(tempfile.mkdtemp(prefix="registry-bench-sync-"))
    copy = LocalCopy(str(workdir / "copy.sqlite3"))
    client = SyncClient(base, copy, session=session, page_size=500)
    started = time.perf_counter()
    client.sync()
    print(f"client first sync (export + load + feed check): {time.perf_counter() - started:.2f} s")

    # 2. The snapshot: commit writes while the export streams; they must not be in it.
    response = session.get(f"{base}/api/v1/export/", stream=True)
    chunks = response.iter_content(chunk_size=4096)
    first = next(chunks)
    actor = services.Actor.system("bench")
    late = list(Listing.objects.order_by("-uid")[:20])  # listings come last in the export
    for listing in late:
        listing.notes = "written while the export streamed"
        services.save_resource(listing, actor=actor)
    body = first + b"".join(chunks)
    exported = [json.loads(line) for line in body.splitlines()]
    n = exported[0]["seq"]
    snapshot = {(x["type"], x["uid"]): x["data"] for x in exported[1:]}
    consistent = snapshot == replay(n)
    print(
        f"export snapshot while {len(late)} writes committed: "
        f"{'consistent with seq ' + str(n) if consistent else 'INCONSISTENT'}"
        f" (head now {Change.objects.head()})"
    )

    # 3. Catching up with the feed.
    seconds = make_changes(args.changes)
    print(f"made {args.changes} changes through the services in {seconds:.1f} s")
    head = Change.objects.head()
    for page_size in (100, 500, 1000):
        started = time.perf_counter()
        after, pages = head - args.changes, 0
        while True:
            page = session.get(
                f"{base}/api/v1/changes/", params={"after": after, "limit": page_size}
            ).json()
            pages += 1
            after = page["last_seq"]
            if not page["next"]:
                break
        elapsed = time.perf_counter() - started
        print(
            f"feed read of {args.changes} changes, limit={page_size}: {elapsed:.2f} s "
            f"({pages} requests, {args.changes / elapsed:,.0f} changes/s)"
        )
    # The same read without HTTP: what the application itself costs per page.
    from django.test import Client

    in_process = Client(HTTP_HOST="localhost")
    started = time.perf_counter()
    after = head - args.changes
    while True:
        page = in_process.get("/api/v1/changes/", {"after": after, "limit": 500}).json()
        after = page["last_seq"]
        if not page["next"]:
            break
    elapsed = time.perf_counter() - started
    print(f"feed read of {args.changes} changes in process (no HTTP), limit=500: {elapsed:.2f} s")
    started = time.perf_counter()
    applied = client.follow()
    elapsed = time.perf_counter() - started
    print(
        f"client catch-up (read + apply into its SQLite copy, limit=500): {applied} changes "
        f"in {elapsed:.2f} s ({applied / elapsed:,.0f} changes/s)"
    )
    print(f"client copy equals the registry: {copy.resources() == registry_now()}")
    copy.close()
    server.shutdown()
    print(f"(scratch files under {workdir}; project at {ROOT.name})")


if __name__ == "__main__":
    main()
