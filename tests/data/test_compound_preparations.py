"""A listed compound drawn in a mixture with other components, where a list names preparations
of it on an entry of their own: the mixture is controlled under one entry or the other, and a
structure does not show which (registry.check._compound_preparations)."""

import datetime

import pytest

from registry.check import check_items
from registry.jurisdictions import jurisdictions, verdicts_of
from registry.verdicts import to_json

AMOBARBITAL = "CCC1(CCC(C)C)C(=O)NC(=O)NC1=O"
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"
CODEINE = "COC1=CC=C2C[C@@H]3[C@@H]4C=C[C@H](O)[C@@H]5OC1=C2[C@@]54CCN3C"
ON = datetime.date(2026, 12, 1)

pytestmark = pytest.mark.django_db


def _verdicts(text, jurisdiction=None):
    [result] = check_items([text], on=ON, jurisdiction=jurisdiction)
    return result, {v.jurisdiction: v for v in verdicts_of(result, jurisdictions())}


def test_amobarbital_with_an_unscheduled_ingredient_is_in_schedule_ii_or_iii(real_registry):
    # 21 CFR 1308.13(c)(1): with active medicinal ingredients listed in no schedule, schedule
    # III (code 2126); amobarbital itself, and a mixture no other entry governs, schedule II.
    result, by_code = _verdicts(f"{AMOBARBITAL}.{PARACETAMOL}")
    assert result.status == "controlled"
    us = by_code["US"]
    assert (us.status, sorted(us.schedules)) == ("controlled", ["US-II", "US-III"])
    bases = [m for m in result.matches if m.listed.schedule.jurisdiction == "US"]
    assert len(bases) == 2 and all(m.entry_uncertain for m in bases)
    [preparation] = [m for m in bases if m.route.steps]
    assert preparation.substance == "amobarbital-compounds-with-unscheduled-ingredients"
    assert [s.relation for s in preparation.route.steps] == ["compound_preparation"]
    assert to_json(preparation)["entry_uncertain"].startswith("Amobarbital compounds with")
    assert preparation.component == AMOBARBITAL
    # China and the 1971 Convention name no such preparation: amobarbital's entry answers
    assert by_code["CN"].status == by_code["UN"].status == "controlled"
    assert not any(
        m.entry_uncertain for m in result.matches if m.listed.schedule.jurisdiction != "US"
    )


def test_asked_about_the_us_alone_the_answer_is_the_same(real_registry):
    _result, by_code = _verdicts(f"{PARACETAMOL}.{AMOBARBITAL}", jurisdiction="US")
    assert sorted(by_code["US"].schedules) == ["US-II", "US-III"]


@pytest.mark.parametrize(
    "text",
    [
        AMOBARBITAL,  # the compound alone: its own entry
        f"{AMOBARBITAL}.[Na+]".replace("NC1=O", "[N-]C1=O"),  # its sodium salt: one component
        f"{AMOBARBITAL}.{CODEINE}",  # the other ingredient is in a schedule: (c)(1) does not apply
    ],
)
def test_where_the_preparation_entry_does_not_apply_the_compound_s_own_does(real_registry, text):
    result, by_code = _verdicts(text)
    assert "US-III" not in by_code["US"].schedules
    assert "US-II" in by_code["US"].schedules
    assert not any(m.entry_uncertain for m in result.matches)


def test_codeine_with_paracetamol_in_china_is_a_narcotic_or_a_compound_oral_liquid(real_registry):
    # China lists codeine-containing compound oral liquids in Psychotropic Class II, apart from
    # codeine (Narcotic Drugs), whose entry covers its single-ingredient preparations.
    result, by_code = _verdicts(f"{CODEINE}.{PARACETAMOL}")
    cn = by_code["CN"]
    assert (cn.status, sorted(cn.schedules)) == ("controlled", ["CN-NARC-2025", "CN-PSY2-2025"])
    assert result.reasons.get("CN", "") == ""  # controlled there, not uncertain


def test_the_check_page_says_which_entries_are_in_doubt(real_registry, client):
    mixture = f"{AMOBARBITAL}.{PARACETAMOL}"
    english = client.get("/check/", {"items": mixture}).content.decode()
    assert "this entry or another, in doubt:" in english
    assert "Amobarbital compounds with active ingredients not in any schedule governs" in english
    chinese = client.get("/zh-hans/check/", {"items": mixture}).content.decode()
    assert "适用此条目还是另一条目，存疑：" in chinese
    assert "结构无法显示属于哪一种" in chinese


