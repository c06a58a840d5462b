"""Who may write: nobody anonymous, no token without the permission; guessing logins is slowed.

And the headers every answer carries, under the ordinary settings (DEBUG off).
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.test import APIClient

from registry.models import Change
from registry.security import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_USER
from tests.factories import api_token

pytestmark = pytest.mark.django_db

WRITES = [
    ("post", "/api/v1/substances/", {"uid": "x-new", "name_en": "New"}),
    ("patch", "/api/v1/substances/fentanyl/", {"name_en": "Changed"}),
    ("delete", "/api/v1/substances/carfentanil/", None),
    ("post", "/api/v1/names/", {"substance": "fentanyl", "name": "n", "language": "en"}),
    ("post", "/api/v1/instruments/", {"jurisdiction": "cn", "reference": "X"}),
]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _token_client(*permissions: str) -> APIClient:
    user = get_user_model().objects.create_user("reader", password="a-long-password-1")
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_anonymous_clients_cannot_write(small_registry, method, path, body):
    head = Change.objects.head()
    response = getattr(APIClient(), method)(path, body, format="json")
    assert response.status_code in (401, 403)
    assert Change.objects.head() == head


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_token_without_the_permission_cannot_write(small_registry, method, path, body):
    head = Change.objects.head()
    response = getattr(_token_client(), method)(path, body, format="json")
    assert response.status_code == 403
    assert Change.objects.head() == head


def test_a_token_with_the_permission_writes_through_the_feed(small_registry):
    head = Change.objects.head()
    response = _token_client("change_substance").patch(
        "/api/v1/substances/fentanyl/", {"name_en": "Fentanyl (corrected)"}, format="json"
    )
    assert response.status_code == 200
    assert Change.objects.head() == head + 1


def test_a_bad_token_is_refused_not_ignored(small_registry):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/substances/").status_code == 401


def _login(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_admin_login_is_throttled_after_repeated_failures(client):
    get_user_model().objects.create_superuser("curator", "c@example.org", "right-password-1")
    for _ in range(LOGIN_FAILURES_PER_USER):
        assert _login(client, "curator", "wrong").status_code == 200
    refused = _login(client, "curator", "right-password-1")
    assert refused.status_code == 429
    assert refused["Retry-After"]
    # Another address is not punished for this one's guesses.
    assert _login(client, "curator", "right-password-1", address="10.0.0.2").status_code == 302


def test_admin_login_is_throttled_per_address_across_user_names(client):
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        _login(client, f"user{n}", "wrong")
    assert _login(client, "someone-else", "wrong").status_code == 429


def test_a_successful_login_clears_that_user_s_failures(client):
    get_user_model().objects.create_superuser("curator", "c@example.org", "right-password-1")
    for _ in range(LOGIN_FAILURES_PER_USER - 1):
        _login(client, "curator", "wrong")
    assert _login(client, "curator", "right-password-1").status_code == 302
    client.logout()
    assert _login(client, "curator", "wrong").status_code == 200


@pytest.mark.parametrize("path", ["/", "/api/v1/substances/", "/admin/login/", "/health/"])
def test_every_answer_carries_the_security_headers(client, small_registry, path):
    response = client.get(path)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] in ("DENY", "SAMEORIGIN")


def test_the_api_documentation_may_run_its_start_up_script(client):
    response = client.get("/api/docs/")
    assert "'unsafe-inline'" in response["Content-Security-Policy"]
