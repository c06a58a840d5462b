"""A resource's detail is built once per registry version, and never served after a write."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.api import detail_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    detail_cache.clear()
    yield
    detail_cache.clear()


def test_a_second_read_of_an_unchanged_detail_reads_no_rows_of_it(anon, registry):
    first = anon.get("/api/v1/substances/fentanyl/")
    with CaptureQueriesContext(connection) as queries:
        second = anon.get("/api/v1/substances/fentanyl/")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second["ETag"] == first["ETag"]
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "substances_name" not in read
    assert "registry_listing" not in read


@pytest.mark.parametrize(
    ("path", "write", "body", "seen"),
    [
        ("/api/v1/substances/fentanyl/", "/api/v1/substances/fentanyl/", {"notes": "x1"}, "x1"),
        (
            # A write to another row that the detail shows (one of its names).
            "/api/v1/substances/fentanyl/",
            "/api/v1/names/",
            {"substance": "fentanyl", "name": "Sublimaze", "language": "en"},
            "Sublimaze",
        ),
        (
            "/api/v1/listings/l-fentanyl/",
            "/api/v1/listings/l-fentanyl/",
            {"scope": "salts"},
            "salts",
        ),
    ],
)
def test_a_write_is_seen_by_the_next_read(anon, curator, registry, path, write, body, seen):
    before = anon.get(path)
    assert seen not in before.content.decode()
    method = curator.post if write.endswith("s/") else curator.patch
    headers = {} if write.endswith("s/") else {"HTTP_IF_MATCH": anon.get(write)["ETag"]}
    assert method(write, body, format="json", **headers).status_code in (200, 201)
    after = anon.get(path)
    assert seen in after.content.decode()
    assert after["ETag"] != before["ETag"]


def test_the_links_follow_the_host_asked(anon, registry):
    one = anon.get("/api/v1/substances/fentanyl/", HTTP_HOST="localhost").json()
    other = anon.get("/api/v1/substances/fentanyl/", HTTP_HOST="127.0.0.1").json()
    assert one["url"].startswith("http://localhost/")
    assert other["url"].startswith("http://127.0.0.1/")


def test_query_strings_share_one_entry(anon, registry):
    """Junk parameters cannot fill the store: a detail refuses them (400) before building
    anything; the one it takes without a filter (`format`) has an entry per format (its links
    carry it), read again like any other."""
    anon.get("/api/v1/substances/fentanyl/")
    for number in range(5):
        with CaptureQueriesContext(connection) as queries:
            response = anon.get(f"/api/v1/substances/fentanyl/?junk={number}")
        assert response.status_code == 400
        assert "substances_name" not in " ".join(q["sql"] for q in queries.captured_queries)
    anon.get("/api/v1/substances/fentanyl/?format=json")
    with CaptureQueriesContext(connection) as queries:
        response = anon.get("/api/v1/substances/fentanyl/?format=json")
    assert response.status_code == 200
    assert "substances_name" not in " ".join(q["sql"] for q in queries.captured_queries)


def test_a_kept_detail_is_answered_as_written_or_as_the_client_asks(anon, registry):
    first = anon.get("/api/v1/substances/fentanyl/")
    kept = anon.get("/api/v1/substances/fentanyl/")
    assert kept.content == first.content
    assert kept["Content-Type"] == "application/json"
    indented = anon.get("/api/v1/substances/fentanyl/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "')
    assert indented.json() == first.json()
    page = anon.get("/api/v1/substances/fentanyl/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "Fentanyl" in page.content.decode()


def test_a_worker_keeps_only_so_many_bytes_of_details_near():
    near = detail_cache._Near(limit=100)
    for n in range(10):
        near.put(f"k{n}", detail_cache.Rendered(b"x" * 30))
    assert near.held <= 100
    assert near.get("k0") is None and near.get("k9") is not None
    near.get("k7")  # read lately: kept before the older ones
    near.put("k10", detail_cache.Rendered(b"y" * 30))
    assert near.get("k7") is not None and near.get("k8") is None
    near.put("huge", detail_cache.Rendered(b"z" * 101))
    assert near.get("huge") is None


def test_an_entry_of_another_form_in_the_store_is_built_again(anon, registry, monkeypatch):
    """A store that still holds details kept in an earlier form (JSON types, not the rendered
    JSON) never answers with them."""
    from django.core.cache import caches

    store = caches[detail_cache.ALIAS]
    monkeypatch.setattr(store, "get", lambda name, *args, **kwargs: {"uid": "stale"})
    response = anon.get("/api/v1/substances/fentanyl/")
    assert response.status_code == 200
    assert response.json()["uid"] == "fentanyl"


def test_a_read_with_format_does_not_change_the_links_others_read(anon, curator, registry):
    """DRF carries `?format=` into the links it builds: such a read is kept apart, so a plain
    read's `url` never carries another client's format, and its ETag is the one a write asks."""
    anon.get("/api/v1/substances/fentanyl/?format=api")
    anon.get("/api/v1/substances/fentanyl/?format=json")
    plain = anon.get("/api/v1/substances/fentanyl/")
    assert plain.json()["url"].endswith("/api/v1/substances/fentanyl/")
    response = curator.patch(
        "/api/v1/substances/fentanyl/",
        {"notes": "read plainly"},
        format="json",
        HTTP_IF_MATCH=curator.get("/api/v1/substances/fentanyl/")["ETag"],
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_kept_detail_is_one_statement_and_a_built_one_one_snapshot(anon, registry):
    """The feed position and the version are one read, which is its own snapshot: a kept
    detail needs no transaction around it. A detail built is read in one, with the position
    again, so that its Registry-Seq is the position it shows (a 404's too)."""
    with CaptureQueriesContext(connection) as built:
        first = anon.get("/api/v1/substances/fentanyl/")
    with CaptureQueriesContext(connection) as kept:
        second = anon.get("/api/v1/substances/fentanyl/")
    assert first.json() == second.json()
    assert first["Registry-Seq"] == second["Registry-Seq"]
    statements = [query["sql"] for query in built.captured_queries]
    if connection.vendor == "sqlite":
        assert statements[1].startswith("BEGIN")  # after the position read outside it
        assert not any(sql.startswith("BEGIN") for sql in (q["sql"] for q in kept.captured_queries))
    assert len(kept.captured_queries) == 1
    missing = anon.get("/api/v1/substances/no-such-substance/")
    assert missing.status_code == 404
    assert missing["Registry-Seq"] == first["Registry-Seq"]
