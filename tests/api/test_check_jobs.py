"""Check jobs through the API: upload, follow, read the verdicts, cancel; tokens and quota."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry import jobs
from tests.registry.conftest import FENTANYL
from tests.registry.conftest import registry as small_registry  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_registry")]

URL = "/api/v1/check/jobs/"
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"


@pytest.fixture(autouse=True)
def _jobs_run_inline(settings, tmp_path, monkeypatch):
    """Chunks run in the test's own process and transaction, as a worker would run them."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHECK_JOB_CHUNK_SIZE = 2

    def run_all(job):
        for index in jobs.missing_chunks(job):
            jobs.run_chunk(job.uid, index)

    monkeypatch.setattr(jobs, "dispatch", run_all)


def upload(lines, name="seized.smi") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), "text/plain")


SEIZED = [f"{FENTANYL} exhibit-1", f"{PARACETAMOL} exhibit-2", "C1CC(N exhibit-3", "=1+1 ="]


def submit(client, data, captured):
    with captured(execute=True):
        return client.post(URL, data, format="multipart")


def test_a_job_from_upload_to_verdicts(reader_token, django_capture_on_commit_callbacks):
    response = submit(
        reader_token,
        {"file": upload(SEIZED), "on": "2024-01-01", "jurisdiction": "cn"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["status"] == "queued" and body["total"] == 4 and body["jurisdiction"] == "CN"
    job = reader_token.get(body["url"]).json()
    assert (job["status"], job["done"], job["error_count"]) == ("done", 4, 2)
    assert [e["record"] for e in job["errors"]] == [3, 4]
    assert job["results"].endswith("results.csv")
    csv_response = reader_token.get(job["results"])
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert [(r["record"], r["id"], r["status"]) for r in rows] == [
        ("1", "exhibit-1", "controlled"),
        ("2", "exhibit-2", "not_controlled"),
        ("3", "exhibit-3", "unknown"),
        ("4", "'=", "unknown"),
    ]
    assert rows[0]["listings"] == "NM since 2017-03-01"
    assert rows[3]["input"] == "'=1+1"  # no formula reaches a spreadsheet
    ndjson = reader_token.get(job["results_ndjson"])
    lines = b"".join(ndjson.streaming_content).decode().splitlines()
    assert [json.loads(line)["status"] for line in lines] == [r["status"] for r in rows]
    assert json.loads(lines[0])["substance"]["uid"] == "fentanyl"
    assert [j["uid"] for j in reader_token.get(URL).json()] == [body["uid"]]


def test_jobs_need_a_token_and_belong_to_its_account(
    anon, reader_token, curator, django_capture_on_commit_callbacks
):
    assert anon.post(URL, {"file": upload(SEIZED)}, format="multipart").status_code in (401, 403)
    body = submit(reader_token, {"file": upload(SEIZED)}, django_capture_on_commit_callbacks).json()
    assert curator.get(body["url"]).status_code == 404
    assert curator.get(body["url"] + "results.csv").status_code == 404
    assert anon.get(body["url"]).status_code in (401, 403)


def test_bad_requests_name_the_field(reader_token):
    def post(data):
        return reader_token.post(URL, data, format="multipart")

    assert "file" in post({}).json()
    response = post({"file": upload(SEIZED), "colour": "blue"})
    assert response.status_code == 400 and "colour" in response.json()
    response = post({"file": upload(["# nothing"])})
    assert response.status_code == 400 and "no records" in response.json()["file"][0]
    response = post({"file": upload(["id,name", "1,x"], name="x.csv")})
    assert response.status_code == 400 and "no column" in response.json()["file"][0]
    response = post({"file": upload(SEIZED), "on": "yesterday"})
    assert response.status_code == 400 and "on" in response.json()
    response = post({"file": upload(SEIZED), "jurisdiction": "XX"})
    assert response.status_code == 400 and "jurisdiction" in response.json()
    # Each of these was taken, the option ignored or the first file dropped.
    table = ["id,smiles", "1,CCO"]
    # A column the file does not have is the fault of the field that names it.
    response = post({"file": upload(table, name="x.csv"), "id_column": "nope"})
    assert response.status_code == 400 and "'nope'" in response.json()["id_column"][0]
    response = post({"file": upload(table, name="x.csv"), "column": "nope"})
    assert response.status_code == 400 and "'nope'" in response.json()["column"][0]
    response = post({"file": upload(SEIZED), "column": "smiles", "id_column": "id"})
    assert response.status_code == 400
    assert set(response.json()) == {"column", "id_column"}
    response = post({"file": [upload(SEIZED), upload(table, name="x.csv")]})
    assert response.status_code == 400
    assert response.json()["file"] == ["Given 2 times: give it once."]
    # No body at all, not even a content type: the file is missing, as with an empty form.
    response = reader_token.generic("POST", URL)
    assert response.status_code == 400
    assert "file" in response.json()


def test_quota_per_token(reader_token, settings, monkeypatch):
    monkeypatch.setattr(jobs, "dispatch", lambda job: None)  # the jobs stay queued
    settings.CHECK_JOB_MAX_ACTIVE = 1
    first = reader_token.post(URL, {"file": upload(SEIZED)}, format="multipart")
    assert first.status_code == 202
    second = reader_token.post(URL, {"file": upload(SEIZED)}, format="multipart")
    assert second.status_code == 429 and "still queued or running" in second.json()["detail"]
    cancelled = reader_token.post(first.json()["cancel"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert reader_token.get(first.json()["url"] + "results.csv").status_code == 404
    settings.CHECK_JOB_DAILY_RECORDS = 6
    third = reader_token.post(URL, {"file": upload(SEIZED)}, format="multipart")
    assert third.status_code == 429 and "daily allowance" in third.json()["detail"]


def test_expired_results_are_gone(reader_token, django_capture_on_commit_callbacks):
    from registry.models import CheckJob

    body = submit(reader_token, {"file": upload(SEIZED)}, django_capture_on_commit_callbacks).json()
    job = CheckJob.objects.get(uid=body["uid"])
    CheckJob.objects.filter(pk=job.pk).update(expires_at=job.finished_at)
    assert reader_token.get(body["url"] + "results.csv").status_code == 410


def test_the_schema_documents_check_jobs(anon):
    schema = anon.get("/api/schema/?format=json").json()
    assert "/api/v1/check/jobs/" in schema["paths"]
    post = schema["paths"]["/api/v1/check/jobs/"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "202" in post["responses"] and "429" in post["responses"]
    assert "/api/v1/check/jobs/{uid}/results.csv" in schema["paths"]
