"""What a listing covers is data: the list's coverage, the listing's own, and the relations."""

import datetime

import pytest

from registry.check import check_items
from tests.factories import (
    ListingFactory,
    RelationFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
AMFETAMINE = "CC(N)Cc1ccccc1"
DEXAMFETAMINE = "C[C@H](N)Cc1ccccc1"


def _schedules(text):
    [result] = check_items([text], on=D(2024, 1, 1))
    return sorted(m["schedule"]["code"] for m in result.matches if m["basis"] == "listing")


@pytest.fixture
def lists(db):
    return {
        "all": ScheduleFactory(code="ALL", coverage=["salts", "stereoisomers", "esters"]),
        "salts": ScheduleFactory(code="SALTS", coverage=["salts"]),
        "bare": ScheduleFactory(code="BARE", coverage=[]),
    }


def test_a_salt_is_covered_only_where_the_list_covers_salts(lists):
    base = SubstanceFactory(name_en="Base", smiles=AMFETAMINE)
    ListingFactory(substance=base, schedule=lists["salts"])
    ListingFactory(substance=base, schedule=lists["bare"])
    assert _schedules(AMFETAMINE) == ["BARE", "SALTS"]
    assert _schedules(AMFETAMINE + ".Cl") == ["SALTS"]


def test_a_listing_may_say_otherwise_than_its_list(lists):
    base = SubstanceFactory(name_en="Base", smiles=AMFETAMINE)
    ListingFactory(substance=base, schedule=lists["bare"], coverage=["salts"])
    assert _schedules(AMFETAMINE + ".Cl") == ["BARE"]


def test_an_isomer_needs_a_list_that_covers_isomers(lists):
    racemate = SubstanceFactory(name_en="Racemate", smiles=AMFETAMINE)
    ListingFactory(substance=racemate, schedule=lists["all"])
    ListingFactory(substance=racemate, schedule=lists["salts"])
    dex = SubstanceFactory(name_en="Dex", smiles=DEXAMFETAMINE, kind="form")
    RelationFactory(subject=dex, kind="form_of", form="stereoisomer", target=racemate)
    assert _schedules("Dex") == ["ALL"]


def test_an_ester_relation_needs_a_list_that_covers_esters(lists):
    acid = SubstanceFactory(name_en="Acid")
    ester = SubstanceFactory(name_en="Ester")
    RelationFactory(subject=ester, kind="form_of", form="ester", target=acid)
    ListingFactory(substance=acid, schedule=lists["all"])
    ListingFactory(substance=acid, schedule=lists["salts"])
    assert _schedules("Ester") == ["ALL"]


def test_a_member_is_covered_by_its_group_and_its_salt_as_far_as_the_list_says(lists):
    group = SubstanceFactory(name_en="Group", kind="group")
    member = SubstanceFactory(name_en="Member", smiles=AMFETAMINE)
    RelationFactory(subject=member, kind="member_of", form="", target=group)
    ListingFactory(substance=group, schedule=lists["salts"])
    ListingFactory(substance=group, schedule=lists["bare"])
    assert _schedules("Member") == ["BARE", "SALTS"]
    assert _schedules(AMFETAMINE + ".Cl") == ["SALTS"]


def test_a_preparation_is_covered_by_its_own_listings_only(lists):
    drug = SubstanceFactory(name_en="Drug")
    other = SubstanceFactory(name_en="Other")
    ListingFactory(substance=drug, schedule=lists["all"])
    preparation = SubstanceFactory(name_en="Prep", kind="preparation")
    RelationFactory(subject=preparation, kind="contains", form="", target=drug)
    single = SubstanceFactory(name_en="Single", kind="preparation")
    RelationFactory(subject=single, kind="contains", form="", target=drug)
    compound = SubstanceFactory(name_en="Compound", kind="preparation")
    RelationFactory(subject=compound, kind="contains", form="", target=drug)
    RelationFactory(subject=compound, kind="contains", form="", target=other)
    ListingFactory(substance=preparation, schedule=lists["bare"])
    assert _schedules("Prep") == ["BARE"]
    # without a listing of its own: a single-ingredient preparation, where the list covers them
    assert _schedules("Single") == []
    ListingFactory(substance=drug, schedule=lists["salts"], coverage=["preparations"])
    # Or it may be Prep, another preparation of the drug that a list names on an entry of its
    # own: one entry or the other, in doubt (the check's _strength_doubt).
    [result] = check_items(["Single"], on=D(2024, 1, 1))
    assert sorted(m.listed.schedule.code for m in result.matches) == ["BARE", "SALTS"]
    assert all(m.entry_uncertain for m in result.matches) and result.status == "controlled"
    assert _schedules("Compound") == []


def test_an_excepted_isomer_is_not_reached_by_the_racemate_or_its_isomers(lists):
    racemate = SubstanceFactory(name_en="Racemate", smiles=AMFETAMINE)
    levo = SubstanceFactory(name_en="Levo", smiles="C[C@@H](N)Cc1ccccc1", kind="form")
    dextro = SubstanceFactory(name_en="Dextro", smiles=DEXAMFETAMINE, kind="form")
    for isomer in (levo, dextro):
        RelationFactory(subject=isomer, kind="form_of", form="stereoisomer", target=racemate)
    RelationFactory(subject=dextro, kind="excepted_from", form="", target=racemate)
    ListingFactory(substance=racemate, schedule=lists["all"])
    ListingFactory(substance=levo, schedule=lists["all"], effective_from=D(2010, 1, 1))
    assert _schedules("Levo") == ["ALL"]  # its own entry governs it, not the racemate's too
    assert _schedules("Dextro") == []
    assert _schedules(DEXAMFETAMINE) == []
    assert _schedules(DEXAMFETAMINE + ".Cl") == []


def test_an_entry_of_one_physical_form_is_the_compound_but_where_it_has_an_entry_of_its_own(lists):
    from tests.factories import JurisdictionFactory

    elsewhere = ScheduleFactory(
        code="ELSE", uid="us-else", jurisdiction=JurisdictionFactory(code="US", name="US")
    )
    compound = SubstanceFactory(name_en="Compound", smiles=AMFETAMINE)
    bulk = SubstanceFactory(name_en="Compound, bulk")
    ListingFactory(substance=compound, schedule=lists["all"])
    ListingFactory(substance=compound, schedule=elsewhere)
    ListingFactory(substance=bulk, schedule=lists["bare"])
    RelationFactory(subject=bulk, kind="form_of", form="entry", target=compound)
    # The compound drawn or named may be in bulk: every entry reaches it.
    assert _schedules(AMFETAMINE) == ["ALL", "BARE", "ELSE"]
    assert _schedules("Compound") == ["ALL", "BARE", "ELSE"]
    # The bulk entry named is the compound where it has no entry of its own (ELSE); where it
    # has (the jurisdiction of BARE and ALL), its own entry governs it.
    assert _schedules("Compound, bulk") == ["BARE", "ELSE"]


def test_a_material_is_what_it_contains_only_where_the_list_covers_materials(lists):
    from tests.factories import JurisdictionFactory

    materials = ScheduleFactory(
        code="MAT",
        uid="us-mat",
        jurisdiction=JurisdictionFactory(code="US", name="US"),
        coverage=["salts", "materials"],
    )
    alkaloid = SubstanceFactory(name_en="Alkaloid", smiles=AMFETAMINE)
    plant = SubstanceFactory(name_en="Plant", kind="material")
    RelationFactory(subject=plant, kind="contains", form="", target=alkaloid)
    ListingFactory(substance=alkaloid, schedule=lists["all"])
    ListingFactory(substance=alkaloid, schedule=materials)
    # A list that says nothing of materials does not reach the plant (ALL covers salts,
    # stereoisomers and esters); the one that covers them does, and says why.
    [result] = check_items(["Plant"], on=D(2024, 1, 1))
    [basis] = [m for m in result.matches if m["basis"] == "listing"]
    assert basis["schedule"]["code"] == "MAT"
    assert basis.explanation == (
        "Plant, which is a material containing Alkaloid (the entry covers materials containing it)"
    )
    # Where the plant has an entry of its own, that entry governs it; a preparation (not a
    # material) is never reached so.
    ListingFactory(
        substance=plant,
        schedule=ScheduleFactory(code="OWN", uid="us-own", jurisdiction=materials.jurisdiction),
    )
    assert _schedules("Plant") == ["OWN"]
    preparation = SubstanceFactory(name_en="Tincture", kind="preparation")
    RelationFactory(subject=preparation, kind="contains", form="", target=alkaloid)
    assert _schedules("Tincture") == []


def test_a_material_reaches_its_ingredients_forms_and_groups_as_the_list_covers_them(lists):
    materials = ScheduleFactory(code="MAT", coverage=["stereoisomers", "materials"])
    group = SubstanceFactory(name_en="Group", kind="group")
    member = SubstanceFactory(name_en="Member")
    RelationFactory(subject=member, kind="member_of", form="", target=group)
    racemate = SubstanceFactory(name_en="Racemate", smiles=AMFETAMINE)
    dex = SubstanceFactory(name_en="Dex", smiles=DEXAMFETAMINE, kind="form")
    RelationFactory(subject=dex, kind="form_of", form="stereoisomer", target=racemate)
    ListingFactory(substance=group, schedule=materials)
    ListingFactory(substance=racemate, schedule=materials)
    herb = SubstanceFactory(name_en="Herb", kind="material")
    RelationFactory(subject=herb, kind="contains", form="", target=member)
    RelationFactory(subject=herb, kind="contains", form="", target=dex)
    [result] = check_items(["Herb"], on=D(2024, 1, 1))
    explanations = sorted(m.explanation for m in result.matches if m["basis"] == "listing")
    assert explanations == [
        "Herb, which is a material containing Dex, which is a stereoisomer of Racemate "
        "(the entry covers materials containing it, stereoisomers)",
        "Herb, which is a material containing Member, which is a member of Group "
        "(the entry covers materials containing it)",
    ]
    # what is excepted from the ingredient's parent stays excepted
    RelationFactory(subject=dex, kind="excepted_from", form="", target=racemate)
    assert _schedules("Herb") == ["MAT"]


def test_a_material_not_covered_says_which_list_leaves_it_out(lists):
    alkaloid = SubstanceFactory(name_en="Alkaloid", smiles=AMFETAMINE)
    plant = SubstanceFactory(name_en="Plant (Genus species)", kind="material")
    RelationFactory(subject=plant, kind="contains", form="", target=alkaloid)
    ListingFactory(substance=alkaloid, schedule=lists["salts"])
    [result] = check_items(["Plant (Genus species)"], on=D(2024, 1, 1))
    assert result.status == "not_controlled"
    # the record's whole name, its parentheses included, then the list and what it leaves out
    assert "Plant (Genus species), which is a material containing Alkaloid, but" in result.reason
    assert result.reason.endswith("does not cover materials containing it")


def test_a_preparations_open_answer_counts_an_ingredients_listing_in_doubt(lists):
    from registry.check import preparation_reasons
    from registry.models import Instrument
    from tests.factories import InstrumentFactory

    ingredient = SubstanceFactory(name_en="Ingredient", smiles=AMFETAMINE)
    preparation = SubstanceFactory(name_en="Tablets", kind="preparation")
    RelationFactory(subject=preparation, kind="contains", target=ingredient)
    schedule = lists["bare"]
    ListingFactory(
        substance=ingredient,
        schedule=schedule,
        effective_from=D(2024, 12, 31),
        listed_by=InstrumentFactory(
            jurisdiction=schedule.jurisdiction,
            effective_on=D(2024, 12, 31),
            effective_precision=Instrument.Precision.NOT_AFTER,
        ),
    )
    # In force by the end of 2024 at the latest: on a day before, it may have been. The check
    # and the page both answer uncertain (the page read the listings certainly in force only).
    [result] = check_items(["Tablets"], on=D(2024, 6, 1))
    assert result.preparation_open == (schedule.jurisdiction.code,)
    opened, closed = preparation_reasons(preparation, on=D(2024, 6, 1))
    assert list(opened) == [schedule.jurisdiction.code] and not closed
    assert "a preparation of Ingredient" in opened[schedule.jurisdiction.code]