EPHEDRINE = "CN[C@@H](C)[C@H](O)c1ccccc1"
PSEUDOEPHEDRINE = "CN[C@@H](C)[C@@H](O)c1ccccc1"
CHLORPHENAMINE = "CN(C)CCC(c1ccc(Cl)cc1)c1ccccn1"
HYDROCODONE = "COC1=CC=C2C[C@@H]3[C@@H]4CCC(=O)[C@@H]5OC1=C2[C@@]54CCN3C"
IBUPROFEN = "CC(C)Cc1ccc(C(C)C(=O)O)cc1"
BUPRENORPHINE = (
    "CO[C@]12CC[C@@]3(C[C@@H]1[C@](C)(O)C(C)(C)C)[C@H]1CC4=C5C(=C(O)C=C4)O[C@@H]2[C@]53CCN1CC1CC1"
)


def test_a_precursor_beside_the_drug_leaves_the_preparation_entry_open(real_registry):
    # A codeine cough syrup's usual make-up (codeine, ephedrine, chlorphenamine) is what China's
    # compound oral liquid entry is for; ephedrine is a precursor, on no list of drugs.
    _result, by_code = _verdicts(f"{CODEINE}.{EPHEDRINE}.{CHLORPHENAMINE}")
    assert {"CN-NARC-2025", "CN-PSY2-2025"} <= set(by_code["CN"].schedules)
    # 21 CFR 1308.13(e): with nonnarcotic active ingredients; a List I chemical is no schedule
    _result, by_code = _verdicts(f"{CODEINE}.{PSEUDOEPHEDRINE}")
    assert {"US-II", "US-III"} <= set(by_code["US"].schedules)


@pytest.mark.parametrize(
    ("text", "on", "schedules"),
    [
        # paracetamol-hydrocodone tablets name paracetamol, which has no record: not offered for
        # hydrocodone with ibuprofen; the compound oral solids entry begins on 2023-07-01
        (f"{HYDROCODONE}.{IBUPROFEN}", datetime.date(2020, 1, 1), ["CN-NARC-2013"]),
        # a transdermal patch is a single-ingredient dosage form, not a mixture's entry
        (f"{BUPRENORPHINE}.{PARACETAMOL}", ON, ["CN-PSY1-2025"]),
    ],
)
def test_only_entries_that_can_describe_the_mixture_are_offered(real_registry, text, on, schedules):
    [result] = check_items([text], on=on, jurisdiction="CN")
    [cn] = [v for v in verdicts_of(result, jurisdictions()) if v.jurisdiction == "CN"]
    assert sorted(cn.schedules) == schedules
    assert not any(m.entry_uncertain for m in result.matches)


HYDROCODONE = "COC1=CC=C2C[C@@H]3[C@@H]4CCC(=O)[C@@H]5OC1=C2[C@@]54CCN3C"


def test_hydrocodone_with_paracetamol_is_offered_china_s_tablet_entry(real_registry):
    """China's 2013 Class II named paracetamol and hydrocodone bitartrate tablets (氨酚氢可酮片,
    item 77) apart from hydrocodone, a narcotic drug. Paracetamol had no record, so the entry,
    which names both ingredients, was never offered for the two drawn together: the mixture was
    answered on hydrocodone's narcotic entry alone."""
    [result] = check_items(
        [f"{HYDROCODONE}.{PARACETAMOL}"], on=datetime.date(2020, 1, 1), jurisdiction="CN"
    )
    assert result.status == "controlled"
    by_entry = {(m.substance, m.listed.schedule.code) for m in result.matches}
    assert by_entry == {
        ("hydrocodone", "CN-NARC-2013"),
        ("paracetamol-hydrocodone-tablets", "CN-PSY2-2013"),
    }
    assert all(m.entry_uncertain for m in result.matches)
    # the record itself: an analgesic, on no list anywhere
    [alone] = check_items(["对乙酰氨基酚"], on=ON)
    assert alone.substance.uid == "paracetamol" and alone.status == "not_controlled"
    [named] = check_items(["Acetaminophen"], on=ON)
    assert named.substance.uid == "paracetamol"


GUAIFENESIN = "COc1ccccc1OCC(O)CO"
DIPHENOXYLATE = "CCOC(=O)C1(C2=CC=CC=C2)CCN(CCC(C#N)(C2=CC=CC=C2)C2=CC=CC=C2)CC1"
DIFENOXIN = "N#CC(CCN1CCC(C(=O)O)(C2=CC=CC=C2)CC1)(C1=CC=CC=C1)C1=CC=CC=C1"
ATROPINE = "CN1[C@@H]2CC[C@H]1C[C@H](C2)OC(=O)C(CO)c1ccccc1"


def _us_schedules(text, on=ON):
    [result] = check_items([text], on=on, jurisdiction="US")
    return result, sorted(m.listed.schedule.code for m in result.matches)


