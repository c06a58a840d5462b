"""Datasette as an ASGI application over one SQLite file, for gunicorn's uvicorn workers.

bench/bench_peer.py serves the registry's own database file with it, read only as any Datasette
user would serve it (`datasette serve FILE`), with its default settings (1 s SQL time limit: the
trigram index answers well within it) and the same number of workers as the registry.
"""

import os

from datasette.app import Datasette

app = Datasette(
    files=[os.environ["BENCH_DATASETTE_DB"]],
    settings={"num_sql_threads": 3},
).app()
