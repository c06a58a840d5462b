"""Input is strict in the query too: a parameter an endpoint does not read is a 400 naming it.

Ignored, a misspelt filter (`?jurisdicton=US`) answered with the whole registry and a 200.
"""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from registry.models import Listing
from tests.factories import api_token

pytestmark = pytest.mark.django_db

LISTING_PARAMETERS = [
    "cas",
    "class",
    "cursor",
    "ended_between",
    "format",
    "in_force_on",
    "inchikey",
    "instrument",
    "jurisdiction",
    "listed_between",
    "ordering",
    "page_size",
    "q",
    "regime",
    "schedule",
    "subject",
    "substance",
]


def assert_unknown(response, *names: str, accepted: list[str] | None = None) -> None:
    """A 400 naming exactly `names`, each message listing what the endpoint takes (sorted)."""
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert sorted(body) == sorted(names), body
    for name in names:
        (message,) = body[name]
        assert message.startswith(f"Unknown parameter {name!r}: this endpoint takes only "), body
        listed = message.split("takes only ", 1)[1].rstrip(".").split(", ")
        assert listed == sorted(listed), message
        if accepted is not None:
            assert listed == accepted, message


@pytest.fixture
def admin(db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


# --- misspelt and unknown parameters -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        ("/api/v1/listings/", {"jurisdicton": "US"}, ["jurisdicton"]),
        ("/api/v1/listings/", {"inforce_on": "2020-01-01"}, ["inforce_on"]),
        ("/api/v1/listings/", {"on": "2025-13-01"}, ["on"]),
        ("/api/v1/substances/", {"qq": "ketamine"}, ["qq"]),
        ("/api/v1/substances/", {"q": "fentanyl", "knd": "form", "ordr": "uid"}, ["knd", "ordr"]),
        ("/api/v1/names/", {"langauge": "zh"}, ["langauge"]),
        ("/api/v1/classes/", {"search": "fentanyl"}, ["search"]),
        ("/api/v1/jurisdictions/", {"cod": "CN"}, ["cod"]),
        ("/api/v1/schedules/", {"regim": "narcotic"}, ["regim"]),
        ("/api/v1/instruments/", {"effective_on": "2019-05-01"}, ["effective_on"]),
        ("/api/v1/relations/", {"subjct": "fentanyl"}, ["subjct"]),
        ("/api/v1/precursor-uses/", {"precursr": "npp"}, ["precursr"]),
        ("/api/v1/substances/fentanyl/", {"in_force": "2020-01-01"}, ["in_force"]),
        ("/api/v1/schedules/cn-psy1/entries/", {"date": "2020-01-01"}, ["date"]),
        ("/api/v1/changes/", {"since": "10"}, ["since"]),
        ("/api/v1/changes/", {"after": "0", "limt": "10"}, ["limt"]),
        ("/api/v1/export/", {"after": "10"}, ["after"]),
        ("/api/v1/stats/", {"date": "2020-01-01"}, ["date"]),
        ("/api/v1/diff/", {"jurisdiction": "CN", "from": "2014-01-01", "till": "x"}, ["till"]),
        ("/api/v1/", {"x": "1"}, ["x"]),
    ],
)
def test_an_unknown_parameter_is_a_400_naming_it(anon, registry, path, params, unknown):
    assert_unknown(anon.get(path, params), *unknown)


def test_the_refusal_lists_what_the_endpoint_takes(anon, registry):
    assert_unknown(
        anon.get("/api/v1/listings/", {"jurisdicton": "US"}),
        "jurisdicton",
        accepted=LISTING_PARAMETERS,
    )
    assert_unknown(
        anon.get("/api/v1/changes/", {"since": "1"}), "since", accepted=["after", "format", "limit"]
    )
    assert_unknown(anon.get("/api/v1/export/", {"after": "1"}), "after", accepted=["format"])
    assert_unknown(
        anon.get("/api/v1/diff/", {"till": "x"}),
        "till",
        accepted=["format", "from", "jurisdiction", "schedule", "to"],
    )
    assert_unknown(
        anon.get("/api/v1/schedules/cn-psy1/entries/", {"date": "x"}),
        "date",
        accepted=["format", "on", "q"],
    )


