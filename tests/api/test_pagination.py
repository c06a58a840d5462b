"""Cursor pages: complete, without repeats, in order, and stable while the registry changes."""

import base64
import datetime
import json

import pytest

from registry import services
from substances.models import Substance
from tests.factories import InstrumentFactory, SubstanceFactory

pytestmark = pytest.mark.django_db
ACTOR = services.Actor.system("tests")


def walk(client, url: str, params: dict) -> list[str]:
    seen: list[str] = []
    response = client.get(url, params)
    while True:
        body = response.json()
        seen += [row["uid"] for row in body["results"]]
        if not body["next"]:
            return seen
        response = client.get(body["next"])


@pytest.fixture
def many(db):
    # Names repeat, so that the ordering needs the uid to break ties.
    return [SubstanceFactory(uid=f"s-{i:02d}", name_en=f"Name {i % 4}") for i in range(23)]


@pytest.mark.parametrize("ordering", ["uid", "-uid", "name_en", "-name_en", "updated_at"])
def test_walking_the_pages_returns_every_row_once_in_order(anon, many, ordering):
    seen = walk(anon, "/api/v1/substances/", {"page_size": 5, "ordering": ordering})
    expected = [
        s.uid
        for s in Substance.objects.order_by(
            ordering, "uid" if ordering.lstrip("-") != "uid" else ordering
        )
    ]
    assert seen == expected


def test_ordering_by_a_field_with_blanks_keeps_every_row(anon, db):
    for i in range(7):
        InstrumentFactory(
            uid=f"i-{i}", effective_on=None if i % 2 else datetime.date(2020, 1, i + 1)
        )
    for ordering in ("effective_on", "-effective_on"):
        seen = walk(anon, "/api/v1/instruments/", {"page_size": 2, "ordering": ordering})
        assert sorted(seen) == [f"i-{i}" for i in range(7)]
        assert len(seen) == 7
    ascending = walk(anon, "/api/v1/instruments/", {"page_size": 2, "ordering": "effective_on"})
    assert ascending == ["i-0", "i-2", "i-4", "i-6", "i-1", "i-3", "i-5"]


def test_pages_stay_exact_while_rows_are_added_and_removed(anon, many):
    first = anon.get("/api/v1/substances/", {"page_size": 5}).json()
    assert [r["uid"] for r in first["results"]] == [f"s-{i:02d}" for i in range(5)]
    # Meanwhile: a row before the cursor goes, rows appear before and after it.
    services.delete_resource(Substance.objects.get(uid="s-01"), actor=ACTOR)
    SubstanceFactory(uid="s-00a", name_en="Early")
    SubstanceFactory(uid="s-05a", name_en="Later")
    second = anon.get(first["next"]).json()
    assert [r["uid"] for r in second["results"]] == ["s-05", "s-05a", "s-06", "s-07", "s-08"]


def test_previous_link_returns_the_page_before(anon, many):
    first = anon.get("/api/v1/substances/", {"page_size": 4, "ordering": "-name_en"}).json()
    second = anon.get(first["next"]).json()
    assert first["previous"] is None
    back = anon.get(second["previous"]).json()
    assert [r["uid"] for r in back["results"]] == [r["uid"] for r in first["results"]]
    assert back["next"] is not None


def test_page_size_has_a_default_and_a_maximum(anon, many):
    assert len(anon.get("/api/v1/substances/").json()["results"]) == 23
    assert len(anon.get("/api/v1/substances/", {"page_size": 500}).json()["results"]) == 23
    assert anon.get("/api/v1/substances/", {"page_size": 501}).status_code == 400


def _cursor(values, ordering):
    raw = json.dumps({"v": values, "r": 0, "o": ordering}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        (["effective_on", "uid"], ["not a date", "x"]),
        (["effective_on", "uid"], [{"a": 1}, "x"]),
        (["uid"], [["nested"]]),
    ],
)
def test_a_cursor_edited_by_hand_is_a_400(anon, db, ordering, values):
    order = ordering[0] if len(ordering) > 1 else "uid"
    response = anon.get(
        "/api/v1/instruments/", {"ordering": order, "cursor": _cursor(values, ordering)}
    )
    assert response.status_code == 400
    assert "cursor" in response.json()
