"""The check in a real browser, in English and Chinese: a file uploaded, its summary and its
verdicts downloaded as CSV; a structure drawn in the editor and checked."""

import csv
import io
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.web.sample import ANALOGUE_SMILES, FENTANYL_SMILES, build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMILES_FILE = f"{FENTANYL_SMILES} F-1\n{ANALOGUE_SMILES} F-2\nCCO ethanol\n"
SUMMARY = {"": "2 controlled, 1 not, 0 unknown.", "/zh-hans": "2 项管制，1 项不受管制，0 项未知。"}
BUTTONS = {
    "": ("Check the file", "Check and download CSV", "Download the verdicts (CSV)"),
    "/zh-hans": ("核查该文件", "核查并下载 CSV", "下载核查结果（CSV）"),
}


@pytest.fixture
def site(live_server, transactional_db):
    cache.clear()
    build_sample()
    yield live_server.url
    cache.clear()


def read_download(info) -> list[dict]:
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_upload_a_file_see_the_summary_and_download_the_verdicts(
    site, page, screenshot, prefix, tmp_path
):
    check, check_and_download, download = BUTTONS[prefix]
    path = tmp_path / "compounds.smi"
    path.write_text(SMILES_FILE, encoding="utf-8")
    page.goto(f"{site}{prefix}/check/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("input[name=on]").last.fill("2025-09-01")
    page.get_by_role("button", name=check, exact=True).click()
    page.wait_for_url(f"**{prefix}/check/upload/")
    assert page.locator("p.summary").inner_text() == SUMMARY[prefix]
    assert page.locator("table.verdicts tbody tr").count() == 3
    screenshot(f"check-upload{prefix.replace('/', '-') or '-en'}")
    with page.expect_download() as info:
        page.get_by_role("link", name=download).click()
    assert info.value.suggested_filename == "compounds-verdicts-2025-09-01.csv"
    rows = read_download(info)
    assert [(r["id"], r["status"]) for r in rows] == [
        ("F-1", "controlled"),
        ("F-2", "controlled"),
        ("ethanol", "not_controlled"),
    ]
    # The same file straight to a CSV, from the form at the foot of the page of verdicts.
    page.locator("input[type=file]").set_input_files(str(path))
    with page.expect_download() as info:
        page.get_by_role("button", name=check_and_download).click()
    assert [r["status"] for r in read_download(info)] == [r["status"] for r in rows]


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_draw_a_structure_and_check_it(site, page, screenshot, prefix):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site}{prefix}/check/")
    editor = page.locator("#structure-editor")
    editor.wait_for(state="visible")
    heading = {"": "Draw a structure", "/zh-hans": "绘制结构"}[prefix]
    assert editor.locator("h2").inner_text() == heading
    assert editor.locator("canvas").count() >= 1
    textarea = page.locator("textarea[name=items]")
    # Load a structure into the editor from the text box, then write it back as SMILES.
    textarea.fill(ANALOGUE_SMILES)
    editor.locator("[data-editor=load]").click()
    smiles = editor.locator("output")
    page.wait_for_function("document.querySelector('#structure-editor output').value !== ''")
    drawn = smiles.inner_text()
    assert "F" in drawn and "N" in drawn
    textarea.fill("")
    editor.locator("[data-editor=add]").click()
    assert textarea.input_value() == drawn
    screenshot(f"check-editor{prefix.replace('/', '-') or '-en'}")
    page.locator("form").first.locator("button[type=submit]").click()
    page.wait_for_url("**/check/?items=*")
    verdict = page.locator("article.verdict").first
    assert "controlled" in (verdict.get_attribute("class") or "")
    assert errors == []


def test_check_only_this_checks_the_drawing_at_once(site, page):
    page.goto(f"{site}/check/")
    editor = page.locator("#structure-editor")
    editor.wait_for(state="visible")
    textarea = page.locator("textarea[name=items]")
    textarea.fill(ANALOGUE_SMILES)
    editor.locator("[data-editor=load]").click()
    page.wait_for_function("document.querySelector('#structure-editor output').value !== ''")
    drawn = editor.locator("output").inner_text()
    textarea.fill("ketamine")  # what was in the box is replaced, not checked with it
    editor.locator("[data-editor=replace]").click()
    page.wait_for_url("**/check/?items=*")
    assert page.locator("article.verdict").count() == 1
    assert page.locator("textarea[name=items]").input_value() == drawn


def test_the_check_works_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(f"{site}/check/")
    assert not page.locator("#structure-editor").is_visible()
    page.locator("textarea[name=items]").fill(FENTANYL_SMILES)
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url("**/check/?items=*")
    assert page.locator("p.summary").inner_text().startswith("1 controlled")
    context.close()
