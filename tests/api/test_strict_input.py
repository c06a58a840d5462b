"""Input is strict: what a write does not take is a 400 naming it, never silently dropped."""

import pytest

from registry.models import Listing
from substances.models import Substance
from tests.api.conftest import head

pytestmark = pytest.mark.django_db

# One valid body per writable resource, to which a stray key is added.
CREATES = {
    "/api/v1/substances/": {"name_en": "Carfentanil"},
    "/api/v1/names/": {"substance": "fentanyl", "name": "Sublimaze", "language": "en"},
    "/api/v1/instruments/": {"jurisdiction": "cn", "reference": "2099-1"},
    "/api/v1/classes/": {"uid": "nitazenes", "name_en": "Nitazenes"},
    "/api/v1/listings/": {
        "schedule": "cn-nps",
        "substance": "npp",
        "effective_from": "2024-01-01",
        "listed_by": "cn-2021",
    },
    "/api/v1/precursor-uses/": {"precursor": "npp", "product_name": "fentanyl"},
}
UPDATES = {
    "/api/v1/substances/fentanyl/": {"notes": "x"},
    "/api/v1/names/n-apvp-1/": {"source": "x"},
    "/api/v1/instruments/cn-2019/": {"notes": "x"},
    "/api/v1/classes/fentanyl-related/": {"notes": "x"},
    "/api/v1/listings/l-mdmb/": {"notes": "x"},
    "/api/v1/precursor-uses/pu-npp-fentanyl/": {"source": "x"},
}


def assert_refused(response, field: str, *words: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    for word in words:
        assert word in " ".join(body[field]), body


@pytest.mark.parametrize(("path", "body"), CREATES.items())
def test_a_create_with_an_unknown_field_is_a_400_naming_it(curator, registry, path, body):
    before = head()
    response = curator.post(path, {**body, "nmae_en": "typo"}, format="json")
    assert_refused(response, "nmae_en", "Unknown field")
    assert head() == before
    assert curator.post(path, body, format="json").status_code == 201


@pytest.mark.parametrize(("path", "body"), UPDATES.items())
def test_an_update_with_an_unknown_field_is_a_400_naming_it(curator, registry, path, body):
    before = head()
    response = curator.patch(path, {**body, "nmae_en": "typo"}, format="json")
    assert_refused(response, "nmae_en", "Unknown field")
    assert head() == before
    assert curator.patch(path, body, format="json").status_code == 200


def test_a_misspelt_field_alone_changes_nothing_and_says_so(curator, registry):
    before = head()
    response = curator.patch("/api/v1/substances/fentanyl/", {"nmae_en": "X"}, format="json")
    assert_refused(response, "nmae_en", "name_en")  # the message lists what is taken
    assert Substance.objects.get(uid="fentanyl").name_en == "Fentanyl"
    assert head() == before


@pytest.mark.parametrize("field", ["cas_rn", "smile"])
def test_a_substance_is_not_created_without_what_was_sent_under_another_name(
    curator, registry, field
):
    body = {"name_en": "Carfentanil", field: "59708-52-0"}
    assert_refused(curator.post("/api/v1/substances/", body, format="json"), field)
    assert not Substance.objects.filter(name_en="Carfentanil").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inchikey", "AAAAAAAAAAAAAA-AAAAAAAAAA-N"),
        ("canonical_smiles", "CCO"),
        ("formula", "C2H6O"),
        ("version", 99),
        ("uid", "other"),
    ],
)
def test_a_read_only_field_with_another_value_is_a_400(curator, registry, field, value):
    before = head()
    response = curator.patch("/api/v1/substances/fentanyl/", {field: value}, format="json")
    assert_refused(response, field)
    assert head() == before


