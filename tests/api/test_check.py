"""POST /api/v1/check/: a batch of inputs, a date, a verdict for each; bad bodies are 400s."""

import pytest
from django.utils import timezone

from registry.check import MAX_ITEMS

pytestmark = pytest.mark.django_db


def test_check_gives_a_verdict_per_input_in_order(anon, registry):
    response = anon.post(
        "/api/v1/check/",
        {
            "items": ["Fentanyl", "437-38-7", "no such thing", "C1CC(", ""],
            "on": "2020-01-01",
            "jurisdiction": "cn",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["on"] == "2020-01-01"
    assert body["jurisdiction"] == "CN"
    results = body["results"]
    assert [r["input"] for r in results] == ["Fentanyl", "437-38-7", "no such thing", "C1CC(", ""]
    assert results[0]["status"] == "controlled"
    assert results[0]["substance"]["uid"] == "fentanyl"
    assert {m["listing"] for m in results[0]["matches"]} >= {"l-fentanyl"}
    assert results[1]["substance"]["uid"] == "fentanyl"
    assert results[2]["status"] == "unknown"
    assert all(set(r) >= {"input", "detected_as", "status", "reason", "matches"} for r in results)
    assert response["Registry-Seq"]


def test_check_before_the_listing_says_not_controlled(anon, registry):
    body = anon.post(
        "/api/v1/check/", {"items": ["5F-MDMB-PICA"], "on": "2021-06-30"}, format="json"
    ).json()
    assert body["results"][0]["status"] == "not_controlled"


def test_check_defaults_to_today_and_every_jurisdiction(anon, registry):
    body = anon.post("/api/v1/check/", {"items": ["fentanyl"]}, format="json").json()
    assert body["on"] == timezone.localdate().isoformat()
    assert body["jurisdiction"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": "fentanyl"}, "items"),
        ({"items": ["x"] * (MAX_ITEMS + 1)}, "items"),
        ({"items": ["fentanyl", 42]}, "items"),
        ({"items": [None]}, "items"),
        ({"items": [["nested"]]}, "items"),
        ({}, "items"),
        ({"items": ["x"], "on": "2020-02-30"}, "on"),
        ({"items": ["x"], "on": "tomorrow"}, "on"),
        ({"items": ["x"], "jurisdiction": "XX"}, "jurisdiction"),
        (["fentanyl"], "non_field_errors"),
        ("fentanyl", "non_field_errors"),
    ],
)
def test_bad_check_body_is_a_400_naming_the_field(anon, registry, body, field):
    response = anon.post("/api/v1/check/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_full_batch_is_accepted(anon, registry):
    items = ["fentanyl", "a-PVP", "nothing"] * (MAX_ITEMS // 3)
    response = anon.post("/api/v1/check/", {"items": items}, format="json")
    assert response.status_code == 200
    assert len(response.json()["results"]) == len(items)


@pytest.mark.parametrize("day", ["2000-02-30", "2021-02-29", "2000-13-01"])
def test_a_day_the_calendar_does_not_have_is_named_as_such(client, day):
    response = client.post(
        "/api/v1/check/", {"items": ["x"], "on": day}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"on": [f"{day} is not a day of the calendar (YYYY-MM-DD)."]}


@pytest.mark.parametrize("day", ["0202-01-01", "1899-12-31", "3000-01-01"])
def test_a_day_outside_the_registrys_years_is_refused_as_on_the_site(client, day):
    response = client.post(
        "/api/v1/check/", {"items": ["x"], "on": day}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"on": ["Choose a date between 1900-01-01 and 2999-12-31."]}
