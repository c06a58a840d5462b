"""Which stereoisomers an entry reaches: the US "optical isomer" against every other list's.

21 CFR 1300.01: "isomer" means the optical isomer, except in 1308.11(d) (optical, positional or
geometric) and 1308.12(b)(4) (optical or geometric). A mirror image is an optical isomer; a
compound that differs only about a double bond is a geometric isomer, which those entries do
not reach; whether a diastereomer (epitestosterone of testosterone) is an "optical isomer" the
text does not say, so the answer is `uncertain`. China's lists and the conventions cover every
stereoisomer where they cover isomers.
"""

import datetime
import io

import pytest
from django.core.management import call_command

from registry import services
from registry.check import check_items
from registry.models import Change, Listing, coverage_reach
from substances.chemistry import inchikey, isomer_kind
from substances.models import Substance

pytestmark = pytest.mark.django_db

D = datetime.date
TESTOSTERONE = "C[C@]12CC[C@H]3[C@@H](CCC4=CC(=O)CC[C@@]43C)[C@@H]1CC[C@@H]2O"
EPITESTOSTERONE = "C[C@]12CC[C@H]3[C@@H](CCC4=CC(=O)CC[C@@]43C)[C@@H]1CC[C@H]2O"  # 17-alpha
ENT_TESTOSTERONE = "C[C@@]12CC[C@@H]3[C@H](CCC4=CC(=O)CC[C@]43C)[C@H]1CC[C@H]2O"
TAPENTADOL = "CC[C@@H](c1cccc(O)c1)[C@@H](C)CN(C)C"  # (1R,2R)
TAPENTADOL_1R2S = "CC[C@@H](c1cccc(O)c1)[C@H](C)CN(C)C"
TAPENTADOL_ENANTIOMER = "CC[C@H](c1cccc(O)c1)[C@H](C)CN(C)C"


ETHCHLORVYNOL_Z = r"C#CC(O)(/C=C\Cl)CC"  # the registry draws no configuration
CROTONYLFENTANYL_Z = r"C/C=C\C(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
ON = D(2026, 12, 3)


def _check(text, on=ON, jurisdiction=None):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


def _by_code(result):
    out = {}
    for m in result.matches:
        code = m["schedule"]["jurisdiction"]
        out.setdefault(code, []).append(m)
    return out


@pytest.mark.parametrize(
    ("smiles", "other", "kind"),
    [
        (ENT_TESTOSTERONE, TESTOSTERONE, "optical_isomers"),
        (EPITESTOSTERONE, TESTOSTERONE, "stereoisomers"),
        (TAPENTADOL_ENANTIOMER, TAPENTADOL, "optical_isomers"),
        (TAPENTADOL_1R2S, TAPENTADOL, "stereoisomers"),
        (r"C/C=C/C(=O)O", r"C/C=C\C(=O)O", "geometric_isomers"),
        # a racemate and its enantiomer; a salt drawn against its parent
        ("CC(N)Cc1ccccc1", "C[C@@H](N)Cc1ccccc1", "optical_isomers"),
        ("C[C@H](N)Cc1ccccc1.Cl", "C[C@@H](N)Cc1ccccc1", "optical_isomers"),
        # drawn about one centre of two: which stereoisomer, not told
        ("CN[C@@H](C)C(O)c1ccccc1", "CN[C@@H](C)[C@@H](O)c1ccccc1", "stereoisomers"),
        # the centre inverted and the bond turned: not the mirror image
        (r"C/C=C/[C@H](N)C", r"C/C=C\[C@@H](N)C", "stereoisomers"),
        (r"C/C=C/[C@H](N)C", r"C/C=C/[C@@H](N)C", "optical_isomers"),
        ("not a smiles", TESTOSTERONE, "stereoisomers"),
        (TESTOSTERONE, TESTOSTERONE, "optical_isomers"),  # itself: nothing more to cover
        # a labelled compound is the compound it labels: here the mirror image
        ("C[C@@H](N)Cc1ccccc1", "[2H]C([2H])([2H])[C@H](N)Cc1ccccc1", "optical_isomers"),
    ],
)
def test_isomer_kind(smiles, other, kind):
    assert isomer_kind(smiles, other) == kind


def test_coverage_reach():
    reached, open_ = coverage_reach(["salts", "optical_isomers"])
    assert {"optical_isomers"} <= reached and "stereoisomers" not in reached
    assert "geometric_isomers" not in reached and open_ == {"stereoisomers"}
    reached, open_ = coverage_reach(["stereoisomers"])
    assert {"optical_isomers", "geometric_isomers", "stereoisomers"} <= reached and not open_
    reached, open_ = coverage_reach(["optical_isomers", "geometric_isomers"])
    assert "stereoisomers" in reached and not open_


