"""Settings come from the environment, with safe defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _run_check(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _run_check()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_starts_with_a_secret_key_or_in_debug():
    assert _run_check(SECRET_KEY="x" * 50).returncode == 0
    assert _run_check(DEBUG="1").returncode == 0


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    import sqlite3

    from django.db.backends.sqlite3.base import DatabaseWrapper

    db = dict(settings.DATABASES["default"], NAME=str(tmp_path / "wal.sqlite3"), TEST={})
    wrapper = DatabaseWrapper(db, alias="wal-check")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] >= 5000
    finally:
        wrapper.close()
    assert sqlite3.sqlite_version