def test_a_detail_takes_neither_the_filters_nor_the_pages(anon, registry):
    # A filter on a detail would only turn a record that exists into a 404, which a client
    # syncing could read as the record deleted.
    url = "/api/v1/listings/l-fentanyl/"
    assert_unknown(anon.get(url, {"cursor": "x"}), "cursor", accepted=["format"])
    assert_unknown(anon.get(url, {"jurisdiction": "CN"}), "jurisdiction", accepted=["format"])
    assert_unknown(anon.get(url, {"jurisdiction": "UN"}), "jurisdiction", accepted=["format"])
    assert anon.get(url).status_code == 200


def test_a_write_with_an_unknown_parameter_writes_nothing(curator, registry):
    response = curator.patch("/api/v1/listings/l-mdmb/?dry_run=1", {"notes": "x"}, format="json")
    assert_unknown(response, "dry_run")
    assert Listing.objects.get(uid="l-mdmb").notes != "x"
    response = curator.post("/api/v1/check/?on=2020-01-01", {"items": ["fentanyl"]}, format="json")
    assert_unknown(response, "on", accepted=["format"])


def test_drafts_and_jobs_refuse_unknown_parameters_too(admin, registry):
    assert_unknown(admin.get("/api/v1/drafts/", {"status": "draft"}), "status")
    assert_unknown(admin.get("/api/v1/check/jobs/", {"status": "done"}), "status")


def test_head_and_options_take_what_get_takes(anon, registry):
    for method in (anon.head, anon.options):

        def status(path, params, method=method):
            return method(f"{path}?{urlencode(params)}").status_code

        assert status("/api/v1/listings/", {"jurisdicton": "US"}) == 400
        assert status("/api/v1/listings/", {"jurisdiction": "UN", "page_size": "1"}) == 200
        assert status("/api/v1/substances/fentanyl/", {"qq": "x"}) == 400
        assert status("/api/v1/substances/fentanyl/", {"kind": "compound"}) == 400  # a filter
        assert status("/api/v1/changes/", {"after": "0", "limit": "5"}) == 200
        assert status("/api/v1/changes/", {"afterr": "0"}) == 400
    refused = anon.options("/api/v1/listings/?jurisdicton=US")
    assert_unknown(refused, "jurisdicton", accepted=LISTING_PARAMETERS)


def test_a_method_not_allowed_is_still_a_405(admin, registry):
    assert admin.put("/api/v1/jurisdictions/cn/?junk=1", {}, format="json").status_code == 405


# --- what endpoints take still works -------------------------------------------------------


def test_a_known_filter_still_filters(anon, registry):
    response = anon.get("/api/v1/listings/", {"jurisdiction": "UN"})
    assert response.status_code == 200
    assert [row["uid"] for row in response.json()["results"]] == ["l-un-fentanyl"]
    response = anon.get("/api/v1/substances/", {"q": "fentanyl", "ordering": "-uid"})
    assert response.status_code == 200
    assert "fentanyl" in [row["uid"] for row in response.json()["results"]]


def test_the_next_and_previous_links_still_work(anon, registry):
    params = {"jurisdiction": "CN", "page_size": 2, "ordering": "effective_from"}
    response = anon.get("/api/v1/listings/", params)
    assert response.status_code == 200
    pages = [response.json()]
    while pages[-1]["next"]:
        assert "cursor=" in pages[-1]["next"]
        response = anon.get(pages[-1]["next"])
        assert response.status_code == 200, response.content[:300]
        pages.append(response.json())
    assert len(pages) >= 2
    walked = [row["uid"] for page in pages for row in page["results"]]
    everything = anon.get("/api/v1/listings/", {"jurisdiction": "CN", "page_size": 100}).json()
    assert sorted(walked) == sorted(row["uid"] for row in everything["results"])
    back = anon.get(pages[-1]["previous"])
    assert back.status_code == 200
    assert back.json()["results"] == pages[-2]["results"]


