"""Which stereoisomers an entry reaches: the US "optical isomer" against every other list's.

21 CFR 1300.01: "isomer" means the optical isomer, except in 1308.11(d) (optical, positional or
geometric) and 1308.12(b)(4) (optical or geometric). A mirror image is an optical isomer; a
compound that differs only about a double bond is a geometric isomer, which those entries do
not reach; whether a diastereomer (epitestosterone of testosterone) is an "optical isomer" the
text does not say, so the answer is `uncertain`. China's lists and the conventions cover every
stereoisomer where they cover isomers.
"""

import datetime

import pytest
from django.core.management import call_command

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


ETHCHLORVYNOL_Z = r"C#CC(O)(/C=C\Cl)CC"  # the registry draws the (E) isomer
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
    stimulants (1308.13(b): "isomers (whether optical, position, or geometric)"), tramadol and
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
        "pmk-methyl-glycidate",
        "pmk-glycidic-acid",
    }


def test_epitestosterone_is_uncertain_in_the_us_its_mirror_image_controlled(real_registry):
    epi = _check(EPITESTOSTERONE, jurisdiction="US")
    assert epi.status == "uncertain"
    [basis] = epi.matches
    assert basis["schedule"]["code"] == "US-III"
    assert "optical isomers" in basis["form_uncertain"]
    assert "diastereomer" in epi.reason
    ent = _check(ENT_TESTOSTERONE, jurisdiction="US")
    assert ent.status == "controlled"
    assert ent.since == {"US": "1991-02-27"}
    [basis] = ent.matches
    assert basis["explanation"].endswith("(the entry covers optical isomers)")
    assert basis["route"]["needs"] == ["optical_isomers"]
    # Testosterone itself is unchanged.
    assert _check(TESTOSTERONE, jurisdiction="US").since == {"US": "1991-02-27"}


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
        # the InChIKeys the shared data's verified structures give (standard InChI, /b layer)
        ("ethchlorvynol", "ZEHYJZXQEQOSON-AATRIKPKSA-N"),
        ("nalfurafine", "XGZZHZMWIXFATA-UEZBDDGYSA-N"),
        ("crotonylfentanyl", "VDYXGPCGBKLRDA-XNWCZRBMSA-N"),
    ],
)
def test_a_double_bond_s_configuration_is_in_the_inchikey(real_registry, uid, key):
    """A SMILES was read without its double bonds' configuration: the (E) and (Z) forms had one
    InChIKey, not the standard one, and the standard key of nine records found nothing."""
    assert Substance.objects.get(uid=uid).inchikey == key
    [result] = check_items([key], on=ON)
    assert result.substance.uid == uid and result.matched_by == "inchikey"
    assert inchikey(ETHCHLORVYNOL_Z) != inchikey(r"C#CC(O)(/C=C/Cl)CC")


def test_a_geometric_isomer_is_not_reached_by_an_entry_of_optical_isomers(real_registry):
    """(Z)-ethchlorvynol: US schedule IV names the compound the registry draws as (E), and
    covers its optical isomers only; China's Class II psychotropic substances cover every
    stereoisomer; the 1971 Convention's Schedule IV covers salts only."""
    us = _check(ETHCHLORVYNOL_Z, jurisdiction="US")
    assert us.status == "not_controlled"
    assert "does not cover geometric isomers" in us.reason
    everywhere = _check(ETHCHLORVYNOL_Z)
    assert {m["schedule"]["jurisdiction"] for m in everywhere.matches} == {"CN"}
    assert everywhere.status == "controlled"
    # The (E) isomer drawn is the compound itself, in all three.
    drawn = _check(r"C#CC(O)(/C=C/Cl)CC")
    assert {m["schedule"]["jurisdiction"] for m in drawn.matches} == {"CN", "UN", "US"}


def test_a_geometric_isomer_of_a_fentanyl_is_reached_by_the_class(real_registry):
    """(Z)-crotonylfentanyl is not what 1308.11(b)'s crotonylfentanyl entry reaches (optical
    isomers), but the fentanyl-related substances reach it; the 1961 Convention's entry covers
    its isomers."""
    us = _check(CROTONYLFENTANYL_Z, jurisdiction="US")
    assert us.status == "controlled"
    assert [m["basis"] for m in us.matches] == ["class"]
    un = _check(CROTONYLFENTANYL_Z, jurisdiction="UN")
    assert un.status == "controlled"
    assert [m["basis"] for m in un.matches] == ["listing"]


def test_loading_again_derives_stale_identifiers_and_tells_the_feed(real_registry):
    """A registry loaded before the fix holds the old keys: loading the fixtures again derives
    them as a save would, and writes each change through the services, in the feed."""
    Substance.objects.filter(uid="ethchlorvynol").update(
        inchikey="ZEHYJZXQEQOSON-UHFFFAOYSA-N", parent_key="ZEHYJZXQEQOSON-UHFFFAOYSA-N"
    )
    head = Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    call_command("load_registry", verbosity=0)
    assert list(Change.objects.filter(seq__gt=head).values_list("resource_type", "uid")) == [
        ("substance", "ethchlorvynol")
    ]
    record = Substance.objects.get(uid="ethchlorvynol")
    assert record.inchikey == record.parent_key == "ZEHYJZXQEQOSON-AATRIKPKSA-N"
