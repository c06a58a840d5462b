"""The public site on a phone: 375 px wide, the page itself never scrolls sideways; a table too
wide for it scrolls inside its own box. And no page asks for a file the site does not have."""

import pytest
from django.core.cache import cache

from tests.web.sample import build_three_jurisdictions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
# The pages with a table of jurisdictions side by side, which spilled out of its card.
WIDE_TABLE_PAGES = [
    "/substances/ketamine/",
    "/substances/fentanyl/",
    "/check/?items=ketamine%0Adextromethorphan&on=2026-01-01",
]


@pytest.fixture
def site(live_server, transactional_db):
    cache.clear()
    build_three_jurisdictions()
    yield live_server.url
    cache.clear()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize("language", ["", "/zh-hans"])
@pytest.mark.parametrize("path", WIDE_TABLE_PAGES)
def test_a_phone_never_scrolls_the_page_sideways(site, phone, language, path):
    phone.goto(site + language + path)
    tables = phone.locator("table.by-jurisdiction")
    assert tables.count() >= 1
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{language}{path}: the page is {widths[0]} px wide"
    # Each table stays within the screen: what does not fit scrolls inside its own box.
    for index in range(tables.count()):
        box = tables.nth(index).locator("xpath=..").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_pages_ask_for_nothing_missing_and_log_no_error(site, page):
    failed, errors = [], []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ("/", "/zh-hans/substances/fentanyl/", WIDE_TABLE_PAGES[2]):
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
    assert failed == [] and errors == []
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).headers["content-type"] == "image/svg+xml"
    # Asked for unbidden, /favicon.ico leads to the same icon.
    response = page.request.get(site + "/favicon.ico")
    assert response.ok and response.url == icon
