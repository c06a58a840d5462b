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
