"""The check page's file upload: SMILES, SD and CSV files in, a summary and CSV verdicts out."""

import csv
import io
import json
import re
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.web.forms import CheckUploadForm
from tests.web.sample import ANALOGUE_SMILES, FENTANYL_SMILES, PVP_SMILES

pytestmark = pytest.mark.django_db

SMILES_FILE = f"# a comment\n{FENTANYL_SMILES} F-1\n{ANALOGUE_SMILES} F-2\nCCO ethanol\nC1CC bad\n"


def upload(client, name: str, text: str, prefix: str = "", **data):
    file = SimpleUploadedFile(name, text.encode("utf-8"))
    return client.post(f"{prefix}/check/upload/", {"file": file, "on": "2025-09-01", **data})


def read_csv(body: bytes) -> list[dict]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_upload_answers_each_record_with_a_summary_and_a_csv_link(client, sample):
    response = upload(client, "batch.smi", SMILES_FILE)
    assert response.status_code == 200
    html = response.content.decode()
    summary = re.sub(r"<[^>]+>", "", re.search(r'<p class="summary".*?</p>', html, re.S)[0])
    assert summary == "2 controlled, 1 not, 1 unknown."
    assert html.count('<tr class="') == 4
    link = re.search(r'href="(/check/upload/[^"]+\.csv)"', html)[1]
    download = client.get(link)
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == (
        'attachment; filename="batch-verdicts-2025-09-01.csv"'
    )
    rows = read_csv(download.content)
    assert [(r["record"], r["id"], r["status"]) for r in rows] == [
        ("2", "F-1", "controlled"),
        ("3", "F-2", "controlled"),
        ("4", "ethanol", "not_controlled"),
        ("5", "bad", "unknown"),
    ]
    assert "class-fentanyls" in rows[1]["classes"]


