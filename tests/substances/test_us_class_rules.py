"""The US class definitions in fixtures/us/classes.yaml: their worked examples, and the edges of
the cannabimimetic agents' five structural classes (21 U.S.C. 812(c), Schedule I (d)(2)(A))."""

from pathlib import Path

import pytest
import yaml

from substances import chemistry
from substances.matching import RuleSpec, compile_class, match_classes

US_CLASSES = Path(__file__).resolve().parents[2] / "fixtures" / "us" / "classes.yaml"


def _load() -> list[dict]:
    with US_CLASSES.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _compiled(item: dict):
    return compile_class(
        item["uid"],
        [
            RuleSpec(rule["label"], rule["kind"], rule["smarts"], rule.get("explanation", ""))
            for rule in item["rules"]
        ],
    )


def _member(item: dict, smiles: str) -> bool:
    return bool(match_classes(chemistry.standardize(smiles), [_compiled(item)]))


@pytest.mark.parametrize("item", _load(), ids=lambda item: item["uid"])
def test_worked_examples_classify_as_stated(item):
    wrong = [
        example["name"]
        for example in item["examples"]
        if _member(item, example["smiles"]) != example["expected"]
    ]
    assert not wrong, f"{item['uid']} examples misclassified: {wrong}"


CANNABIMIMETIC = next(i for i in _load() if i["uid"] == "class-us-cannabimimetic-agents")


@pytest.mark.parametrize(
    ("smiles", "member", "why"),
    [
        ("FCCCCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21", True, "AM2201, (ii)"),
        ("CCCCCn1cc(C(=O)c2ccc(C)c3ccccc23)c2ccccc21", True, "JWH-122: a substituted naphthoyl"),
        ("CCCCCn1c(C)c(C(=O)c2cccc3ccccc23)c2ccccc21", True, "JWH-007: a 2-methylindole"),
        ("O=C(c1ccccc1I)c1cn(CCCCCF)c2ccccc12", True, "AM694, (v) benzoyl"),
        ("CCCCCn1cc(-c2ccccc2F)c(C(=O)c2cccc3ccccc23)c1", True, "JWH-307, (iii)"),
        ("CCCC=CCc1ccc(C2CCCC(O)C2)c(O)c1", True, "(i) with an alkenyl"),
        ("CCCCCCC(C)(C)c1ccc(C2CC(O)C(=C)CC2)c(O)c1", True, "(i): a methylene on the ring"),
        ("CCCCCC#Cc1ccc(C2CCCC(O)C2)c(O)c1", False, "(i): an alkynyl is no alkyl or alkenyl"),
        ("OC1CCCC(C1)c1ccc(CCc2ccccc2)cc1O", False, "(i): a phenethyl is no alkyl"),
        ("CCCCCCC(C)(C)c1ccc(C2CC(O)C=CC2)c(O)c1", False, "(i): a cyclohexenyl"),
        ("CCCCCn1cc(C(=O)C2CCc3ccccc32)c2ccccc21", False, "(v): the acetyl CH2 substituted"),
        ("CCCCCC1=CC(=C(C)c2cccc3ccccc23)c2ccccc21", False, "(iv): the methylene substituted"),
        ("CCCCCn1cc(C(=O)c2cccc3ncccc23)c2ccccc21", False, "(v): a quinolinyl, fused"),
        ("CCCCCn1cc(C(=O)c2cccc3ccccc23)c2cccnc21", False, "a 7-azaindole"),
        ("CCCCCn1nc(C(=O)c2cccc3ccccc23)c2ccccc21", False, "an indazole (THJ-018)"),
    ],
)
def test_the_edges_of_the_five_classes(smiles, member, why):
    assert _member(CANNABIMIMETIC, smiles) is member, why


def test_the_class_carries_the_condition_a_structure_cannot_show():
    assert "CB1" in CANNABIMIMETIC["condition"] and CANNABIMIMETIC["condition_zh"]
    assert _member(CANNABIMIMETIC, CANNABIMIMETIC["reference_smiles"])  # JWH-018
    fentanyls = next(i for i in _load() if i["uid"] == "class-us-fentanyl-related-substances")
    assert not fentanyls.get("condition")
