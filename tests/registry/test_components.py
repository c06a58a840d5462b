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


def _listed_by_a_latest_day(schedule, substance, *, published, latest, bound):
    """`substance` listed on `schedule` by an act that took effect by `latest` at the latest,
    and not before `bound` ("not-after"): in doubt between the two days."""
    from tests.factories import InstrumentFactory, ListingFactory

    act = InstrumentFactory(
        jurisdiction=schedule.jurisdiction,
        published_on=published,
        effective_on=latest,
        effective_precision="not-after",
        effective_bound=bound,
    )
    ListingFactory(schedule=schedule, substance=substance, listed_by=act, effective_from=latest)


# Drawn with hexane (no record): a part whose answer is in doubt.
CARISOPRODOL = "CCCC(C)(COC(N)=O)COC(=O)NC(C)C"
JWH_018 = "CCCCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21"


def test_a_part_in_doubt_for_its_date_leaves_the_mixture_in_doubt_not_unknown(registry, actor):
    """A part listed by an act whose effective day is known only as "not after" is in doubt
    before that day. Drawn with another component, the whole was `unknown`, "a component
    could not be judged": it was judged, and in doubt."""
    from registry import services

    carisoprodol = services.create_substance(
        actor=actor, uid="carisoprodol", name_en="Carisoprodol", smiles=CARISOPRODOL
    )
    _listed_by_a_latest_day(
        registry, carisoprodol, published=D(2021, 1, 1), latest=D(2022, 1, 1), bound=D(2021, 1, 1)
    )
    [alone] = check_items([CARISOPRODOL], on=D(2021, 6, 1))
    [mixture] = check_items([f"{CARISOPRODOL}.{HEXANE}"], on=D(2021, 6, 1))
    assert alone.status == mixture.status == "uncertain"
    assert mixture.reason == alone.reason
    [later] = check_items([f"{CARISOPRODOL}.{HEXANE}"], on=D(2022, 6, 1))
    assert later.status == "controlled"


def test_a_part_in_doubt_for_what_it_is_leaves_the_mixture_in_doubt_not_controlled(registry, actor):
    """A class whose definition also asks what a structure cannot show (a receptor activity)
    leaves a member in doubt. Drawn with another component, the whole was `controlled`, with
    no reason, as if the mixture itself were a listed record."""
    from registry import services
    from tests.factories import InstrumentFactory, ListingFactory

    agonists = services.define_class(
        actor=actor,
        uid="class-indole-ketones",
        name_en="Naphthoylindoles",
        condition="that the substance be a CB1 receptor agonist, as shown by assays",
        rules=[
            {
                "label": "3-naphthoylindole",
                "kind": "include",
                "smarts": "O=C(c1c[nX3]c2ccccc12)c1cccc2ccccc12",
            }
        ],
    )
    ListingFactory(
        schedule=registry,
        substance=None,
        substance_class=agonists,
        listed_by=InstrumentFactory(jurisdiction=registry.jurisdiction, effective_on=D(2019, 5, 1)),
        effective_from=D(2019, 5, 1),
    )
    assert _one(JWH_018).status == "uncertain"
    mixture = _one(f"{JWH_018}.{HEXANE}")
    assert mixture.status == "uncertain"
    assert "CB1 receptor agonist" in mixture.reason


PHENAZONE = "CC1=CC(=O)N(c2ccccc2)N1C"
CHLORAL_HYDRATE = "OC(O)C(Cl)(Cl)Cl"
# Phenazone with two chloral hydrate, a compound named on a list of its own.
COMPLEX = f"{PHENAZONE}.{CHLORAL_HYDRATE}.{CHLORAL_HYDRATE}"


@pytest.fixture
def complex_listed(registry, actor):
    """Chloral hydrate listed from 2017; the complex named from 2022 by an act that may have
    taken effect as early as 2017 (its listing is in doubt in between), as dichloralphenazone
    is in US schedule IV."""
    from registry import services
    from tests.factories import ListingFactory

    chloral = services.create_substance(
        actor=actor, uid="chloral-hydrate", name_en="Chloral hydrate", smiles=CHLORAL_HYDRATE
    )
    ListingFactory(
        schedule=registry,
        substance=chloral,
        listed_by=registry.listings.first().listed_by,
        effective_from=D(2017, 3, 1),
    )
    complex_ = services.create_substance(
        actor=actor, uid="dichloralphenazone", name_en="Dichloralphenazone", smiles=COMPLEX
    )
    _listed_by_a_latest_day(
        registry, complex_, published=D(2022, 1, 1), latest=D(2022, 1, 1), bound=D(2017, 3, 1)
    )
    return complex_


def test_a_part_of_a_complex_drawn_alone_is_not_the_complex(complex_listed):
    """The complex's record was keyed by its largest part, so phenazone drawn alone was found
    as a "salt" of the complex, and controlled."""
    assert complex_listed.parent_key == complex_listed.inchikey
    alone = _one(PHENAZONE)
    assert (alone.status, alone.substance) == ("not_controlled", None)
    assert _one(CHLORAL_HYDRATE).substance.uid == "chloral-hydrate"


def test_a_complex_drawn_is_governed_by_its_own_entry_not_by_its_part(complex_listed, registry):
    drawn = _one(f"{CHLORAL_HYDRATE}.{PHENAZONE}.{CHLORAL_HYDRATE}")
    assert (drawn.status, drawn.substance.uid, drawn.reason) == (
        "controlled",
        "dichloralphenazone",
        "",
    )
    assert [(m["substance"], m.get("component", "")) for m in drawn.matches] == [
        ("dichloralphenazone", "")
    ]
    assert drawn.since == {registry.jurisdiction.code: "2022-01-01"}
    # The part is still itself: controlled alone, and shown so.
    parts = {c["structure"]: c["status"] for c in drawn.components}
    assert parts[CHLORAL_HYDRATE] == "controlled"


def test_a_complex_in_doubt_by_its_own_entry_is_in_doubt_not_controlled_by_its_part(
    complex_listed,
):
    """Before its own entry, whether the complex was controlled as "a compound containing"
    chloral hydrate is the doubt its listing records: its part does not settle it."""
    [drawn] = check_items([COMPLEX], on=D(2020, 1, 1))
    assert drawn.status == "uncertain"
    [basis] = drawn.matches
    assert basis["substance"] == "dichloralphenazone" and basis["date_uncertain"]
    # Drawn in another proportion it is no record: a mixture containing chloral hydrate.
    [mixture] = check_items([f"{PHENAZONE}.{CHLORAL_HYDRATE}"], on=D(2020, 1, 1))
    assert mixture.status == "controlled" and CHLORAL_HYDRATE in mixture.reason


@pytest.mark.parametrize(
    ("on", "since"),
    [
        (D(2022, 1, 1), {"US": "2019-07-18"}),  # the first run, though a later one follows
        (D(2024, 1, 1), {}),  # the break
        (D(2027, 1, 1), {"US": "2026-12-03"}),
    ],
)
def test_since_is_the_run_that_holds_the_day_not_the_last_run(on, since):
    """One listing whose temporary order ran out before a later document shows it again has
    two spans, both read while the listing is in force (`_certain_spans`)."""
    from registry.check import _since_periods

    spans = [("US", D(2019, 7, 18), D(2022, 7, 18)), ("US", D(2026, 12, 3), None)]
    assert _since_periods(spans, on) == since


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
