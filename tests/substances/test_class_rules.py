"""The class definitions in fixtures/classes.yaml, checked against a labelled set.

The labelled set (tests/data/class_labelled_set.csv) holds real fentanyl analogues, synthetic
cannabinoids and nitazenes, and look-alike negatives (other opioids, piperidine, indole,
indazole and benzimidazole medicines, classical cannabinoids, everyday medicines), each labelled
by the legal definitions as documented in the classes' notes. Every compound must be classified
exactly as labelled.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml

from substances import chemistry
from substances.matching import RuleSpec, compile_class, match_classes

ROOT = Path(__file__).resolve().parents[2]
CLASSES_FILE = ROOT / "fixtures" / "classes.yaml"
LABELLED_FILE = ROOT / "tests" / "data" / "class_labelled_set.csv"
CLASS_UIDS = ("class-fentanyls", "class-synthetic-cannabinoids", "class-nitazenes")


def _matched(rule: dict) -> dict:
    """What the matcher reads of a rule (its Chinese label and explanation are for the pages)."""
    return {key: value for key, value in rule.items() if not key.endswith("_zh")}


def load_classes() -> list[dict]:
    with CLASSES_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def compiled_classes():
    return [
        compile_class(item["uid"], [RuleSpec(**_matched(rule)) for rule in item["rules"]])
        for item in load_classes()
    ]


def load_labelled() -> list[dict]:
    with LABELLED_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def predicted_uids(smiles: str, classes) -> set[str]:
    return {match.class_uid for match in match_classes(chemistry.parse_smiles(smiles), classes)}


def test_classes_file_has_the_three_chinese_classes_then_the_ester_groups():
    items = load_classes()
    assert [item["uid"] for item in items][: len(CLASS_UIDS)] == list(CLASS_UIDS)
    # The open-ended "X and its esters" entries, as structure-defined groups.
    assert all("ester" in item["uid"] for item in items[len(CLASS_UIDS) :])
    required = {
        "uid",
        "name_en",
        "name_zh",
        "definition_zh",
        "definition_en",
        "notes",
        "reference_smiles",
        "rules",
        "examples",
    }
    for item in items:
        assert required <= set(item), item["uid"]
        assert item["notes"] and item["rules"] and item["examples"]
        for rule in item["rules"]:
            assert set(rule) == {
                "label",
                "label_zh",
                "kind",
                "smarts",
                "explanation",
                "explanation_zh",
            }
            assert rule["kind"] in ("include", "require", "exclude")


def test_definitions_quote_the_legal_text():
    texts = {item["uid"]: item["definition_zh"] for item in load_classes()}
    assert "使用其他任意基团（氢原子除外）替代苯乙基" in texts["class-fentanyls"]
    assert "Z代表O或NH或无任何原子" in texts["class-synthetic-cannabinoids"]
    assert "使用取代或未取代的氨基替代N,N-二乙基氨基" in texts["class-nitazenes"]


@pytest.mark.parametrize("item", load_classes(), ids=lambda item: item["uid"])
def test_reference_compound_is_a_member(item):
    assert item["uid"] in predicted_uids(item["reference_smiles"], compiled_classes())


@pytest.mark.parametrize("item", load_classes(), ids=lambda item: item["uid"])
def test_worked_examples_classify_as_stated(item):
    classes = compiled_classes()
    wrong = [
        example["name"]
        for example in item["examples"]
        if (item["uid"] in predicted_uids(example["smiles"], classes)) != example["expected"]
    ]
    assert not wrong, f"{item['uid']} examples misclassified: {wrong}"


def test_labelled_set_is_large_and_well_formed():
    rows = load_labelled()
    labels = Counter(row["class_uid_or_empty"] for row in rows)
    assert set(labels) <= {"", *CLASS_UIDS}
    assert sum(labels[uid] for uid in CLASS_UIDS) >= 150
    assert labels[""] >= 100
    keys = [chemistry.parent_key(row["smiles"]) for row in rows]
    assert len(keys) == len(set(keys)), "the same parent appears twice"


def test_labelled_set_is_classified_without_error(capsys):
    """Every labelled compound gets exactly its label; prints precision/recall per class."""
    classes = compiled_classes()
    counts = {uid: Counter() for uid in CLASS_UIDS}
    errors = []
    for row in load_labelled():
        expected = {row["class_uid_or_empty"]} - {""}
        predicted = predicted_uids(row["smiles"], classes)
        for uid in CLASS_UIDS:
            outcome = ("T" if (uid in predicted) == (uid in expected) else "F") + (
                "P" if uid in predicted else "N"
            )
            counts[uid][outcome] += 1
        if predicted != expected:
            errors.append(f"{row['name']}: expected {expected or '{}'}, got {predicted or '{}'}")
    with capsys.disabled():
        print()
        for uid, count in counts.items():
            tp, fp, fn = count["TP"], count["FP"], count["FN"]
            precision = tp / (tp + fp) if tp + fp else 1.0
            recall = tp / (tp + fn) if tp + fn else 1.0
            print(
                f"{uid}: TP={tp} FP={fp} TN={count['TN']} FN={fn} "
                f"precision={precision:.3f} recall={recall:.3f}"
            )
    assert not errors, "misclassified:\n" + "\n".join(errors)


def test_everyday_medicines_are_never_members():
    classes = compiled_classes()
    medicines = [row for row in load_labelled() if row["note"] == "everyday medicine"]
    assert len(medicines) >= 20
    for row in medicines:
        assert not predicted_uids(row["smiles"], classes), row["name"]


def test_salt_is_judged_by_its_parent():
    classes = compiled_classes()
    citrate = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)CC(O)(CC(=O)O)C(=O)O"
    assert predicted_uids(citrate, classes) == {"class-fentanyls"}
    hydrochloride = "CCN(CC)CCn1c(Cc2ccc(OC(C)C)cc2)nc2cc([N+](=O)[O-])ccc21.Cl"
    assert predicted_uids(hydrochloride, classes) == {"class-nitazenes"}


def test_match_reports_rule_and_atoms_on_the_parent():
    classes = compiled_classes()
    parent = chemistry.standardize("CCCCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21.Cl")
    (match,) = match_classes(parent, classes)
    assert match.class_uid == "class-synthetic-cannabinoids"
    assert match.rule_label.startswith("sc-1")
    assert match.kind == "include"
    assert match.explanation
    # What the rule's conditions found, as data beside the English words (for other languages).
    assert [(g.name, g.carbons) for g in match.groups] == [("R1", 5), ("R3", 10)]
    assert "R1: 5 C in its carbon skeleton" in match.explanation
    assert all(0 <= atom < parent.GetNumAtoms() for atom in match.atoms)
    assert "<svg" in chemistry.depict_svg(parent, highlight_atoms=match.atoms)


def test_rule_anchors_answer_exactly_as_the_full_patterns():
    """Each recursive rule gets a cheap anchor; with or without it, every answer is the same."""
    import dataclasses

    rules = [rule for cls in compiled_classes() for rule in cls.rules]
    anchored = [rule for rule in rules if rule.query.anchor is not None]
    assert len(anchored) >= len([r for r in rules if "$(" in r.spec.smarts]) - 1
    molecules = [chemistry.standardize(row["smiles"]) for row in load_labelled() if row["smiles"]]
    molecules = [mol for mol in molecules if chemistry.is_ordinary(mol)]
    for rule in anchored:
        bare = dataclasses.replace(rule.query, anchor=None)
        for mol in molecules:
            assert chemistry.find_match(mol, rule.query) == chemistry.find_match(mol, bare)


def test_the_element_screen_answers_exactly_as_the_searches():
    """A rule needing more atoms of an element than a molecule has is answered without a
    search; with or without that screen, every answer is the same, and it rules out most."""
    rules = [rule for cls in compiled_classes() for rule in cls.rules]
    assert all(rule.query.elements for rule in rules)
    molecules = [chemistry.standardize(row["smiles"]) for row in load_labelled() if row["smiles"]]
    screened = 0
    for mol in molecules:
        elements = chemistry.element_counts(mol)
        for rule in rules:
            found = chemistry.find_match(mol, rule.query)
            assert chemistry.find_match(mol, rule.query, elements=elements) == found
            screened += any(elements.get(e, 0) < n for e, n in rule.query.elements)
    assert screened > len(molecules) * len(rules) // 4


def test_explicit_hydrogens_keep_the_ring_information_rules_need():
    """[H] written out: the molecule keeps its rings, so an anchored rule can be searched."""
    cannabinoids = [c for c in compiled_classes() if c.uid == "class-synthetic-cannabinoids"]
    mol = chemistry.standardize("[H]C([H])([H])CCCCn1nc(C(=O)NC(C(N)=O)C(C)C)c2ccccc21")
    assert mol.GetRingInfo().NumRings() == 2
    assert [m.class_uid for m in match_classes(mol, cannabinoids)] == [
        "class-synthetic-cannabinoids"
    ]