def test_format_csv_still_works(anon, registry):
    response = anon.get("/api/v1/listings/", {"format": "csv", "jurisdiction": "UN"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and l-un-fentanyl
    entries = anon.get("/api/v1/schedules/cn-psy1/entries/", {"format": "csv", "on": "2015-01-01"})
    assert entries.status_code == 200
    assert entries["Content-Type"].startswith("text/csv")
    assert anon.get("/api/v1/substances/fentanyl/", {"format": "json"}).status_code == 200


def test_a_list_s_entries_open_in_the_browsable_api(anon, registry):
    # Its query serializer took json and csv only: ?format=api, which every other endpoint
    # answers, was a 400.
    for query in ({"format": "api"}, {}):
        page = anon.get("/api/v1/schedules/cn-psy1/entries/", query, HTTP_ACCEPT="text/html")
        assert page.status_code == 200, query
        assert page["Content-Type"].startswith("text/html")
    refused = anon.get("/api/v1/schedules/cn-psy1/entries/", {"format": "xml"})
    assert refused.status_code == 400 and "format" in refused.json()


def test_a_format_the_endpoint_does_not_answer_in_is_a_400_naming_it(anon, registry):
    # DRF answers 404, as if the record were not there.
    for path, formats in (
        ("/api/v1/changes/", "api, json"),
        ("/api/v1/substances/", "api, csv, json"),
        ("/api/v1/substances/fentanyl/", "api, csv, json"),
    ):
        response = anon.get(path, {"format": "xml"})
        assert response.status_code == 400, path
        assert response.json() == {
            "format": [f"Unknown format 'xml': this endpoint answers in {formats}."]
        }


def test_the_feed_and_the_export_take_their_documented_parameters(anon, registry):
    page = anon.get("/api/v1/changes/", {"after": 0, "limit": 2})
    assert page.status_code == 200
    body = page.json()
    assert len(body["results"]) == 2 and body["next"]
    following = anon.get(body["next"])
    assert following.status_code == 200
    assert following.json()["results"][0]["seq"] == body["last_seq"] + 1
    for params in ({}, {"format": "json"}):
        export = anon.get("/api/v1/export/", params)
        assert export.status_code == 200, params
        assert b"".join(export.streaming_content).startswith(b'{"seq": ')
    stats = anon.get("/api/v1/stats/", {"jurisdiction": "CN", "on": "2020-01-01"})
    assert stats.status_code == 200
    diff = anon.get(
        "/api/v1/diff/", {"jurisdiction": "CN", "from": "2014-01-01", "to": "2020-01-01"}
    )
    assert diff.status_code == 200


def test_the_documentation_pages_are_not_api_views(anon, db):
    assert anon.get("/api/schema/", {"format": "json", "lang": "en"}).status_code == 200
    assert anon.get("/api/docs/", {"junk": "1"}).status_code == 200
    assert anon.get("/api/redoc/", {"junk": "1"}).status_code == 200


def test_every_documented_query_parameter_is_taken(admin, registry):
    """The schema and the API agree: each operation takes every parameter it documents, and
    refuses one it does not (sent with them, it alone is named)."""
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    checked = 0
    for template, operations in schema["paths"].items():
        path = template.replace("{uid}", "missing").replace("{id}", "1").replace("{pk}", "1")
        assert "{" not in path, template
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "delete"):
                continue
            documented = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            query = "&".join([*(f"{name}=" for name in documented), "not_a_parameter=1"])
            response = getattr(admin, method)(f"{path}?{query}")
            where = f"{method.upper()} {template}"
            assert response.status_code == 400, f"{where}: {response.content[:300]!r}"
            body = response.json()
            assert list(body) == ["not_a_parameter"], f"{where}: {body}"
            listed = body["not_a_parameter"][0].split("takes only ", 1)[1].rstrip(".").split(", ")
            assert set(documented) <= set(listed), where
            checked += 1
    assert checked >= 30


# --- the shared response cache ------------------------------------------------------------


def test_a_cached_list_is_not_served_for_a_misspelt_filter(anon, registry, settings):
    settings.RESPONSE_CACHE_SECONDS = 600
    cache.clear()
    assert anon.get("/api/v1/listings/").status_code == 200
    assert anon.get("/api/v1/listings/")["X-Registry-Cache"] == "hit"
    assert_unknown(anon.get("/api/v1/listings/", {"jurisdicton": "US"}), "jurisdicton")


def test_every_endpoint_of_v1_refuses_what_it_does_not_take():
    """The refusal lives in RegistryAPIView; an endpoint made of another view would not have it."""
    from registry.api import urls
    from registry.api.base import RegistryAPIView

    views = [pattern.callback.cls for pattern in urls.v1]
    assert len(views) >= 20
    assert all(issubclass(view, RegistryAPIView) for view in views), views


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/api/v1/substances/", "schedule=cn-nps&schedule=cn-narcotic", "schedule"),
        ("/api/v1/substances/", "q=fentanyl&q=ketamine", "q"),
        ("/api/v1/changes/", "after=1&after=2", "after"),
    ],
)
def test_a_parameter_given_twice_is_a_400_naming_it(anon, registry, path, query, name):
    # Read as its last value: the answer depended on the order of the two.
    response = anon.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json()[name] == ["Given 2 times: give it once."]
