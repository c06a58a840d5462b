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


STEROIDS = next(i for i in _load() if i["uid"] == "class-us-anabolic-steroids")

# Each progestin as its sources draw it (GSRS, DrugBank, the Guide to Pharmacology, copies of
# PubChem and Wikipedia), with the standard InChIKey they give: the exclusions must answer for
# these drawings, not for the SMARTS they were written from.
PROGESTINS = {
    "norethisterone": (
        "C[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(C#C)O)CCC4=CC(=O)CC[C@H]34",
        "VIKNJXKGJWUCNN-XGXHKTLJSA-N",
    ),
    "norethisterone acetate": (
        "CC(=O)O[C@]1(CC[C@@H]2[C@@]1(CC[C@H]3[C@H]2CCC4=CC(=O)CC[C@H]34)C)C#C",
        "IMONTRJLAWHYGT-ZCPXKWAGSA-N",
    ),
    "norethisterone enantate": (
        "CCCCCCC(=O)O[C@]1(CC[C@@H]2[C@@]1(CC[C@H]3[C@H]2CCC4=CC(=O)CC[C@H]34)C)C#C",
        "APTGJECXMIKIET-WOSSHHRXSA-N",
    ),
    "levonorgestrel": (
        "CC[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(C#C)O)CCC4=CC(=O)CC[C@H]34",
        "WWYNJERNGUHSAO-XUDSTZEESA-N",
    ),
    "desogestrel": (
        "CC[C@]12CC(=C)[C@H]3[C@H]([C@@H]1CC[C@]2(C#C)O)CCC4=CCCC[C@H]34",
        "RPLCPCMSCLEKRS-BPIQYHPVSA-N",
    ),
    "etonogestrel": (
        "[H][C@@]12CC[C@@](O)(C#C)[C@@]1(CC)CC(=C)[C@]1([H])[C@@]3([H])CCC(=O)C=C3CC[C@@]21[H]",
        "GCKFUYQCUCGESZ-BPIQYHPVSA-N",
    ),
    "gestodene": (
        r"O=C4\C=C3/[C@@H]([C@H]2CC[C@]1([C@@H](/C=C\[C@]1(C#C)O)[C@@H]2CC3)CC)CC4",
        "SIGSPDASOTUPFS-XUDSTZEESA-N",
    ),
    "norgestimate (E)": (
        r"O=C(O[C@@]2(C#C)CC[C@H]1[C@H]4[C@H](CC[C@@]12CC)[C@@H]3/C(=C\C(=N\O)CC3)CC4)C",
        "KIQQMECNKUGGKA-NMYWJIRASA-N",
    ),
    "norelgestromin (E)": (
        "CC[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(C#C)O)CCC4=C/C(=N/O)CC[C@H]34",
        "ISHXLNHNDMZNMC-VTKCIJPMSA-N",
    ),
    "dienogest": (
        "C[C@]12CCC3=C4CCC(=O)C=C4CC[C@H]3[C@@H]1CC[C@]2(CC#N)O",
        "AZFLJNIPTRTECV-FUMNGEBKSA-N",
    ),
    "drospirenone": (
        "C[C@]12CCC(=O)C=C1[C@@H]3C[C@@H]3[C@@H]4[C@@H]2CC[C@]5([C@H]4[C@@H]6C[C@@H]6[C@@]57CCC(=O)O7)C",
        "METQSPRSQINEEU-HXCATZOESA-N",
    ),
    "lynestrenol": (
        r"C#C[C@]2(O)CC[C@H]1[C@H]4[C@H](CC[C@@]12C)[C@@H]3\C(=C/CCC3)CC4",
        "YNVGQYHLRCDXFQ-XGXHKTLJSA-N",
    ),
    "norethynodrel": (
        "C[C@]12CC[C@H]3[C@@H](CCC4=C3CCC(=O)C4)[C@@H]1CC[C@@]2(O)C#C",
        "ICTXHFFSOAJUMG-SLHNCBLASA-N",
    ),
    "ethynodiol diacetate": (
        r"CC(=O)O[C@@H]4/C=C3\[C@@H]([C@H]2CC[C@]1([C@@H](CC[C@]1(C#C)OC(C)=O)[C@@H]2CC3)C)CC4",
        "ONKUMRGIYFNPJW-KIEAKMPYSA-N",
    ),
    "etynodiol": (
        r"O[C@@H]4/C=C3\[C@@H]([C@H]2CC[C@]1([C@@H](CC[C@]1(C#C)O)[C@@H]2CC3)C)CC4",
        "JYILPERKVHXLNF-QMNUTNMBSA-N",
    ),
    "allylestrenol": (
        "C[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(CC=C)O)CCC4=CCCC[C@H]34",
        "ATXHVCQZZJYMCF-XUDSTZEESA-N",
    ),
}


@pytest.mark.parametrize("name", sorted(PROGESTINS))
def test_a_progestin_the_definition_leaves_out_is_left_out_by_its_own_rule(name):
    smiles, key = PROGESTINS[name]
    assert chemistry.inchikey(smiles) == key  # the drawing is the compound its sources name
    left_out = []
    assert not match_classes(
        chemistry.standardize(smiles), [_compiled(STEROIDS)], left_out=left_out
    )
    [out] = left_out
    assert out.class_uid == STEROIDS["uid"]
    assert out.rule_label == "the steroid nucleus with an oxygen on carbon 17"
    assert out.exclusion_label == "a progestin: " + name.split(" (")[0]


@pytest.mark.parametrize(
    ("smiles", "why"),
    [
        # Norethisterone's 17-propionate: an ester no exclusion draws.
        (
            "C#C[C@]1(OC(=O)CC)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@@H]4[C@H]3CC[C@@]21C",
            "an ester of a progestin that no rule draws",
        ),
        # Norbolethone, named in the definition: levonorgestrel with an ethyl for its ethynyl.
        ("CC[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(CC)O)CCC4=CC(=O)CC[C@H]34", "norbolethone"),
        # Ethisterone: described both as a progestin and as an androgen.
        ("C#C[C@]1(O)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3CC[C@@]21C", "ethisterone"),
        # Trestolone joined to norethisterone by a carbonate: the exclusion draws the whole.
        (
            "O=C(O[C@]1(C#C)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@@H]4[C@H]3CC[C@@]21C)"
            "O[C@H]1CC[C@H]2[C@@H]3[C@H](C)CC4=CC(=O)CC[C@@H]4[C@H]3CC[C@]12C",
            "an ester joining an androgen to a progestin",
        ),
    ],
)
def test_a_steroid_no_progestin_exclusion_draws_stays_within_the_rule(smiles, why):
    left_out = []
    assert _member(STEROIDS, smiles), why
    assert match_classes(chemistry.standardize(smiles), [_compiled(STEROIDS)], left_out=left_out)
    assert left_out == [], why
