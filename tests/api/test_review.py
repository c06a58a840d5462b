"""Review through the API: with REGISTRY_REQUIRE_REVIEW on, a token's write of a legal fact is a
draft (202, its URL in the body and in Location), published by a reviewer other than its author."""

import pytest
from rest_framework.test import APIClient

from registry import roles
from registry.models import Change, DraftChangeSet, Listing
from substances.models import SubstanceClass
from tests.admin.conftest import make_user
from tests.api.conftest import head
from tests.factories import api_token

pytestmark = pytest.mark.django_db

HELD_WRITES = [
    (
        "post",
        "/api/v1/listings/",
        {
            "uid": "l-npp-nps",
            "schedule": "cn-nps",
            "substance": "npp",
            "listed_by": "cn-2019",
            "effective_from": "2019-05-01",
        },
        ["create"],
    ),
    ("patch", "/api/v1/listings/l-fentanyl/", {"scope": "salts"}, ["update"]),
    (
        "patch",
        "/api/v1/listings/l-mdmb/",
        {"effective_to": "2024-07-01", "ended_by": "cn-2021", "notes": "ended"},
        ["update", "delist"],
    ),
    ("delete", "/api/v1/listings/l-mdmb/", None, ["delete"]),
    (
        "post",
        "/api/v1/listings/l-apvp-nps/reschedule/",
        {"to_schedule": "cn-psy1", "instrument": "cn-2021", "effective_on": "2024-07-01"},
        ["reschedule"],
    ),
    ("post", "/api/v1/instruments/", {"jurisdiction": "cn", "reference": "2099-1"}, ["create"]),
    ("patch", "/api/v1/instruments/cn-2019/", {"title_en": "Amended"}, ["update"]),
    ("post", "/api/v1/classes/", {"uid": "nitazenes", "name_en": "Nitazenes"}, ["create"]),
    (
        "post",
        "/api/v1/relations/",
        {"subject": "a-pvp", "kind": "member_of", "target": "5f-mdmb-pica"},
        ["create"],
    ),
    ("patch", "/api/v1/relations/r-fentanyl-citrate/", {"notes": "the citrate"}, ["update"]),
    ("delete", "/api/v1/relations/r-fentanyl-citrate/", None, ["delete"]),
    (
        "patch",
        "/api/v1/classes/fentanyl-related/",
        {"rules": [{"label": "core", "kind": "include", "smarts": "c1ccccc1"}]},
        ["update"],
    ),
]


@pytest.fixture
def review(settings):
    settings.REGISTRY_REQUIRE_REVIEW = True


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    client.user = user
    return client


@pytest.fixture
def curator_token(db):
    return _client(make_user("curator", role=roles.CURATOR))


@pytest.fixture
def reviewer_token(db):
    return _client(make_user("reviewer", role=roles.REVIEWER))


@pytest.mark.parametrize(("method", "path", "body", "services"), HELD_WRITES)
def test_under_review_a_legal_write_is_held_as_a_draft(
    review, registry, curator_token, reviewer_token, method, path, body, services
):
    before = head()
    response = getattr(curator_token, method)(path, body, format="json")
    assert response.status_code == 202, response.content
    draft = response.json()
    assert response["Location"] == draft["url"]
    assert draft["url"].endswith(f"/api/v1/drafts/{draft['id']}/")
    assert (draft["status"], draft["author"]) == ("draft", "curator")
    assert [op["service"] for op in draft["operations"]] == services
    assert head() == before, "nothing is public until a reviewer publishes it"

    assert curator_token.get(draft["url"]).json() == draft
    published = reviewer_token.post(draft["url"] + "publish/")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    written = list(Change.objects.after(before))
    assert written and {(c.actor_name, c.via) for c in written} == {
        ("reviewer", f"draft {draft['id']}")
    }
    assert (published.json()["first_seq"], published.json()["last_seq"]) == (
        written[0].seq,
        written[-1].seq,
    )


def test_under_review_what_says_what_a_thing_is_is_written_at_once(review, registry, curator_token):
    response = curator_token.patch("/api/v1/substances/fentanyl/", {"notes": "x"}, format="json")
    assert response.status_code == 200
    assert not DraftChangeSet.objects.exists()


def test_without_review_a_curators_token_writes_at_once(registry, curator_token):
    response = curator_token.patch("/api/v1/listings/l-fentanyl/", {"scope": "s"}, format="json")
    assert response.status_code == 200
    assert Listing.objects.get(uid="l-fentanyl").scope == "s"


