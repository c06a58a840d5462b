"""API tokens: hashed at rest, expiring, scoped, shown once.

Tokens used to be stored and shown in clear, never expired and carried every right of their
account. A token is now a knox digest with an expiry, read-only unless made read-write.
"""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from registry import tokens
from registry.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    """An account that may add substances."""
    user = get_user_model().objects.create_user("lab-system", "l@example.org", "pw-lab-1")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="substances", codename="add_substance")
    )
    return user


def _client(text: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    return client


def test_a_token_is_stored_as_a_digest_only(writer):
    record, text = tokens.issue(user=writer, scope="write")
    rows = []
    with connection.cursor() as cursor:
        for table in (ApiToken._meta.db_table, record.token._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            rows += cursor.fetchall()
    assert rows and all(text not in str(row) for row in rows)
    key = record.token.token_key
    assert text.startswith(key) and len(key) < len(text)


def test_a_token_expires(writer, small_registry):
    record, text = tokens.issue(user=writer, scope="write")
    token = record.token
    assert token.expiry > timezone.now() + datetime.timedelta(days=30)
    assert _client(text).get("/api/v1/substances/").status_code == 200
    type(token).objects.filter(pk=token.pk).update(expiry=timezone.now() - datetime.timedelta(1))
    assert _client(text).get("/api/v1/substances/").status_code == 401


def test_a_read_only_token_reads_and_checks_but_writes_nothing(writer, small_registry):
    _record, text = tokens.issue(user=writer)  # read-only unless asked
    client = _client(text)
    assert client.get("/api/v1/substances/").status_code == 200
    assert client.post("/api/v1/check/", {"items": ["fentanyl"]}, format="json").status_code == 200
    refused = client.post("/api/v1/substances/", {"name_en": "Fresh"}, format="json")
    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    _record, write = tokens.issue(user=writer, scope="write")
    created = _client(write).post("/api/v1/substances/", {"name_en": "Fresh"}, format="json")
    assert created.status_code in (201, 202)


def test_the_command_shows_the_token_once_and_keeps_its_digest(writer, small_registry):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "lab-system", "--days", "7", stdout=out, stderr=err)
    text = out.getvalue().strip()
    assert "shown once" in err.getvalue()
    [record] = ApiToken.objects.filter(token__user=writer)
    token = record.token
    assert record.scope == "read" and token.expiry < timezone.now() + datetime.timedelta(days=8)
    assert text not in (token.digest, token.token_key)
    assert _client(text).get("/api/v1/substances/").status_code == 200


def test_the_admin_lists_tokens_without_their_text(client, writer):
    _record, text = tokens.issue(user=writer, scope="write")
    admin = get_user_model().objects.create_superuser("boss", "b@example.org", "boss-pass-1")
    client.force_login(admin)
    page = client.get("/admin/knox/authtoken/")
    assert page.status_code == 200 and "lab-system" in page.content.decode()
    assert text not in page.content.decode()
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
