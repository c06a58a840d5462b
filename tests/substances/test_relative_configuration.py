"""A relative configuration (CXSMILES enhanced stereo: `&n`, a racemate of the configuration
drawn; `on`, one of the two): "(±)-trans-nabilone" is the racemic trans pair, whose identity is
the compound's whatever its configuration (a standard InChI states no relative configuration),
whose enantiomers are each the compound the name means, and whose cis diastereomers are not."""

import pytest

from substances import chemistry

NABILONE_TRANS = "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)[C@@H]1CCC(=O)C[C@@H]21"
NABILONE_RAC_TRANS = NABILONE_TRANS + " |&1:20,26|"
NABILONE_FLAT = "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)C1CCC(=O)CC21"
MIRROR = "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)[C@H]1CCC(=O)C[C@H]21"
CIS = "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)[C@H]1CCC(=O)C[C@@H]21"


def test_a_relative_configuration_has_the_identity_of_the_compound():
    assert chemistry.inchikey(NABILONE_RAC_TRANS) == chemistry.inchikey(NABILONE_FLAT)
    assert chemistry.inchikey(NABILONE_RAC_TRANS).endswith("-UHFFFAOYSA-N")
    described = chemistry.describe(NABILONE_RAC_TRANS)
    assert described.canonical_smiles == chemistry.canonical_smiles(NABILONE_FLAT)
    # GSRS's key of the (6aR,10aR) enantiomer, the drawing's configuration
    assert chemistry.inchikey(NABILONE_TRANS) == "GECBBEABIDMGGL-RTBURBONSA-N"


def test_the_configuration_drawn_is_kept_when_asked():
    mol = chemistry.parse_smiles(NABILONE_RAC_TRANS, relative=True)
    assert chemistry.inchikey(mol) == "GECBBEABIDMGGL-RTBURBONSA-N"
    assert [g.GetGroupType().name for g in mol.GetStereoGroups()] == ["STEREO_AND"]


@pytest.mark.parametrize(
    ("text", "relative"),
    [
        (NABILONE_RAC_TRANS, True),
        (NABILONE_TRANS + " |o1:20,26|", True),  # one of the two, not known which
        (NABILONE_TRANS, False),  # absolute
        (NABILONE_FLAT, False),  # no configuration
        (NABILONE_TRANS + " |&1:20|", False),  # one centre relative, the other absolute
        ("C[C@H](N)Cc1ccccc1 |&1:1|", True),
        ("not a smiles |&1:1|", False),
    ],
)
def test_drawn_relative(text, relative):
    assert chemistry.drawn_relative(text) is relative


def test_an_enantiomer_of_the_racemate_is_the_compound_a_diastereomer_is_not():
    assert chemistry.stereo_need(NABILONE_TRANS, NABILONE_RAC_TRANS) == frozenset()
    assert chemistry.stereo_need(MIRROR, NABILONE_RAC_TRANS) == frozenset()
    assert chemistry.stereo_need(CIS, NABILONE_RAC_TRANS) == {chemistry.STEREOISOMERS}
    # Against one enantiomer drawn absolutely, its mirror image is an optical isomer.
    assert chemistry.stereo_need(MIRROR, NABILONE_TRANS) == {chemistry.OPTICAL_ISOMERS}
    assert chemistry.isomer_kind(CIS, NABILONE_RAC_TRANS) == chemistry.STEREOISOMERS


def test_an_input_keeps_a_relative_configuration_of_two_centres_not_of_one():
    rac_cis = chemistry.parse_input(CIS + " |&1:20,26|")
    assert chemistry.inchikey(rac_cis) == chemistry.inchikey(CIS)  # read as one enantiomer of it
    racemate = chemistry.parse_input("C[C@H](N)Cc1ccccc1 |&1:1|")
    assert chemistry.inchikey(racemate) == chemistry.inchikey("CC(N)Cc1ccccc1")


def test_a_cxsmiles_looks_like_a_smiles():
    assert chemistry.looks_like_smiles(NABILONE_RAC_TRANS)
    assert chemistry.looks_like_smiles("C[C@H](N)Cc1ccccc1 |&1:1|")
    assert not chemistry.looks_like_smiles("alpha |beta|")
    assert not chemistry.looks_like_smiles("CCO CCN")
