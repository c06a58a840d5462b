"""A listing's attributes are per-jurisdiction data: China's mark among them, beside the US ones."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry import services
from registry.models import LISTING_ATTRIBUTES, Change, Listing, attributes_problem
from registry.representations import BY_NAME, represent
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    ScheduleFactory,
    SubstanceFactory,
)

D = datetime.date


@pytest.fixture
def cn_listing(db):
    return ListingFactory(uid="l-cn", item_number="7", effective_from=D(2019, 5, 1))


@pytest.fixture
def us_schedule(db):
    us = JurisdictionFactory(code="US", name="United States")
    return ScheduleFactory(jurisdiction=us, code="I", uid="us-i", regime="narcotic")


def test_every_attribute_says_whose_lists_carry_it():
    assert LISTING_ATTRIBUTES["produced_in_china"].jurisdictions == ("CN",)
    for name in ("dea_code", "narcotic", "cfr_paragraph"):
        assert LISTING_ATTRIBUTES[name].jurisdictions == ("US",)
    for name in ("legal_text_zh", "legal_text_en", "named_listings_prevail", "excepted"):
        assert LISTING_ATTRIBUTES[name].jurisdictions is None


def test_an_attribute_of_another_jurisdiction_is_refused_naming_it():
    assert attributes_problem({"dea_code": "9801"}, "US") == ""
    problem = attributes_problem({"dea_code": "9801"}, "CN")
    assert "dea_code" in problem and "US" in problem and "CN" in problem
    assert "produced_in_china" in attributes_problem({"produced_in_china": True}, "UN")
    assert attributes_problem({"legal_text_zh": "...", "excepted": []}, "UN") == ""
    assert attributes_problem({"dea_code": "9801"}) == ""  # jurisdiction not known: not checked


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({"temporary_until": "2027-08-15"}, ""),
        ({"temporary_until": "2021-07-18", "continued_shown_on": "2026-12-03"}, ""),
        ({"temporary_until": "15 August 2027"}, "temporary_until is a day, YYYY-MM-DD."),
        ({"temporary_until": "20270815"}, "temporary_until is a day, YYYY-MM-DD."),
        ({"temporary_until": "2027-W33-7"}, "temporary_until is a day, YYYY-MM-DD."),
        ({"temporary_until": "2021-07-18", "continued_shown_on": "2021-07-18"}, "a day after"),
        ({"continued_shown_on": "2026-12-03"}, "a day after temporary_until"),
    ],
)
def test_a_temporary_orders_end_is_a_day_and_what_shows_it_again_comes_after(attributes, problem):
    found = attributes_problem(attributes, "US")
    assert (problem in found and found) if problem else found == ""
    assert "temporary_until" in attributes_problem({"temporary_until": "2027-08-15"}, "CN")


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({"conditional_coverage": ["esters"], "conditional_coverage_note_en": "if ..."}, ""),
        ({"conditional_coverage": ["esters"]}, "needs conditional_coverage_note_en"),
        (
            {"conditional_coverage": ["esterz"], "conditional_coverage_note_en": "if ..."},
            'conditional_coverage: Unknown coverage "esterz"',
        ),
        ({"conditional_coverage": "esters", "conditional_coverage_note_en": "if"}, "must be a"),
        (
            {"conditional_coverage": ["esters", "esters"], "conditional_coverage_note_en": "if"},
            "A word is given twice.",
        ),
        ({"conditional_coverage": [], "conditional_coverage_note_en": "if"}, "at least one"),
        ({"conditional_coverage": [""], "conditional_coverage_note_en": "if"}, "Unknown coverage"),
        ({"conditional_coverage_note_en": "if ..."}, "which is not given"),
        ({"conditional_coverage": ["esters"], "conditional_coverage_note_en": "  "}, "needs"),
        ({"conditional_coverage_note_zh": "在"}, "which is not given"),
    ],
)
def test_a_conditional_coverage_names_known_words_and_its_condition(attributes, problem):
    found = attributes_problem(attributes, "US")
    assert (problem in found and found) if problem else found == ""


def test_the_services_refuse_an_attribute_of_another_jurisdiction(cn_listing, actor, us_schedule):
    us_act, one, other = (
        InstrumentFactory(jurisdiction=us_schedule.jurisdiction),
        SubstanceFactory(),
        SubstanceFactory(),
    )
    before = Change.objects.head()
    with pytest.raises(ValidationError, match="dea_code is an attribute of US listings"):
        services.update_resource(cn_listing, actor=actor, fields={"attributes": {"dea_code": "1"}})
    with pytest.raises(ValidationError, match="produced_in_china"):
        services.list_substance(
            schedule=us_schedule,
            instrument=us_act,
            effective_from=D(2019, 5, 1),
            substance=one,
            produced_in_china=True,
            actor=actor,
        )
    with pytest.raises(ValidationError, match="narcotic is an attribute of US listings"):
        services.bulk_create_resources(
            [
                Listing(
                    uid="l-bulk",
                    schedule=cn_listing.schedule,
                    substance=other,
                    effective_from=cn_listing.effective_from,
                    listed_by=cn_listing.listed_by,
                    attributes={"narcotic": True},
                )
            ],
            actor=actor,
        )
    assert Change.objects.head() == before


def test_a_cn_listings_representation_with_the_mark_keeps_its_shape(cn_listing, actor):
    services.update_resource(cn_listing, actor=actor, fields={"produced_in_china": True})
    listing = Listing.objects.get(uid="l-cn")
    assert listing.attributes == {"produced_in_china": True}
    data = represent(listing)
    # The keys and values the representation had when the mark was a column of its own.
    assert list(data) == [
        "uid",
        "schedule",
        "substance",
        "class",
        "effective_from",
        "effective_to",
        "listed_by",
        "ended_by",
        "item_number",
        "scope",
        "coverage",
        "produced_in_china",
        "attributes",
        "source",
        "notes",
    ]
    assert (data["produced_in_china"], data["attributes"]) == (True, {})
    assert Change.objects.last().data == data
    # Read back (revert, drafts, import_export, the loader): the mark is in the attributes once.
    assert BY_NAME["listing"].fields_from(data)["attributes"] == {"produced_in_china": True}
    unmarked = {**data, "produced_in_china": False, "attributes": {"legal_text_zh": "x"}}
    assert BY_NAME["listing"].fields_from(unmarked)["attributes"] == {"legal_text_zh": "x"}


def test_a_feed_row_from_before_the_move_still_reverts(cn_listing, actor):
    """A row written when the mark was a column is the same shape: it applies as it is."""
    old_row = {**represent(cn_listing), "produced_in_china": True, "attributes": {}}
    services.update_resource(
        cn_listing, actor=actor, fields=BY_NAME["listing"].fields_from(old_row)
    )
    listing = Listing.objects.get(uid="l-cn")
    assert listing.produced_in_china and listing.attributes == {"produced_in_china": True}
    assert represent(listing) == old_row
    services.update_resource(listing, actor=actor, fields={"produced_in_china": False})
    assert represent(Listing.objects.get(uid="l-cn"))["produced_in_china"] is False


def test_the_admin_refuses_an_attribute_of_another_jurisdiction(admin_client, cn_listing):
    form = {
        "uid": "l-cn-2",
        "schedule": cn_listing.schedule.pk,
        "substance": SubstanceFactory().pk,
        "effective_from": "2019-05-01",
        "listed_by": cn_listing.listed_by.pk,
        "attributes": '{"dea_code": "9801"}',
    }
    response = admin_client.post("/admin/registry/listing/add/", form)
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["attributes"]
    assert "dea_code is an attribute of US listings" in message
    assert not Listing.objects.filter(uid="l-cn-2").exists()
    response = admin_client.post(
        "/admin/registry/listing/add/", {**form, "attributes": '{"produced_in_china": true}'}
    )
    assert response.status_code == 302
    added = Listing.objects.get(uid="l-cn-2")
    assert added.produced_in_china and represent(added)["attributes"] == {}


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_mark_into_the_attributes_and_back():
    before = ("registry", "0016_instrument_effective_precision")
    after = ("registry", "0017_produced_in_china_as_attribute")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    apps = executor.loader.project_state([before]).apps
    jurisdiction = apps.get_model("registry", "Jurisdiction").objects.create(
        uid="cn", code="CN", name="China"
    )
    schedule = apps.get_model("registry", "Schedule").objects.create(
        uid="cn-l", jurisdiction=jurisdiction, code="L", name="L", regime="narcotic"
    )
    instrument = apps.get_model("registry", "Instrument").objects.create(
        uid="cn-i", jurisdiction=jurisdiction, reference="2019-1"
    )
    Substance = apps.get_model("substances", "Substance")
    Old = apps.get_model("registry", "Listing")
    for uid, marked, attributes in (
        ("l-marked", True, {}),
        ("l-marked-worded", True, {"legal_text_zh": "x"}),
        ("l-plain", False, {"legal_text_zh": "y"}),
    ):
        Old.objects.create(
            uid=uid,
            schedule=schedule,
            substance=Substance.objects.create(uid=f"s-{uid}", name_en=uid, kind="compound"),
            effective_from=D(2019, 5, 1),
            listed_by=instrument,
            produced_in_china=marked,
            attributes=attributes,
        )
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    New = executor.loader.project_state([after]).apps.get_model("registry", "Listing")
    assert dict(New.objects.values_list("uid", "attributes")) == {
        "l-marked": {"produced_in_china": True},
        "l-marked-worded": {"legal_text_zh": "x", "produced_in_china": True},
        "l-plain": {"legal_text_zh": "y"},
    }
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    Old = executor.loader.project_state([before]).apps.get_model("registry", "Listing")
    assert {(o.uid, o.produced_in_china, str(o.attributes)) for o in Old.objects.all()} == {
        ("l-marked", True, "{}"),
        ("l-marked-worded", True, "{'legal_text_zh': 'x'}"),
        ("l-plain", False, "{'legal_text_zh': 'y'}"),
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"named_listings_prevail": ["cn-n"]}, "named_listings_prevail is said of a whole-class"),
    ],
)
def test_a_class_entrys_attributes_on_a_substance_listing_are_refused(
    admin_client, cn_listing, attributes, message
):
    form = {
        "uid": "l-cn-3",
        "schedule": cn_listing.schedule.pk,
        "substance": SubstanceFactory().pk,
        "effective_from": "2019-05-01",
        "listed_by": cn_listing.listed_by.pk,
        "attributes": json.dumps(attributes),
    }
    response = admin_client.post("/admin/registry/listing/add/", form)
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["attributes"]
    assert message in error
    assert not Listing.objects.filter(uid="l-cn-3").exists()


def test_a_named_entry_cannot_except_what_it_names(admin_client, cn_listing):
    substance = SubstanceFactory()
    form = {
        "uid": "l-cn-4",
        "schedule": cn_listing.schedule.pk,
        "substance": substance.pk,
        "effective_from": "2019-05-01",
        "listed_by": cn_listing.listed_by.pk,
        "attributes": json.dumps({"excepted": [substance.uid]}),
    }
    response = admin_client.post("/admin/registry/listing/add/", form)
    assert response.status_code == 200
    assert "An entry cannot except the substance it names." in response.content.decode()
    assert not Listing.objects.filter(uid="l-cn-4").exists()


def test_a_conditional_coverage_the_entry_already_has_is_refused(cn_listing, actor):
    # "esters, on a condition" beside "esters" would say nothing: the entry reaches them anyway.
    cn_listing.coverage = ["salts", "esters"]
    cn_listing.save()
    before = Change.objects.head()
    with pytest.raises(ValidationError, match="the entry already covers esters"):
        services.update_resource(
            cn_listing,
            actor=actor,
            fields={
                "attributes": {
                    "conditional_coverage": ["esters", "ethers"],
                    "conditional_coverage_note_en": "if ...",
                }
            },
        )
    assert Change.objects.head() == before