def test_us_lists_cover_optical_isomers_except_where_a_paragraph_says_more(real_registry):
    """Only 1308.11(d) and the Act's I(c) (hallucinogens), coca leaves, cocaine and ecgonine
    (1308.12(b)(4)), 3-methylthiofentanyl (1308.11(b): "for purposes of 3-methylthiofentanyl
    only, the term isomer includes the optical and geometric isomers"), the schedule III
    stimulants (1308.13(b): "isomers (whether optical, position, or geometric)"), fenfluramine
    (1308.14(d), 1973-2022, in the same words), tramadol and
    the two PMK glycidates (their own words: "optical and geometric isomers") cover every
    stereoisomer; every other US entry covers its optical isomers."""
    every = set()
    for li in Listing.objects.filter(schedule__jurisdiction__code="US").select_related(
        "schedule", "substance"
    ):
        paragraph = (li.attributes or {}).get("cfr_paragraph", "")
        if "stereoisomers" in li.covers and not paragraph.startswith(("1308.11(d)", "812(c) I(c)")):
            every.add(li.substance.uid if li.substance_id else "")
        elif li.substance_id and "stereoisomers" not in li.covers:
            assert "stereoisomers" not in coverage_reach(li.covers)[0]
    assert every == {
        "coca-leaves",
        "cocaine",
        "ecgonine",
        "3-methylthiofentanyl",
        "benzfetamine",
        "chlorphentermine",
        "clortermine",
        "phendimetrazine",
        "mazindol",
        "stimulant-compounds-previously-excepted",
        "tramadol",
        "fenfluramine",
        "pmk-methyl-glycidate",
        "pmk-glycidic-acid",
    }


def test_a_stereoisomer_of_a_steroid_is_in_doubt(real_registry):
    """Epitestosterone (17-alpha) and ent-testosterone. Since 2005-01-20 the definition and 21
    CFR 1308.13(f) name the steroids' salts, esters and ethers, not their isomers: a
    stereoisomer is an anabolic steroid only as a drug "chemically and pharmacologically related
    to testosterone", a fact no list records. Before, 1308.13(f) covered the optical isomers:
    the mirror image was controlled, the diastereomer in doubt."""
    for smiles in (EPITESTOSTERONE, ENT_TESTOSTERONE):
        now = _check(smiles, jurisdiction="US")
        assert now.status == "uncertain", smiles
        # (and within the definition, on its condition: class-us-anabolic-steroids)
        [basis] = [m for m in now.matches if m["basis"] == "listing"]
        assert basis["schedule"]["code"] == "US-III"
        assert "chemically and pharmacologically related" in basis["form_uncertain"]
    epi = _check(EPITESTOSTERONE, on=D(2000, 1, 1), jurisdiction="US")
    assert epi.status == "uncertain" and "diastereomer" in epi.reason
    ent = _check(ENT_TESTOSTERONE, on=D(2000, 1, 1), jurisdiction="US")
    assert ent.status == "controlled"
    [basis] = [m for m in ent.matches if m["basis"] == "listing"]
    assert basis["explanation"].endswith("(the entry covers optical isomers)")
    assert basis["route"]["needs"] == ["optical_isomers"]
    # Testosterone itself, and its esters since 2005, are unchanged; a steroid no list names is
    # within the definition, on its condition.
    trestolone = "C[C@@H]1CC2=CC(=O)CC[C@@H]2[C@H]2CC[C@]3(C)[C@@H](O)CC[C@H]3[C@@H]21"
    assert _check(trestolone, jurisdiction="US").status == "uncertain"
    assert "chemically and pharmacologically related" in _check(trestolone).reasons["US"]
    assert _check(TESTOSTERONE, jurisdiction="US").since == {"US": "1991-02-27"}
    acetate = "CC(=O)O[C@H]1CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3CC[C@]12C"
    assert _check(acetate, jurisdiction="US").status == "controlled"


def test_a_diastereomer_is_controlled_in_china_and_uncertain_in_the_us(real_registry):
    """(1R,2S)-tapentadol: China's Class I psychotropic substances cover stereoisomers;
    US schedule II (1308.12(c)) covers optical isomers."""
    result = _check(TAPENTADOL_1R2S)
    by_code = _by_code(result)
    assert by_code["CN"] and all(not m.get("form_uncertain") for m in by_code["CN"])
    assert all(m.get("form_uncertain") for m in by_code["US"])
    assert result.status == "controlled"  # controlled somewhere: China
    us = _check(TAPENTADOL_1R2S, jurisdiction="US")
    assert us.status == "uncertain"
    # Its mirror image is an optical isomer: controlled in both.
    mirror = _check(TAPENTADOL_ENANTIOMER, jurisdiction="US")
    assert mirror.status == "controlled"
    assert mirror.since == {"US": "2009-06-22"}


