"""Whole classes in a real browser: found by the search in both languages, with their list and
start, and a class match explained in Chinese on the Chinese check page."""

import pytest
from django.core.cache import cache

from registry import services
from tests.web.sample import ANALOGUE_SMILES, TEST_ACTOR, build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    cache.clear()
    sample = build_sample()
    services.update_class(
        substance_class=sample.fentanyls,
        actor=TEST_ACTOR,
        rules=[
            {
                "label": "anilidopiperidine",
                "label_zh": "酰苯胺基哌啶",
                "kind": "include",
                "smarts": "O=C[NX3](c1ccccc1)C1CCNCC1",
                "explanation": "the amide, the phenyl and the piperidine of fentanyl",
                "explanation_zh": "芬太尼的酰胺、苯基和哌啶。",
            }
        ],
    )
    yield live_server.url
    cache.clear()


@pytest.mark.parametrize(
    ("prefix", "query", "name", "since"),
    [
        ("", "fentanyl", "Fentanyl-related substances", "Controlled without a break since: CN"),
        ("/zh-hans", "芬太尼", "芬太尼类物质", "自以下日期起持续受管制：CN"),
    ],
)
def test_the_search_shows_the_whole_class_and_leads_to_it(
    site, page, screenshot, prefix, query, name, since
):
    page.goto(f"{site}{prefix}/search/?q={query}")
    classes = page.locator("section.class-results")
    entry = classes.locator("li").first
    assert entry.locator("a.name").inner_text() == name
    assert since in entry.inner_text() and "2019-05-01" in entry.inner_text()
    assert entry.locator(".tags a").count() == 1  # the list it is on today
    screenshot(f"search-class{prefix.replace('/', '-') or '-en'}")
    entry.locator("a.name").click()
    page.wait_for_url(f"**{prefix}/classes/class-fentanyls/")
    assert page.locator("h1").inner_text().startswith(name)


def test_the_chinese_check_page_explains_the_class_match_in_chinese(site, page, screenshot):
    page.goto(f"{site}/zh-hans/check/")
    page.locator("textarea[name=items]").fill(ANALOGUE_SMILES)
    page.get_by_role("button", name="核查", exact=True).click()
    page.wait_for_url("**/check/?items=*")
    verdict = page.locator("article.verdict").first
    text = verdict.inner_text()
    assert "符合规则“酰苯胺基哌啶”。芬太尼的酰胺、苯基和哌啶。" in text
    assert "anilidopiperidine" not in text and "the amide" not in text
    assert "CN-NONMED-2025（芬太尼类物质）" in text
    assert page.locator("p.summary").inner_text() == "1 项管制，0 项不受管制，0 项未知。"
    screenshot("check-class-zh")
