"""fixtures/README.md reconciles the fixture files: each row of its file tables ("| `file` |
rows | what it holds |") gives the number of rows the file holds, and every CSV file has one.

Read from the files alone, without the database, so that a change to the data that leaves the
README's count behind fails here, not when someone next relies on the README.
"""

import csv
import re
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
README = FIXTURES / "README.md"
# A row of a file table: the file's path in backticks, then its number of rows.
FILE_ROW = re.compile(r"^\| `(?P<path>[\w./-]+\.(?:csv|yaml))` \| (?P<rows>\d+) \|", re.M)


def _stated() -> list[tuple[str, int]]:
    text = README.read_text(encoding="utf-8")
    return [(m["path"], int(m["rows"])) for m in FILE_ROW.finditer(text)]


def _rows(path: Path) -> int:
    """A CSV file's data rows as the loader reads them (the header left out, a quoted field
    spanning lines counted once), or the entries of a YAML list (the classes)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix == ".yaml":
            return len(yaml.safe_load(handle) or [])
        return sum(1 for _ in csv.DictReader(handle))


@pytest.mark.parametrize(("path", "stated"), _stated(), ids=[path for path, _ in _stated()])
def test_fixtures_readme_rows_are_the_file_s(path, stated):
    assert _rows(FIXTURES / path) == stated, f"fixtures/README.md says `{path}` has {stated} rows"


def test_fixtures_readme_gives_every_csv_file_its_row():
    files = {path.relative_to(FIXTURES).as_posix() for path in FIXTURES.rglob("*.csv")}
    assert files - {path for path, _ in _stated()} == set()
