"""Every component of an input judged; a rule that cannot be applied gives unknown."""

import datetime

import pytest

from registry.check import check_items
from substances.models import ClassRule
from tests.registry.conftest import AMFETAMINE, FENTANYL

pytestmark = pytest.mark.django_db

D = datetime.date
# A fatty acid larger than fentanyl's parent: judged by the largest fragment, the salt came out
# "not controlled".
BEHENIC_ACID = "CCCCCCCCCCCCCCCCCCCCCCCCC(=O)O"
HEXANE = "CCCCCC"


def _one(text):
    [result] = check_items([text], on=D(2024, 1, 1))
    return result


def test_a_drug_with_a_larger_partner_is_judged_by_the_drug(registry):
    result = _one(f"{FENTANYL}.{BEHENIC_ACID}")
    assert result.status == "controlled"
    assert {m["component"] for m in result.matches} == {FENTANYL}
    roles = {c["structure"]: (c["role"], c["status"]) for c in result.components}
    assert roles[FENTANYL] == ("judged", "controlled")
    assert roles[BEHENIC_ACID] == ("judged", "not_controlled")
    assert FENTANYL in result.reason


def test_each_drug_of_a_mixture_is_judged_and_named(registry):
    result = _one(f"{HEXANE}.{AMFETAMINE}")
    assert result.status == "controlled"
    assert {m["component"] for m in result.matches} == {AMFETAMINE}
    assert _one(f"{HEXANE}.CCCCCCC").status == "not_controlled"


def test_counter_ions_and_solvents_are_reported_not_judged(registry):
    result = _one(f"{AMFETAMINE}.Cl.CCO")
    assert result.status == "controlled" and result.matched_by == "salt"
    roles = {c["structure"]: c["role"] for c in result.components}
    assert roles == {
        AMFETAMINE: "judged",
        "Cl": "counter_ion_or_solvent",
        "CCO": "counter_ion_or_solvent",
    }
    assert all("component" not in m for m in result.matches)


def test_a_class_whose_stored_rules_fail_gives_unknown_not_not_controlled(registry):
    ClassRule.objects.filter(substance_class__uid="class-fentanyls").update(smarts="C(")
    result = _one("CCCCCCCC(=O)N(c1ccccc1)C1CCCCC1")
    assert result.status == "unknown"
    assert "class-fentanyls" in result.reason
    # a listing still controls what it names
    assert _one(FENTANYL).status == "controlled"


def test_since_restarts_after_a_break_and_joins_touching_periods(registry, actor):
    from registry import services
    from tests.factories import InstrumentFactory, ListingFactory, ScheduleFactory

    hexane = services.create_substance(actor=actor, uid="hexane", name_en="Hexane", smiles=HEXANE)
    other = ScheduleFactory(jurisdiction=registry.jurisdiction, code="OTHER")
    first = InstrumentFactory(
        jurisdiction=registry.jurisdiction, effective_on=D(2010, 1, 1), published_on=D(2010, 1, 1)
    )
    end = InstrumentFactory(
        jurisdiction=registry.jurisdiction, effective_on=D(2012, 1, 1), published_on=D(2012, 1, 1)
    )
    again = InstrumentFactory(
        jurisdiction=registry.jurisdiction, effective_on=D(2015, 1, 1), published_on=D(2015, 1, 1)
    )
    moved = InstrumentFactory(
        jurisdiction=registry.jurisdiction, effective_on=D(2020, 1, 1), published_on=D(2020, 1, 1)
    )
    ListingFactory(
        schedule=registry,
        substance=hexane,
        listed_by=first,
        effective_from=D(2010, 1, 1),
        ended_by=end,
        effective_to=D(2012, 1, 1),
    )
    ListingFactory(
        schedule=registry,
        substance=hexane,
        listed_by=again,
        effective_from=D(2015, 1, 1),
        ended_by=moved,
        effective_to=D(2020, 1, 1),
    )
    ListingFactory(schedule=other, substance=hexane, listed_by=moved, effective_from=D(2020, 1, 1))
    [result] = check_items([HEXANE], on=D(2024, 1, 1))
    assert result.since == {registry.jurisdiction.code: "2015-01-01"}
    [early] = check_items([HEXANE], on=D(2011, 6, 1))
    assert early.since == {registry.jurisdiction.code: "2010-01-01"}


@pytest.mark.parametrize(
    "name", ["Fentanyl hydrochloride", "fentanyl HCl", "盐酸芬太尼", "芬太尼枸橼酸盐"]
)
def test_a_salt_name_resolves_to_its_parent(registry, name):
    result = _one(name)
    assert (result.status, result.substance.uid, result.matched_by) == (
        "controlled",
        "fentanyl",
        "salt",
    )
    assert "salt of Fentanyl" in result.matches[0]["explanation"]


def test_a_salt_name_is_not_covered_where_the_list_covers_no_salts(registry):
    registry.coverage = []
    registry.save()
    result = _one("Fentanyl hydrochloride")
    assert result.status == "controlled"  # still a member of the fentanyl class
    assert {m["basis"] for m in result.matches} == {"class"}
    hexane_salt = _one("Amfetamine sulfate")
    assert hexane_salt.status == "not_controlled"
    assert "does not cover salts" in hexane_salt.reason


def test_salt_free_key_leaves_whole_names_alone():
    from substances.normalize import salt_free_key

    assert salt_free_key("ketamine hydrochloride") == "ketamine"
    assert salt_free_key("盐酸氯胺酮") == "氯胺酮"
    assert salt_free_key("盐酸") == ""  # hydrochloric acid is a precursor by that name
    assert salt_free_key("Hydrochloric acid") == ""
    assert salt_free_key("methamphetamine") == ""
    assert salt_free_key("fospropofol disodium") == "fospropofol"  # a cation after the name
    assert salt_free_key("戊巴比妥钠") == "戊巴比妥"
    assert salt_free_key("Sodium") == "" and salt_free_key("钠") == ""  # a cation alone