@pytest.mark.parametrize(
    ("uid", "key"),
    [
        # the standard InChIKeys, with the double bond's layer (the shared data's verified
        # structures give the same for the last two)
        ("mitragynine", "LELBFTMXCIIKKX-QVRQZEMUSA-N"),
        ("nalfurafine", "XGZZHZMWIXFATA-UEZBDDGYSA-N"),
        ("crotonylfentanyl", "VDYXGPCGBKLRDA-XNWCZRBMSA-N"),
    ],
)
def test_a_double_bond_s_configuration_is_in_the_inchikey(real_registry, uid, key):
    """A SMILES was read without its double bonds' configuration: the (E) and (Z) forms had one
    InChIKey, not the standard one, and the standard key of such a record found nothing."""
    assert Substance.objects.get(uid=uid).inchikey == key
    [result] = check_items([key], on=ON)
    assert result.substance.uid == uid and result.matched_by == "inchikey"
    assert inchikey(CROTONYLFENTANYL_Z) != inchikey(CROTONYLFENTANYL_Z.replace("\\", "/"))


def test_a_compound_the_lists_name_without_a_configuration_is_either_form(real_registry):
    """Ethchlorvynol's designation (1-chloro-3-ethylpent-1-en-4-yn-3-ol) and CAS number state no
    configuration, and the record draws none: its (E) and (Z) forms are both ethchlorvynol,
    controlled in China, by the 1971 Convention and in US schedule IV."""
    for smiles in (ETHCHLORVYNOL_Z, r"C#CC(O)(/C=C/Cl)CC"):
        result = _check(smiles)
        assert result.status == "controlled", smiles
        assert {m["schedule"]["jurisdiction"] for m in result.matches} == {"CN", "UN", "US"}


def test_a_geometric_isomer_of_a_fentanyl_is_reached_by_the_class(real_registry):
    """The (E) configuration is in crotonylfentanyl's designation (the 1961 Convention's and
    1308.11(b)'s). Its (Z) form is not what the US entry reaches (optical isomers), but the
    fentanyl-related substances reach it; the 1961 Convention's entry covers its isomers."""
    us = _check(CROTONYLFENTANYL_Z, jurisdiction="US")
    assert us.status == "controlled"
    assert [m["basis"] for m in us.matches] == ["class"]
    un = _check(CROTONYLFENTANYL_Z, jurisdiction="UN")
    assert un.status == "controlled"
    assert [m["basis"] for m in un.matches] == ["listing"]


def _stale_mitragynine():
    Substance.objects.filter(uid="mitragynine").update(
        inchikey="LELBFTMXCIIKKX-ALKREAHSSA-N", parent_key="LELBFTMXCIIKKX-ALKREAHSSA-N"
    )
    return Change.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_loading_again_derives_stale_identifiers_and_tells_the_feed(real_registry):
    """A registry loaded before the fix holds the old keys: loading the fixtures again derives
    them as a save would, and writes each change through the services, in the feed."""
    head = _stale_mitragynine()
    call_command("load_registry", verbosity=0)
    assert list(Change.objects.filter(seq__gt=head).values_list("resource_type", "uid")) == [
        ("substance", "mitragynine")
    ]
    record = Substance.objects.get(uid="mitragynine")
    assert record.inchikey == record.parent_key == "LELBFTMXCIIKKX-QVRQZEMUSA-N"


def test_a_curator_s_edit_is_kept_and_the_keys_derived_again(real_registry):
    """A curator's later word on the record is kept (a conflict, reported), and its keys are
    still derived again: not a false conflict over a field no curator writes."""
    record = Substance.objects.get(uid="mitragynine")
    services.update_substance(
        substance=record, actor=services.Actor.system("curator-test"), notes="a curator's note"
    )
    head = _stale_mitragynine()
    out = io.StringIO()
    call_command("load_registry", verbosity=1, stdout=out)
    record = Substance.objects.get(uid="mitragynine")
    assert record.notes == "a curator's note"
    assert record.inchikey == "LELBFTMXCIIKKX-QVRQZEMUSA-N"
    assert "mitragynine" in out.getvalue() and "notes" in out.getvalue()
    assert "inchikey" not in out.getvalue()
    assert list(Change.objects.filter(seq__gt=head).values_list("uid", flat=True)) == [
        "mitragynine"
    ]


def test_a_racemate_recorded_without_a_structure_is_its_enantiomers(real_registry):
    """Racephedrine, (±)-ephedrine, has no one SMILES: its relation to ephedrine is that of a
    racemate to its enantiomer, which List I's "optical isomers" reach."""
    for text in ("racephedrine", "racephedrine hydrochloride"):
        result = _check(text, jurisdiction="US")
        assert result.status == "controlled", text
        assert {m["schedule"]["code"] for m in result.matches} == {"US-LIST-I"}


