"""Resources under /api/v1/: addressed by uid, references by uid, lean lists, rich details."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import head
from tests.factories import ListingFactory, NameFactory, RelationFactory, SubstanceFactory

pytestmark = pytest.mark.django_db

RESOURCES = [
    ("substances", "fentanyl"),
    ("names", "n-apvp-1"),
    ("classes", "fentanyl-related"),
    ("jurisdictions", "cn"),
    ("schedules", "cn-psy1"),
    ("instruments", "cn-2019"),
    ("listings", "l-fentanyl"),
    ("precursor-uses", "pu-npp-fentanyl"),
]


@pytest.mark.parametrize(("path", "uid"), RESOURCES)
def test_every_resource_lists_and_answers_by_uid(anon, registry, path, uid):
    listed = anon.get(f"/api/v1/{path}/").json()
    assert uid in [row["uid"] for row in listed["results"]]
    detail = anon.get(f"/api/v1/{path}/{uid}/")
    assert detail.status_code == 200
    assert detail.json()["uid"] == uid
    assert detail["Registry-Seq"] == str(head())


@pytest.mark.parametrize(("path", "uid"), RESOURCES)
def test_unknown_uid_is_404(anon, registry, path, uid):
    response = anon.get(f"/api/v1/{path}/no-such-{uid}/")
    assert response.status_code == 404
    assert response["Registry-Seq"] == str(head())


def test_listing_refers_to_everything_by_uid(anon, registry):
    body = anon.get("/api/v1/listings/l-apvp-psy1/").json()
    assert body["schedule"] == "cn-psy1"
    assert body["substance"] == "a-pvp"
    assert body["class"] is None
    assert body["listed_by"] == "cn-2013"
    assert body["ended_by"] == "cn-2019"
    assert body["effective_to"] == "2019-05-01"
    whole_class = anon.get("/api/v1/listings/l-fentanyl-class/").json()
    assert whole_class["class"] == "fentanyl-related"
    assert whole_class["substance"] is None


def test_substance_list_is_lean(anon, registry):
    row = next(
        r for r in anon.get("/api/v1/substances/").json()["results"] if r["uid"] == "fentanyl"
    )
    assert row["cas"] == "437-38-7"
    assert "names" not in row
    assert "listings" not in row
    assert "inchi" not in row


def test_substance_detail_embeds_names_listings_relations_and_precursors(anon, registry):
    body = anon.get("/api/v1/substances/fentanyl/").json()
    assert body["inchikey"] == "PJMPHNIQZUBGLI-UHFFFAOYSA-N"
    assert [n["name"] for n in body["names"]] == ["芬太尼"]
    listings = {item["uid"]: item for item in body["listings"]}
    assert set(listings) == {"l-fentanyl", "l-un-fentanyl"}
    assert listings["l-fentanyl"]["schedule"]["code"] == "PSY1"
    assert listings["l-fentanyl"]["schedule"]["jurisdiction"] == "CN"
    assert listings["l-fentanyl"]["listed_by"]["reference"] == "2013-230"
    assert listings["l-fentanyl"]["ended_by"] is None
    [inverse] = body["inverse_relations"]
    assert (inverse["kind"], inverse["form"], inverse["subject"]["uid"]) == (
        "form_of",
        "salt",
        "fentanyl-citrate",
    )
    assert body["relations"] == []
    assert [u["precursor"]["uid"] for u in body["precursor_uses"]] == ["npp"]
    form = anon.get("/api/v1/substances/fentanyl-citrate/").json()
    [relation] = form["relations"]
    assert (relation["kind"], relation["target"]["uid"]) == ("form_of", "fentanyl")
    npp = anon.get("/api/v1/substances/npp/").json()
    assert [u["product"]["uid"] for u in npp["uses"]] == ["fentanyl"]


def test_class_detail_shows_rules_and_listings(anon, registry):
    body = anon.get("/api/v1/classes/fentanyl-related/").json()
    assert body["rules"][0]["smarts"] == "O=CN(c1ccccc1)C1CCNCC1"
    assert [item["uid"] for item in body["listings"]] == ["l-fentanyl-class"]


def test_root_links_every_endpoint(anon, registry):
    body = anon.get("/api/v1/").json()
    assert {"substance", "listing", "changes", "export", "stats", "schema"} <= set(body)


def _grow(registry, n: int) -> None:
    """More of every resource, each with its own references, so pages can be filled."""
    for i in range(n):
        substance = SubstanceFactory(uid=f"extra-{i:03d}", name_en=f"Extra {i}")
        NameFactory(substance=substance, uid=f"n-extra-{i:03d}")
        ListingFactory(
            uid=f"l-extra-{i:03d}",
            substance=substance,
            schedule=registry.npsl,
            listed_by=registry.a2021,
        )


LIST_PATHS = [
    "/api/v1/substances/",
    "/api/v1/names/",
    "/api/v1/classes/",
    "/api/v1/jurisdictions/",
    "/api/v1/schedules/",
    "/api/v1/instruments/",
    "/api/v1/listings/",
    "/api/v1/precursor-uses/",
    "/api/v1/substances/?in_force_on=2022-01-01&jurisdiction=CN&q=extra",
    "/api/v1/substances/?ordering=-updated_at",
    "/api/v1/substances/?ordering=name_en&kind=compound",
    "/api/v1/listings/?in_force_on=2022-01-01&schedule=cn-nps",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_query_count_does_not_grow_with_page_size(
    anon, registry, path, django_assert_num_queries
):
    _grow(registry, 12)
    sep = "&" if "?" in path else "?"
    # Once per process and database, the search looks up whether its trigram index exists; a
    # warm-up request keeps that one-time query out of the counts compared below.
    anon.get(f"{path}{sep}page_size=1")
    counts = []
    for size in (2, 10):
        with CaptureQueriesContext(connection) as queries:
            response = anon.get(f"{path}{sep}page_size={size}")
        assert response.status_code == 200
        counts.append(len(queries))
    with django_assert_num_queries(counts[0]):
        anon.get(f"{path}{sep}page_size=50")
    assert counts[0] == counts[1]


@pytest.mark.parametrize("path", ["/api/v1/substances/", "/api/v1/listings/"])
def test_csv_query_count_does_not_grow_with_rows(anon, registry, path):
    anon.get(path, {"format": "csv"})
    with CaptureQueriesContext(connection) as few:
        anon.get(path, {"format": "csv"})
    _grow(registry, 12)
    with CaptureQueriesContext(connection) as more:
        response = anon.get(path, {"format": "csv"})
    assert response.status_code == 200 and response.content.count(b"extra-") >= 12
    assert len(more) == len(few)


@pytest.mark.parametrize(("path", "uid"), RESOURCES)
def test_detail_query_count_does_not_grow_with_embedded_rows(
    anon, registry, path, uid, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as before:
        anon.get(f"/api/v1/{path}/{uid}/")
    for i in range(5):
        NameFactory(substance=registry.fentanyl, uid=f"n-more-{i}")
        form = SubstanceFactory(uid=f"fentanyl-form-{i}", kind="form")
        RelationFactory(subject=form, target=registry.fentanyl)
    with django_assert_num_queries(len(before)):
        anon.get(f"/api/v1/{path}/{uid}/")
