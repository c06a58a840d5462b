"""A relative configuration (CXSMILES enhanced stereo: `&n`, a racemate of the configuration
drawn; `on`, one of the two): "(±)-trans-nabilone" is the racemic trans pair, whose identity is
the compound's whatever its configuration (a standard InChI states no relative configuration),
whose enantiomers are each the compound the name means, and whose cis diastereomers are not."""

import pytest
from rdkit import Chem

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


def test_an_input_racemate_of_one_centre_is_the_compound_without_configuration():
    racemate = chemistry.parse_input("C[C@H](N)Cc1ccccc1 |&1:1|")
    assert chemistry.inchikey(racemate) == chemistry.inchikey("CC(N)Cc1ccccc1")


def test_a_cxsmiles_looks_like_a_smiles():
    assert chemistry.looks_like_smiles(NABILONE_RAC_TRANS)
    assert chemistry.looks_like_smiles("C[C@H](N)Cc1ccccc1 |&1:1|")
    assert not chemistry.looks_like_smiles("alpha |beta|")
    assert not chemistry.looks_like_smiles("CCO CCN")


def test_an_input_racemate_of_two_or_more_centres_is_both_enantiomers():
    rac_cis = chemistry.parse_input(CIS + " |&1:20,26|")
    assert chemistry.part_count(rac_cis) == 2
    keys = {chemistry.inchikey(part) for part in Chem.GetMolFrags(rac_cis, asMols=True)}
    assert keys == {
        chemistry.inchikey(CIS),
        chemistry.inchikey(chemistry._mirror(chemistry.parse_smiles(CIS))),
    }
    # "one of the two" is read as no configuration there; a racemate of one centre likewise
    either = chemistry.parse_input(CIS + " |o1:20,26|")
    assert chemistry.inchikey(either) == chemistry.inchikey(NABILONE_FLAT)
    assert chemistry.part_count(chemistry.parse_input("C[C@H](N)Cc1ccccc1 |&1:1|")) == 1


def test_a_v3000_molfile_racemate_is_read_as_both_enantiomers():
    block = Chem.MolToV3KMolBlock(chemistry.parse_smiles(NABILONE_RAC_TRANS, relative=True))
    assert "MDLV30/STERAC1" in block
    assert chemistry.part_count(chemistry.parse_input(block)) == 2
    # A record's molfile keeps its relative configuration.
    assert "MDLV30/STERAC1" in chemistry.molfile(NABILONE_RAC_TRANS)
    assert "V3000" not in chemistry.molfile(NABILONE_FLAT)


def test_the_keys_of_a_relative_drawing_are_its_enantiomers():
    assert chemistry.enantiomer_keys(NABILONE_RAC_TRANS) == {
        "GECBBEABIDMGGL-RTBURBONSA-N",
        chemistry.inchikey(MIRROR),
    }
    assert chemistry.enantiomer_keys(NABILONE_TRANS) == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "CCO |xyz|",  # an extension not read
        "C[C@H](N)Cc1ccccc1 |&1:99|",  # no atom 99
        "C[C@H](N)Cc1ccccc1 |&1:0|",  # atom 0 is no centre drawn
        "C |^1:0|",  # a radical: not read, so refused
        "C[C@H](N)Cc1ccccc1 |&1:1,&2:1|",  # one atom in two groups
        "C[C@H](N)Cc1ccccc1|&1:1|",  # no space before the bar
        "C[C@H](N)Cc1ccccc1 |&1:1|\nfree text",
    ],
)
def test_a_cxsmiles_is_read_whole_or_refused(text):
    with pytest.raises(chemistry.ChemistryError):
        chemistry.parse_smiles(text)
    assert not chemistry.looks_like_smiles(text)


def test_a_relative_drawing_is_drawn_with_its_configuration():
    # Wedges and "and1" labels, not the drawing of the compound without configuration.
    assert chemistry.depict_svg(NABILONE_RAC_TRANS) != chemistry.depict_svg(NABILONE_FLAT)
