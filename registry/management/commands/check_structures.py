"""manage.py check_structures FILE: screen many compounds at once and write CSV verdicts."""

import _thread
import contextlib
import csv
import datetime
import os
import signal
import sys
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registry import jobs
from registry.check import MAX_ITEMS


class Command(BaseCommand):
    help = (
        "Check many compounds at once against the registry: the named listings and the "
        "whole-class controls in force on a date. FILE is a SMILES file (one compound a line, "
        "an optional id after white space), an SD file (.sdf/.sd), or a CSV file (--column "
        "names the structure column; names and CAS numbers work there too). Writes one CSV "
        "row per compound with its verdict (controlled, not_controlled, uncertain, unknown, "
        "invalid) and the reasons; a progress bar goes to standard error. --workers N checks "
        "with N processes, with the same verdicts in the same order."
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
            "--column",
            default=None,
            help="CSV input: the structure column (default structure or smiles)",
        )
        parser.add_argument(
            "--id-column", default=None, help="CSV input: the identifier column (default id)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="check with this many processes (default 1; 0 for every core)",
        )
        parser.add_argument(
            "-o", "--output", type=Path, default=None, help="write the CSV here (default: stdout)"
        )

    def handle(
        self, *args, file: Path, on, jurisdiction, column, id_column, workers, output, **options
    ):
        if not file.exists():
            raise CommandError(f"{file} does not exist")
        if workers < 0:
            raise CommandError("--workers must be 0 (every core) or more")
        workers = workers or os.cpu_count() or 1
        on = on or timezone.localdate()
        fmt = jobs.file_format(file.name)
        total = sum(1 for _ in self._records(file, fmt, column, id_column))
        handle = output.open("w", encoding="utf-8", newline="") if output else self.stdout
        writer = csv.writer(handle)
        writer.writerow(jobs.CSV_COLUMNS)
        counts: dict[str, int] = {}
        records = self._records(file, fmt, column, id_column)
        done = 0
        try:
            with ctrl_c_stops_the_command():
                if workers == 1:
                    rows = (
                        row
                        for chunk in _chunks(records)
                        for row in jobs.screen(chunk, on, jurisdiction)
                    )
                else:
                    rows = jobs.screen_in_processes(records, on, jurisdiction, workers=workers)
                for row in rows:
                    counts[row["status"]] = counts.get(row["status"], 0) + 1
                    writer.writerow(jobs.csv_cells(row))
                    done += 1
                    if done % MAX_ITEMS == 0 or done == total:
                        self._progress(done, total)
        except KeyboardInterrupt:
            raise CommandError(
                f"stopped by Ctrl-C after {done} of {total} compounds: the output is incomplete",
                returncode=130,  # as a shell reports a command ended by SIGINT
            ) from None
        finally:
            if output:
                handle.close()
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.stderr.write(f"\nChecked {done} compounds: {summary or 'none'}.")

    def _records(self, file: Path, fmt: str, column: str, id_column: str):
        with file.open("rb") as binary:
            try:
                yield from jobs.read_records(
                    jobs.text_stream(binary), fmt, column=column, id_column=id_column
                )
            except jobs.JobInputError as exc:
                hint = " Choose one with --column." if "has no column" in str(exc) else ""
                raise CommandError(f"{file.name}: {exc}.{hint}") from exc

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        self.stderr.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total}", ending="")
        sys.stderr.flush()


@contextlib.contextmanager
def ctrl_c_stops_the_command():
    """A user's Ctrl-C stops the command (KeyboardInterrupt in the main thread), promptly.

    The check's time guard stops a search by sending SIGINT to its own watchdog thread
    (`substances.chemistry._Interrupter`), and while checks run SIGINT is not Python's: a Ctrl-C
    at the terminal would only end the search in progress early. Here SIGINT is blocked in the
    main thread (and so in the threads it starts) and one thread waits for it: a SIGINT sent to
    the process reaches that thread only, never a search, and the main thread is interrupted
    as by Python's own handler, at the latest when the search in progress ends (each has its
    item's time budget). manage.py blocks SIGINT for this command before any library starts a
    thread of its own, so that no other thread takes it. Left as it is where Python does not
    handle SIGINT (a background job), outside the main thread, or where signals cannot be
    waited for.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "sigtimedwait")
        or not callable(signal.getsignal(signal.SIGINT))
    ):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    finished = threading.Event()

    def wait_for_ctrl_c() -> None:
        while not finished.is_set():
            if signal.sigtimedwait({signal.SIGINT}, 0.1) is not None:
                _thread.interrupt_main(signal.SIGINT)

    waiter = threading.Thread(target=wait_for_ctrl_c, name="ctrl-c", daemon=True)
    waiter.start()
    try:
        yield
    finally:
        finished.set()
        waiter.join()
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _chunks(records, size: int = MAX_ITEMS):
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