def test_a_read_only_field_is_refused_on_create(curator, registry):
    body = {"name_en": "Carfentanil", "inchikey": "AAAAAAAAAAAAAA-AAAAAAAAAA-N"}
    assert_refused(curator.post("/api/v1/substances/", body, format="json"), "inchikey")
    body = {"uid": "nitazenes", "name_en": "Nitazenes", "version": 3}
    assert_refused(curator.post("/api/v1/classes/", body, format="json"), "version")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/substances/fentanyl/",
        "/api/v1/substances/fentanyl-citrate/",
        "/api/v1/classes/fentanyl-related/",
        "/api/v1/names/n-apvp-1/",
        "/api/v1/listings/l-mdmb/",
    ],
)
def test_what_was_read_can_be_sent_back_with_a_change(curator, registry, path):
    read = curator.get(path).json()
    field = "source" if "/names/" in path else "notes"
    response = curator.patch(path, {**read, field: "amended"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()[field] == "amended"


def test_a_class_version_sent_back_must_be_the_stored_one(curator, registry):
    path = "/api/v1/classes/fentanyl-related/"
    version = curator.get(path).json()["version"]
    assert curator.patch(path, {"version": version, "notes": "a"}, format="json").status_code == 200
    # The version is now one more: the value the client read is no longer the stored one.
    response = curator.patch(path, {"version": version, "notes": "b"}, format="json")
    assert_refused(response, "version", "read-only")


@pytest.mark.parametrize(
    ("field", "value"),
    [("schedule", "cn-psy1"), ("substance", "fentanyl"), ("class", "fentanyl-related")],
)
def test_a_listing_patch_of_its_schedule_or_subject_says_how_to_reschedule(
    curator, registry, field, value
):
    before = head()
    response = curator.patch("/api/v1/listings/l-mdmb/", {field: value}, format="json")
    assert_refused(response, field, "/api/v1/listings/l-mdmb/reschedule/")
    assert Listing.objects.get(uid="l-mdmb").schedule.uid == "cn-nps"
    assert head() == before


def test_a_listing_patch_may_repeat_its_schedule_and_subject(curator, registry):
    body = {"schedule": "cn-nps", "substance": "5f-mdmb-pica", "class": None, "notes": "n"}
    response = curator.patch("/api/v1/listings/l-mdmb/", body, format="json")
    assert response.status_code == 200, response.content
    assert Listing.objects.get(uid="l-mdmb").notes == "n"


def test_a_reschedule_with_an_unknown_field_is_a_400(curator, registry):
    body = {
        "to_schedule": "cn-nps",
        "instrument": "cn-2021",
        "effective_on": "2022-01-01",
        "efective_to": "2023-01-01",
    }
    before = head()
    response = curator.post("/api/v1/listings/l-fentanyl/reschedule/", body, format="json")
    assert_refused(response, "efective_to", "Unknown field")
    assert head() == before


def test_the_check_refuses_a_key_it_does_not_take(anon, registry):
    body = {"items": ["fentanyl"], "date": "2010-01-01"}
    assert_refused(anon.post("/api/v1/check/", body, format="json"), "date", "on")
    body = {"items": ["fentanyl"], "on": "2010-01-01"}
    response = anon.post("/api/v1/check/", body, format="json")
    assert response.status_code == 200
    assert response.json()["on"] == "2010-01-01"


def test_a_body_over_the_limit_is_a_413_that_says_the_limit(curator, registry, settings):
    # Django's own answer was an HTML "Bad Request (400)", with neither reason nor limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"uid": "big", "name_en": "Big", "notes": "x" * 20_000}
    response = curator.post("/api/v1/substances/", body, format="json")
    assert response.status_code == 413
    assert "10,000 bytes" in response.json()["detail"]
    assert response.has_header("Registry-Seq")


def test_a_number_sent_as_text_is_a_400_naming_the_field(curator, registry):
    # Stored as its digits: name_en 5 became "5", notes 123 became "123".
    response = curator.post("/api/v1/substances/", {"uid": "n5", "name_en": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["name_en"] == ["Give text (a string), not int."]
    assert not Substance.objects.filter(uid="n5").exists()
    response = curator.patch("/api/v1/substances/fentanyl/", {"notes": 123}, format="json")
    assert response.status_code == 400 and "notes" in response.json()


@pytest.mark.parametrize(
    "character", ["\x07", "\x1b", "\u202e", "\u200b", "\u061c", "\u2028", "\U000e0041"]
)
def test_a_name_with_a_hidden_character_is_a_400_naming_it(curator, registry, character):
    # Stored: a name that looks like another one and is not it.
    response = curator.post(
        "/api/v1/substances/", {"uid": "h1", "name_en": f"Fenta{character}nyl"}, format="json"
    )
    assert response.status_code == 400
    assert f"U+{ord(character):04X}" in response.json()["name_en"][0]
    response = curator.post(
        "/api/v1/names/",
        {"substance": "fentanyl", "name": f"x{character}y", "language": "en", "kind": "synonym"},
        format="json",
    )
    assert response.status_code == 400 and "name" in response.json()
