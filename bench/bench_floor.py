"""Benchmark: what each layer of an API request costs, in one process, with no server.

`bench_peer.py` compares the registry with Datasette through HTTP servers. This script asks
where the registry's share goes: it calls the WSGI application directly (as gunicorn would,
without the socket) and prints the CPU time per request of

- a plain Django view behind the registry's middleware (the floor of any page),
- a bare Django REST framework view behind the same (the floor of any API answer),
- the registry's own API view (throttled, read in a snapshot, tagged with the feed position
  and an ETag, its query parameters checked), answering an empty body,
- the API's substance detail and its name search, key by key (the keys of `bench_peer.py`).

The settings are those the benchmarks serve with (`_serve.django_env`: DEBUG off, Redis as
deployed when it answers, throttles wide open, no response cache), on the real data. The
figures are CPU time (`time.process_time`), so another process on the machine slows them
less than it slows wall time; rounds are printed so that their spread shows.

Run: .venv/bin/python bench/bench_floor.py [--requests 2000] [--rounds 3]
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _serve
from bench_peer import QUERIES


def _environ(path: str) -> dict:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per figure")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    path = _serve.sqlite_database(0)
    os.environ.update(_serve.django_env(f"sqlite:///{path}", **_serve.deployed_cache()))
    sys.path.insert(0, str(_serve.ROOT))
    import django

    django.setup()
    from django.http import HttpResponse
    from django.urls import clear_url_caches
    from django.urls import path as route
    from rest_framework.response import Response
    from rest_framework.views import APIView

    import config.urls
    from config.wsgi import application
    from registry.api.base import RegistryAPIView
    from substances.models import Substance

    def plain(request):
        return HttpResponse(b"{}", content_type="application/json")

    class Bare(APIView):
        permission_classes = []

        def get(self, request):
            return Response({})

    class Registry(RegistryAPIView):
        permission_classes = []

        def get(self, request):
            return Response({})

    # Three probes, on this process's URL configuration only (nothing is written).
    config.urls.urlpatterns[:0] = [
        route("bench-floor/plain/", plain),
        route("bench-floor/drf/", Bare.as_view()),
        route("bench-floor/registry/", Registry.as_view()),
    ]
    clear_url_caches()

    def call(target: str) -> str:
        status = []
        body = application(_environ(target), lambda s, h, e=None: status.append(s))
        b"".join(body)
        return status[0]

    def cpu_ms(targets: list[str]) -> float:
        for target in targets * 2:  # warm: kept details built, rankings read once
            answer = call(target)
            if not answer.startswith("200"):
                raise SystemExit(f"{target}: {answer}")
        started = time.process_time()
        for n in range(args.requests):
            call(targets[n % len(targets)])
        return 1000 * (time.process_time() - started) / args.requests

    uids = list(Substance.objects.order_by("uid").values_list("uid", flat=True)[:300])
    layers = [
        ("Django view, the middleware", ["/bench-floor/plain/"]),
        ("DRF view, the same", ["/bench-floor/drf/"]),
        ("registry API view, empty body", ["/bench-floor/registry/"]),
        ("API detail (kept), 300 substances", [f"/api/v1/substances/{uid}/" for uid in uids]),
        ("API name search, the 12 keys", [f"/api/v1/substances/?q={quote(q)}" for q in QUERIES]),
    ]
    print(f"\nCPU per request, in process, {args.requests} requests a figure, {args.rounds} rounds")
    for name, targets in layers:
        figures = [cpu_ms(targets) for _round in range(args.rounds)]
        print(
            f"  {name:38} median {statistics.median(figures):6.3f} ms  "
            f"({', '.join(f'{f:.3f}' for f in figures)})"
        )
    print("\nname search, one key at a time (median of the rounds)")
    for query in QUERIES:
        target = [f"/api/v1/substances/?q={quote(query)}"]
        figures = [cpu_ms(target) for _round in range(args.rounds)]
        print(f"  {query:14} {statistics.median(figures):6.3f} ms")


if __name__ == "__main__":
    main()
