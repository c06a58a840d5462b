"""registry.jobs: files split into chunks, each chunk answered once, the local process pool."""

import csv
import datetime
import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command

from registry import check, jobs
from registry.models import CheckJob, CheckJobChunk
from tests.registry.conftest import DEXAMFETAMINE, FENTANYL

D = datetime.date
BUTYRYLFENTANYL = "CCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHECK_JOB_CHUNK_SIZE = 2


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("screener", "s@example.org", "pw")


def smiles_file(lines: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode())


SEIZED = [
    f"{FENTANYL} exhibit-1",
    "# a comment",
    f"{BUTYRYLFENTANYL} exhibit-2",
    "C1CC(N exhibit-3",
    f"{PARACETAMOL} exhibit-4",
    "[Xx] exhibit-5",
]


def make_job(owner, lines=SEIZED, name="seized.smi", **kwargs) -> CheckJob:
    return jobs.create_job(
        owner=owner,
        upload=smiles_file(lines),
        file_name=name,
        on=D(2024, 1, 1),
        jurisdiction=None,
        **kwargs,
    )


def results(job) -> list[dict]:
    return list(jobs.iter_results(job))


def test_a_file_is_split_into_chunk_files(owner, registry):
    job = make_job(owner)
    assert (job.status, job.total, job.done, job.chunk_count) == ("queued", 5, 0, 3)
    _dirs, files = default_storage.listdir(f"check-jobs/{job.uid}")
    assert sorted(files) == [f"input-{n:06d}.jsonl" for n in range(3)]
    assert jobs.chunk_work(job, 1).records == [
        ("4", "exhibit-3", "C1CC(N"),
        ("5", "exhibit-4", PARACETAMOL),
    ]


def test_every_record_is_answered_once_and_bad_ones_are_listed(owner, registry):
    job = make_job(owner)
    assert jobs.run_chunk(job.uid, 1)
    assert not jobs.run_chunk(job.uid, 1)  # a second run of the chunk changes nothing
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 2)
    for index in (0, 2):
        assert jobs.run_chunk(job.uid, index)
    job.refresh_from_db()
    assert (job.status, job.done, job.error_count) == ("done", 5, 2)
    assert job.expires_at > job.finished_at
    rows = results(job)
    assert [(r["record"], r["id"], r["status"]) for r in rows] == [
        (1, "exhibit-1", "controlled"),
        (3, "exhibit-2", "controlled"),
        (4, "exhibit-3", "unknown"),
        (5, "exhibit-4", "not_controlled"),
        (6, "exhibit-5", "unknown"),
    ]
    assert jobs.job_errors(job) == [
        {"record": 4, "id": "exhibit-3", "error": rows[2]["reason"]},
        {"record": 6, "id": "exhibit-5", "error": rows[4]["reason"]},
    ]
    assert "unparseable SMILES" in rows[2]["reason"]
    assert CheckJobChunk.objects.filter(job=job).count() == 3


def test_a_chunk_committed_twice_keeps_the_first_answer(owner, registry):
    job = make_job(owner)
    work = jobs.chunk_work(job, 0)
    rows = jobs.screen(work.records, work.on, work.jurisdiction)
    assert jobs.commit_chunk(job.uid, 0, rows)
    assert not jobs.commit_chunk(job.uid, 0, rows)
    job.refresh_from_db()
    assert job.done == 2
    _dirs, files = default_storage.listdir(f"check-jobs/{job.uid}")
    assert len([f for f in files if f.startswith("result-")]) == 1


def test_a_cancelled_job_answers_no_more_chunks(owner, registry):
    job = make_job(owner)
    jobs.run_chunk(job.uid, 0)
    job = jobs.cancel_job(job)
    assert job.status == "cancelled" and job.expires_at
    assert not jobs.run_chunk(job.uid, 1)
    job.refresh_from_db()
    assert (job.done, job.status) == (2, "cancelled")


