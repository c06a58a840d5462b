"""The check service: verdicts, bases, salts and isomers, dates, and bad input."""

import datetime

import pytest

from registry import check
from registry.check import MAX_ITEMS, check_items
from tests.registry.conftest import DEXAMFETAMINE, FENTANYL

pytestmark = pytest.mark.django_db

D = datetime.date


ON = D(2024, 1, 1)


def _one(text, on=ON, **kw):
    [result] = check_items([text], on=on, **kw)
    return result


def test_listed_compound_by_structure_name_cas_and_inchikey(registry):
    for text, detected, how in [
        (FENTANYL, "smiles", "structure"),
        ("fentanyl", "name", "name"),
        ("芬太尼", "name", "name"),
        ("SUBLIMAZE", "name", "name"),
        ("437-38-7", "cas", "cas"),
        ("437387", "cas", "cas"),
        # As typed with a Chinese input method, with a leading zero, other dashes or spaces.
        ("４３７－３８－７", "cas", "cas"),
        ("0437-38-7", "cas", "cas"),
        ("437—38—7", "cas", "cas"),
        ("437 38 7", "cas", "cas"),
        ("437−38−7", "cas", "cas"),  # minus signs, as a PDF or a word processor writes them
        ("PJMPHNIQZUBGLI-UHFFFAOYSA-N", "inchikey", "inchikey"),
        ("pjmphniqzubgli-uhfffaoysa-n", "inchikey", "inchikey"),
        ("ＰＪＭＰＨＮＩＱＺＵＢＧＬＩ－ＵＨＦＦＦＡＯＹＳＡ－Ｎ", "inchikey", "inchikey"),
    ]:
        r = _one(text)
        assert (r.detected_as, r.status, r.substance.uid, r.matched_by) == (
            detected,
            "controlled",
            "fentanyl",
            how,
        ), text
        listing = [m for m in r.matches if m["basis"] == "listing"]
        assert listing[0]["schedule"]["code"] == "NM"


@pytest.mark.parametrize(
    "text",
    [
        "289-812-6",  # an EC number: three digits in the middle, not two
        "207-113-6",  # fentanyl's EC number
        "2024-01-15",  # a date
        "437-387",
        "--437387",
    ],
)
def test_digits_and_dashes_not_grouped_as_a_cas_number_are_no_cas_number(registry, text):
    r = _one(text)
    assert (r.detected_as, r.status) == ("name", "unknown"), text


def test_a_registry_structure_is_known_by_its_canonical_smiles_without_inchi(registry, monkeypatch):
    from substances import chemistry

    computed = []
    inchikey = chemistry.inchikey
    monkeypatch.setattr(chemistry, "inchikey", lambda mol: computed.append(mol) or inchikey(mol))
    # Fentanyl written another way: its canonical SMILES is the registry's.
    r = _one("O=C(CC)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1")
    assert (r.status, r.substance.uid, r.matched_by) == ("controlled", "fentanyl", "structure")
    assert computed == []
    # Its citrate: the parent is known the same way, the salt itself by InChI.
    r = _one(FENTANYL + ".OC(=O)CC(O)(CC(=O)O)C(=O)O")
    assert (r.status, r.substance.uid, r.matched_by) == ("controlled", "fentanyl", "salt")
    assert len(computed) == 1
    # A stereoisomer shares the formula, the graph size and the graph key, not the SMILES.
    r = _one(DEXAMFETAMINE)
    assert (r.substance.uid, r.matched_by) == ("amfetamine", "stereoisomer")
    assert len(computed) == 2


def test_the_gates_let_through_only_what_may_be_a_registry_substance(registry):
    from substances import chemistry

    gates = check._registry_gates()
    for smiles, passes in [
        (FENTANYL, True),
        (DEXAMFETAMINE, True),
        ("Cc1ccccc1CC(C)N", False),  # a homologue of amfetamine: another formula
        ("CC(N)Cc1ccc(C)cc1", False),  # positional isomers of that homologue
        ("CC(N)Cc1ccccc1C", False),
        ("NCCCc1ccccc1", False),  # amfetamine's formula, another graph size
    ]:
        mol = chemistry.standardize(smiles)
        formula = chemistry.formula(mol)
        sized = (formula, chemistry.graph_size(mol)) in gates.sizes
        assert sized == passes, smiles
        assert sized >= (chemistry.graph_key(mol) in gates.graphs), smiles
        assert sized <= (formula in gates.formulas), smiles


def test_a_salt_resolves_to_its_parent(registry):
    r = _one(FENTANYL + ".OC(=O)CC(O)(CC(=O)O)C(=O)O")  # fentanyl citrate
    assert (r.status, r.substance.uid, r.matched_by) == ("controlled", "fentanyl", "salt")


def test_a_stereoisomer_resolves_to_its_parent(registry):
    r = _one(DEXAMFETAMINE)
    assert (r.status, r.substance.uid, r.matched_by) == ("controlled", "amfetamine", "stereoisomer")


def test_a_compound_can_be_listed_and_class_controlled_at_once(registry):
    r = _one(FENTANYL)
    assert {m["basis"] for m in r.matches} == {"listing", "class"}
    [cls] = [m for m in r.matches if m["basis"] == "class"]
    assert cls["class"]["uid"] == "class-fentanyls" and cls["rule"] == "4-anilidopiperidine"
    assert len(cls["atoms"]) == 16


