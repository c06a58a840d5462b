"""substances.chemistry: parsing, limits, standardization, identifiers, keys, depiction, queries."""

from __future__ import annotations

import re
import time

import pytest

from substances import chemistry
from substances.chemistry import ChemistryError

FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
FENTANYL_CITRATE = FENTANYL + ".OC(=O)CC(O)(CC(=O)O)C(=O)O"
# Public InChIKeys (PubChem; the fentanyl libraries in shared/data agree).
FENTANYL_KEY = "PJMPHNIQZUBGLI-UHFFFAOYSA-N"
CAFFEINE_KEY = "RYYVLZVUVIJVGH-UHFFFAOYSA-N"
ASPIRIN_KEY = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
ETHANOL_KEY = "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"

FENTANYL_MOLBLOCK_SOURCE = FENTANYL


def grid_smiles(width: int, height: int) -> str:
    """A square-lattice polycycle: a worst case for ring searches (bipartite, many cycles)."""
    from rdkit import Chem

    mol = Chem.RWMol()
    for _ in range(width * height):
        mol.AddAtom(Chem.Atom(6))
    for y in range(height):
        for x in range(width):
            index = y * width + x
            if x + 1 < width:
                mol.AddBond(index, index + 1, Chem.BondType.SINGLE)
            if y + 1 < height:
                mol.AddBond(index, index + width, Chem.BondType.SINGLE)
    return Chem.MolToSmiles(mol)


def molblock(smiles: str) -> str:
    from rdkit import Chem
    from rdkit.Chem import rdDepictor

    mol = Chem.MolFromSmiles(smiles)
    rdDepictor.Compute2DCoords(mol)
    return Chem.MolToMolBlock(mol)


# --- parsing and errors ------------------------------------------------------------------------


def test_parse_smiles_reads_a_valid_structure():
    mol = chemistry.parse_smiles(FENTANYL)
    assert mol.GetNumHeavyAtoms() == 25


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("C1CC", r"unparseable SMILES: unclosed ring"),
        ("CC1CC(C", r"unparseable SMILES: extra open parentheses at position 6"),
        ("C[Xx]", r"unparseable SMILES: syntax error at position 3"),
        ("CN(C)(C)(C)C", r"invalid SMILES: explicit valence for atom # 1 N"),
        ("c1cccc1", r"invalid SMILES: can't kekulize"),
        ("", r"empty input"),
        ("   ", r"empty input"),
        ("CC*", r"wildcard atom"),
    ],
)
def test_parse_smiles_errors_carry_a_reason(text, reason):
    with pytest.raises(ChemistryError, match=reason) as caught:
        chemistry.parse_smiles(text)
    assert caught.value.reason == str(caught.value)


def test_chemistry_error_is_a_value_error():
    assert issubclass(ChemistryError, ValueError)
    assert issubclass(chemistry.MatchTimeout, ChemistryError)


def test_parse_smiles_refuses_non_text():
    with pytest.raises(ChemistryError, match="not a SMILES"):
        chemistry.parse_smiles(None)  # type: ignore[arg-type]


def test_parse_molblock_reads_a_molfile():
    mol = chemistry.parse_molblock(molblock(FENTANYL))
    assert chemistry.describe(mol).inchikey == FENTANYL_KEY


def test_parse_molblock_reads_the_first_sd_record():
    sdf = molblock(FENTANYL) + "> <name>\nfentanyl\n\n$$$$\n" + molblock("CCO") + "$$$$\n"
    assert chemistry.describe(chemistry.parse_molblock(sdf)).inchikey == FENTANYL_KEY


def test_parse_molblock_errors_carry_a_reason():
    with pytest.raises(ChemistryError, match="molfile"):
        chemistry.parse_molblock("junk\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n")


def test_parse_structure_detects_the_format():
    assert chemistry.parse_structure(molblock("CCO")).GetNumAtoms() == 3
    assert chemistry.parse_structure("CCO").GetNumAtoms() == 3


