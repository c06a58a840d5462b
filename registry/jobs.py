"""Check jobs: a whole file of compounds screened in chunks, on workers that scale out.

A job's life:

1. `create_job` reads the uploaded file record by record (SMILES lines, SD records or CSV rows,
   see `read_records`) and writes it to the storage as chunk files of `CHECK_JOB_CHUNK_SIZE`
   records; no more than one chunk is ever in memory. The job is `queued`.
2. `dispatch` hands the chunks to the workers: Celery tasks on the broker when
   `CELERY_BROKER_URL` is set (`registry.tasks`), else the server's own process pool
   (`LocalPool`), so the embedded default runs jobs with nothing else started.
3. `run_chunk` checks one chunk and `commit_chunk` commits its verdicts: the verdict file is
   written under a name of its own, then one transaction inserts the (job, index) row and adds
   to the job's counters. A chunk run twice (its worker died before acknowledging it) finds the
   row and changes nothing, so every record is answered exactly once. The last chunk marks the
   job `done`; its verdicts are kept for `CHECK_JOB_KEEP_HOURS`, then `purge_expired` deletes
   them (`manage.py purge_check_jobs`).

A bad record (an unreadable structure, an empty cell in a CSV column) gets its verdict
(`invalid` or `unknown`) with the reason, and its line in the job's errors; it never fails the
job.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import contextlib
import csv
import datetime
import io
import itertools
import json
import logging
import multiprocessing
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import jurisdictions as per_jurisdiction
from registry import verdicts
from registry.check import CONTROLLED, MAX_ITEMS, check_items
from registry.models import CheckJob, CheckJobChunk
from registry.spreadsheet import safe_cell

log = logging.getLogger(__name__)

STORAGE_DIR = "check-jobs"
ERRORS_SHOWN = 100  # the job resource lists this many bad records; `error_count` has them all

Record = tuple[str, str, str]  # (line, id, structure text)

# A record the check could not read (invalid) or say anything about (unknown: neither a
# structure nor a name it knows) is a bad record: listed in the job's errors with its reason.
BAD_STATUSES = ("invalid", "unknown")


class JobInputError(ValueError):
    """The uploaded file cannot be a job (no records, too many, a missing column). `field` is
    the input at fault: the file, or the column it names ("column", "id_column")."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


class QuotaExceeded(Exception):
    """The account has too many jobs running or has screened its daily number of records."""


# --- reading files ------------------------------------------------------------------------------


def file_format(name: str) -> str:
    """The format of a file, from its name: .sdf/.sd, .csv, anything else SMILES."""
    suffix = os.path.splitext(name or "")[1].lower()
    if suffix in {".sdf", ".sd"}:
        return CheckJob.Format.SDF
    if suffix == ".csv":
        return CheckJob.Format.CSV
    return CheckJob.Format.SMILES