def test_an_unlisted_analogue_is_controlled_by_class_from_the_class_date(registry):
    butyryl = "CCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
    before = _one(butyryl, on=D(2019, 4, 30))
    after = _one(butyryl, on=D(2019, 5, 1))
    assert (before.status, before.substance) == ("not_controlled", None)
    assert after.status == "controlled"
    assert [m["basis"] for m in after.matches] == ["class"]


def test_a_listing_before_its_date_does_not_count(registry):
    assert _one("fentanyl", on=D(2017, 2, 28)).status == "not_controlled"


def test_jurisdiction_filter(registry):
    r = _one("fentanyl", jurisdiction="UN")
    assert r.status == "not_controlled" and "in UN" in r.reason


def test_everyday_compound_is_not_controlled(registry):
    r = _one("CC(=O)Nc1ccc(O)cc1")  # paracetamol
    assert (r.status, r.substance, r.matches) == ("not_controlled", None, [])


def test_unknown_name_and_cas(registry):
    assert _one("no such drug").status == "unknown"
    r = _one("50-78-2")  # aspirin: a valid CAS the registry does not hold
    assert (r.detected_as, r.status) == ("cas", "unknown")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty input"),
        ("   ", "empty input"),
        ("437-38-8", "check digit should be 7"),
        ("C1CC(", "SMILES"),
        ("C" * 2500, "too long"),
        (12, "must be a string"),
        (None, "must be a string"),
    ],
)
def test_bad_input_gets_an_invalid_verdict_with_its_reason(registry, text, reason):
    r = _one(text)
    if text == "C1CC(":
        # Neither a known name nor a readable structure: unknown, with the parser's reason.
        assert r.status == "unknown" and "SMILES" in r.reason
        return
    assert r.status == "invalid" and reason in r.reason


def test_one_bad_item_does_not_spoil_the_batch(registry):
    results = check_items(["fentanyl", "", "C1CC(", FENTANYL], on=D(2024, 1, 1))
    assert results[0].status == "controlled"
    assert results[1].status == "invalid"
    assert results[3].status == "controlled"


def test_batch_is_read_in_a_bounded_number_of_queries(registry, django_assert_max_num_queries):
    items = ["fentanyl", FENTANYL, "437-38-7", DEXAMFETAMINE, "unknown thing"] * 20
    # One more than before the typed relations: the relations around the matched records, two
    # levels of the chain per query, for the whole batch; one for the jurisdictions whose
    # record starts after the day asked about; and, once per version of the registry, the
    # lists and the entries that cover positional isomers (two queries); one for the
    # jurisdictions asked about, where an item is not controlled in one (their analogue laws).
    # (The listed compounds without a structure are read only for a structure that is no
    # record.)
    with django_assert_max_num_queries(13):
        results = check_items(items, on=D(2024, 1, 1))
    assert len(results) == 100


def test_too_many_items_are_refused():
    with pytest.raises(ValueError, match="at most 1000"):
        check_items(["x"] * (MAX_ITEMS + 1))


def test_as_dict_shape(registry):
    d = _one(FENTANYL).as_dict()
    assert set(d) == {
        "input",
        "detected_as",
        "status",
        "reason",
        "substance",
        "structure",
        "matches",
        "components",
        "since",
    }
    assert d["substance"]["uid"] == "fentanyl"
    assert {"basis", "schedule", "instrument", "effective_from"} <= set(d["matches"][0])


def test_class_members_and_the_drawing_come_from_the_check(db):
    from tests.web.sample import CARFENTANIL_SMILES, build_sample

    sample = build_sample()
    members = check.class_members(sample.fentanyls)
    assert sample.fentanyl.pk in members and sample.carfentanil.pk in members
    assert sample.adb.pk not in members
    (result,) = check.check_items([CARFENTANIL_SMILES])
    assert result.highlight and result.parent is not None
    assert result.drawing().startswith("<svg")


def test_a_bare_word_with_an_atom_outside_the_organic_subset_is_a_name_only(registry):
    # "CBN" (cannabinol) also parses as the SMILES C-B-N; unknown as a name, it is not
    # answered as methylaminoborane.
    r = _one("CBN")
    assert (r.detected_as, r.status, r.structure) == ("name", "unknown", "")
    # A bare word of organic-subset atoms is still read as a structure when no name is found.
    r = _one("CCO")
    assert (r.detected_as, r.status) == ("smiles", "not_controlled")


def test_an_isotope_no_element_has_is_not_read_as_a_structure(registry):
    r = _one("[9999C]CC")
    assert r.status != "controlled" and r.structure == ""
    assert "no such isotope" in r.reason


def test_characters_that_show_nothing_are_not_part_of_the_input(registry):
    # A zero-width space pasted with a name or a structure made it unknown.
    for text in ("fentanyl\u200b", "\ufefffentanyl", FENTANYL + "\u200b", "437-38-7\u2060"):
        r = _one(text)
        assert (r.status, r.substance.uid) == ("controlled", "fentanyl"), repr(text)


def test_a_hydrate_or_a_solution_is_the_compound_not_its_salt(registry):
    # Fentanyl with water was matched as "a salt of fentanyl"; beside a list that does not
    # cover salts (a precursor's), a hydrate or a solution was then not controlled at all.
    for text in (FENTANYL + ".O", FENTANYL + ".CCO", FENTANYL + "." + FENTANYL):
        r = _one(text)
        assert (r.status, r.substance.uid, r.matched_by) == (
            "controlled",
            "fentanyl",
            "structure",
        ), text
    r = _one(FENTANYL + ".Cl")
    assert r.matched_by == "salt"