def test_csv_and_sdf_files(owner, registry):
    job = jobs.create_job(
        owner=owner,
        upload=io.BytesIO(f"id,structure\nA,{DEXAMFETAMINE}\n=B(),fentanyl\nC,\n".encode()),
        file_name="orders.csv",
        on=D(2024, 1, 1),
        jurisdiction="CN",
    )
    for index in range(job.chunk_count):
        jobs.run_chunk(job.uid, index)
    rows = results(job)
    assert [(r["record"], r["id"], r["status"]) for r in rows] == [
        (2, "A", "controlled"),
        (3, "=B()", "controlled"),
        (4, "C", "invalid"),
    ]
    # A cell a spreadsheet would run as a formula is neutralised.
    assert jobs.csv_cells(rows[1])[1] == "'=B()"
    with pytest.raises(jobs.JobInputError, match="no column 'structure' or 'smiles'"):
        jobs.create_job(
            owner=owner,
            upload=io.BytesIO(b"id,name\n1,x\n"),
            file_name="x.csv",
            on=D(2024, 1, 1),
            jurisdiction=None,
        )


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("id,structure", ","),
        ("id;structure", ";"),
        ("id\tstructure", "\t"),
        ('"name, as sold";id;structure', ";"),  # a comma inside a quoted name is no delimiter
        ("structure", ","),  # a single column
        ("", ","),
    ],
)
def test_the_csv_delimiter_is_read_from_the_header_line(header, delimiter):
    assert jobs.csv_delimiter(header + "\r\n") == delimiter


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_files_are_read_with_the_delimiter_their_header_uses(delimiter):
    text = delimiter.join(["id", "name", "structure"]) + "\r\n"
    text += delimiter.join(["A", '"fentanyl; base, pure"', FENTANYL]) + "\r\n"
    text += delimiter.join(["B", "x", "C1CC(N"]) + "\r\n"
    records = list(jobs.read_records(jobs.text_stream(io.BytesIO(text.encode())), "csv"))
    assert records == [("2", "A", FENTANYL), ("3", "B", "C1CC(N")]
    upload = io.BytesIO(("\ufeff" + text.replace("structure", "mol")).encode())
    assert jobs.read_upload(upload, "t.csv", limit=10, column="mol")[0] == ("2", "A", FENTANYL)


def test_limits_and_quota(owner, registry, settings):
    with pytest.raises(jobs.JobInputError, match="no records"):
        make_job(owner, lines=["# nothing"])
    settings.CHECK_JOB_MAX_RECORDS = 4
    with pytest.raises(jobs.JobInputError, match="more than 4 records"):
        make_job(owner)
    assert not os.path.exists(os.path.join(settings.MEDIA_ROOT, "check-jobs")) or not any(
        files for _root, _dirs, files in os.walk(os.path.join(settings.MEDIA_ROOT, "check-jobs"))
    )
    settings.CHECK_JOB_MAX_RECORDS = 100
    settings.CHECK_JOB_MAX_ACTIVE = 1
    make_job(owner)
    with pytest.raises(jobs.QuotaExceeded, match="still queued or running"):
        make_job(owner)
    settings.CHECK_JOB_MAX_ACTIVE = 5
    settings.CHECK_JOB_DAILY_RECORDS = 8
    with pytest.raises(jobs.QuotaExceeded, match="daily allowance of 8"):
        make_job(owner)


def test_expired_jobs_are_purged_with_their_files(owner, registry):
    job = make_job(owner)
    for index in range(job.chunk_count):
        jobs.run_chunk(job.uid, index)
    job.refresh_from_db()
    assert jobs.purge_expired(now=job.expires_at - datetime.timedelta(seconds=1)) == 0
    out = io.StringIO()
    call_command("purge_check_jobs", stdout=out)
    assert CheckJob.objects.filter(pk=job.pk).exists()
    assert jobs.purge_expired(now=job.expires_at) == 1
    assert not CheckJob.objects.filter(pk=job.pk).exists()
    assert not default_storage.exists(f"check-jobs/{job.uid}/input-000000.jsonl")


def test_the_local_pool_runs_a_job_in_processes(transactional_db, registry, owner):
    job = make_job(owner)
    pool = jobs.LocalPool(workers=2)
    try:
        pool.run_job(job.uid)
        pool.wait(timeout=120)
    finally:
        pool.shutdown()
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 5)
    assert [r["record"] for r in results(job)] == [1, 3, 4, 5, 6]