# --- limits and pathological inputs ---------------------------------------------------------------


def test_over_long_input_is_refused_before_parsing():
    text = "C" * (chemistry.MAX_INPUT_CHARS + 1)
    started = time.perf_counter()
    with pytest.raises(ChemistryError, match=r"too long: 2001 characters, limit 2000"):
        chemistry.parse_smiles(text)
    assert time.perf_counter() - started < 0.1


def test_over_large_molecule_is_refused():
    with pytest.raises(ChemistryError, match=r"too large: 240 heavy atoms, limit 200"):
        chemistry.parse_smiles("C" * 240)


def test_over_large_molfile_is_refused():
    with pytest.raises(ChemistryError, match="too large"):
        chemistry.parse_molblock(molblock("C" * 240))
    with pytest.raises(ChemistryError, match="too long"):
        chemistry.parse_molblock("x\n" * chemistry.MAX_MOLBLOCK_CHARS)


def test_many_stereocentres_and_big_rings_finish_fast():
    chain = "C" + "".join("[C@H](F)" for _ in range(90)) + "C"
    ring = "C1" + "".join("[C@H](C)" for _ in range(95)) + "C1"
    lattice = grid_smiles(14, 14)
    started = time.perf_counter()
    for text in (chain, ring, lattice):
        mol = chemistry.parse_smiles(text)
        chemistry.describe(mol)
        chemistry.parent_key(mol)
        chemistry.depict_svg(mol)
    assert time.perf_counter() - started < 10


def test_explosive_substructure_search_is_stopped():
    lattice = chemistry.parse_smiles(grid_smiles(14, 14))
    # An odd ring can never match in a bipartite lattice, but a naive search tries every path.
    odd_ring = chemistry.compile_smarts("*1" + "~*" * 19 + "~*1")
    started = time.perf_counter()
    with pytest.raises(chemistry.MatchTimeout, match="stopped after"):
        chemistry.find_match(lattice, odd_ring, time_limit=0.2)
    assert time.perf_counter() - started < 2


def test_compile_smarts_refuses_bad_and_oversized_patterns():
    with pytest.raises(ChemistryError, match=r"unparseable SMARTS: syntax error at position 5"):
        chemistry.compile_smarts("[C;X4")
    with pytest.raises(ChemistryError, match="SMARTS too long"):
        chemistry.compile_smarts("C" * (chemistry.MAX_SMARTS_CHARS + 1))
    with pytest.raises(ChemistryError, match="SMARTS too large"):
        chemistry.compile_smarts("C" * (chemistry.MAX_QUERY_ATOMS + 1))
    with pytest.raises(ChemistryError, match="empty SMARTS"):
        chemistry.compile_smarts("  ")


def test_find_match_returns_atoms_in_query_order():
    mol = chemistry.parse_smiles("OCC(=O)N")
    query = chemistry.compile_smarts("C(=O)N")
    assert chemistry.find_match(mol, query) == (2, 3, 4)
    assert chemistry.find_match(mol, chemistry.compile_smarts("c1ccccc1")) is None


# --- standardization and keys -------------------------------------------------------------------


def test_standardize_strips_counter_ions_and_solvent():
    parent = chemistry.standardize(FENTANYL_CITRATE)
    assert (
        chemistry.describe(parent).canonical_smiles == chemistry.describe(FENTANYL).canonical_smiles
    )
    hydrate = chemistry.standardize("Cl.O.O." + FENTANYL)
    assert chemistry.inchikey(hydrate) == FENTANYL_KEY


def test_standardize_keeps_a_drug_bigger_than_nothing_and_drops_big_counter_ions():
    pamoate = "O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O.CNC(C)Cc1ccccc1"
    assert chemistry.describe(chemistry.standardize(pamoate)).formula == "C10H15N"


