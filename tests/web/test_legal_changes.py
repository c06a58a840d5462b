"""The site's "compare two dates" and "what's new in the law" pages, and a list's Atom feed."""

import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_diff_page_lists_what_moved_with_its_instrument(client, sample):
    html = html_of(client, "/diff/", jurisdiction="CN", start="2025-07-27", end="2025-07-28")
    moved = html[html.index('id="moved-heading"') :]
    assert "Carfentanil" in moved and "Fentanyl-related substances" in moved
    assert "2025年第55号" in moved
    assert 'id="added-heading"' not in html
    api = html[html.index('href="/api/v1/diff/?') + 6 :].split('"')[0].replace("&amp;", "&")
    body = client.get(api).json()
    assert {e["subject"]["uid"] for e in body["moved"]} >= {"carfentanil", "class-fentanyls"}


def test_diff_page_says_a_bad_date_on_the_form(client, sample):
    html = html_of(client, "/diff/", jurisdiction="CN", start="2025-07-29", end="2025-07-28")
    assert "Give a date on or after the first one." in html
    assert 'id="moved-heading"' not in html


def test_diff_page_in_chinese(client, sample):
    html = html_of(
        client, "/zh-hans/diff/", jurisdiction="CN", start="2014-01-01", end="2019-05-01"
    )
    assert "芬太尼类物质" in html and "（整类）" in html
    assert "新增" in html


def test_whats_new_is_by_effective_date_not_the_edit_log(client, sample):
    html = html_of(client, "/new/")
    assert html.index('id="day-2025-07-28"') < html.index('id="day-2019-05-01"')
    assert "Created listing" not in html and "#1" not in html


def test_whats_new_filters_by_list_and_offers_its_feed(client, sample):
    html = html_of(client, "/new/", schedule="cn-nonmedical-2015")
    assert 'id="day-2014-01-01"' not in html  # the narcotic list's first day
    assert "/schedules/cn-nonmedical-2015/feed/" in html


def test_schedule_feed_is_atom_with_one_entry_per_day(client, sample):
    response = client.get("/schedules/cn-nonmedical-2015/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    titles = [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")]
    assert titles[0].startswith("2025-07-28: 0 added, 0 moved, 3 removed")
    assert any(t.startswith("2019-05-01: 1 added") for t in titles)


def test_schedule_feed_of_an_unknown_list_is_404(client, sample):
    assert client.get("/schedules/no-such-list/feed/").status_code == 404
