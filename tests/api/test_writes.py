"""Writes: a token and the model permission, through the services, each leaving its change row."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from rest_framework.test import APIClient

from registry.models import Change, Listing
from substances.models import Name, Substance, SubstanceClass
from tests.api.conftest import _token_client, head
from tests.factories import JurisdictionFactory, ListingFactory, ScheduleFactory

pytestmark = pytest.mark.django_db


def changes_since(seq: int) -> list[tuple[str, str, str, str, str]]:
    return [
        (c.action, c.resource_type, c.uid, c.via, c.actor_name) for c in Change.objects.after(seq)
    ]


WRITES = [
    ("post", "/api/v1/substances/", {"uid": "new-one", "name_en": "New one"}),
    ("patch", "/api/v1/substances/fentanyl/", {"notes": "amended"}),
    ("delete", "/api/v1/substances/fentanyl-citrate/", None),
    ("post", "/api/v1/names/", {"substance": "fentanyl", "name": "Sublimaze", "language": "en"}),
    ("post", "/api/v1/instruments/", {"jurisdiction": "cn", "reference": "2099-1"}),
    ("post", "/api/v1/classes/", {"uid": "nitazenes", "name_en": "Nitazenes"}),
    ("patch", "/api/v1/listings/l-fentanyl/", {"scope": "salts"}),
    ("delete", "/api/v1/listings/l-mdmb/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_anonymous_write_is_refused_with_401(anon, registry, method, path, body):
    before = head()
    response = getattr(anon, method)(path, body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert head() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_token_without_permission_is_refused_with_403(reader_token, registry, method, path, body):
    before = head()
    response = getattr(reader_token, method)(path, body, format="json")
    assert response.status_code == 403
    assert head() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_write_with_permission_lands_in_the_feed(curator, registry, method, path, body):
    before = head()
    response = getattr(curator, method)(path, body, format="json")
    assert response.status_code in (200, 201, 204), response.content
    rows = changes_since(before)
    assert rows, "a write must leave a change row"
    assert all(via == "api" and actor == "curator" for *_, via, actor in rows)
    assert response["Registry-Seq"] == str(head())


def test_read_only_resources_refuse_writes(registry):
    admin = _token_client("admin", [])
    admin.user.is_superuser = True
    admin.user.save()
    assert admin.post("/api/v1/jurisdictions/", {"code": "US"}).status_code == 405
    assert admin.patch("/api/v1/schedules/cn-psy1/", {"name": "x"}).status_code == 405
    assert admin.put("/api/v1/substances/fentanyl/", {"name_en": "x"}).status_code == 405


def test_create_substance_derives_identifiers_and_answers_the_detail(curator, registry):
    before = head()
    response = curator.post(
        "/api/v1/substances/",
        {
            "name_en": "Carfentanil",
            "cas": "59708-52-0",
            "smiles": "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCc2ccccc2)CC1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uid"] == "carfentanil"
    assert body["inchikey"]
    assert body["names"] == [] and body["listings"] == []
    assert changes_since(before) == [("created", "substance", "carfentanil", "api", "curator")]


def test_update_substance_records_one_update_and_bumps_the_version(curator, registry):
    before = head()
    response = curator.patch(
        "/api/v1/substances/fentanyl/", {"name_zh": "芬太尼（修订）"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert changes_since(before) == [("updated", "substance", "fentanyl", "api", "curator")]
    change = Change.objects.get(seq=before + 1)
    assert change.data["name_zh"] == "芬太尼（修订）"


def test_a_patch_that_changes_nothing_records_nothing(curator, registry):
    before = head()
    response = curator.patch("/api/v1/substances/fentanyl/", {"name_en": "Fentanyl"}, format="json")
    assert response.status_code == 200
    assert head() == before


def test_delete_substance_takes_its_names_along_and_records_each(curator, registry):
    before = head()
    assert curator.delete("/api/v1/substances/5f-mdmb-pica/").status_code == 400  # listed
    assert curator.delete("/api/v1/listings/l-mdmb/").status_code == 204
    assert curator.delete("/api/v1/substances/5f-mdmb-pica/").status_code == 204
    actions = [(a, t) for a, t, *_ in changes_since(before)]
    assert actions == [("deleted", "listing"), ("deleted", "name"), ("deleted", "substance")]
    assert not Substance.objects.filter(uid="5f-mdmb-pica").exists()


def test_names_are_created_changed_and_deleted(curator, registry):
    created = curator.post(
        "/api/v1/names/",
        {"substance": "a-pvp", "name": "flakka", "language": "en", "kind": "street"},
        format="json",
    )
    assert created.status_code == 201, created.content
    uid = created.json()["uid"]
    changed = curator.patch(f"/api/v1/names/{uid}/", {"name": "Flakka"}, format="json")
    assert changed.json()["name"] == "Flakka"
    assert curator.delete(f"/api/v1/names/{uid}/").status_code == 204
    assert [c.action for c in Change.objects.for_resource("name", uid)] == [
        "created",
        "updated",
        "deleted",
    ]
    assert not Name.objects.filter(uid=uid).exists()


def test_class_rules_are_replaced_in_one_change(curator, registry):
    before = head()
    response = curator.patch(
        "/api/v1/classes/fentanyl-related/",
        {"rules": [{"label": "core", "smarts": "C1CCNCC1"}, {"label": "amide", "smarts": "NC=O"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [r["label"] for r in response.json()["rules"]] == ["core", "amide"]
    assert changes_since(before) == [("updated", "class", "fentanyl-related", "api", "curator")]
    assert SubstanceClass.objects.get(uid="fentanyl-related").rules.count() == 2


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"rules": [{"label": "core", "smartz": "C1CCNCC1"}]}, "smartz"),
        ({"examples": [{"name": "x", "smiles": "CCO", "expectd": True}]}, "expectd"),
        ({"examples": [{"name": "x", "smiles": "C1CC", "expected": False}]}, "examples[0]"),
        ({"examples": [{"name": "x", "smiles": "CCO", "expected": "no"}]}, "true or false"),
        ({"examples": [{"name": "x", "expected": True}]}, "SMILES"),
        ({"rules": [{"label": 5, "smarts": "C1CCNCC1"}]}, "Give text"),
        ({"examples": [{"name": "x", "smiles": "CCO"}] * 201}, "At most 200"),
        (
            {
                "rules": [{"label": "core", "smarts": "C1CCNCC1"}],
                "examples": [
                    {
                        "name": "ethanol drawn",
                        "smiles": "\n  x\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n"
                        "    0.0000    0.0000    0.0000 C   0  0\n"
                        "    1.2000    0.0000    0.0000 C   0  0\n"
                        "    2.4000    0.0000    0.0000 O   0  0\n"
                        "  1  2  1  0\n  2  3  1  0\nM  END\n",
                        "expected": True,
                    }
                ],
            },
            "says it is a member, but the rules leave it",
        ),
        (
            {
                "rules": [{"label": "core", "smarts": "C1CCNCC1"}],
                "examples": [{"name": "ethanol", "smiles": "CCO", "expected": True}],
            },
            "says it is a member, but the rules leave it",
        ),
    ],
)
def test_a_class_s_misspelt_rule_or_wrong_example_is_a_400_naming_it(curator, registry, body, says):
    # Each was saved: the misspelt key dropped, the example kept untested.
    before = head()
    response = curator.patch("/api/v1/classes/fentanyl-related/", body, format="json")
    assert response.status_code == 400
    assert says in str(response.json())
    assert changes_since(before) == []


def test_a_class_s_example_that_the_rules_take_is_saved(curator, registry):
    body = {
        "rules": [{"label": "core", "smarts": "C1CCNCC1"}],
        "examples": [
            {"name": "piperidine", "smiles": "C1CCNCC1", "expected": True},
            {"name": "ethanol", "smiles": "CCO", "expected": False, "why": "no ring"},
            "a name alone",
        ],
    }
    response = curator.patch("/api/v1/classes/fentanyl-related/", body, format="json")
    assert response.status_code == 200, response.content


def test_a_class_condition_is_written_and_a_chinese_one_alone_refused(curator, registry):
    condition = "that the substance be a CB1 receptor agonist, as shown by assays"
    response = curator.patch(
        "/api/v1/classes/fentanyl-related/", {"condition": condition}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["condition"] == condition
    assert SubstanceClass.objects.get(uid="fentanyl-related").condition == condition
    before = head()
    response = curator.patch(
        "/api/v1/classes/fentanyl-related/",
        {"condition": "", "condition_zh": "该物质为CB1受体激动剂"},
        format="json",
    )
    assert response.status_code == 400
    assert "condition" in response.json()
    assert changes_since(before) == []
    assert SubstanceClass.objects.get(uid="fentanyl-related").condition == condition


def test_listing_is_created_by_list_substance(curator, registry):
    before = head()
    response = curator.post(
        "/api/v1/listings/",
        {
            "schedule": "cn-nps",
            "substance": "npp",
            "effective_from": "2024-09-01",
            "listed_by": "cn-2021",
            "item_number": "9",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["substance"] == "npp" and body["ended_by"] is None
    assert changes_since(before) == [("created", "listing", body["uid"], "api", "curator")]


def test_listing_of_a_class(curator, registry):
    response = curator.post(
        "/api/v1/listings/",
        {
            "schedule": "cn-psy1",
            "class": "fentanyl-related",
            "effective_from": "2024-09-01",
            "listed_by": "cn-2021",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["class"] == "fentanyl-related"


def test_ending_a_listing_is_a_patch_that_sets_the_end(curator, registry):
    before = head()
    response = curator.patch(
        "/api/v1/listings/l-mdmb/",
        {"effective_to": "2025-07-28", "ended_by": "cn-2021"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_to"] == "2025-07-28"
    assert changes_since(before) == [("updated", "listing", "l-mdmb", "api", "curator")]
    listing = Listing.objects.get(uid="l-mdmb")
    assert listing.ended_by.uid == "cn-2021"


def test_rescheduling_ends_one_listing_and_starts_another(curator, registry):
    before = head()
    response = curator.post(
        "/api/v1/listings/l-fentanyl/reschedule/",
        {"to_schedule": "cn-nps", "instrument": "cn-2021", "effective_on": "2022-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    ended, started = response.json()
    assert ended["uid"] == "l-fentanyl" and ended["effective_to"] == "2022-01-01"
    assert started["schedule"] == "cn-nps" and started["effective_from"] == "2022-01-01"
    assert [(a, t) for a, t, *_ in changes_since(before)] == [
        ("updated", "listing"),
        ("created", "listing"),
    ]


def test_rescheduling_onto_its_own_schedule_is_a_400_that_changes_nothing(curator, registry):
    # It ended the listing and started its twin: two changes, no change in law.
    before = head()
    schedule = Listing.objects.get(uid="l-fentanyl").schedule.uid
    response = curator.post(
        "/api/v1/listings/l-fentanyl/reschedule/",
        {"to_schedule": schedule, "instrument": "cn-2021", "effective_on": "2022-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "already on" in str(response.json()["to_schedule"])
    assert changes_since(before) == []
    assert Listing.objects.get(uid="l-fentanyl").effective_to is None


def test_rescheduling_needs_both_listing_permissions(registry):
    adder = _token_client("adder", ["registry.add_listing"])
    response = adder.post(
        "/api/v1/listings/l-fentanyl/reschedule/",
        {"to_schedule": "cn-nps", "instrument": "cn-2021", "effective_on": "2022-01-01"},
        format="json",
    )
    assert response.status_code == 403


BAD_WRITES = [
    # (method, path, body, field named in the 400)
    ("post", "/api/v1/substances/", {"name_en": ""}, "name_en"),
    ("post", "/api/v1/substances/", {"name_en": "X", "cas": "50-00-1"}, "cas"),
    ("post", "/api/v1/substances/", {"name_en": "X", "smiles": "C1CC("}, "smiles"),
    # a CXSMILES extension other than enhanced-stereo groups, or a group of no drawn centre
    ("post", "/api/v1/substances/", {"name_en": "X", "smiles": "CCO |xyz|"}, "smiles"),
    ("post", "/api/v1/substances/", {"name_en": "X", "smiles": "C[C@H](N)CC |&1:9|"}, "smiles"),
    ("post", "/api/v1/substances/", {"name_en": "X", "kind": "gas"}, "kind"),
    # only a preparation says how many active ingredients it has
    ("post", "/api/v1/substances/", {"name_en": "X", "ingredients": "single"}, "ingredients"),
    ("patch", "/api/v1/substances/fentanyl/", {"ingredients": "compound"}, "ingredients"),
    (
        "post",
        "/api/v1/substances/",
        {"name_en": "X", "kind": "preparation", "ingredients": "several"},
        "ingredients",
    ),
    ("post", "/api/v1/substances/", {"name_en": "X", "parent": "fentanyl"}, "parent"),
    (
        "post",
        "/api/v1/relations/",
        {"subject": "fentanyl", "kind": "form_of", "target": "fentanyl", "form": "salt"},
        "target",
    ),
    ("post", "/api/v1/substances/", {"name_en": "X", "uid": "Not A Uid!"}, "uid"),
    ("post", "/api/v1/substances/", {"name_en": "X", "uid": "fentanyl"}, "uid"),
    ("post", "/api/v1/substances/", ["not", "an", "object"], "non_field_errors"),
    ("patch", "/api/v1/substances/fentanyl/", {"uid": "other"}, "uid"),
    ("patch", "/api/v1/substances/fentanyl/", {"parent": "fentanyl"}, "parent"),
    ("post", "/api/v1/names/", {"substance": "fentanyl", "name": "芬太尼", "language": "zh"}, None),
    (
        "post",
        "/api/v1/names/",
        {"substance": "fentanyl", "name": "x", "language": "fr"},
        "language",
    ),
    ("post", "/api/v1/instruments/", {"jurisdiction": "cn"}, None),
    ("post", "/api/v1/instruments/", {"jurisdiction": "xx", "reference": "1"}, "jurisdiction"),
    (
        "post",
        "/api/v1/instruments/",
        {
            "jurisdiction": "cn",
            "reference": "1",
            "published_on": "2020-01-02",
            "effective_on": "2020-01-01",
        },
        None,
    ),
    (
        "post",
        "/api/v1/classes/",
        {"uid": "x", "name_en": "X", "rules": [{"label": "a", "smarts": "C(("}]},
        "rules[0]",
    ),
    ("post", "/api/v1/classes/", {"name_en": "X"}, "uid"),
    (
        "post",
        "/api/v1/listings/",
        {"schedule": "cn-nps", "effective_from": "2024-01-01", "listed_by": "cn-2021"},
        "substance",
    ),
    (
        "post",
        "/api/v1/listings/",
        {
            "schedule": "cn-nps",
            "substance": "npp",
            "class": "fentanyl-related",
            "effective_from": "2024-01-01",
            "listed_by": "cn-2021",
        },
        "substance",
    ),
    (
        "post",
        "/api/v1/listings/",
        {
            "schedule": "cn-nps",
            "substance": "npp",
            "effective_from": "2024-13-01",
            "listed_by": "cn-2021",
        },
        "effective_from",
    ),
    (
        "post",
        "/api/v1/listings/",
        {
            "schedule": "un-1",
            "substance": "npp",
            "effective_from": "2024-01-01",
            "listed_by": "cn-2021",
        },
        "instrument",
    ),
    # overlaps the listing in force
    (
        "post",
        "/api/v1/listings/",
        {
            "schedule": "cn-nps",
            "substance": "a-pvp",
            "effective_from": "2024-01-01",
            "listed_by": "cn-2021",
        },
        None,
    ),
    ("patch", "/api/v1/listings/l-mdmb/", {"effective_to": "2025-01-01"}, "ended_by"),
    ("patch", "/api/v1/listings/l-mdmb/", {"ended_by": "cn-2021"}, "effective_to"),
    (
        "patch",
        "/api/v1/listings/l-mdmb/",
        {"effective_to": "2020-01-01", "ended_by": "cn-2021"},
        None,
    ),
    (
        "patch",
        "/api/v1/listings/l-mdmb/",
        {"effective_to": "2025-01-01", "ended_by": "un-1961"},
        "instrument",
    ),
    ("patch", "/api/v1/listings/l-mdmb/", {"effective_from": "not-a-date"}, "effective_from"),
    (
        "post",
        "/api/v1/listings/l-apvp-psy1/reschedule/",
        {"to_schedule": "cn-nps", "instrument": "cn-2021", "effective_on": "2022-01-01"},
        "listing",
    ),
    (
        "post",
        "/api/v1/listings/l-fentanyl/reschedule/",
        {"to_schedule": "nowhere", "instrument": "cn-2021", "effective_on": "2022-01-01"},
        "to_schedule",
    ),
    (
        "post",
        "/api/v1/listings/l-fentanyl/reschedule/",
        {"to_schedule": "cn-nps", "instrument": "cn-2021"},
        "effective_on",
    ),
    ("post", "/api/v1/precursor-uses/", {"precursor": "npp"}, None),
    ("post", "/api/v1/precursor-uses/", {"precursor": "npp", "product": "npp"}, None),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_WRITES)
def test_bad_write_is_a_400_naming_the_field_and_records_nothing(
    curator, registry, method, path, body, field
):
    before = head()
    response = getattr(curator, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json(), response.json()
    else:
        assert response.json()
    assert head() == before


def test_malformed_json_is_a_400(curator, registry):
    response = curator.generic(
        "POST", "/api/v1/substances/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_a_token_made_by_the_management_command_writes_with_the_permission(registry):
    user = get_user_model().objects.create_user("lab", "lab@example.org", "pw")
    user.user_permissions.add(Permission.objects.get(codename="add_name"))
    out = StringIO()
    call_command("create_api_token", "lab", "--scope", "write", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = head()
    response = client.post(
        "/api/v1/names/", {"substance": "npp", "name": "NPP", "language": "und"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert changes_since(before) == [("created", "name", response.json()["uid"], "api", "lab")]


# --- If-Match: a write based on what the client last read --------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/substances/fentanyl/", "notes"),
        ("/api/v1/listings/l-fentanyl/", "scope"),
        ("/api/v1/classes/CLASS/", "notes"),
    ],
)
def test_a_patch_with_the_current_etag_lands(curator, registry, path, field):
    path = path.replace("CLASS", registry.fentanyls.uid)
    read = curator.get(path, HTTP_ACCEPT="application/json")
    assert read.status_code == 200
    response = curator.patch(path, {field: "mine"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 200, response.content
    # A new read gives a new tag, on which the next write can be based.
    again = curator.get(path, HTTP_ACCEPT="application/json")
    assert again["ETag"] != read["ETag"]
    second = curator.patch(path, {field: "again"}, format="json", HTTP_IF_MATCH=again["ETag"])
    assert second.status_code == 200, second.content


def test_a_patch_based_on_an_outdated_read_is_refused_with_412(curator, registry):
    path = "/api/v1/substances/fentanyl/"
    read = curator.get(path, HTTP_ACCEPT="application/json")
    assert curator.patch(path, {"notes": "theirs"}, format="json").status_code == 200
    before = head()
    response = curator.patch(path, {"notes": "mine"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 412
    assert "changed since you read it" in response.json()["detail"]
    assert head() == before  # nothing written
    assert Substance.objects.get(uid="fentanyl").notes == "theirs"


def test_a_delete_based_on_an_outdated_read_is_refused_with_412(curator, registry):
    path = "/api/v1/listings/l-mdmb/"
    read = curator.get(path, HTTP_ACCEPT="application/json")
    assert curator.patch(path, {"scope": "theirs"}, format="json").status_code == 200
    response = curator.delete(path, HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 412
    assert Listing.objects.filter(uid="l-mdmb").exists()
    fresh = curator.get(path, HTTP_ACCEPT="application/json")
    assert curator.delete(path, HTTP_IF_MATCH=fresh["ETag"]).status_code == 204


def test_if_match_star_and_a_list_of_tags(curator, registry):
    path = "/api/v1/substances/fentanyl/"
    assert curator.patch(path, {"notes": "a"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    tag = curator.get(path, HTTP_ACCEPT="application/json")["ETag"]
    listed = f'"0000", {tag}'
    assert (
        curator.patch(path, {"notes": "b"}, format="json", HTTP_IF_MATCH=listed).status_code == 200
    )
    # If-Match uses the strong comparison: the same tag marked weak does not match.
    tag = curator.get(path, HTTP_ACCEPT="application/json")["ETag"]
    for weak in (f"W/{tag}", f'"0000", W/{tag}'):
        response = curator.patch(path, {"notes": "w"}, format="json", HTTP_IF_MATCH=weak)
        assert response.status_code == 412, weak
    assert Substance.objects.get(uid="fentanyl").notes == "b"
    assert (
        curator.patch(path, {"notes": "c"}, format="json", HTTP_IF_MATCH='"0"').status_code == 412
    )


def _us_listing(registry) -> Listing:
    us = JurisdictionFactory(code="US", name="United States")
    schedule = ScheduleFactory(jurisdiction=us, code="I", uid="us-i", regime="narcotic")
    return ListingFactory(uid="l-us-mdmb", schedule=schedule, substance=registry.mdmb)


def test_listing_attributes_are_written_and_checked_by_name(curator, registry):
    _us_listing(registry)
    before = head()
    response = curator.patch(
        "/api/v1/listings/l-us-mdmb/",
        {"attributes": {"dea_code": "7042", "narcotic": False}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["attributes"] == {"dea_code": "7042", "narcotic": False}
    [change] = Change.objects.filter(seq__gt=before)
    assert change.data["attributes"] == {"dea_code": "7042", "narcotic": False}
    for bad in ({"code": "7042"}, {"dea_code": "70"}, {"narcotic": "yes"}, ["7042"]):
        response = curator.patch("/api/v1/listings/l-us-mdmb/", {"attributes": bad}, format="json")
        assert response.status_code == 400, bad
        assert "attributes" in response.json(), response.json()
    stored = Listing.objects.get(uid="l-us-mdmb").attributes
    assert stored == {"dea_code": "7042", "narcotic": False}


def test_an_attribute_of_another_jurisdictions_lists_is_refused_naming_it(curator, registry):
    before = head()
    response = curator.patch(
        "/api/v1/listings/l-mdmb/", {"attributes": {"dea_code": "7042"}}, format="json"
    )
    assert response.status_code == 400
    [message] = response.json()["attributes"]
    assert "dea_code" in message and "US" in message and "CN" in message
    # China's mark on a UN listing, sent as its own key: refused under that key.
    response = curator.patch(
        "/api/v1/listings/l-un-fentanyl/", {"produced_in_china": True}, format="json"
    )
    assert response.status_code == 400
    assert "produced_in_china" in response.json()["produced_in_china"][0]
    response = curator.patch(
        "/api/v1/listings/l-un-fentanyl/",
        {"attributes": {"produced_in_china": True}},
        format="json",
    )
    assert response.status_code == 400
    assert "produced_in_china" in response.json()["attributes"][0]
    assert head() == before
    # What every listing reads (false) can be sent back on any list.
    response = curator.patch(
        "/api/v1/listings/l-un-fentanyl/", {"produced_in_china": False}, format="json"
    )
    assert response.status_code == 200, response.content
    assert head() == before  # nothing changed


def test_chinas_mark_sent_twice_with_two_values_is_a_400(curator, registry):
    # Stored as true, silently: the key of its own won over attributes.
    before = head()
    response = curator.patch(
        "/api/v1/listings/l-mdmb/",
        {"produced_in_china": True, "attributes": {"produced_in_china": False}},
        format="json",
    )
    assert response.status_code == 400
    assert "attributes" in response.json()["produced_in_china"][0]
    assert head() == before
    response = curator.patch(
        "/api/v1/listings/l-mdmb/",
        {"produced_in_china": True, "attributes": {"produced_in_china": True}},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_chinas_mark_is_an_attribute_published_as_its_own_key(curator, registry):
    before = head()
    path = "/api/v1/listings/l-mdmb/"
    response = curator.patch(path, {"produced_in_china": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["produced_in_china"] is True
    assert response.json()["attributes"] == {}
    assert Listing.objects.get(uid="l-mdmb").attributes == {"produced_in_china": True}
    [change] = Change.objects.filter(seq__gt=before)
    assert (change.data["produced_in_china"], change.data["attributes"]) == (True, {})
    # `attributes` as read leaves the mark out: sent without it, the mark stays.
    wording = {"legal_text_zh": "依原有目录予以管制"}
    response = curator.patch(path, {"attributes": wording}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["produced_in_china"], response.json()["attributes"]) == (True, wording)
    assert Listing.objects.get(uid="l-mdmb").attributes == {**wording, "produced_in_china": True}
    response = curator.patch(path, {"produced_in_china": False}, format="json")
    assert response.status_code == 200, response.content
    assert Listing.objects.get(uid="l-mdmb").attributes == wording
    created = curator.post(
        "/api/v1/listings/",
        {
            "schedule": "cn-psy1",
            "substance": "5f-mdmb-pica",
            "effective_from": "2019-05-01",
            "listed_by": registry.a2019.uid,
            "produced_in_china": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["produced_in_china"], created.json()["attributes"]) == (True, {})
    listing = Listing.objects.get(uid=created.json()["uid"])
    assert listing.attributes == {"produced_in_china": True}


def test_an_example_whose_test_runs_out_of_time_is_a_400(curator, registry, monkeypatch):
    # A slow pattern stopped at its time budget failed the save with a 500.
    from registry import services
    from substances import chemistry

    def stopped(*args, **kwargs):
        raise chemistry.MatchTimeout("substructure search stopped at its time budget")

    monkeypatch.setattr(services.matching, "match_classes", stopped)
    before = head()
    body = {
        "rules": [{"label": "core", "smarts": "C1CCNCC1"}],
        "examples": [{"name": "piperidine", "smiles": "C1CCNCC1", "expected": True}],
    }
    response = curator.patch("/api/v1/classes/fentanyl-related/", body, format="json")
    assert response.status_code == 400
    assert "could not be tested" in response.json()["examples"][0]
    assert changes_since(before) == []
