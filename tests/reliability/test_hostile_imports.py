"""Hostile files against the curators' import: each gets a form error fast, in little memory.

A 409 KB XLSX held a 400 MB shared string; a 1.8 KB XLSX declared a dimension of A1:XFD1048576
(openpyxl then padded every row to 16,384 cells: 643 MB); a wide sheet took 25 s of CPU; a
40 KB CSV cell of spaces took 16 s in the name-splitting pattern. Each is now refused (or read)
within 2 s and under 100 MB.
"""

import io
import re
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from registry import importing
from registry.importing import SheetError, read_sheet

LIMIT_SECONDS = 2.0
LIMIT_BYTES = 100 * 2**20


def _workbook(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite(content: bytes, name: str, transform) -> bytes:
    """The same XLSX with one part rewritten by ``transform(bytes) -> bytes``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, transform(data) if info.filename == name else data)
    return out.getvalue()


def _raised(call) -> SheetError | None:
    try:
        call()
    except SheetError as exc:
        return exc
    return None


def _bounded(call):
    """Run ``call``; return what it raised, after checking its time and peak memory.

    Timed on its own, then run again under tracemalloc (which slows Python many times over).
    """
    started = time.perf_counter()
    raised = _raised(call)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    _raised(call)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n{elapsed:.2f} s, peak {peak / 2**20:.1f} MB: {raised}")
    assert elapsed < LIMIT_SECONDS
    assert peak < LIMIT_BYTES
    return raised


def _huge_shared_string(megabytes: int) -> bytes:
    """An XLSX whose one shared string unzips to ``megabytes`` MB, written in chunks."""
    out = io.BytesIO()
    base = zipfile.ZipFile(io.BytesIO(_workbook([["name_en"], ["x"]])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in base.infolist():
            target.writestr(info.filename, base.read(info.filename))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            part.write(b"<si><t>")
            chunk = b"A" * 2**20
            for _ in range(megabytes):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


def test_an_xlsx_with_a_huge_shared_string_is_refused():
    content = _huge_shared_string(40)
    assert len(content) < 200_000
    raised = _bounded(lambda: read_sheet("items.xlsx", content))
    assert raised is not None and "sharedStrings.xml unzips to" in str(raised)


def test_an_xlsx_with_a_false_dimension_is_read_as_what_it_holds():
    content = _rewrite(
        _workbook([["name_en", "cas"], ["Fentanyl", "437-38-7"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', xml
        ),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert len(content) < 10_000
    holder = {}
    assert _bounded(lambda: holder.setdefault("sheet", read_sheet("items.xlsx", content))) is None
    [row] = holder["sheet"].rows
    assert row.values["name_en"] == "Fentanyl"


def test_a_wide_xlsx_is_refused():
    wide = [["name_en", *(f"c{i}" for i in range(2000))]] + [["x", *range(2000)]] * 3
    content = _workbook(wide)
    raised = _bounded(lambda: read_sheet("items.xlsx", content))
    assert raised is not None and "columns" in str(raised)


def test_an_xlsx_whose_sheet_unzips_past_the_limit_is_refused():
    rows = [["name_en", "cas"]] + [[f"n{i}", "x" * 100] for i in range(12_000)]
    content = _workbook(rows)
    raised = _bounded(lambda: read_sheet("items.xlsx", content))
    assert raised is not None and "sheet1.xml unzips to" in str(raised)


def test_a_csv_cell_of_forty_thousand_spaces_is_refused_fast():
    content = ("name_en,code_names\nx,a" + " " * 40_000 + "b\n").encode()
    raised = _bounded(lambda: read_sheet("items.csv", content))
    assert raised is not None and "at most" in str(raised) and "Line 2" in str(raised)


def test_splitting_names_is_linear_in_the_text():
    text = "a" + " " * 200_000 + "b, c；d、e|f"
    started = time.perf_counter()
    assert importing._code_names(text) == [f"a{' ' * 200_000}b", "c", "d", "e", "f"]
    assert time.perf_counter() - started < 0.5
    assert importing._code_names("A-1; B-2 , C-3,D-4") == ["A-1", "B-2", "C-3,D-4"]


def test_a_csv_of_a_million_rows_stops_early():
    content = ("name_en\n" + "x\n" * 1_000_000).encode()[: importing.MAX_BYTES]
    raised = _bounded(lambda: read_sheet("items.csv", content))
    assert raised is not None and "Too many rows" in str(raised)


def test_a_wide_csv_is_refused():
    content = ("name_en," + ",".join(f"c{i}" for i in range(5000)) + "\nx\n").encode()
    raised = _bounded(lambda: read_sheet("items.csv", content))
    assert raised is not None and "columns" in str(raised)


@pytest.mark.django_db
def test_the_admin_shows_a_hostile_file_as_a_form_error(client):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import InstrumentFactory, ScheduleFactory

    admin = get_user_model().objects.create_superuser("boss", "b@example.org", "boss-pass-1")
    client.force_login(admin)
    schedule = ScheduleFactory()
    instrument = InstrumentFactory(jurisdiction=schedule.jurisdiction)
    upload = SimpleUploadedFile("items.xlsx", _huge_shared_string(8))
    started = time.perf_counter()
    response = client.post(
        reverse("admin:substances_substance_import"),
        {
            "sheet": upload,
            "schedule": schedule.pk,
            "instrument": instrument.pk,
            "effective_on": "",
            "preview": "1",
        },
    )
    assert time.perf_counter() - started < LIMIT_SECONDS
    assert response.status_code == 200
    assert "unzips to" in response.content.decode()
