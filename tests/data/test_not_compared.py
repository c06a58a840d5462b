"""A structure the registry holds no record of is compared with every listed compound it holds a
structure for, and no other. Where a list names a compound whose structure no source read
confirms (China's tegileridine, dimdazenil and valiloxybate of 2023 and 2025; the US's
ergocristine), or an element with no one drawing (red phosphorus), the verdict says which ones
it was not compared with (`not_compared`, and the reason in words), whatever it answers
elsewhere: `not_controlled` there holds as far as the registry's structures reach."""

import datetime

import pytest

from registry import services
from registry.check import check_items
from substances.models import Substance

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 12, 3)
# The drawing of the 2013-era list's 地达西尼 row, which no second source confirms as dimdazenil
# (fixtures/README.md): the registry holds it as no record.
CANDIDATE = "CN(C)Cc1nc(-c2ncn3c2CN(C)C(=O)c2c(Cl)cccc2-3)no1"
UNDRAWN_CN = {"dimdazenil", "tegileridine", "valiloxybate"}


def _check(text, on=ON, jurisdiction=None):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


def test_a_structure_no_record_has_is_not_compared_with_the_undrawn_entries(real_registry):
    result = _check(CANDIDATE)
    assert result.status == "not_controlled"
    assert set(result.not_compared["CN"]) == UNDRAWN_CN
    assert "ergocristine" in result.not_compared["US"]
    assert "UN" not in result.not_compared
    assert "not compared with Dimdazenil, Tegileridine, Valiloxybate, listed in China" in (
        result.reason
    )
    assert result.reasons["CN"].startswith("not compared with Dimdazenil")
    assert result.as_dict()["not_compared"]["CN"] == sorted(UNDRAWN_CN)
    # drawn since: MGM-15 and MGM-16 from the names 21 CFR 1308.11(h) gives them, white
    # phosphorus as P4
    assert not {"mgm-15", "mgm-16", "white-phosphorus"} & set(result.not_compared["US"])


def test_an_ester_of_a_record_is_no_record(real_registry):
    """Valiloxybate's candidate drawing is an ester of gamma-hydroxybutyrate: reached as one,
    not covered, and not compared with the entry it may be."""
    result = _check("CC(C)[C@H](N)C(=O)OCCCC(=O)O", jurisdiction="CN")
    assert result.status == "not_controlled"
    assert result.substance.uid == "gamma-hydroxybutyrate"
    assert set(result.not_compared["CN"]) == UNDRAWN_CN
    assert "does not cover esters" in result.reason and "Valiloxybate" in result.reason


def test_the_jurisdictions_that_answer_otherwise_keep_the_word(real_registry):
    """An unsettled US class makes the verdict uncertain; China's and the conventions' answers
    are still not controlled, and say what they were not compared with."""
    result = _check("CCN1C(=O)CC(=O)N(CC)C1=O")  # 1,3-diethylbarbituric acid
    assert result.status == "uncertain"
    assert set(result.not_compared["CN"]) == UNDRAWN_CN
    assert "not compared with" in result.reasons["CN"]
    assert "not compared" not in result.reason


def test_a_mixture_carries_its_parts_words(real_registry):
    result = _check("c1ccc2ccccc2c1." + CANDIDATE)
    assert result.status == "not_controlled"
    assert set(result.not_compared["CN"]) == UNDRAWN_CN


def test_the_chinese_words_name_the_jurisdiction(real_registry):
    from django.utils import translation

    with translation.override("zh-hans"):
        result = _check(CANDIDATE, jurisdiction="CN")
    assert "未与地达西尼、泰吉利定、韦利西贝比对：其列于中国的目录" in result.reason


def test_a_salt_drawn_is_told_as_its_parent(real_registry):
    result = _check(CANDIDATE + ".Cl", jurisdiction="CN")
    assert result.status == "not_controlled"
    assert set(result.not_compared) == {"CN"}


def test_what_answers_elsewhere_is_told_only_where_nothing_does(real_registry):
    # A fentanyl analogue no list names, within the US class and China's: not compared in
    # neither; controlled by the classes there.
    result = _check("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccc(C)cc2)CC1")
    assert result.status == "controlled"
    assert {"CN", "US"} <= {m["schedule"]["jurisdiction"] for m in result.matches}
    assert set(result.not_compared) <= {"UN"}


@pytest.mark.parametrize(
    "text", ["fentanyl", "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "dimdazenil"]
)
def test_a_record_or_a_name_is_no_unknown_structure(real_registry, text):
    assert _check(text).not_compared == {}


def test_before_the_entries_were_listed_nothing_is_left_out(real_registry):
    # tegileridine and dimdazenil were added on 2023-10-01, valiloxybate on 2025-07-28
    assert "CN" not in _check(CANDIDATE, on=datetime.date(2023, 9, 30)).not_compared
    assert set(_check(CANDIDATE, on=datetime.date(2024, 1, 1)).not_compared["CN"]) == {
        "dimdazenil",
        "tegileridine",
    }


def test_a_structure_drawn_by_a_curator_is_compared(real_registry):
    services.update_substance(
        substance=Substance.objects.get(uid="dimdazenil"),
        actor=services.Actor(name="test"),
        smiles=CANDIDATE,
    )
    result = _check(CANDIDATE, jurisdiction="CN")
    assert result.status == "controlled"
    assert result.not_compared == {}
    assert set(_check("CCO", jurisdiction="CN").not_compared["CN"]) == UNDRAWN_CN - {"dimdazenil"}