def test_upload_can_answer_with_the_csv_itself(client, sample):
    response = upload(client, "batch.smi", SMILES_FILE, output="csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert [r["status"] for r in read_csv(response.content)][:2] == ["controlled"] * 2


def test_upload_reads_csv_and_sd_files(client, sample):
    table = f"id,name,smiles\nA,fentanyl,{FENTANYL_SMILES}\nB,pvp,{PVP_SMILES}\n"
    rows = read_csv(upload(client, "t.csv", table, output="csv").content)
    assert [(r["id"], r["status"]) for r in rows] == [("A", "controlled"), ("B", "controlled")]
    other = table.replace("smiles", "mol")
    rows = read_csv(upload(client, "t.csv", other, output="csv", column="mol").content)
    assert len(rows) == 2
    molblock = "ethanol\n  test\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n" + (
        "    0.0000    0.0000    0.0000 C   0  0\n"
        "    1.2000    0.0000    0.0000 C   0  0\n"
        "    2.4000    0.0000    0.0000 O   0  0\n"
        "  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n"
    )
    rows = read_csv(upload(client, "t.sdf", molblock, output="csv").content)
    assert [(r["id"], r["status"]) for r in rows] == [("ethanol", "not_controlled")]


def test_upload_reads_a_spreadsheet_s_csv_as_it_is_written(client, sample):
    # "ID,SMILES" was "no column 'structure' or 'smiles'"; a file saved by a spreadsheet on a
    # Chinese system (GB18030) had its Chinese ids replaced by U+FFFD.
    table = f"ID,SMILES\n样品一,{FENTANYL_SMILES}\nB,CCO\n"
    for encoding in ("utf-8", "gb18030"):
        file = SimpleUploadedFile("t.csv", table.encode(encoding))
        response = client.post(
            "/check/upload/", {"file": file, "on": "2025-09-01", "output": "csv"}
        )
        rows = read_csv(response.content)
        assert [(r["id"], r["status"]) for r in rows] == [
            ("样品一", "controlled"),
            ("B", "not_controlled"),
        ], encoding


def test_upload_refuses_two_files_and_an_unreadable_csv_by_name(client, sample):
    # Two files: the first was dropped unsaid. A field over the csv module's limit: a 500.
    first = SimpleUploadedFile("a.csv", f"id,smiles\nA,{FENTANYL_SMILES}\n".encode())
    second = SimpleUploadedFile("b.csv", b"id,smiles\nB,CCO\n")
    response = client.post("/check/upload/", {"file": [first, second], "on": "2025-09-01"})
    assert response.status_code == 400
    assert "Send one file at a time." in str(response.context["upload_form"].errors["file"])
    huge = SimpleUploadedFile("c.csv", ("id,smiles\nA," + "C" * 200_000 + "\n").encode())
    response = client.post("/check/upload/", {"file": huge, "on": "2025-09-01"})
    assert response.status_code == 400
    assert "cannot be read" in str(response.context["upload_form"].errors["file"])


def test_upload_tells_the_encoding_from_the_whole_file(client, sample):
    # Only the first 64 KB was read: a Chinese id after them came out as mojibake.
    table = "id,smiles\n" + "".join(f"r{i},CCO\n" for i in range(8000)) + "样品,CCO\n"
    file = SimpleUploadedFile("t.csv", table.encode("gb18030"))
    from registry import jobs

    rows = list(jobs.read_records(jobs.text_stream(file), "csv"))
    assert rows[-1][1] == "样品"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_upload_reads_csv_files_delimited_otherwise_than_by_commas(client, sample, delimiter):
    lines = [["id", "structure"], ["A", FENTANYL_SMILES], ["B", PVP_SMILES], ["C", "CCO"]]
    table = "".join(delimiter.join(line) + "\r\n" for line in lines)
    response = upload(client, "t.csv", table, column="structure")
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "has no column" not in response.content.decode()
    rows = read_csv(upload(client, "t.csv", table, output="csv", column="structure").content)
    assert [(r["id"], r["status"]) for r in rows] == [
        ("A", "controlled"),
        ("B", "controlled"),
        ("C", "not_controlled"),
    ]


def test_upload_refuses_what_the_page_cannot_answer_at_once(client, sample):
    too_many = "\n".join(["CCO"] * (CheckUploadForm.MAX_RECORDS + 1))
    response = upload(client, "big.smi", too_many)
    assert response.status_code == 400
    assert "more than 1000 records" in response.content.decode()
    assert "/api/v1/check/jobs/" in response.content.decode()
    response = upload(client, "t.csv", "id,formula\nA,C2H6O\n")
    assert "has no column" in response.content.decode()
    # A column named and missing is the column field's error, shown beside it.
    response = upload(client, "t.csv", "id,formula\nA,C2H6O\n", column="nope")
    assert "'nope'" in response.context["upload_form"].errors["column"][0]
    assert "no records" in upload(client, "empty.smi", "# nothing\n").content.decode()
    big = SimpleUploadedFile("huge.smi", b"C" * (CheckUploadForm.MAX_BYTES + 1))
    response = client.post("/check/upload/", {"file": big})
    assert "larger than 5 MB" in response.content.decode()


def test_upload_in_chinese_and_an_expired_link(client, sample):
    html = upload(client, "batch.smi", SMILES_FILE, prefix="/zh-hans").content.decode()
    assert "2 项管制" in html
    assert client.get("/check/upload/no-such-key.csv").status_code == 404
    # A reloaded or bookmarked result page is sent to the upload form, not shown blank.
    response = client.get("/check/upload/")
    assert response.status_code == 302 and response["Location"] == "/check/#upload-heading"
    response = client.get("/zh-hans/check/upload/")
    assert response["Location"] == "/zh-hans/check/#upload-heading"


def test_upload_in_chinese_says_why_a_structure_cannot_be_read_in_chinese(client, sample):
    bad = "C1CC(C unclosed\nCN(C)(C)(C)C pentavalent\nc1cccc1 kekule\n"
    html = upload(client, "bad.smi", bad, prefix="/zh-hans").content.decode()
    reasons = re.findall(r'<br><span class="small">(.*?)</span>', html)
    assert len(reasons) == 3
    for english in ("unparseable", "invalid SMILES", "valence", "kekulize"):
        assert english not in html
    assert "原子 #1（N）的显式化合价为5，超过允许值" in html
    english = upload(client, "bad.smi", bad).content.decode()
    assert "invalid SMILES: explicit valence for atom # 1 N, 5, is greater than" in english


def test_check_page_shows_the_summary_and_the_upload_form(client, sample):
    html = client.get("/check/", {"items": f"{FENTANYL_SMILES}\nCCO"}).content.decode()
    assert "1 controlled" in html and "1 not" in html
    assert 'enctype="multipart/form-data"' in html


def test_pages_of_verdicts_are_valid_html(client, sample, tmp_path):
    from tests.web.test_html_valid import _vnu

    command = _vnu()
    pages = [
        upload(client, "batch.smi", SMILES_FILE).content,
        upload(client, "batch.smi", SMILES_FILE, prefix="/zh-hans").content,
        upload(client, "empty.smi", "").content,
    ]
    files = []
    for index, body in enumerate(pages):
        files.append(tmp_path / f"page-{index}.html")
        files[-1].write_bytes(body)
    result = subprocess.run(
        [*command, "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    assert [m["message"] for m in messages if m.get("type") == "error"] == []
