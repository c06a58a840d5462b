"""The home page follows the reader's choice of language, then the browser's preference."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.mark.parametrize("header", ["zh-CN,zh;q=0.9,en;q=0.8", "zh", "fr-FR, zh;q=0.3"])
def test_a_browser_that_prefers_chinese_is_sent_to_the_chinese_home(client, sample, header):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 302 and response["Location"] == "/zh-hans/"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("header", ["en-GB,en;q=0.9,zh-CN;q=0.5", "", "de"])
def test_other_browsers_stay_on_the_english_home(client, sample, header):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200


def test_the_redirect_keeps_the_query(client, sample):
    response = client.get("/", {"on": "2020-01-01"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Location"] == "/zh-hans/?on=2020-01-01"


def test_choosing_english_on_a_chinese_page_is_remembered(client, sample):
    response = client.get(
        "/", HTTP_ACCEPT_LANGUAGE="zh-CN", HTTP_REFERER="http://testserver/zh-hans/"
    )
    assert response.status_code == 200
    assert response.cookies[COOKIE].value == "en"
    assert "no-store" in response["Cache-Control"]
    # Later, arriving from elsewhere, the choice wins over the browser.
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").status_code == 200


def test_choosing_chinese_is_remembered_too(client, sample):
    response = client.get(
        "/zh-hans/substances/fentanyl/", HTTP_REFERER="http://testserver/substances/fentanyl/"
    )
    assert response.cookies[COOKIE].value == "zh-hans"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").status_code == 302


def test_other_pages_never_redirect(client, sample):
    response = client.get("/substances/fentanyl/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200 and COOKIE not in response.cookies


def test_a_referer_from_another_site_is_no_choice(client, sample):
    response = client.get(
        "/", HTTP_ACCEPT_LANGUAGE="zh-CN", HTTP_REFERER="https://example.org/zh-hans/"
    )
    assert response.status_code == 302


def test_the_icon_a_chinese_page_fetches_is_no_choice(client, sample):
    # /favicon.ico has no language prefix, so it is an English address; a browser asking for
    # it from a Chinese page has not chosen English.
    response = client.get("/favicon.ico", HTTP_REFERER="http://testserver/zh-hans/")
    assert response.status_code == 302 and COOKIE not in response.cookies
    missing = client.get("/no-such-page/", HTTP_REFERER="http://testserver/zh-hans/")
    assert missing.status_code == 404 and COOKIE not in missing.cookies
