"""The check on the real registry: dates of the class controls, salts, isomers, medicines."""

import datetime

import pytest

from registry.check import check_items

pytestmark = pytest.mark.django_db

D = datetime.date
# Not listed by name on any Chinese list (checked below): caught only by the class definitions.
ORTHO_FLUORO_BUTYRYLFENTANYL = "CCCC(=O)N(c1ccccc1F)C1CCN(CCc2ccccc2)CC1"
CUMYL_CH_MEGACLONE_LIKE = "CC(C)(c1ccccc1)NC(=O)c1nn(CC2CCCCC2)c2ccccc12"  # an indazole carboxamide
ETHYLENE_NITAZENE = "CCCOc1ccc(Cc2nc3cc([N+](=O)[O-])ccc3n2CCN2CCCCC2)cc1"


def _one(text, on, jurisdiction="CN"):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


def _bases(result):
    return sorted({m["basis"] for m in result.matches})


def test_fentanyl_analogue_is_class_controlled_from_2019_05_01(real_registry):
    before = _one(ORTHO_FLUORO_BUTYRYLFENTANYL, D(2019, 4, 30))
    after = _one(ORTHO_FLUORO_BUTYRYLFENTANYL, D(2019, 5, 1))
    assert before.substance is None  # listed by no name
    assert before.status == "not_controlled"
    assert after.status == "controlled" and _bases(after) == ["class"]
    [match] = after.matches
    assert match["class"]["uid"] == "class-fentanyls"
    assert match["instrument"]["uid"] and match["atoms"]


def test_synthetic_cannabinoid_is_class_controlled_from_2021_07_01(real_registry):
    before = _one(CUMYL_CH_MEGACLONE_LIKE, D(2021, 6, 30))
    after = _one(CUMYL_CH_MEGACLONE_LIKE, D(2021, 7, 1))
    assert before.status == "not_controlled"
    assert after.status == "controlled"
    assert {m["class"]["uid"] for m in after.matches if m["basis"] == "class"} == {
        "class-synthetic-cannabinoids"
    }


def test_nitazene_class_from_2025_07_01_and_on_the_2025_list_after_the_reorganisation(
    real_registry,
):
    assert _one(ETHYLENE_NITAZENE, D(2025, 6, 30)).status == "not_controlled"
    on_first_day = _one(ETHYLENE_NITAZENE, D(2025, 7, 1))
    assert on_first_day.matches[0]["schedule"]["uid"] == "cn-nonmedical-2015"
    after = _one(ETHYLENE_NITAZENE, D(2026, 1, 1))
    assert after.matches[0]["schedule"]["uid"] == "cn-nonmedical-2025"


def test_listed_fentanyl_is_controlled_by_name_and_by_class(real_registry):
    r = _one("芬太尼", D(2024, 1, 1))
    assert r.substance.uid == "fentanyl" and _bases(r) == ["class", "listing"]
    [listing] = [m for m in r.matches if m["basis"] == "listing"]
    assert listing["schedule"]["uid"] == "cn-narcotic-2013"


def test_salt_and_stereoisomer_resolve_to_the_listed_parent(real_registry):
    citrate = _one(
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)CC(O)(CC(=O)O)C(=O)O", D(2024, 1, 1)
    )
    assert (citrate.substance.uid, citrate.matched_by) == ("fentanyl", "salt")
    hydrochloride = _one("CNC(C)Cc1ccccc1.Cl", D(2024, 1, 1))
    assert (hydrochloride.substance.uid, hydrochloride.status) == ("methamphetamine", "controlled")
    s_ketamine = _one("CN[C@@]1(c2ccccc2Cl)CCCCC1=O", D(2024, 1, 1))
    assert s_ketamine.status == "controlled" and s_ketamine.substance.skeleton_key == (
        _one("ketamine", D(2024, 1, 1)).substance.skeleton_key
    )
    assert s_ketamine.matched_by in {"structure", "stereoisomer"}


def test_caffeine_is_a_class_ii_psychotropic_in_china(real_registry):
    r = _one("Cn1cnc2c1c(=O)n(C)c(=O)n2C", D(2026, 11, 28))
    assert r.status == "controlled" and r.substance.uid == "caffeine"
    assert r.matches[0]["schedule"]["uid"] == "cn-psychotropic-2-2025"


def test_listed_by_cas_and_inchikey(real_registry):
    assert _one("59708-52-0", D(2024, 1, 1)).substance.uid == "carfentanil"
    key = _one("carfentanil", D(2024, 1, 1)).substance.inchikey
    assert _one(key, D(2024, 1, 1)).substance.uid == "carfentanil"


@pytest.mark.parametrize(
    ("name", "smiles"),
    [
        ("paracetamol", "CC(=O)Nc1ccc(O)cc1"),
        ("ibuprofen", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"),
        ("aspirin", "CC(=O)Oc1ccccc1C(=O)O"),
        ("loratadine", "CCOC(=O)N1CCC(=C2c3ccc(Cl)cc3CCc3cccnc32)CC1"),
        ("haloperidol", "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1"),
        ("ondansetron", "Cc1nccn1CC1CCc2c(C1=O)c1ccccc1n2C"),
        ("omeprazole", "COc1ccc2[nH]c(S(=O)Cc3ncc(C)c(OC)c3C)nc2c1"),
    ],
)
def test_everyday_medicines_are_not_controlled(real_registry, name, smiles):
    r = _one(smiles, D(2026, 11, 28))
    assert r.status == "not_controlled", (name, r.matches)


def test_the_analogues_above_are_not_listed_by_name(real_registry):
    for smiles in (ORTHO_FLUORO_BUTYRYLFENTANYL, CUMYL_CH_MEGACLONE_LIKE, ETHYLENE_NITAZENE):
        assert _one(smiles, D(2026, 1, 1)).substance is None


def test_every_registry_key_known_by_smiles_is_the_inchikey_of_that_smiles(real_registry):
    from registry.check import _registry_gates
    from substances import chemistry

    keys = _registry_gates().keys
    assert len(keys) > 400
    for smiles, key in keys.items():
        assert chemistry.inchikey(chemistry.parse_structure(smiles)) == key, smiles
