"""config/gunicorn.py: a worker holds at most as many connections as it has threads, whatever
sets the thread count, unless the operator names a cap."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"


def _started(monkeypatch, *, args=(), env=None):
    for name in ("GUNICORN_THREADS", "GUNICORN_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_settings", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cfg = Config()
    for name in ("threads", "worker_class"):
        cfg.set(name, getattr(module, name))
    parser = cfg.parser()
    for name, value in vars(parser.parse_args(list(args))).items():
        if value is not None and name in cfg.settings:
            cfg.set(name, value)
    module.on_starting(SimpleNamespace(cfg=cfg))
    return cfg


@pytest.mark.parametrize(
    ("args", "env", "threads", "connections"),
    [
        ((), {}, 8, 8),
        ((), {"GUNICORN_THREADS": "4"}, 4, 4),
        (("--threads", "32"), {}, 32, 32),
        (("--threads", "32", "--worker-connections", "100"), {}, 32, 100),
        ((), {"GUNICORN_WORKER_CONNECTIONS": "50"}, 8, 50),
    ],
)
def test_the_connection_cap_follows_the_final_thread_count(
    monkeypatch, args, env, threads, connections
):
    cfg = _started(monkeypatch, args=args, env=env)
    assert (cfg.threads, cfg.worker_connections) == (threads, connections)
    if not args and "GUNICORN_WORKER_CONNECTIONS" not in env:
        # a request on a connection the worker holds never waits for a thread
        assert cfg.worker_connections == cfg.threads