def _screen(path, *args) -> list[list[str]]:
    out = io.StringIO()
    call_command(
        "check_structures", str(path), "--on", "2024-01-01", *args, stdout=out, stderr=io.StringIO()
    )
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_check_structures_with_workers_writes_the_same_verdicts(
    transactional_db, registry, tmp_path, monkeypatch
):
    # The same verdicts, whatever the clock: on a busy machine (three processes on two cores)
    # an item can outlast its half-second budget; the second look answers it.
    path = tmp_path / "library.smi"
    molecules = [FENTANYL, BUTYRYLFENTANYL, PARACETAMOL, DEXAMFETAMINE, "C1CC(N", "[Xx]"]
    path.write_text("".join(f"{molecules[n % 6]} id-{n}\n" for n in range(2500)))
    one = _screen(path)
    three = _screen(path, "--workers", "3")
    assert len(one) == 2501
    assert three == one


def test_a_job_the_broker_cannot_take_fails_with_the_reason(owner, registry, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    from config.celery import app

    monkeypatch.setitem(app.conf, "broker_url", settings.CELERY_BROKER_URL)
    monkeypatch.setitem(app.conf, "broker_connection_timeout", 1)
    job = make_job(owner)
    jobs.dispatch(job)
    job.refresh_from_db()
    assert job.status == "failed" and "the job queue did not answer" in job.failure


def test_a_busy_worker_still_examines_every_record(owner, registry, monkeypatch):
    """The request's time budget is for clients that wait; a job answers every record."""
    from registry import check

    monkeypatch.setattr(check, "REQUEST_TIME_BUDGET_SECONDS", 0.0)
    assert check.check_items([FENTANYL], on=D(2024, 1, 1))[0].status == "unknown"
    job = make_job(owner)
    for index in range(job.chunk_count):
        jobs.run_chunk(job.uid, index)
    assert [r["status"] for r in results(job)][:2] == ["controlled", "controlled"]


_ORPHAN_SCRIPT = """
import os, django
django.setup()
from registry import jobs
pool = jobs.process_pool(2)
pids = {pool.submit(os.getpid).result() for _ in range(8)}
print(" ".join(map(str, pids)), flush=True)
os._exit(0)  # the server stops without shutting its pool down
"""


def test_pool_processes_exit_when_their_server_stops():
    import subprocess
    import sys
    import time

    done = subprocess.run(
        [sys.executable, "-c", _ORPHAN_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
    )
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids, done.stderr
    deadline = time.monotonic() + 15
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
    assert not alive


def test_a_listing_reached_several_ways_is_one_entry_of_the_csv_cell():
    """The JSON keeps each way a listing was reached; the CSV cell names each listing once."""
    listing = {"basis": "listing", "schedule": {"code": "CN-NARC"}, "effective_from": "2014-01-01"}
    klass = {"basis": "class", "class": {"uid": "fentanyl-class"}, "rule": "core"}
    other = {"basis": "listing", "schedule": {"code": "UN-1961-I"}, "effective_from": "1964-12-13"}
    row = {"status": "controlled", "matches": [listing, dict(listing), other, klass, dict(klass)]}
    cells = dict(zip(jobs.CSV_COLUMNS, jobs.csv_cells(row), strict=True))
    assert cells["listings"] == "CN-NARC since 2014-01-01; UN-1961-I since 1964-12-13"
    assert cells["classes"] == "fentanyl-class (core)"


def test_a_running_job_that_stood_still_has_its_missing_chunks_queued_again(
    owner, registry, monkeypatch
):
    # A chunk message the broker lost (taken from the queue as Redis stopped) would leave the
    # job running for ever, one chunk short: the workers queue its missing chunks again.
    queued = []
    monkeypatch.setattr(jobs, "dispatch", lambda job: queued.append(jobs.missing_chunks(job)))
    job = make_job(owner)
    assert jobs.run_chunk(job.uid, 0) and jobs.run_chunk(job.uid, 1)
    job.refresh_from_db()
    assert job.status == "running"
    last = CheckJobChunk.objects.filter(job=job).latest("finished_at").finished_at
    # Not yet: the last chunk was committed a moment ago.
    assert jobs.resume_stalled(stall_seconds=60, now=last + datetime.timedelta(seconds=30)) == []
    later = last + datetime.timedelta(seconds=61)
    assert jobs.resume_stalled(stall_seconds=60, now=later) == [job.uid]
    assert queued == [[2]]
    # A job resumed a moment ago is skipped; one done or queued is never touched.
    assert jobs.resume_stalled(stall_seconds=60, now=later, skip=[job.uid]) == []
    assert jobs.run_chunk(job.uid, 2)
    assert jobs.resume_stalled(stall_seconds=60, now=later) == []
    make_job(owner)  # queued, nothing started
    assert jobs.resume_stalled(stall_seconds=60, now=later + datetime.timedelta(days=1)) == []


def test_a_record_that_ran_out_of_time_gets_a_second_look(db, registry, monkeypatch):
    """A record whose class rules outlast their budget (a busy worker) is `unknown` to a page
    that answers at once, and looked at again, with more time, in a job."""
    monkeypatch.setattr(check, "ITEM_TIME_BUDGET_SECONDS", 0.0)
    quick = check.check_items([BUTYRYLFENTANYL], on=D(2024, 1, 1))[0]
    assert (quick.status, quick.out_of_time) == ("unknown", True)
    assert "in time" in quick.reason
    records = [(1, "exhibit-1", BUTYRYLFENTANYL), (2, "exhibit-2", PARACETAMOL)]
    rows = jobs.screen(records, D(2024, 1, 1), None)
    assert [row["status"] for row in rows] == ["controlled", "not_controlled"]
    # A page's upload keeps the first answer: its client is waiting.
    rows = jobs.screen(records, D(2024, 1, 1), None, time_budget=8.0)
    assert [row["status"] for row in rows] == ["unknown", "unknown"]


def test_second_looks_are_bounded_per_batch(db, registry, monkeypatch):
    monkeypatch.setattr(check, "ITEM_TIME_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(jobs, "SECOND_LOOKS", 1)
    records = [(n, f"exhibit-{n}", BUTYRYLFENTANYL) for n in (1, 2)]
    rows = jobs.screen(records, D(2024, 1, 1), None)
    assert [row["status"] for row in rows] == ["controlled", "unknown"]
    assert "in time" in rows[1]["reason"]


def test_no_verdict_on_what_the_check_had_no_time_to_look_at(db, registry, monkeypatch):
    """Esters and ethers, then isomers, are looked for while the check's time lasts; a structure
    not looked at is `unknown` with the reason, never `not_controlled`, and a listed one is
    still found controlled."""
    looked_for = check._esters_and_ethers
    monkeypatch.setattr(check, "_esters_and_ethers", lambda items, _deadline: looked_for(items, 0))
    paracetamol, fentanyl = check.check_items([PARACETAMOL, FENTANYL], on=D(2024, 1, 1))
    assert (paracetamol.status, paracetamol.out_of_time) == ("unknown", True)
    assert "time budget was spent before its esters" in paracetamol.reason
    assert fentanyl.status == "controlled"


def test_a_controlled_record_that_ran_out_of_time_gets_a_second_look_too(db, registry, monkeypatch):
    """Controlled in one jurisdiction, not judged in another (its look for esters was cut
    short): a job looks again, and the second look answers there."""
    from tests.factories import JurisdictionFactory

    JurisdictionFactory(code="US", name="United States", name_zh="美国")
    looked_for, calls = check._esters_and_ethers, []

    def cut_once(items, deadline):
        calls.append(deadline)
        return looked_for(items, 0 if len(calls) == 1 else deadline)

    monkeypatch.setattr(check, "_esters_and_ethers", cut_once)
    rows = jobs.screen([(1, "exhibit-1", BUTYRYLFENTANYL)], D(2024, 1, 1), None)
    assert len(calls) == 2  # the first look, cut short, and the second
    assert {v["jurisdiction"]: v["status"] for v in rows[0]["jurisdictions"]} == {
        "CN": "controlled",
        "US": "not_controlled",
    }


def test_a_smiles_file_keeps_a_cxsmiles_whole():
    lines = io.StringIO(
        "C[C@H](N)Cc1ccccc1 |&1:1| rac-amphetamine\n"
        "C[C@@H]1N=C(N)O[C@@H]1c1ccccc1 |&1:1,6|\n"
        "CCO ethanol\n"
    )
    assert list(jobs._smiles_lines(lines)) == [
        ("1", "rac-amphetamine", "C[C@H](N)Cc1ccccc1 |&1:1|"),
        ("2", "", "C[C@@H]1N=C(N)O[C@@H]1c1ccccc1 |&1:1,6|"),
        ("3", "ethanol", "CCO"),
    ]
