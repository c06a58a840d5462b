"""gunicorn's settings for the registry: `gunicorn -c config/gunicorn.py config.wsgi`.

Threaded workers (gthread) so that a slow client costs one thread, not a whole worker: two
slow-loris connections froze both sync workers of a two-worker server. A thread that waits for a
request's first bytes gives the connection back to the worker's poller after a few seconds, and
a kept-alive connection waits in the poller, not in a thread. A client that trickles its headers
still holds its thread while it does, so in front of the registry a buffering proxy (nginx, see
docs/deployment.md) reads whole requests before it passes them on; these settings are the
second line. Everything can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# Eight threads a worker. With four, four slow clients landing on one worker held all of its
# threads, and the connections it went on accepting waited for good: the slow-client test failed
# when all four fell on the same worker (one spread in eight, at random). Four answered the
# benchmark's mix at 164-165 requests a second against 111-115 with eight, with workers of 124
# MB against up to 147 (bench/README.md, 2026-12-07). Behind a buffering proxy a slow client
# holds no thread (docs/deployment.md); without one, a worker must outlast a few.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request is answered in well under this: the check gives itself 8 s (registry.check).
timeout = 30
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests, a guard against slow growth. Not sooner: a new
# worker spends about a second of CPU importing Django and RDKit before it answers, and at 2,000 a
# busy worker was replaced every few seconds (API details, two workers: 308-562 req/s against
# 564-915 at 20,000). Its memory levels off after the first requests (both in bench/README.md).
max_requests = 20000
max_requests_jitter = 2000
# Request line and headers: gunicorn's defaults, written out so that they are seen.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def _keepalive_requests() -> int:
    value = os.environ.get("GUNICORN_KEEPALIVE_REQUESTS", "100")
    if not value.isdigit():
        raise SystemExit(
            f"GUNICORN_KEEPALIVE_REQUESTS must be a whole number, 0 or more (0: no limit); "
            f"got {value!r}"
        )
    return int(value)


KEEPALIVE_REQUESTS = _keepalive_requests()
"""How many requests a kept-alive connection carries before the answer closes it (0: no
limit), as nginx's `keepalive_requests` does. See pre_request."""


def on_starting(server):
    """Each worker holds up to twice as many connections as it has threads: one in each thread,
    and as many again kept alive between requests, waiting in the worker's poller.

    gunicorn keeps a connection alive only while fewer than `worker_connections - threads` are
    waiting; at the default (1,000) the first worker to wake took every kept-alive connection of
    a client that holds a few open (a proxy's pool, a load generator) and did all the work on
    one core while the others idled. A cap equal to the thread count balanced the workers, but
    by closing every connection after one answer: no connection was ever kept alive, and gunicorn
    said so at start ("No keepalived connections can be handled"). Twice the threads keeps them
    alive; pre_request spreads them. Set here, once the thread count is final (this file,
    GUNICORN_THREADS, --threads or GUNICORN_CMD_ARGS). GUNICORN_WORKER_CONNECTIONS or
    --worker-connections (any value but gunicorn's default) says otherwise.
    """
    cfg = server.cfg
    if "GUNICORN_WORKER_CONNECTIONS" in os.environ:
        cfg.set("worker_connections", int(os.environ["GUNICORN_WORKER_CONNECTIONS"]))
    elif cfg.worker_connections == cfg.settings["worker_connections"].default:
        cfg.set("worker_connections", 2 * cfg.threads)


def pre_request(worker, req):
    """The answer to a connection's KEEPALIVE_REQUESTS-th request closes it.

    The client opens another, and the worker with the most room takes it (a busy worker's
    poller is slower to wake): connections that one worker took at the start of a client's
    burst move to the others within a few hundred requests, instead of staying for the
    connection's life (bench/README.md, 2026-12-06, the later stop).
    """
    if KEEPALIVE_REQUESTS and req.req_number >= KEEPALIVE_REQUESTS:
        req.must_close = True


M_ARENA_MAX = -8  # glibc's mallopt() parameter (malloc.h)


def post_fork(server, worker):
    """At most two malloc arenas in a worker (glibc; elsewhere nothing is done).

    glibc gives threads arenas of their own, up to eight per core, so that they do not wait on
    one another's allocations; each keeps the memory its thread freed for that thread's later
    use. With 8 threads answering searches, a worker held 15-20 MB more for it at 100,000
    substances (bench/README.md, worker memory). MALLOC_ARENA_MAX in the environment says
    otherwise (read by glibc itself, when the master starts).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)
