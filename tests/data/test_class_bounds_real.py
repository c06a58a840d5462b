"""Class bounds and open-ended ester entries on the real registry: cases the fixtures do not hold.

The synthetic-cannabinoid definition bounds R1 to C3-C8 and R3 and R5 to C3-C10 (or a C6-C10
aryl); the 2024 precursor entries cover "X and its esters", which no list of names can hold.
"""

import datetime

import pytest

from registry.check import check_items
from substances import matching

pytestmark = pytest.mark.django_db

ON = datetime.date(2025, 1, 1)
INDAZOLE_AMIDE = "{r1}n1nc2ccccc2c1C(=O)NC(C(N)=O)C(C)C"  # an AB-PINACA analogue, R1 varied


def _one(text, on=ON, jurisdiction="CN"):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


def _classes(result):
    return {m["class"]["uid"] for m in result.matches if m["basis"] == "class"}


@pytest.mark.parametrize(
    ("tail", "controlled"),
    [
        ("CCC", True),  # C3, the lower bound
        ("CCCCCCCC", True),  # C8, the upper bound
        ("CCCCCCCCC", False),  # C9: past R1's C3-C8
        ("C(C)CCCCCCC", False),  # a branched C9
        ("FCCCCCCCC", True),  # a fluorinated C8: substituents do not count
    ],
)
def test_cannabinoid_r1_tail_bounds(real_registry, tail, controlled):
    result = _one(INDAZOLE_AMIDE.format(r1=tail))
    assert ("class-synthetic-cannabinoids" in _classes(result)) is controlled, result.reason
    if controlled:
        [match] = [m for m in result.matches if m["basis"] == "class"]
        assert "R1:" in match["explanation"] and "C in its carbon skeleton" in match["explanation"]
    else:
        assert result.status == "not_controlled"


@pytest.mark.parametrize(
    ("amide", "controlled"),
    [
        ("CCCCCCCCCC", True),  # a C10 hydrocarbyl amide
        ("CCCCCCCCCCC", False),  # C11: past R3's C3-C10
        ("C(C)(C)c1ccccc1", True),  # cumyl, C9
        ("c1ccc2ccccc2c1", True),  # naphthyl, a C10 aryl
    ],
)
def test_cannabinoid_r3_amide_bounds(real_registry, amide, controlled):
    result = _one(f"CCCCCn1nc2ccccc2c1C(=O)N{amide}")
    assert ("class-synthetic-cannabinoids" in _classes(result)) is controlled, result.reason


def test_a_substituted_c10_aryl_stays_in_the_class(real_registry):
    # JWH-122's 4-methylnaphthyl: the aryl is counted on its ring system, as the list reads it.
    result = _one("CCCCCCCCn1cc(C(=O)c2ccc(C)c3ccccc23)c2ccccc21")  # an octyl JWH-122
    assert "class-synthetic-cannabinoids" in _classes(result)


def test_cp_47497_homologues_r5_bounds(real_registry):
    phenol = "OC1CCCC(C1)c1ccc({r5})cc1O"
    assert "class-synthetic-cannabinoids" in _classes(_one(phenol.format(r5="C(C)(C)CCCCCCC")))
    nonyl = _one(phenol.format(r5="C(C)(C)CCCCCCCC"))  # 1,1-dimethylnonyl, C11
    assert "class-synthetic-cannabinoids" not in _classes(nonyl)


@pytest.mark.parametrize(
    "ester",
    [
        "CCOC(=O)C1(C)OC1c1ccccc1",  # ethyl
        "CC(C)OC(=O)C1(C)OC1c1ccccc1",  # isopropyl
        "CCCCCCOC(=O)C1(C)OC1c1ccccc1",  # hexyl: an ester no list names
    ],
)
def test_any_ester_of_bmk_glycidic_acid_is_a_precursor_in_china(real_registry, ester):
    before = _one(ester, on=datetime.date(2024, 8, 31))
    after = _one(ester, on=datetime.date(2024, 9, 1))
    assert "class-bmk-glycidic-acid-and-esters" not in _classes(before)
    assert after.status == "controlled"
    [match] = [m for m in after.matches if m["basis"] == "class"]
    assert match["class"]["uid"] == "class-bmk-glycidic-acid-and-esters"
    assert match["schedule"]["uid"] == "cn-precursor-2"
    assert "acid or ester part" in match["explanation"]


def test_eapa_and_pmk_ethyl_glycidate_are_matched_as_esters(real_registry):
    eapa = _one("CCOC(=O)C(C(C)=O)c1ccccc1")
    assert "class-alpha-phenylacetoacetic-acid-and-esters" in _classes(eapa)
    pmk_ethyl = _one("CCOC(=O)C1(C)OC1c1ccc2c(c1)OCO2")
    assert "class-pmk-glycidic-acid-esters" in _classes(pmk_ethyl)
    apaa = _one("CC(=O)C(C(N)=O)c1ccccc1")  # the amide is listed by name, not as an ester
    assert "class-alpha-phenylacetoacetic-acid-and-esters" not in _classes(apaa)


def test_un_table_i_covers_only_the_eight_esters_it_names(real_registry):
    butyl = _one("CCCCOC(=O)C1(C)OC1c1ccccc1", jurisdiction="UN")
    pentyl = _one("CCCCCOC(=O)C1(C)OC1c1ccccc1", jurisdiction="UN")
    assert "class-un-bmk-glycidic-acid-and-c1-c4-esters" in _classes(butyl)
    assert "class-un-bmk-glycidic-acid-and-c1-c4-esters" not in _classes(pentyl)
    assert pentyl.status == "not_controlled"
    # China's entry, open-ended, does cover it.
    assert "class-bmk-glycidic-acid-and-esters" in _classes(_one("CCCCCOC(=O)C1(C)OC1c1ccccc1"))


def test_a_rule_that_cannot_be_evaluated_gives_unknown_not_not_controlled(
    real_registry, monkeypatch
):
    def broken(*args, **kwargs):
        raise matching.chemistry.ChemistryError("group conditions could not be evaluated")

    monkeypatch.setattr(matching.chemistry, "group_at", broken)
    result = _one(INDAZOLE_AMIDE.format(r1="CCCCCCCCC"))
    assert result.status == "unknown"
    assert "could not be applied" in result.reason
