"""Who the client is, and who pays for failed logins: hostile headers and hostile guessing.

A client is who the trusted proxies (TRUSTED_PROXY_COUNT) say it is, for the API throttles and
the login throttle alike: a header the client writes itself sheds no throttle. Failed logins slow
down the (user name, client) pair, never the account for everyone.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from registry.security import LOGIN_FAILURES_PER_USER, client_address, login_name

pytestmark = pytest.mark.django_db


def _rates(**rates):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    )


def test_a_throttled_client_cannot_shed_the_throttle_with_a_forwarded_header(small_registry):
    anon = APIClient()
    with _rates(anon="2/minute", user="2/minute"):
        cache.clear()
        for _ in range(2):
            assert anon.get("/api/v1/substances/").status_code == 200
        assert anon.get("/api/v1/substances/").status_code == 429
        for n in range(3):
            spoofed = anon.get("/api/v1/substances/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
            assert spoofed.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_client_is_what_the_proxy_appended(small_registry):
    anon = APIClient()
    with _rates(anon="2/minute", user="2/minute"):
        cache.clear()
        # The proxy appends the address it saw; whatever the client wrote before it is ignored.
        for n in range(2):
            header = f"198.51.100.{n}, 203.0.113.7"
            assert anon.get("/api/v1/substances/", HTTP_X_FORWARDED_FOR=header).status_code == 200
        header = "198.51.100.99, 203.0.113.7"
        assert anon.get("/api/v1/substances/", HTTP_X_FORWARDED_FOR=header).status_code == 429
        # Another client behind the same proxy is counted apart.
        other = "203.0.113.8"
        assert anon.get("/api/v1/substances/", HTTP_X_FORWARDED_FOR=other).status_code == 200


def test_client_address_takes_the_proxies_entries_only(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2", REMOTE_ADDR="10.0.0.1")
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert client_address(request) == "10.0.0.1"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_address(request) == "2.2.2.2"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_address(request) == "1.1.1.1"
    with override_settings(TRUSTED_PROXY_COUNT=3):  # the header did not come through them all
        assert client_address(request) == "10.0.0.1"


def test_drf_is_told_the_same_number_of_proxies():
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT


def _login(client, username, password, address):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def curator_account():
    cache.clear()
    return get_user_model().objects.create_superuser("curator", "c@example.org", "right-pass-1")


def test_strangers_guessing_made_up_names_lock_nobody_else_out(client, curator_account):
    for n in range(60):
        _login(client, f"made-up-{n}", "wrong", "198.51.100.1")
    for n in range(LOGIN_FAILURES_PER_USER * 3):
        _login(client, "curator", "wrong", f"198.51.100.{n + 2}")
    assert _login(client, "curator", "right-pass-1", "192.0.2.10").status_code == 302


def test_a_full_width_or_upper_case_name_is_the_same_name(client, curator_account):
    assert login_name("ＣＵＲＡＴＯＲ ") == login_name("curator") == "curator"
    for name in ["ｃｕｒａｔｏｒ", "CURATOR", "Curator", "ｃｕｒａｔｏｒ", "curator"]:
        assert _login(client, name, "wrong", "198.51.100.1").status_code == 200
    assert _login(client, "curator", "right-pass-1", "198.51.100.1").status_code == 429
    assert _login(client, "curator", "right-pass-1", "192.0.2.10").status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_the_login_throttle_knows_the_client_as_the_api_does(client, curator_account):
    for n in range(LOGIN_FAILURES_PER_USER):
        header = f"10.9.9.{n}, 198.51.100.1"  # the client's own part varies, the proxy's not
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": "curator", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=header,
        )
        assert response.status_code == 200
    refused = client.post(
        "/admin/login/?next=/admin/",
        {"username": "curator", "password": "right-pass-1"},
        HTTP_X_FORWARDED_FOR="10.9.9.99, 198.51.100.1",
    )
    assert refused.status_code == 429
    accepted = client.post(
        "/admin/login/?next=/admin/",
        {"username": "curator", "password": "right-pass-1"},
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert accepted.status_code == 302
