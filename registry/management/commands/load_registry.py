"""manage.py load_registry: load the curated fixtures into the registry, through the services."""

import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from registry import services
from registry.loading import FIXTURES_DIR, Loader, LoadReport, read_fixtures
from registry.models import Change


class Command(BaseCommand):
    help = (
        "Load the registry's real data (fixtures/: jurisdictions, schedules, instruments, "
        "substances, names, precursor uses, classes and listings) through the services, so the "
        "change feed records every resource. Idempotent: a second run changes nothing and "
        "appends no change row. On a live registry the database is the record: what is new in "
        "the fixtures is added, and a fixture row that disagrees with a record someone else "
        "changed (or deleted) since it was loaded is reported as a conflict and left alone, "
        "unless its uid is named with --accept-fixture. With --check, validate the files and "
        "list what a load would do, conflicts included, writing nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="validate the fixture files and list the conflicts with the registry, without "
            "writing anything; exit 1 on any problem in the files",
        )
        parser.add_argument(
            "--accept-fixture",
            nargs="+",
            default=[],
            metavar="UID",
            help="apply the fixture rows of these uids even where someone changed the record "
            "since it was loaded (a deliberate correction from the fixtures; recorded in the feed)",
        )
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=FIXTURES_DIR,
            help="folder of fixture files (default: the project's fixtures/)",
        )

    def handle(
        self,
        *args,
        check: bool,
        fixtures: Path,
        accept_fixture: list[str],
        verbosity: int,
        **options,
    ):
        started = time.monotonic()
        fx = read_fixtures(fixtures)
        counts = ", ".join(f"{len(rows)} {rtype}" for rtype, rows in fx.rows.items())
        if fx.problems:
            for problem in fx.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(fx.problems)} problem(s) in the fixtures; nothing loaded.")
        known = {str(row.values.get("uid")) for rows in fx.rows.values() for row in rows}
        unknown = sorted(set(accept_fixture) - known)
        if unknown:
            raise CommandError(f"--accept-fixture names uids not in the fixtures: {unknown}")
        loader = Loader(
            fx,
            actor=services.Actor.system("load_registry"),
            progress=self._progress if verbosity and not check else None,
            accept=accept_fixture,
        )
        if check:
            self.stdout.write(self.style.SUCCESS(f"Fixtures are valid: {counts}."))
            if self._live():
                self._report(self._dry_run(loader), would=True)
            return
        self.stdout.write(f"Loading {counts} ...")
        try:
            report = loader.run()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if self._tty:
            self.stdout.write("")
        self._report(report, would=False)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Registry loaded in {elapsed:.1f} s."))

    @staticmethod
    def _live() -> bool:
        """Whether there is a registry to compare with (migrated, with a change feed)."""
        try:
            return Change.objects.exists()
        except DatabaseError:
            return False

    def _dry_run(self, loader: Loader) -> LoadReport:
        """What a load would do now: run for real, then roll everything back."""
        try:
            with transaction.atomic():
                report = loader.run()
                transaction.set_rollback(True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        return report

    def _report(self, report: LoadReport, *, would: bool) -> None:
        if would:
            self.stdout.write("A load now would give:")
        for line in report.summary_lines():
            self.stdout.write("  " + line)
        if not report.conflicts:
            return
        self.stdout.write(
            self.style.WARNING(
                f"{len(report.conflicts)} conflict(s): the registry's record is kept; to apply "
                "a fixture row instead, name its uid with --accept-fixture."
            )
        )
        for conflict in report.conflicts:
            self.stdout.write("  " + conflict.describe())

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
