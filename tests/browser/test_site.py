"""The public site in a real browser: search in both languages, a substance's timeline, the
check with its drawing, and the language switch."""

import pytest
from django.core.cache import cache

from tests.factories import SubstanceFactory
from tests.web.sample import ANALOGUE_SMILES, build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    cache.clear()
    build_sample()
    yield live_server.url
    cache.clear()


def test_home_and_search_in_english(site, page, screenshot):
    page.goto(site + "/")
    assert page.locator("h1").inner_text().startswith("Is it controlled?")
    assert page.locator("figure.chart svg[role=img]").count() == 1
    screenshot("home-en")
    page.get_by_label("Name, CAS number, InChIKey or SMILES").fill("5f adb")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=5f+adb")
    first = page.locator("ol.results > li").first
    assert first.locator("a.name").inner_text() == "5F-ADB"
    assert "Controlled" in first.inner_text()
    screenshot("search-en")


def test_search_in_chinese(site, page, screenshot):
    page.goto(site + "/zh-hans/search/?q=" + "芬太尼")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    names = page.locator("ol.results a.name").all_inner_texts()
    assert names[0] == "芬太尼"
    assert "卡芬太尼" in names
    screenshot("search-zh")


def test_search_pages_and_sorts_many_hits(site, page):
    # 60 more names holding "fentanyl" than a page shows: the pager walks the ranking, and the
    # sort by name orders them all, page after page.
    for number in range(60):
        SubstanceFactory(uid=f"fentanyl-test-{number:02d}", name_en=f"Zeta{number:02d}fentanyl")
    page.goto(site + "/search/?q=fentanyl")
    heading = page.locator("#results-heading").inner_text()
    total = int(heading.split()[0])
    assert total > 60
    first = page.locator("ol.results a.name").all_inner_texts()
    assert len(first) == 50 and first[0] == "Fentanyl"
    # all_inner_texts does not wait: the next page must have arrived before it is read.
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2**")
    second = page.locator("ol.results a.name").all_inner_texts()
    assert len(second) == total - 50 and not set(first) & set(second)
    assert page.locator("ol.results").get_attribute("start") == "51"
    page.get_by_label("Sort").select_option("name")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**sort=name**")
    by_name = page.locator("ol.results a.name").all_inner_texts()
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2**")
    by_name += page.locator("ol.results a.name").all_inner_texts()
    assert by_name == sorted(first + second, key=str.casefold)


def test_search_without_result_offers_the_check(site, page):
    page.goto(site + "/search/?q=" + "<b>nothing-like-this</b>")
    notice = page.locator(".notice")
    assert "Nothing in the registry matches" in notice.inner_text()
    assert "<b>nothing-like-this</b>" in notice.inner_text()  # shown as text, not markup
    notice.get_by_role("link", name="Check it against the class controls").click()
    page.wait_for_url(lambda url: "/check/?items=" in url)
    assert page.locator("textarea").input_value() == "<b>nothing-like-this</b>"


def test_substance_timeline_shows_the_2025_move(site, page, screenshot):
    page.goto(site + "/substances/carfentanil/")
    events = page.locator("ol.timeline > li")
    assert events.count() == 2
    assert events.nth(0).inner_text().startswith("2014-01-01")
    moved = events.nth(1).inner_text()
    assert "2025-07-28" in moved and "moved" in moved
    assert "Catalogue of Non-medical Narcotic Drugs" in moved
    assert page.locator("figure.structure svg").count() == 1
    screenshot("substance-en")
    events.nth(1).get_by_role("link", name="2025年第55号").click()
    page.wait_for_url("**/instruments/cn-2025-55/")
    assert "Carfentanil" in page.locator("#moved-heading + *").inner_text() or (
        "Carfentanil" in page.locator("main").inner_text()
    )
    screenshot("instrument-en")


def test_check_page_draws_the_matched_atoms(site, page, screenshot):
    page.goto(site + "/check/")
    page.get_by_label("SMILES, names, CAS numbers or InChIKeys, one per line").fill(
        ANALOGUE_SMILES + "\nnot-a-compound"
    )
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url(lambda url: "/check/?items=" in url)
    verdicts = page.locator("article.verdict")
    assert verdicts.count() == 2
    first = verdicts.nth(0)
    assert "Controlled" in first.inner_text()
    assert "Fentanyl-related substances" in first.inner_text()
    drawing = first.locator("figure.structure svg")
    assert drawing.count() == 1
    assert drawing.bounding_box()["width"] > 100
    assert "Unknown" in verdicts.nth(1).inner_text()
    screenshot("check-en")


def test_language_switch_keeps_the_page(site, page, screenshot):
    page.goto(site + "/substances/fentanyl/")
    page.get_by_role("link", name="简体中文").click()
    page.wait_for_url("**/zh-hans/substances/fentanyl/")
    assert page.locator("h1").inner_text() == "芬太尼"
    assert "今日状态" in page.locator("main").inner_text()
    screenshot("substance-zh")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(site + "/substances/fentanyl/")
    assert page.locator("h1").inner_text() == "Fentanyl"


def test_keyboard_reaches_the_search_from_the_skip_link(site, page):
    page.goto(site + "/search/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_q"


def test_class_and_home_pages_in_chinese(site, page, screenshot):
    page.goto(site + "/zh-hans/classes/class-fentanyls/")
    assert page.locator("h1").inner_text() == "芬太尼类物质"
    screenshot("class-zh")
    page.goto(site + "/zh-hans/")
    assert "今日登记概况" in page.locator("main").inner_text()
    screenshot("home-zh")
