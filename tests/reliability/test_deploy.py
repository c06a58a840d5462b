"""The production settings: `check --deploy` passes clean, and they refuse what is unsafe."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-key-for-the-settings-test-only-0123456789"


def _env(**changes: str) -> dict[str, str]:
    dropped = {"DEBUG", "DATABASE_REPLICA_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="registry.example.org",
        DATABASE_URL="postgres://registry@127.0.0.1:5432/registry",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_short_secret_key():
    result = _manage("check", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_run_without_host_names_postgres_or_redis():
    assert "ALLOWED_HOSTS" in _manage("check", ALLOWED_HOSTS="").stderr
    assert "PostgreSQL" in _manage("check", DATABASE_URL="sqlite:///x.sqlite3").stderr
    assert "REDIS_URL" in _manage("check", REDIS_URL="").stderr


def test_production_keeps_debug_off_whatever_the_environment_says():
    code = "from django.conf import settings; print('DEBUG', settings.DEBUG)"
    result = _manage("shell", "-c", code, DEBUG="1")
    assert "DEBUG False" in result.stdout, result.stderr


_HEADERS_SCRIPT = """
import json
import django
django.setup()
from django.test import Client
response = Client().get("/health/", secure=True, HTTP_HOST="registry.example.org")
print(json.dumps(dict(response.headers)))
"""


def test_production_answers_carry_the_security_headers(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _HEADERS_SCRIPT],
        cwd=ROOT,
        env=_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", ALLOW_SQLITE_IN_PRODUCTION="1"
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "includeSubDomains" in headers["Strict-Transport-Security"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_production_holds_legal_changes_for_review_by_default():
    code = "from django.conf import settings; print('REVIEW', settings.REGISTRY_REQUIRE_REVIEW)"
    assert "REVIEW True" in _manage("shell", "-c", code, REGISTRY_REQUIRE_REVIEW=None).stdout
    assert "REVIEW False" in _manage("shell", "-c", code, REGISTRY_REQUIRE_REVIEW="0").stdout