def _mirror_image(uid):
    """The registry's drawing of `uid` with every tetrahedral centre inverted."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(Substance.objects.get(uid=uid).smiles)
    flip = {
        Chem.ChiralType.CHI_TETRAHEDRAL_CW: Chem.ChiralType.CHI_TETRAHEDRAL_CCW,
        Chem.ChiralType.CHI_TETRAHEDRAL_CCW: Chem.ChiralType.CHI_TETRAHEDRAL_CW,
    }
    for atom in mol.GetAtoms():
        if atom.GetChiralTag() in flip:
            atom.SetChiralTag(flip[atom.GetChiralTag()])
    return Chem.MolToSmiles(mol)


@pytest.mark.parametrize(
    ("uid", "status"),
    [
        # 1308.13(e): "narcotic drugs or their salts"
        ("buprenorphine", "not_controlled"),
        # 1308.13(c) names neither salts nor isomers; the entries are the Act's bare names
        ("lysergic-acid", "not_controlled"),
        ("lysergic-acid-amide", "not_controlled"),
        # 1308.13(d): "Nalorphine 9400.", the name alone
        ("nalorphine", "not_controlled"),
        # 1308.14(g): "including its salts"; butorphanol's and eluxadoline's entries add
        # their optical isomers ("(including its optical isomers)")
        ("eluxadoline", "controlled"),
        ("butorphanol", "controlled"),
        # 1308.12(d) names no isomers; the rule that placed lisdexamfetamine does
        ("lisdexamfetamine", "controlled"),
    ],
)
def test_a_us_entry_reaches_the_isomers_its_own_words_name(real_registry, uid, status):
    """21 CFR 1300.01 defines what "isomer" means where a paragraph or entry uses the word; a
    paragraph that names salts only (1308.13(e), 1308.14(g)) or nothing (1308.13(c) and (d))
    reaches no isomer unless the entry itself names it."""
    result = _check(_mirror_image(uid), jurisdiction="US")
    assert result.status == status, result.reasons
    if status == "not_controlled":
        assert "does not cover stereoisomers" in result.reasons["US"]
    else:
        assert "the entry covers optical isomers" in result.matches[0]["explanation"]


def test_a_salt_of_an_entry_that_names_no_salts_is_the_drug(real_registry):
    """1308.13(c) and (d) do not say "salts"; a salt is read as a compound that contains the
    drug, or as the drug by whatever name it is designated (1308.13(a))."""
    for text in ("nalorphine hydrochloride", "lysergic acid hydrochloride"):
        result = _check(text, jurisdiction="US")
        assert result.status == "controlled", text
        assert {m["schedule"]["code"] for m in result.matches} == {"US-III"}


@pytest.mark.parametrize("uid", ["morphine", "oxycodone", "codeine", "thebaine"])
def test_an_isomer_of_an_opiate_item_is_reached_only_as_an_opiate(real_registry, uid):
    """1308.12(b)(1) names opium, opiates and "any salt, compound, derivative, or preparation"
    of them, and its items without isomers: a mirror image is reached only if it is itself an
    opiate or a derivative, which no list records."""
    result = _check(_mirror_image(uid), jurisdiction="US")
    assert result.status == "uncertain"
    [basis] = result.matches
    assert basis["schedule"]["code"] == "US-II"
    assert "only if it is itself an opiate" in basis["form_uncertain"]
    assert _check(uid, jurisdiction="US").status == "controlled"


def test_an_epimer_of_an_opiate_item_is_in_doubt_too(real_registry):
    """6-epimorphine (the 6-hydroxyl turned) is no optical isomer, but a compound made from
    morphine: the same condition, not a certain "not covered"."""
    result = _check("CN1CC[C@]23C4=C5O[C@H]2[C@H](O)C=C[C@H]3[C@H]1CC4=CC=C5O", jurisdiction="US")
    assert result.status == "uncertain"
    assert "reaches stereoisomers only if it is itself an opiate" in result.reason


def test_fenfluramine_covered_its_position_isomers(real_registry):
    """1308.14(d), until 2022: "isomers (whether optical, position, or geometric)"."""
    para = "CCNC(C)Cc1ccc(C(F)(F)F)cc1"  # the trifluoromethyl moved to the 4-position
    result = _check(para, on=D(2020, 1, 1), jurisdiction="US")
    assert result.status == "uncertain"
    assert "positional isomer of Fenfluramine" in result.matches[0]["explanation"]
    assert _check(para, on=D(2023, 6, 1), jurisdiction="US").status == "not_controlled"