def test_a_codeine_cough_mixture_may_be_a_schedule_v_preparation(real_registry):
    """21 CFR 1308.15(c) puts in schedule V preparations of codeine (not more than 200 mg per
    100 mL) with nonnarcotic active ingredients; its entry named no ingredient, so codeine with
    guaifenesin, drawn, was offered schedules II and III only. Its items are now its members,
    each naming its ingredient."""
    result, schedules = _us_schedules(f"{CODEINE}.{GUAIFENESIN}")
    assert schedules == ["US-II", "US-III", "US-III", "US-V"]
    [five] = [m for m in result.matches if m.listed.schedule.code == "US-V"]
    assert five.substance == "narcotic-preparations" and five.entry_uncertain
    assert [s.relation for s in five.route.steps] == ["compound_preparation", "member_of"]
    assert "a member of Narcotic preparations" in five.explanation
    # the item named: a member of the paragraph's entry
    [named] = check_items(
        ["Codeine preparations within schedule V limits"], on=ON, jurisdiction="US"
    )
    assert [m.listed.schedule.code for m in named.matches] == ["US-V"]


def test_diphenoxylate_is_a_schedule_v_preparation_only_with_atropine(real_registry):
    # 1308.15(c)(4): "not less than 25 micrograms of atropine sulfate per dosage unit"
    assert _us_schedules(f"{DIPHENOXYLATE}.{ATROPINE}")[1] == ["US-II", "US-V"]
    assert _us_schedules(f"{DIPHENOXYLATE}.{GUAIFENESIN}")[1] == ["US-II"]


def test_difenoxin_with_atropine_by_the_day_its_items_were_made(real_registry):
    # 1 mg with atropine: schedule IV (1308.14(b)(1)); 0.5 mg: schedule V (1308.15(c)(6)), both
    # from 1978-09-27; difenoxin itself in schedule I. Before that day, no schedule V item.
    drawn = f"{DIFENOXIN}.{ATROPINE}"
    assert _us_schedules(drawn)[1] == ["US-I", "US-IV", "US-V"]
    assert "US-V" not in _us_schedules(drawn, datetime.date(1978, 9, 26))[1]


PROPIRAM = "CCC(=O)N(C1=NC=CC=C1)C(C)CN1CCCCC1"


@pytest.mark.parametrize(
    ("drawn", "schedules"),
    [
        (f"{DIPHENOXYLATE}.{ATROPINE}", ["UN-1961-I", "UN-1961-III"]),
        (f"{DIPHENOXYLATE}.{GUAIFENESIN}", ["UN-1961-I"]),  # the entry names atropine
        (f"{DIFENOXIN}.{ATROPINE}", ["UN-1961-I", "UN-1961-III"]),
        (f"{PROPIRAM}.{PARACETAMOL}", ["UN-1961-II", "UN-1961-III"]),
    ],
)
def test_the_1961_convention_s_schedule_iii_preparations_are_offered(
    real_registry, drawn, schedules
):
    """Schedule III of the 1961 Convention lists preparations of diphenoxylate and of difenoxin
    with atropine sulfate, and of propiram and dextropropoxyphene within limits: their entries
    named no ingredient, so a mixture drawn was answered on the drug's own schedule alone."""
    [result] = check_items([drawn], on=ON, jurisdiction="UN")
    assert sorted(m.listed.schedule.code for m in result.matches) == schedules
    assert result.status == "controlled"


def test_a_codeine_mixture_may_be_a_1961_schedule_iii_preparation(real_registry):
    [result] = check_items([f"{CODEINE}.{GUAIFENESIN}"], on=ON, jurisdiction="UN")
    by_schedule = {m.listed.schedule.code: m for m in result.matches}
    assert sorted(by_schedule) == ["UN-1961-II", "UN-1961-III"]
    three = by_schedule["UN-1961-III"]
    assert three.substance == "un-1961-iii-codeine-group-preparations"
    assert [s.substance for s in three.route.steps] == [
        "un-1961-iii-codeine-preparations",
        "un-1961-iii-codeine-group-preparations",
    ]


def test_hydrocodone_combination_products_were_in_schedule_iii_until_2014(real_registry):
    """21 CFR 1308.13(e)(1)(iii) and (iv) held hydrocodone (dihydrocodeinone) combination
    products in schedule III from 1971-05-01 until 79 FR 49661 moved them to schedule II on
    2014-10-06; the registry had no such entry, so hydrocodone with paracetamol, drawn, was
    answered certainly schedule II in 2010."""
    drawn = f"{HYDROCODONE}.{PARACETAMOL}"
    result, schedules = _us_schedules(drawn, datetime.date(2010, 1, 1))
    assert schedules == ["US-II", "US-III", "US-III"]
    assert all(m.entry_uncertain for m in result.matches)
    assert _us_schedules(drawn, datetime.date(2014, 10, 5))[1] == ["US-II", "US-III", "US-III"]
    result, schedules = _us_schedules(drawn, datetime.date(2014, 10, 6))
    assert schedules == ["US-II"] and not result.matches[0].entry_uncertain