def test_a_draft_that_could_not_be_published_is_refused_at_once(review, registry, curator_token):
    before = head()
    response = curator_token.post(
        "/api/v1/listings/",
        {  # fentanyl is on PSY1 from 2014 already: the periods would overlap
            "schedule": "cn-psy1",
            "substance": "fentanyl",
            "listed_by": "cn-2019",
            "effective_from": "2019-05-01",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert not DraftChangeSet.objects.exists() and head() == before


def test_nobody_publishes_their_own_draft_and_a_curator_none(review, registry, reviewer_token):
    curator = _client(make_user("curator", role=roles.CURATOR))
    own = reviewer_token.patch("/api/v1/listings/l-fentanyl/", {"scope": "s"}, format="json")
    assert own.status_code == 202
    url = own.json()["url"]
    refused = reviewer_token.post(url + "publish/")
    assert refused.status_code == 403
    assert "another reviewer must publish it" in refused.json()["detail"]
    refused = curator.post(url + "publish/")
    assert refused.status_code == 403 and "Only a reviewer" in refused.json()["detail"]
    assert Listing.objects.get(uid="l-fentanyl").scope == ""

    other = _client(make_user("second", role=roles.REVIEWER))
    assert other.post(url + "publish/").status_code == 200
    assert Listing.objects.get(uid="l-fentanyl").scope == "s"
    again = other.post(url + "publish/")
    assert again.status_code == 409 and "already published" in again.json()["detail"]


def test_the_author_discards_a_draft_and_others_may_not(review, registry, curator_token):
    response = curator_token.post(
        "/api/v1/classes/", {"uid": "nitazenes", "name_en": "Nitazenes"}, format="json"
    )
    url = response.json()["url"]
    stranger = _client(make_user("stranger", role=roles.CURATOR))
    assert stranger.post(url + "discard/").status_code == 403
    discarded = curator_token.post(url + "discard/")
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    assert not SubstanceClass.objects.filter(uid="nitazenes").exists()


def test_drafts_are_not_public(review, registry, curator_token, anon, reader_token):
    curator_token.patch("/api/v1/listings/l-fentanyl/", {"scope": "s"}, format="json")
    for client in (anon, reader_token):
        assert client.get("/api/v1/drafts/").status_code in (401, 403)
    [listed] = curator_token.get("/api/v1/drafts/").json()
    assert listed["operations"][0]["arguments"]["fields"] == {"scope": "s"}


def test_the_schema_documents_the_held_answer(anon):
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/listings/", "post"),
        ("/api/v1/listings/{uid}/", "patch"),
        ("/api/v1/listings/{uid}/", "delete"),
        ("/api/v1/listings/{uid}/reschedule/", "post"),
        ("/api/v1/instruments/", "post"),
        ("/api/v1/classes/{uid}/", "patch"),
    ]:
        held = paths[path][method]["responses"]["202"]
        assert "Location" in held["description"], (path, method)
        assert held["content"]["application/json"]["schema"]["$ref"].endswith("DraftChangeSet")
    assert "202" not in paths["/api/v1/substances/{uid}/"]["patch"]["responses"]
    assert {"403", "409"} <= set(paths["/api/v1/drafts/{id}/publish/"]["post"]["responses"])


def test_under_review_chinas_mark_is_held_and_published_as_an_attribute(
    review, registry, curator_token, reviewer_token
):
    path = "/api/v1/listings/l-mdmb/"
    refused = curator_token.patch(path, {"attributes": {"dea_code": "7042"}}, format="json")
    assert refused.status_code == 400 and "dea_code" in refused.json()["attributes"][0]
    assert not DraftChangeSet.objects.exists()
    held = curator_token.patch(path, {"produced_in_china": True}, format="json")
    assert held.status_code == 202, held.content
    assert reviewer_token.post(held.json()["url"] + "publish/").status_code == 200
    assert Listing.objects.get(uid="l-mdmb").attributes == {"produced_in_china": True}
    wording = {"legal_text_zh": "依原有目录予以管制"}
    held = curator_token.patch(path, {"attributes": wording}, format="json")
    assert held.status_code == 202, held.content
    assert reviewer_token.post(held.json()["url"] + "publish/").status_code == 200
    listing = Listing.objects.get(uid="l-mdmb")
    assert listing.attributes == {**wording, "produced_in_china": True}
    assert Change.objects.last().data["attributes"] == wording
