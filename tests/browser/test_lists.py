"""Lists as published, downloads, the comparison of two dates and what's new, in a real
browser, in English and Chinese."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.cache import cache

from tests.web.sample import build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    cache.clear()
    build_sample()
    yield live_server.url
    cache.clear()


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_list_page_in_item_order_with_its_downloads(site, page, screenshot, prefix):
    page.goto(f"{site}{prefix}/schedules/cn-narcotic-2013/?on=2020-01-01")
    rows = page.locator("table.official-list tbody tr")
    assert rows.count() == 2
    # Item 8 (carfentanil) comes before item 47 (fentanyl): the gazette's order.
    assert rows.nth(0).locator("td").first.inner_text() == "8"
    assert rows.nth(1).locator("td").first.inner_text() == "47"
    assert "437-38-7" in rows.nth(1).inner_text()
    screenshot(f"list{prefix.replace('/', '-') or '-en'}")

    with page.expect_download() as info:
        page.locator("a[href*='csv']").first.click()
    download = info.value
    assert download.suggested_filename == "cn-narcotic-2013-2020-01-01.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "item" and [r[0] for r in table[1:]] == ["8", "47"]

    with page.expect_download() as info:
        page.locator("a[href*='xlsx']").first.click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    assert sheet.cell(row=2, column=1).value == "8"


def test_list_filter_and_print(site, page):
    page.goto(f"{site}/schedules/cn-narcotic-2013/?on=2020-01-01")
    page.get_by_label("Filter").fill("carfent")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**q=carfent**")
    assert page.locator("table.official-list tbody tr").count() == 1
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    assert not page.locator("form").first.is_visible()
    assert page.locator("table.official-list").is_visible()


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_compare_two_dates(site, page, screenshot, prefix):
    page.goto(f"{site}{prefix}/diff/")
    page.locator("#id_start").fill("2025-07-27")
    page.locator("#id_end").fill("2025-07-28")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**start=2025-07-27**")
    moved = page.locator("section[aria-labelledby=moved-heading]")
    text = moved.inner_text()
    assert ("Carfentanil" in text) or ("卡芬太尼" in text)
    assert "2025年第55号" in text
    screenshot(f"diff{prefix.replace('/', '-') or '-en'}")


def test_whats_new_follows_effective_dates_and_links_the_list_feed(site, page):
    page.goto(f"{site}/new/")
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:2] == ["2025-07-28", "2019-05-01"]
    page.locator("#id_schedule").select_option("cn-nonmedical-2015")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**schedule=cn-nonmedical-2015**")
    feed = page.get_by_role("link", name="Atom feed of this list")
    response = page.request.get(site + feed.get_attribute("href"))
    assert response.headers["content-type"].startswith("application/atom+xml")


def test_a_browser_that_prefers_chinese_lands_on_the_chinese_home(site, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(site + "/")
    assert page.url == site + "/zh-hans/"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(site + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(site + "/")  # the choice is remembered
    assert page.url == site + "/"
    context.close()
