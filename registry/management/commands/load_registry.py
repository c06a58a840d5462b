"""manage.py load_registry: load the curated fixtures into the registry, through the services."""

import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry import services
from registry.loading import FIXTURES_DIR, Loader, read_fixtures


class Command(BaseCommand):
    help = (
        "Load the registry's real data (fixtures/: jurisdictions, schedules, instruments, "
        "substances, names, precursor uses, classes and listings) through the services, so the "
        "change feed records every resource. Idempotent: a second run changes nothing and "
        "appends no change row. With --check, validate the files and report every problem with "
        "its file and line, writing nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="validate the fixture files without writing anything; exit 1 on any problem",
        )
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=FIXTURES_DIR,
            help="folder of fixture files (default: the project's fixtures/)",
        )

    def handle(self, *args, check: bool, fixtures: Path, verbosity: int, **options):
        started = time.monotonic()
        fx = read_fixtures(fixtures)
        counts = ", ".join(f"{len(rows)} {rtype}" for rtype, rows in fx.rows.items())
        if fx.problems:
            for problem in fx.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(fx.problems)} problem(s) in the fixtures; nothing loaded.")
        if check:
            self.stdout.write(self.style.SUCCESS(f"Fixtures are valid: {counts}."))
            return
        self.stdout.write(f"Loading {counts} ...")
        loader = Loader(
            fx,
            actor=services.Actor.system("load_registry"),
            progress=self._progress if verbosity else None,
        )
        try:
            report = loader.run()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if self._tty:
            self.stdout.write("")
        for line in report.summary_lines():
            self.stdout.write("  " + line)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Registry loaded in {elapsed:.1f} s."))

    @property
    def _tty(self) -> bool:
        return sys.stdout.isatty()

    def _progress(self, rtype: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        line = f"  {rtype:14} [{bar}] {done}/{total}"
        if self._tty:
            self.stdout.write("\r" + line, ending="")
            if done == total:
                self.stdout.write("")
        elif done == total:
            self.stdout.write(line)
