"""config/gunicorn.py: a worker holds twice as many connections as it has threads (one in each
thread, as many kept alive), whatever sets the thread count, unless the operator names a cap; a
kept-alive connection is closed after KEEPALIVE_REQUESTS answers."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"


def _settings():
    spec = importlib.util.spec_from_file_location("gunicorn_settings", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _started(monkeypatch, *, args=(), env=None):
    for name in ("GUNICORN_THREADS", "GUNICORN_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    module = _settings()
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
        ((), {}, 8, 16),
        ((), {"GUNICORN_THREADS": "4"}, 4, 8),
        (("--threads", "32"), {}, 32, 64),
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
        # gunicorn keeps a connection alive while fewer than this many wait between requests
        assert cfg.worker_connections - cfg.threads == cfg.threads


def _request(number: int):
    return SimpleNamespace(req_number=number, must_close=False)


def test_a_kept_alive_connection_is_closed_after_its_share_of_requests(monkeypatch):
    monkeypatch.delenv("GUNICORN_KEEPALIVE_REQUESTS", raising=False)
    module = _settings()
    assert module.KEEPALIVE_REQUESTS == 100
    requests = [_request(n) for n in (1, 99, 100, 101)]
    for request in requests:
        module.pre_request(None, request)
    assert [r.must_close for r in requests] == [False, False, True, True]


def test_no_limit_on_a_connection_s_requests_when_the_operator_says_so(monkeypatch):
    monkeypatch.setenv("GUNICORN_KEEPALIVE_REQUESTS", "0")
    module = _settings()
    request = _request(1_000_000)
    module.pre_request(None, request)
    assert not request.must_close


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_keepalive_limit_that_is_not_a_whole_number_stops_the_start_with_its_name(
    monkeypatch, value
):
    monkeypatch.setenv("GUNICORN_KEEPALIVE_REQUESTS", value)
    with pytest.raises(SystemExit, match="GUNICORN_KEEPALIVE_REQUESTS must be a whole number"):
        _settings()