def test_standardize_neutralizes_charges():
    assert chemistry.describe(chemistry.standardize("C[NH3+].[Cl-]")).canonical_smiles == "CN"
    sodium_acetate = chemistry.standardize("CC(=O)[O-].[Na+]")
    assert chemistry.describe(sodium_acetate).canonical_smiles == "CC(=O)O"
    protonated = chemistry.standardize("CCC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1")
    assert chemistry.inchikey(protonated) == FENTANYL_KEY


def test_standardize_keeps_quaternary_ammonium_and_stereo():
    quaternary = chemistry.standardize("C[N+](C)(C)C.[I-]")
    assert chemistry.describe(quaternary).canonical_smiles == "C[N+](C)(C)C"
    assert "@" in chemistry.describe(chemistry.standardize("C[C@H](N)c1ccccc1.Cl")).canonical_smiles


def test_standardize_is_idempotent_and_cheap_the_second_time():
    once = chemistry.standardize(FENTANYL_CITRATE)
    assert chemistry.standardize(once) is once


def test_inorganic_only_input_keeps_something():
    assert chemistry.describe(chemistry.standardize("[Na+].[Cl-]")).formula in {"Na", "HCl"}


def test_parent_key_maps_salts_to_the_parent():
    assert chemistry.parent_key(FENTANYL_CITRATE) == FENTANYL_KEY
    assert chemistry.parent_key(FENTANYL + ".Cl") == FENTANYL_KEY


def test_parent_key_keeps_stereo_and_skeleton_key_drops_it():
    r_form = "C[C@@H](N)Cc1ccccc1"
    s_form = "C[C@H](N)Cc1ccccc1"
    assert chemistry.parent_key(r_form) != chemistry.parent_key(s_form)
    assert chemistry.skeleton_key(r_form) == chemistry.skeleton_key(s_form)
    assert chemistry.skeleton_key(s_form + ".OS(=O)(=O)O") == chemistry.skeleton_key(
        "CC(N)Cc1ccccc1"
    )
    assert len(chemistry.skeleton_key(FENTANYL)) == 14


def test_a_complex_record_is_its_own_parent_and_a_salt_or_epimer_pair_is_not():
    """Dichloralphenazone is phenazone with two chloral hydrate: its largest part is phenazone,
    which a record keyed by that parent made a "salt" of the complex."""
    phenazone = "CC1=CC(=O)N(c2ccccc2)N1C"
    complex_ = f"{phenazone}.OC(O)C(Cl)(Cl)Cl.OC(O)C(Cl)(Cl)Cl"
    own = chemistry.inchikey(complex_)
    assert chemistry.record_keys(complex_) == (own, own.split("-")[0])
    assert chemistry.parent_key(complex_) == chemistry.parent_key(phenazone) != own
    assert chemistry.record_keys(FENTANYL_CITRATE) == (FENTANYL_KEY, FENTANYL_KEY[:14])
    # both 3-epimers of one compound drawn together: the compound, whatever its configuration
    epimers = "C[C@@H](N)Cc1ccccc1.C[C@H](N)Cc1ccccc1"
    assert chemistry.record_keys(epimers) == (
        chemistry.parent_key(epimers),
        chemistry.skeleton_key(epimers),
    )


# --- identity -------------------------------------------------------------------------------------


def test_describe_fentanyl():
    identity = chemistry.describe(FENTANYL)
    assert identity.inchikey == FENTANYL_KEY
    assert identity.inchi.startswith("InChI=1S/C22H28N2O/")
    assert identity.formula == "C22H28N2O"
    assert identity.molecular_weight == pytest.approx(336.479, abs=0.001)
    assert (
        identity.canonical_smiles
        == chemistry.describe("O=C(CC)N(C1CCN(CCc2ccccc2)CC1)c1ccccc1").canonical_smiles
    )


@pytest.mark.parametrize(
    ("smiles", "key"),
    [
        ("Cn1c(=O)c2c(ncn2C)n(C)c1=O", CAFFEINE_KEY),
        ("CC(=O)Oc1ccccc1C(=O)O", ASPIRIN_KEY),
        ("OCC", ETHANOL_KEY),
    ],
)
def test_describe_matches_public_inchikeys(smiles, key):
    assert chemistry.describe(smiles).inchikey == key