def _smiles_lines(handle: IO[str]) -> Iterator[Record]:
    """One compound a line, optionally followed by an id after white space; # comments."""
    for number, line in enumerate(handle, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        structure, _, ident = text.partition(" ") if " " in text else text.partition("\t")
        ident = ident.strip()
        if ident.startswith("|") and "|" in ident[1:]:
            # A CXSMILES: its extensions, between bars, are part of the structure.
            extension, _, ident = ident[1:].partition("|")
            structure, ident = f"{structure} |{extension}|", ident.strip()
        yield str(number), ident, structure


def _sdf_records(handle: IO[str]) -> Iterator[Record]:
    """Records end with "$$$$"; the id is the record's title line; numbered from 1."""
    record: list[str] = []
    number = 0
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


STRUCTURE_COLUMNS = ("structure", "smiles")
CSV_DELIMITERS = (",", ";", "\t")
"""The delimiters a CSV file may use: a comma, a semicolon (spreadsheets where the comma is the
decimal mark write it), a tab."""
_QUOTED_RE = re.compile(r'"[^"]*"')


def csv_delimiter(header: str) -> str:
    """The delimiter of a CSV file, from its header line: the one of `CSV_DELIMITERS` it holds
    most often outside quoted names, a comma when it holds none (a single column)."""
    bare = _QUOTED_RE.sub("", header)
    counts = {delimiter: bare.count(delimiter) for delimiter in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda delimiter: counts[delimiter])  # the first on a tie
    return best if counts[best] else ","


def _csv_rows(handle: IO[str], column: str | None, id_column: str | None) -> Iterator[Record]:
    """A row per compound; the structure column is `column`, else "structure" or "smiles",
    and the identifier column `id_column`, else "id" where there is one. Column names are
    compared as a spreadsheet user writes them: case and surrounding spaces aside ("ID",
    "SMILES"). The delimiter is read from the header line (`csv_delimiter`)."""
    header = handle.readline()
    reader = csv.DictReader(
        itertools.chain([header], handle) if header else handle,
        delimiter=csv_delimiter(header),
    )
    try:
        fields = reader.fieldnames or []
    except csv.Error as exc:
        raise JobInputError(
            _("the CSV file's header cannot be read: %(why)s") % {"why": exc}
        ) from None
    by_key = {}
    for name in fields:
        by_key.setdefault((name or "").strip().casefold(), name)

    def named(wanted: str | None) -> str | None:
        return by_key.get(wanted.strip().casefold()) if wanted else None

    chosen = (
        named(column)
        if column
        else next((named(name) for name in STRUCTURE_COLUMNS if named(name)), None)
    )
    if chosen is None:
        wanted = repr(column) if column else "'structure' or 'smiles'"
        raise JobInputError(
            _("the CSV file has no column %(wanted)s; its columns are: %(columns)s")
            % {"wanted": wanted, "columns": ", ".join(fields) or _("none")},
            field="column" if column else "file",
        )
    ident = named(id_column or "id")
    if id_column and ident is None:
        raise JobInputError(
            _("the CSV file has no identifier column %(wanted)r; its columns are: %(columns)s")
            % {"wanted": id_column, "columns": ", ".join(fields)},
            field="id_column",
        )
    try:
        for row in reader:
            found = (row.get(ident) or "").strip() if ident else ""
            yield str(reader.line_num), found, row.get(chosen) or ""
    except csv.Error as exc:  # a field longer than the csv module reads, a NUL byte
        raise JobInputError(
            _("the CSV file cannot be read after line %(line)d: %(why)s")
            % {"line": reader.line_num, "why": exc}
        ) from None


def read_records(
    handle: IO[str], fmt: str, *, column: str | None = None, id_column: str | None = None
) -> Iterator[Record]:
    """The records of a file, as (line, id, structure text), read as a stream. The columns
    are a CSV file's: named for another format, they are refused (they would be ignored)."""
    if fmt != CheckJob.Format.CSV and (column or id_column):
        raise JobInputError(
            _("column and id_column name a CSV file's columns; this file is read as %(format)s")
            % {"format": fmt}
        )
    if fmt == CheckJob.Format.SDF:
        return _sdf_records(handle)
    if fmt == CheckJob.Format.CSV:
        return _csv_rows(handle, column, id_column)
    return _smiles_lines(handle)


# How much of a file is read at a time to tell its encoding.
SNIFF_BYTES = 1024 * 1024


def encoding_of(binary: IO[bytes]) -> str:
    """The encoding of a file, read to its end: UTF-8 (a byte-order mark skipped) when all of
    it reads as UTF-8, else GB18030 when all of it reads as that (a spreadsheet saved as CSV
    on a Chinese system writes it), else UTF-8 (the bytes that are no text are replaced)."""
    start = binary.tell()
    try:
        for encoding in ("utf-8-sig", "gb18030"):
            binary.seek(start)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := binary.read(SNIFF_BYTES):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding
        return "utf-8-sig"
    finally:
        binary.seek(start)


def text_stream(binary: IO[bytes]) -> IO[str]:
    """A binary upload read as text, in the encoding the whole of it reads in (`encoding_of`;
    UTF-8 for a stream that cannot be read twice); bytes that are no text in it are replaced."""
    encoding = encoding_of(binary) if binary.seekable() else "utf-8-sig"
    return io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")


# --- verdicts as rows -------------------------------------------------------------------------


def verdict_row(record: Record, result: Any, among=()) -> dict[str, Any]:
    """One record's answer, as stored and as served in NDJSON: its line and id, the verdict,
    and the verdict in each jurisdiction of `among`."""
    line, ident, _text = record
    return {"record": int(line), "id": ident, **verdicts.verdict_json(result, among)}


def screen(
    records: list[Record],
    on: datetime.date,
    jurisdiction: str | None,
    *,
    time_budget: float = float("inf"),
) -> list[dict]:
    """The verdict rows of some records, in order (the check's batch limit respected).

    A job or the command line waits as long as the records take, and looks again, with more
    time, at a record whose class rules ran out of their time (`_look_again`); a page that
    answers at once passes the request's `time_budget`, and the records it leaves unexamined are
    `unknown`.
    """
    started = time.monotonic()
    rows: list[dict] = []
    among = [
        j
        for j in per_jurisdiction.jurisdictions()
        if not jurisdiction or j.code.lower() == jurisdiction.lower()
    ]
    for start in range(0, len(records), MAX_ITEMS):
        batch = records[start : start + MAX_ITEMS]
        # No client waits on a job: the request's time budget would leave records unexamined
        # on a busy worker. Each item keeps its own budget.
        left = time_budget - (time.monotonic() - started)
        texts = [text for _, _, text in batch]
        results = check_items(texts, on=on, jurisdiction=jurisdiction, time_budget=max(left, 0.0))
        if time_budget == float("inf"):
            _look_again(texts, results, on, jurisdiction)
        rows.extend(
            verdict_row(record, result, among)
            for record, result in zip(batch, results, strict=True)
        )
    return rows


SECOND_LOOK_SECONDS = 4.0
"""The class rules' time on a record that ran out of its first budget (half a second), when no
client waits for the answer: on a busy worker an ordinary structure can outlast half a second."""
SECOND_LOOKS = 20
"""At most this many records of a batch get a second look: beyond that the batch is hostile (or
the worker is stalled), and the rest keep their `unknown`, with its reason."""


def _look_again(texts: list, results: list, on, jurisdiction: str | None) -> None:
    """Check once more, with `SECOND_LOOK_SECONDS` each, the records whose verdict is open only
    for lack of time (`CheckResult.out_of_time`), and keep what the second look says."""
    # Controlled ones too where a jurisdiction was left unjudged; those known nowhere first.
    again = [
        n for n, r in enumerate(results) if r.out_of_time and (r.status != CONTROLLED or r.unjudged)
    ]
    again = sorted(again, key=lambda n: results[n].status == CONTROLLED)[:SECOND_LOOKS]
    if not again:
        return
    second = check_items(
        [texts[n] for n in again],
        on=on,
        jurisdiction=jurisdiction,
        time_budget=float("inf"),
        item_time_budget=SECOND_LOOK_SECONDS,
    )
    for n, result in zip(again, second, strict=True):
        results[n] = result


@dataclass(frozen=True)
class Summary:
    """How many records came out which way: the line under a screened file."""

    controlled: int = 0
    not_controlled: int = 0
    uncertain: int = 0  # a listing reaches it, but its act's date is known only imprecisely
    unknown: int = 0
    invalid: int = 0

    @classmethod
    def of(cls, statuses: Iterable[str]) -> Summary:
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        return cls(**{name: counts.get(name, 0) for name in cls.__dataclass_fields__})

    @property
    def total(self) -> int:
        return self.controlled + self.not_controlled + self.uncertain + self.unknown + self.invalid


def read_upload(
    upload: IO[bytes],
    file_name: str,
    *,
    limit: int,
    column: str | None = None,
    id_column: str | None = None,
) -> list[Record]:
    """The records of a small uploaded file, at most `limit` of them, read into memory.

    Raises `JobInputError` when the file holds no records, more than `limit`, or (CSV) lacks
    the structure column.
    """
    records: list[Record] = []
    fmt = file_format(file_name)
    for record in read_records(text_stream(upload), fmt, column=column, id_column=id_column):
        if len(records) == limit:
            raise JobInputError(_("the file has more than %(limit)d records") % {"limit": limit})
        records.append(record)
    if not records:
        raise JobInputError(_("the file holds no records"))
    return records


def write_csv(handle: IO[str], rows: Iterable[dict[str, Any]]) -> None:
    """Verdict rows as CSV: the header `CSV_COLUMNS`, then one line per record."""
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(csv_cells(row))


CSV_COLUMNS = [
    "record",
    "id",
    "input",
    "status",
    "reason",
    "substance",
    "matched_by",
    "listings",
    "classes",
    "jurisdictions",
    "not_compared",
    "analogue_of",
]


def csv_cells(row: dict[str, Any]) -> list[str]:
    """A verdict row as the CSV columns: the bases as listings and classes, one cell each."""
    matches = row.get("matches") or []
    # A listing reached more than one way (the structure itself, its parent, a relation) is
    # one entry of the cell: the ways are in the JSON, the cell names what holds it.
    listings = dict.fromkeys(
        # Since when the list has held it (a result stored before runs were kept: the entry's
        # own first day).
        f"{m['schedule']['code']} since {m.get('run_from') or m['effective_from']}"
        for m in matches
        if m.get("basis") == "listing"
    )
    classes = dict.fromkeys(
        f"{m['class']['uid']} ({m['rule']})" for m in matches if m.get("basis") == "class"
    )
    text = row.get("input") or ""
    one_line = text.splitlines()[0] if text.strip() else text
    substance = row.get("substance") or {}
    cells = [
        row.get("record", ""),
        row.get("id", ""),
        one_line[:200],
        row.get("status", ""),
        row.get("reason", ""),
        substance.get("uid", ""),
        substance.get("matched_by", ""),
        "; ".join(listings),
        "; ".join(classes),
        "; ".join(_verdict_cell(v) for v in row.get("jurisdictions") or []),
        # The entries listed without a structure that a structure no record has was not
        # compared with, per jurisdiction where nothing answers: "CN: dimdazenil tegileridine".
        "; ".join(
            f"{code}: {' '.join(uids)}" for code, uids in (row.get("not_compared") or {}).items()
        ),
        # The listed substance a structure is close to, under an analogue law, per jurisdiction
        # where no list reaches it: "US: 2c-b (US-I, likeness 0.71)". Told, not judged.
        "; ".join(
            f"{code}: {ref['substance']} ({ref['schedule']}, likeness {ref['likeness']:.2f})"
            for code, ref in (row.get("analogue_of") or {}).items()
        ),
    ]
    return [safe_cell(cell) for cell in cells]


def _verdict_cell(verdict: dict[str, Any]) -> str:
    """One jurisdiction's verdict: its code, its status, and the lists and classes there."""
    where = [*verdict.get("schedules", []), *verdict.get("classes", [])]
    text = f"{verdict['jurisdiction']}: {verdict['status']}"
    return f"{text} ({', '.join(where)})" if where else text


# --- creating a job ---------------------------------------------------------------------------


def _chunk_name(uid: str, index: int, kind: str) -> str:
    return f"{STORAGE_DIR}/{uid}/{kind}-{index:06d}.jsonl"


def _write_lines(name: str, items: Iterable[Any]) -> str:
    body = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    return default_storage.save(name, ContentFile(body.encode("utf-8")))


def _read_lines(name: str) -> list[Any]:
    with default_storage.open(name, "rb") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check_quota(owner) -> None:
    """Refuse a new job to an account that has too many running or screened enough today."""
    active = CheckJob.objects.filter(
        owner=owner, status__in=[CheckJob.Status.QUEUED, CheckJob.Status.RUNNING]
    ).count()
    if active >= settings.CHECK_JOB_MAX_ACTIVE:
        raise QuotaExceeded(
            f"{active} of your jobs are still queued or running (at most "
            f"{settings.CHECK_JOB_MAX_ACTIVE}); wait for one to finish or cancel it"
        )


def _screened_today(owner) -> int:
    since = timezone.now() - datetime.timedelta(days=1)
    jobs = CheckJob.objects.filter(owner=owner, created_at__gte=since)
    return jobs.aggregate(n=Sum("total"))["n"] or 0


def create_job(
    *,
    owner,
    upload: IO[bytes],
    file_name: str,
    on: datetime.date,
    jurisdiction: str | None,
    column: str | None = None,
    id_column: str | None = None,
) -> CheckJob:
    """Split an uploaded file into chunk files in the storage and record the job, `queued`.

    Raises `QuotaExceeded` (too many jobs running, or the daily number of records passed) and
    `JobInputError` (no records, more than `CHECK_JOB_MAX_RECORDS`, a CSV without the column).
    Nothing is left behind when it raises. The caller dispatches the job after the commit.
    """
    check_quota(owner)
    uid = uuid.uuid4().hex
    fmt = file_format(file_name)
    size = settings.CHECK_JOB_CHUNK_SIZE
    limit = settings.CHECK_JOB_MAX_RECORDS
    allowance = settings.CHECK_JOB_DAILY_RECORDS - _screened_today(owner)
    total, chunk, written = 0, [], []
    try:
        for record in read_records(text_stream(upload), fmt, column=column, id_column=id_column):
            total += 1
            if total > limit:
                raise JobInputError(f"the file has more than {limit} records, the limit per job")
            if total > allowance:
                raise QuotaExceeded(
                    f"this job would pass your daily allowance of "
                    f"{settings.CHECK_JOB_DAILY_RECORDS} records"
                )
            chunk.append(record)
            if len(chunk) == size:
                written.append(_write_lines(_chunk_name(uid, len(written), "input"), chunk))
                chunk = []
        if chunk:
            written.append(_write_lines(_chunk_name(uid, len(written), "input"), chunk))
        if not total:
            raise JobInputError("the file holds no records")
        for index, name in enumerate(written):
            if name != _chunk_name(uid, index, "input"):  # uuid names never clash
                raise RuntimeError(f"storage renamed {name}")
        return CheckJob.objects.create(
            uid=uid,
            owner=owner,
            on=on,
            jurisdiction=jurisdiction or "",
            file_name=(file_name or "")[:255],
            file_format=fmt,
            total=total,
            chunk_size=size,
            chunk_count=len(written),
        )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


# --- running chunks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkWork:
    """What a worker needs to check one chunk: everything but the registry itself."""

    uid: str
    index: int
    on: datetime.date
    jurisdiction: str | None
    records: list[Record]


def chunk_work(job: CheckJob, index: int) -> ChunkWork:
    records = [tuple(item) for item in _read_lines(_chunk_name(job.uid, index, "input"))]
    return ChunkWork(job.uid, index, job.on, job.jurisdiction or None, records)


def is_open(status: str) -> bool:
    return status in (CheckJob.Status.QUEUED, CheckJob.Status.RUNNING)


def commit_chunk(uid: str, index: int, rows: list[dict]) -> bool:
    """Commit one chunk's verdicts, once. False when it was committed before or the job closed.

    The verdict file goes to the storage under a name of its own; the (job, index) row, the
    job's counters and, with the last chunk, its `done` status are written in one transaction.
    A second commit of the same chunk loses the race on the row's unique constraint and
    deletes its file, so the job's answers are those of exactly one run of each chunk.
    """
    job = CheckJob.objects.filter(uid=uid).first()
    if job is None or not is_open(job.status):
        return False
    if CheckJobChunk.objects.filter(job=job, index=index).exists():
        return False
    counts: dict[str, int] = {}
    errors = []
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        if row["status"] in BAD_STATUSES:
            errors.append({"record": row["record"], "id": row["id"], "error": row["reason"]})
    name = _write_lines(_chunk_name(uid, index, "result"), rows)
    try:
        with transaction.atomic():
            CheckJobChunk.objects.create(
                job=job,
                index=index,
                records=len(rows),
                result=name,
                counts=counts,
                errors=errors,
            )
            CheckJob.objects.filter(pk=job.pk).update(
                done=F("done") + len(rows), error_count=F("error_count") + len(errors)
            )
            now = timezone.now()
            CheckJob.objects.filter(
                pk=job.pk,
                status__in=[CheckJob.Status.QUEUED, CheckJob.Status.RUNNING],
                done=F("total"),
            ).update(
                status=CheckJob.Status.DONE,
                finished_at=now,
                expires_at=now + datetime.timedelta(hours=settings.CHECK_JOB_KEEP_HOURS),
            )
    except IntegrityError:
        default_storage.delete(name)
        return False
    return True


def mark_running(uid: str) -> None:
    CheckJob.objects.filter(uid=uid, status=CheckJob.Status.QUEUED).update(
        status=CheckJob.Status.RUNNING, started_at=timezone.now()
    )


def run_chunk(uid: str, index: int) -> bool:
    """Check one chunk of a job and commit it (see `commit_chunk`): what a Celery task does."""
    job = CheckJob.objects.filter(uid=uid).first()
    if job is None or not is_open(job.status):
        return False
    if CheckJobChunk.objects.filter(job=job, index=index).exists():
        return False
    mark_running(uid)
    work = chunk_work(job, index)
    return commit_chunk(uid, index, screen(work.records, work.on, work.jurisdiction))


def fail_job(uid: str, reason: str) -> None:
    """Close a job that cannot finish (a chunk failed every retry); its chunks stay readable."""
    now = timezone.now()
    CheckJob.objects.filter(
        uid=uid, status__in=[CheckJob.Status.QUEUED, CheckJob.Status.RUNNING]
    ).update(
        status=CheckJob.Status.FAILED,
        failure=reason[:2000],
        finished_at=now,
        expires_at=now + datetime.timedelta(hours=settings.CHECK_JOB_KEEP_HOURS),
    )


def cancel_job(job: CheckJob) -> CheckJob:
    """Stop a queued or running job: chunks not yet committed are never answered."""
    now = timezone.now()
    CheckJob.objects.filter(
        pk=job.pk, status__in=[CheckJob.Status.QUEUED, CheckJob.Status.RUNNING]
    ).update(
        status=CheckJob.Status.CANCELLED,
        finished_at=now,
        expires_at=now + datetime.timedelta(hours=settings.CHECK_JOB_KEEP_HOURS),
    )
    job.refresh_from_db()
    return job


def missing_chunks(job: CheckJob) -> list[int]:
    committed = set(CheckJobChunk.objects.filter(job=job).values_list("index", flat=True))
    return [index for index in range(job.chunk_count) if index not in committed]


def resume_stalled(
    *, stall_seconds: float, now: datetime.datetime | None = None, skip: Iterable[str] = ()
) -> list[str]:
    """Hand out again the unanswered chunks of each running job that has committed none for
    `stall_seconds` (the uids of those resumed; `skip`: jobs not to resume this time).

    The broker hands back a chunk whose worker vanished, but a message can still be lost: one
    taken from the queue the moment Redis stopped, before it was recorded as unacknowledged.
    Such a job would stand still for ever, one chunk short. Queueing its missing chunks again
    costs nothing wrong: a chunk is committed once (`commit_chunk`), and a copy of one already
    answered is skipped at once (`run_chunk`).
    """
    now = now or timezone.now()
    resumed = []
    running = CheckJob.objects.filter(status=CheckJob.Status.RUNNING).exclude(uid__in=list(skip))
    for job in running.annotate(last=Max("chunks__finished_at")):
        last = max(t for t in (job.last, job.started_at, job.created_at) if t is not None)
        if (now - last).total_seconds() < stall_seconds or not missing_chunks(job):
            continue
        log.warning(
            "check job %s committed nothing for %.0f s: its chunks are queued again",
            job.uid,
            (now - last).total_seconds(),
        )
        dispatch(job)
        resumed.append(job.uid)
    return resumed


def job_errors(job: CheckJob, limit: int = ERRORS_SHOWN) -> list[dict]:
    """The first bad records of a job, in file order."""
    shown: list[dict] = []
    for errors in (
        CheckJobChunk.objects.filter(job=job).order_by("index").values_list("errors", flat=True)
    ):
        shown.extend(errors[: limit - len(shown)])
        if len(shown) >= limit:
            break
    return shown


def iter_results(job: CheckJob) -> Iterator[dict]:
    """Every verdict row of a job, in file order, read one chunk file at a time."""
    names = CheckJobChunk.objects.filter(job=job).order_by("index").values_list("result", flat=True)
    for name in list(names):
        yield from _read_lines(name)


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete the jobs whose keeping time is over, with their files. Returns how many."""
    now = now or timezone.now()
    purged = 0
    for job in CheckJob.objects.filter(expires_at__lte=now):
        delete_files(job)
        job.delete()
        purged += 1
    return purged


def delete_files(job: CheckJob) -> None:
    folder = f"{STORAGE_DIR}/{job.uid}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    if hasattr(default_storage, "path"):
        with contextlib.suppress(OSError):
            os.rmdir(default_storage.path(folder))


# --- where chunks run -------------------------------------------------------------------------


def uses_broker() -> bool:
    return bool(settings.CELERY_BROKER_URL)


def dispatch(job: CheckJob) -> None:
    """Hand a job's unanswered chunks to the workers: Celery with a broker, else `LocalPool`."""
    if uses_broker():
        import config.celery  # noqa: F401  (the application, configured from the settings)
        from registry.tasks import run_check_chunk

        try:
            for index in missing_chunks(job):
                run_check_chunk.apply_async((job.uid, index))
        except Exception as exc:  # the broker did not answer, even after kombu's retries
            log.exception("check job %s could not be queued", job.uid)
            fail_job(job.uid, f"the job queue did not answer: {exc}")
    else:
        LocalPool.shared().run_job(job.uid)


def _exit_with_parent(parent: int) -> None:
    """In a pool process: exit when the process that started the pool is gone.

    A pool process waits on its queue, which its siblings also hold open, so it would never
    see the server stop and would linger forever.
    """
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def _forget_inherited_connections(parent: int | None = None) -> None:
    """In a forked child: never use (or close) the parent's database connections.

    Closing them would end the parent's sessions; they are set aside and new ones opened.
    An in-memory SQLite database exists only through its connection, so it is kept. The child
    exits when ``parent`` does (see `_exit_with_parent`).
    """
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            continue
        _INHERITED.append(conn.connection)
        conn.connection = None


_INHERITED: list[Any] = []


def _screen_work(work: ChunkWork) -> tuple[int, list[dict]]:
    return work.index, screen(work.records, work.on, work.jurisdiction)


def process_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of `workers` processes forked from this one, each with the registry at hand.

    Forked, so that the children start with Django and RDKit already imported and the class
    rules compiled; each opens its own database connections.
    """
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_forget_inherited_connections,
        initargs=(os.getpid(),),
    )


def screen_in_processes(
    records: Iterable[Record],
    on: datetime.date,
    jurisdiction: str | None,
    *,
    workers: int,
    chunk_size: int = MAX_ITEMS,
) -> Iterator[dict]:
    """Verdict rows of a stream of records, in input order, checked by `workers` processes.

    At most two chunks per process are in flight, so memory stays bounded on any file.
    """

    def chunks() -> Iterator[ChunkWork]:
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) == chunk_size:
                yield ChunkWork("", 0, on, jurisdiction, batch)
                batch = []
        if batch:
            yield ChunkWork("", 0, on, jurisdiction, batch)

    pool = process_pool(workers)
    finished = False
    try:
        pending: list[concurrent.futures.Future] = []
        for work in chunks():
            pending.append(pool.submit(_screen_work, work))
            while len(pending) >= 2 * workers:
                yield from _result(pending.pop(0))[1]
        for future in pending:
            yield from _result(future)[1]
        finished = True
    finally:
        if finished:
            pool.shutdown()
        else:  # a Ctrl-C, an error, or a reader that stopped reading: no chunk is worth waiting for
            stop_pool(pool)


def _result(future: concurrent.futures.Future, poll: float = 0.2):
    """The future's result, waited for in short slices.

    A wait without a timeout is not woken by a KeyboardInterrupt raised from another thread
    (`check_structures` takes the user's Ctrl-C in a thread of its own), so the main thread
    would sit out the chunk in flight; between slices it notices the interrupt.
    """
    while True:
        try:
            return future.result(timeout=poll)
        except concurrent.futures.TimeoutError:
            continue


def stop_pool(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop a process pool now: queued work is cancelled and the worker processes are ended
    (their chunks in flight are dropped, not waited for)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14 and later
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


class LocalPool:
    """The server's own workers, for the embedded default (no broker configured).

    One coordinating thread per job reads the chunk files, has the process pool check them,
    and commits each chunk (`commit_chunk`), stopping when the job is cancelled. A chunk whose
    process failed is tried once more, then the job fails.
    """

    _shared: LocalPool | None = None
    _lock = threading.Lock()

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or settings.CHECK_JOB_LOCAL_WORKERS or os.cpu_count() or 1
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.threads: list[threading.Thread] = []

    @classmethod
    def shared(cls) -> LocalPool:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @classmethod
    def shutdown_shared(cls) -> None:
        with cls._lock:
            pool, cls._shared = cls._shared, None
        if pool is not None:
            pool.shutdown()

    def pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = process_pool(self.workers)
            return self._pool

    def _renew_pool(
        self, broken: concurrent.futures.ProcessPoolExecutor
    ) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)
        return self.pool()

    def run_job(self, uid: str) -> threading.Thread:
        thread = threading.Thread(target=self._coordinate, args=(uid,), daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    def wait(self, timeout: float | None = None) -> None:
        for thread in list(self.threads):
            thread.join(timeout)

    def shutdown(self) -> None:
        self.wait()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _coordinate(self, uid: str) -> None:
        try:
            self._run(uid)
        except Exception as exc:  # a broken pool, a lost database: the job says so
            log.exception("check job %s failed", uid)
            fail_job(uid, f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def _run(self, uid: str) -> None:
        job = CheckJob.objects.get(uid=uid)
        todo = missing_chunks(job)
        if todo:
            mark_running(uid)
        pool = self.pool()
        in_flight: dict[concurrent.futures.Future, tuple[int, int]] = {}
        queue = list(todo)
        while queue or in_flight:
            while queue and len(in_flight) < 2 * self.workers:
                index = queue.pop(0)
                in_flight[pool.submit(_screen_work, chunk_work(job, index))] = (index, 1)
            finished, _ = concurrent.futures.wait(
                in_flight, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                index, attempt = in_flight.pop(future)
                try:
                    _, rows = future.result()
                except Exception as exc:
                    if attempt >= 2:
                        raise
                    if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
                        pool = self._renew_pool(pool)  # a process died: start afresh
                    retry = pool.submit(_screen_work, chunk_work(job, index))
                    in_flight[retry] = (index, attempt + 1)
                    continue
                commit_chunk(uid, index, rows)
            job.refresh_from_db(fields=["status"])
            if not is_open(job.status):
                for future in in_flight:
                    future.cancel()
                return
