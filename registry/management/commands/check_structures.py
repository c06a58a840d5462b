"""manage.py check_structures FILE: screen many compounds at once and write CSV verdicts."""

import csv
import datetime
import sys
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.check import MAX_ITEMS, check_items
from registry.spreadsheet import safe_cell

OUTPUT_COLUMNS = [
    "record",
    "id",
    "input",
    "status",
    "reason",
    "substance",
    "matched_by",
    "listings",
    "classes",
]


def _smiles_lines(path: Path) -> Iterator[tuple[str, str, str]]:
    """A SMILES file: one compound a line, optionally followed by an id after white space."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            structure, _, ident = text.partition(" ") if " " in text else text.partition("\t")
            yield str(number), ident.strip(), structure


def _sdf_records(path: Path) -> Iterator[tuple[str, str, str]]:
    """An SD file: records end with "$$$$"; the id is the record's title line."""
    record: list[str] = []
    number = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip() == "$$$$":
                number += 1
                block = "".join(record)
                end = block.find("M  END")
                molblock = block[: end + len("M  END")] + "\n" if end >= 0 else block
                yield str(number), (record[0].strip() if record else ""), molblock
                record = []
            else:
                record.append(line)
    if "".join(record).strip():
        number += 1
        yield str(number), record[0].strip(), "".join(record)


def _csv_rows(path: Path, column: str, id_column: str) -> Iterator[tuple[str, str, str]]:
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            raise CommandError(
                f"{path.name} has no column {column!r}; its columns are: "
                f"{', '.join(reader.fieldnames or [])}. Choose one with --column."
            )
        for row in reader:
            yield str(reader.line_num), (row.get(id_column) or "").strip(), row[column] or ""


class Command(BaseCommand):
    help = (
        "Check many compounds at once against the registry: the named listings and the "
        "whole-class controls in force on a date. FILE is a SMILES file (one compound a line, "
        "an optional id after white space), an SD file (.sdf/.sd), or a CSV file (--column "
        "names the structure column; names and CAS numbers work there too). Writes one CSV "
        "row per compound with its verdict (controlled, not_controlled, unknown, invalid) and "
        "the reasons; a progress bar goes to standard error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="SMILES, SDF or CSV file to screen")
        parser.add_argument(
            "--on",
            type=datetime.date.fromisoformat,
            default=None,
            help="the date to judge on, YYYY-MM-DD (default: today)",
        )
        parser.add_argument("--jurisdiction", default=None, help="only this jurisdiction, e.g. CN")
        parser.add_argument(
            "--column", default="smiles", help="CSV input: the structure column (default smiles)"
        )
        parser.add_argument(
            "--id-column", default="id", help="CSV input: the identifier column (default id)"
        )
        parser.add_argument(
            "-o", "--output", type=Path, default=None, help="write the CSV here (default: stdout)"
        )

    def handle(self, *args, file: Path, on, jurisdiction, column, id_column, output, **options):
        if not file.exists():
            raise CommandError(f"{file} does not exist")
        suffix = file.suffix.lower()
        if suffix in {".sdf", ".sd"}:
            records = list(_sdf_records(file))
        elif suffix == ".csv":
            records = list(_csv_rows(file, column, id_column))
        else:
            records = list(_smiles_lines(file))
        handle = output.open("w", encoding="utf-8", newline="") if output else self.stdout
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        counts: dict[str, int] = {}
        total = len(records)
        for start in range(0, total, MAX_ITEMS):
            batch = records[start : start + MAX_ITEMS]
            results = check_items([text for _, _, text in batch], on=on, jurisdiction=jurisdiction)
            for (record, ident, _text), result in zip(batch, results, strict=True):
                counts[result.status] = counts.get(result.status, 0) + 1
                writer.writerow([safe_cell(cell) for cell in _row(record, ident, result)])
            self._progress(min(start + MAX_ITEMS, total), total)
        if output:
            handle.close()
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.stderr.write(f"\nChecked {total} compounds: {summary or 'none'}.")

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        self.stderr.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total}", ending="")
        sys.stderr.flush()


def _row(record: str, ident: str, result) -> list[str]:
    listings = [
        f"{m['schedule']['code']} since {m['effective_from']}"
        for m in result.matches
        if m["basis"] == "listing"
    ]
    classes = [
        f"{m['class']['uid']} ({m['rule']})" for m in result.matches if m["basis"] == "class"
    ]
    one_line = result.input.splitlines()[0] if result.input.strip() else result.input
    return [
        record,
        ident,
        one_line[:200],
        result.status,
        result.reason,
        result.substance.uid if result.substance else "",
        result.matched_by,
        "; ".join(listings),
        "; ".join(classes),
    ]