def test_describe_keeps_the_salt_as_given():
    identity = chemistry.describe(FENTANYL_CITRATE)
    assert identity.formula == "C28H36N2O8"
    assert identity.inchikey != FENTANYL_KEY
    assert identity.molecular_weight == pytest.approx(528.602, abs=0.001)


def test_molecular_weight_is_rounded_to_three_places():
    weight = chemistry.describe("CCO").molecular_weight
    assert isinstance(weight, float)
    assert weight == round(weight, 3)


def test_helpers():
    assert chemistry.formula(FENTANYL) == "C22H28N2O"


# --- what did the user type? ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CCO", True),
        ("c1ccccc1", True),
        (FENTANYL, True),
        ("C[C@H](N)Cc1ccccc1", True),
        ("Fentanyl", False),
        ("fentanyl citrate", False),
        ("CBN", False),
        ("THC", False),
        ("5F-ADB", False),
        ("437-38-7", False),
        (FENTANYL_KEY, False),
        ("芬太尼", False),
        ("", False),
        ("C1CC", False),
    ],
)
def test_looks_like_smiles(text, expected):
    assert chemistry.looks_like_smiles(text) is expected


def test_what_is_spelt_in_smiles_tokens_includes_all_rdkit_reads():
    """The screen that spares RDKit the names must never turn away a SMILES: random strings of
    SMILES characters, and every SMILES of the tests above, that RDKit reads all pass it."""
    import random

    from rdkit import Chem, rdBase

    alphabet = "CNOSFPIBlrcnospeta0123456789[]()=#$:/\\.%*+-@HKMZ"
    rng = random.Random(7)
    read = 0
    with rdBase.BlockLogs():
        for _ in range(40_000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            if Chem.MolFromSmiles(text) is not None:
                read += 1
                assert chemistry._spelt_in_smiles_tokens(text), text
    assert read > 500  # the test saw SMILES, not only rejections
    for text in (FENTANYL_CITRATE, "[2H]C", "C%10CC%10", "C%(100)CC%(100)", "[*:1]C", "c1cc[se]c1"):
        assert chemistry._spelt_in_smiles_tokens(text), text
    for name in ("5F-ADB", "4-fluoro", "MDMB-4en-PINACA", "AB-CHMINACA", "JWH-018"):
        assert not chemistry._spelt_in_smiles_tokens(name), name


def test_rdkit_is_imported_on_first_use_only(tmp_path):
    """A process that sets Django up, loads every URL and asks what a text looks like holds no
    RDKit; the first structure read imports it, once, even from many threads at once."""
    import subprocess
    import sys

    script = tmp_path / "first_use.py"
    script.write_text(
        """
import os, sys, threading
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
import config.urls
from substances import chemistry
assert not chemistry.looks_like_smiles("5F-ADB") and chemistry.is_inchikey(sys.argv[1])
assert "rdkit" not in sys.modules and "numpy" not in sys.modules, "imported before use"
found, barrier = [], threading.Barrier(8)
def search():
    barrier.wait()
    mol = chemistry.standardize(chemistry.parse_structure(sys.argv[2]))
    found.append(chemistry.find_match(mol, chemistry.compile_smarts("C(=O)N")) is not None)
threads = [threading.Thread(target=search) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
assert found == [True] * 8, found
print("ok", chemistry.Mol.__name__)
"""
    )
    done = subprocess.run(
        [sys.executable, str(script), FENTANYL_KEY, FENTANYL_CITRATE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "SECRET_KEY": "first-use", "DEBUG": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", "Mol"]


def test_is_inchikey():
    assert chemistry.is_inchikey(FENTANYL_KEY)
    assert chemistry.is_inchikey(" pjmphniqzubgli-uhfffaoysa-n ")
    assert not chemistry.is_inchikey("PJMPHNIQZUBGLI-UHFFFAOYSA")
    assert not chemistry.is_inchikey("InChI=1S/CH4/h1H4")
    assert not chemistry.is_inchikey(FENTANYL)


def test_is_molblock():
    assert chemistry.is_molblock(molblock("CCO"))
    assert not chemistry.is_molblock("CCO")
    assert not chemistry.is_molblock("fentanyl")


# --- depiction ---------------------------------------------------------------------------


def test_depict_svg_is_inline_ready():
    svg = chemistry.depict_svg(FENTANYL)
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "viewBox" in svg
    assert svg.rstrip().endswith("</svg>")


def test_depict_svg_highlights_atoms_and_the_bonds_between_them():
    plain = chemistry.depict_svg(FENTANYL, width=320, height=240)
    highlighted = chemistry.depict_svg(
        FENTANYL, highlight_atoms=(0, 1, 2, 3), width=320, height=240
    )
    assert "width='320px'" in plain
    assert highlighted != plain
    assert "fill:#FF7F7F" in highlighted or "#FF7F7F" in highlighted


def test_depict_svg_refuses_bad_highlights_and_sizes():
    with pytest.raises(ChemistryError, match="out of range"):
        chemistry.depict_svg("CCO", highlight_atoms=(7,))
    with pytest.raises(ChemistryError, match="drawing size"):
        chemistry.depict_svg("CCO", width=5)


def _full_standardize(smiles: str) -> str:
    """The parent through every standardization step, bypassing the shortcut for plain ones."""
    from unittest import mock

    with mock.patch.object(chemistry, "_already_plain", return_value=False):
        return chemistry.canonical_smiles(chemistry.standardize(smiles))


def test_plain_structure_shortcut_gives_the_same_parent_as_the_full_standardization():
    import csv
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    smiles = []
    with (root / "fixtures" / "substances.csv").open(encoding="utf-8") as handle:
        smiles += [row["smiles"] for row in csv.DictReader(handle) if row["smiles"]]
    with (root / "tests" / "data" / "class_labelled_set.csv").open(encoding="utf-8") as handle:
        smiles += [row["smiles"] for row in csv.DictReader(handle) if row["smiles"]]
    smiles += [
        "CS(C)=O",
        "C[N+](C)(C)C",
        "c1cc[n+]([O-])cc1",
        "CN(=O)=O",
        "CN=[N+]=[N-]",
        "C[N+](=O)[O-]",
        "c1ccn(=O)cc1",
        "CC(=O)[O-]",
        "C[NH3+]",
        "O=[N+]([O-])c1ccccc1N",
    ]
    plain = 0
    for text in smiles:
        mol = chemistry.parse_structure(text)
        if chemistry._already_plain(mol):
            plain += 1
            assert chemistry.canonical_smiles(chemistry.standardize(mol)) == _full_standardize(
                text
            ), text
    assert plain > len(smiles) // 2


def test_stress_test_refuses_a_pattern_that_explodes_on_a_small_molecule():
    # Odd rings never close in the worst-case lattices and ladders, so every path is tried:
    # milliseconds of CPU time on an ordinary molecule, against a budget of half of one.
    ring_of_20 = chemistry.compile_smarts("*1" + "~*" * 19 + "~*1")
    started = time.monotonic()
    with pytest.raises(ChemistryError, match="pattern too expensive"):
        chemistry.stress_test(ring_of_20, time_limit=0.0005)
    assert time.monotonic() - started < 5


def test_stress_test_accepts_every_stored_class_rule():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    classes = yaml.safe_load((root / "fixtures" / "classes.yaml").read_text(encoding="utf-8"))
    for cls in classes:
        for rule in cls["rules"]:
            chemistry.stress_test(chemistry.compile_smarts(rule["smarts"]))


def test_unguarded_and_guarded_searches_agree():
    query = chemistry.compile_smarts("O=C-N(-c1ccccc1)-C1CCN(-[!#1])CC1")
    mol = chemistry.standardize("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1")
    assert chemistry.find_match(mol, query) == chemistry.find_match(mol, query, guarded=True)


def test_graph_key_is_shared_by_stereoisomers_isotopologues_and_tautomers_only():
    key = chemistry.graph_key
    assert (
        key("C[C@H](N)Cc1ccccc1") == key("CC(N)Cc1ccccc1") == key("[2H]C([2H])([2H])C(N)Cc1ccccc1")
    )
    assert key("Oc1ccccn1") == key("O=c1cccc[nH]1")
    assert key("CC(N)Cc1ccccc1") != key("CNCCc1ccccc1")  # a constitutional isomer differs


def test_a_pattern_needs_the_elements_its_atoms_require_as_a_whole():
    def needs(smarts):
        return dict(chemistry.compile_smarts(smarts).elements)

    assert needs("[#7X3;+0]1CC[CH2]CC1") == {"C": 5, "N": 1}
    assert needs("[C,N]c1ccccn1") == {"C": 5, "N": 1}  # a choice requires neither
    assert needs("[!#6]O[$(C=O)]") == {"O": 1}  # nor does a negation or a recursive part
    assert needs("[!C;N]") == {"N": 1}
    assert chemistry.element_counts(chemistry.parse_structure("CCN.Cl")) == {
        "C": 2,
        "H": 8,
        "N": 1,
        "Cl": 1,
    }
    mol = chemistry.parse_structure("CCCCO")
    assert chemistry.find_match(mol, chemistry.compile_smarts("CCO")) is not None
    no_nitrogen = chemistry.element_counts(mol)
    assert chemistry.find_match(mol, chemistry.compile_smarts("CCN"), elements=no_nitrogen) is None


def test_graph_size_is_shared_wherever_the_graph_key_is():
    size = chemistry.graph_size
    assert (
        size("C[C@H](N)Cc1ccccc1")
        == size("CC(N)Cc1ccccc1")
        == size("[2H]C([2H])([2H])C(N)Cc1ccccc1")
        == size("CC(N)C[13c]1ccccc1")
    )
    assert size("Oc1ccccn1") == size("O=c1cccc[nH]1")
    # Positional isomers share the formula but not the size: the gate tells them apart.
    assert len({size("Cc1ccccc1C"), size("Cc1cccc(C)c1"), size("Cc1ccc(C)cc1")}) == 3


# --- pattern drawings -------------------------------------------------------------------------

FENTANYL_CLASS_CORE = (
    "[#7X3;+0;H0;x2;!a]1-[#6;x2;!a]-[#6;x2;!a]-[#6X4;x2](-[#7X3;!R;+0]"
    "(-[$([a;x2]1[a;x2][a;x2][a;x2][a;x2][a;x2]1),$([a;x2]1[a;x2][a;x2][a;x2][a;x2]1)])"
    "-[CX3](=O))-[#6;x2;!a]-[#6;x2;!a]-1"
)


@pytest.mark.parametrize(
    ("smarts", "in_ring", "label"),
    [
        ("[#7X3;+0;H0;x2;!a]", True, ("N", 0)),
        ("[CH2;!R]", False, ("C", 2)),
        ("[OH1]", False, ("O", 1)),
        ("[$([a;x2]1[a;x2][a;x2][a;x2][a;x2][a;x2]1)]", False, ("Ar", None)),
        ("[$([cH1]),$([nX2])]", True, ("C/N", None)),
        ("[$([nX2]),$([cH1]),$(c-[CH3])]", True, ("N/C", None)),
        ("[$([#6;R]),$([!#6;!#1;R]),$([#6;!R](~[#6])~[#6])]", False, ("R", None)),
        ("[#6,#16,#15]", False, ("C/S/P", None)),
        ("*", False, ("R", None)),
        ("[Cl,Br]", False, ("Cl/Br", None)),
        # ";" binds loosest: a nitrogen, whichever group the alternatives allow on it
        ("[NX3;!R;$([NH1]),$(N-[CX3](=[OX1])-[#6])]", False, ("N", None)),
        ("[C;R1;$([CH2]),$([CH1]-[F,Cl,Br,I])]", True, ("C", None)),
    ],
)
def test_query_atoms_get_a_label_for_the_drawing(smarts, in_ring, label):
    assert chemistry.query_atom_label(smarts, in_ring=in_ring) == label


def test_a_class_pattern_is_drawn_with_its_atoms_labelled_not_as_question_marks():
    pattern = chemistry.compile_smarts(FENTANYL_CLASS_CORE).pattern
    drawable = chemistry.drawable_pattern(pattern)
    assert drawable.GetNumAtoms() == pattern.GetNumAtoms()  # highlights keep their atoms
    elements = [atom.GetSymbol() for atom in drawable.GetAtoms()]
    assert elements.count("N") == 2 and elements.count("O") == 1
    labels = [a.GetProp("atomLabel") for a in drawable.GetAtoms() if a.HasProp("atomLabel")]
    assert labels == ["Ar"]
    svg = chemistry.depict_svg(pattern, [0, 1, 2], width=260)
    assert svg.startswith("<svg") and "atom-5" in svg


@pytest.mark.parametrize(
    ("smiles", "message"),
    [
        ("[9999C]CC", "no such isotope: mass 9999 for C (atom 1)"),
        ("C[1C]", "no such isotope: mass 1 for C (atom 2)"),
        ("[99H]C", "no such isotope: mass 99 for H (atom 1)"),
    ],
)
def test_a_mass_no_isotope_has_is_refused(smiles, message):
    with pytest.raises(chemistry.ChemistryError, match=re.escape(message)):
        chemistry.parse_smiles(smiles)


def test_real_isotopes_are_read():
    for smiles in ("[13CH4]", "[2H]C([2H])([2H])O", "[18F]c1ccccc1", "[125I]c1ccccc1"):
        assert chemistry.parse_smiles(smiles).GetNumAtoms() >= 1


def test_positional_isomers_share_a_signature_and_other_compounds_do_not():
    def signature(smiles):
        return chemistry.isomer_signature(chemistry.standardize(smiles))

    two_c_b = signature("COc1cc(CCN)c(OC)cc1Br")
    assert signature("NCCc1cc(OC)c(OC)cc1Br") == two_c_b  # the bromine and a methoxy swapped
    assert signature("CC(=O)NCCc1cc(OC)c(Br)cc1OC") != two_c_b  # an amide, another formula
    assert signature("COc1cc(CC(C)N)c(OC)cc1Br") != two_c_b  # DOB: one carbon more
    # 3-MMC and mephedrone: the methyl moved round the ring; a phenol is not an ether.
    assert signature("CNC(C)C(=O)c1cccc(C)c1") == signature("CNC(C)C(=O)c1ccc(C)cc1")
    assert signature("COc1ccc(CCN)cc1") != signature("Cc1cc(O)ccc1CN")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[65549CH3]N", "no such isotope: mass 65549 for C"),  # RDKit would read 13C
        ("[1000000C]", "no such isotope: mass 1000000 for C"),
    ],
)
def test_a_written_mass_the_reader_would_wrap_is_refused(text, message):
    with pytest.raises(chemistry.ChemistryError, match=re.escape(message)):
        chemistry.parse_smiles(text)


def test_a_molfile_mass_of_zero_or_below_is_refused():
    block = chemistry.molfile("CC")
    lines = block.splitlines()
    end = lines.index("M  END")
    for mass in ("0", "-5", "65549"):
        bad = "\n".join([*lines[:end], f"M  ISO  1   1 {mass:>3}", *lines[end:]])
        with pytest.raises(chemistry.ChemistryError, match="no such isotope"):
            chemistry.parse_molblock(bad)
