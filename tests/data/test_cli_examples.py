"""The README's command-line examples work as written: on the real data, without SECRET_KEY."""

import csv
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\s*\.venv/bin/python manage\.py (check_structures .*)$", text, re.M)
    return [shlex.split(line) for line in lines]


def test_the_readme_shows_check_structures_examples():
    assert any("--help" in args for args in readme_commands())
    assert any("-o" in args for args in readme_commands())


def test_help_needs_no_secret_key_on_a_fresh_clone():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check_structures", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "SMILES, SDF or CSV file" in result.stdout


def test_the_readme_check_example_runs_as_written(real_registry, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = next(a for a in readme_commands() if "-o" in a)
    output = tmp_path / "verdicts.csv"
    args[args.index("-o") + 1] = str(output)
    call_command(*args)
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    by_id = {row["id"]: row for row in rows}
    assert by_id["fentanyl"]["status"] == "controlled"
    assert by_id["para-fluorofentanyl"]["status"] == "controlled"
    assert by_id["aspirin"]["status"] == "not_controlled"
