"""The small holes a hostile tester found: each answered with a 4xx or harmless text, not a 500.

Language links built from the path only; the public feed shows roles, not account names; a nested
cursor and a draft id that is not a number are 4xx; conflict and storage errors speak the
registry's words; CSV cells are never formulas.
"""

import base64
import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DataError, IntegrityError

from registry import roles, services
from registry.api.exceptions import exception_handler
from registry.spreadsheet import safe_cell
from tests.admin.conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_language_link_of_a_double_slash_path_stays_on_this_site(client):
    response = client.get("//evil.example/x")
    assert response.status_code == 404
    body = response.content.decode()
    assert "evil.example" not in body.replace("/evil.example/x", "")
    assert 'href="//' not in body


def test_language_links_still_translate_real_pages(client, small_registry):
    body = client.get("/substances/fentanyl/").content.decode()
    assert 'href="/zh-hans/substances/fentanyl/"' in body


def test_the_public_feed_shows_roles_not_account_names(client, small_registry):
    user = make_user("jdoe-curator-account", role=roles.CURATOR)
    services.create_substance(
        actor=services.Actor.of(user, via="admin"), uid="feed-probe", name_en="Feed probe"
    )
    body = client.get("/changes/feed/").content.decode()
    assert "jdoe-curator-account" not in body
    assert "by a curator" in body


def test_a_nested_cursor_is_a_400(client, small_registry):
    nested = base64.urlsafe_b64encode(b"[" * 100_000).decode().rstrip("=")
    response = client.get(f"/api/v1/substances/?cursor={nested}")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_draft_id_that_is_not_a_number_is_a_404(client):
    admin = get_user_model().objects.create_superuser("boss", "b@example.org", "boss-pass-1")
    client.force_login(admin)
    response = client.post("/admin/registry/draftchangeset/abc/decide/", {"publish": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (
            IntegrityError(
                'duplicate key value violates unique constraint "substance_cas_unique"\n'
                "DETAIL:  Key (cas)=(50-00-0) already exists; row id 4711."
            ),
            409,
        ),
        (DataError('value "99999999999" is out of range for type integer (column "x")'), 400),
    ],
)
def test_database_errors_are_told_in_the_registry_s_words(error, status):
    response = exception_handler(error, {})
    assert response.status_code == status
    text = str(response.data)
    for leak in ("substance_cas_unique", "4711", "DETAIL", "Key (", "column", "integer"):
        assert leak not in text


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    for dangerous in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(dangerous).startswith("'")
    assert safe_cell("fentanyl") == "fentanyl" and safe_cell(None) == ""


def test_check_structures_never_writes_a_formula(small_registry, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text('id,smiles\n=HYPERLINK("http://x"),=cmd|calc\n@id,-1\n', encoding="utf-8")
    out = io.StringIO()
    call_command(
        "check_structures", str(path), "--column", "smiles", "--id-column", "id", stdout=out
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert rows
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row
