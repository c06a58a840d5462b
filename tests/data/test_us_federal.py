"""The US federal schedules on the real registry: counts, spot checks, code numbers, the class."""

import datetime

import pytest
from django.utils import translation

from registry.check import check_items, reach_through
from registry.jurisdictions import jurisdictions, verdicts
from registry.models import Instrument, Listing
from substances.chemistry import inchikey
from substances.models import Substance

pytestmark = pytest.mark.django_db

D = datetime.date
timedelta = datetime.timedelta
COMPILED = D(2026, 12, 3)  # the date the shared US compilation was made


def _in_force(schedule, on=COMPILED):
    return Listing.objects.in_force(on=on).filter(schedule__uid=schedule)


def _before_named(result) -> bool:
    """The day before a compound's own entry: not controlled; or, for a steroid (from
    1991-02-27), uncertain, within the definition of an anabolic steroid on its condition."""
    if result.status == "not_controlled":
        return True
    classes = {m["class"]["uid"] for m in result.matches if m.get("basis") == "class"}
    return result.status == "uncertain" and classes == {"class-us-anabolic-steroids"}


@pytest.mark.parametrize(
    ("schedule", "named", "classes"),
    [
        ("us-schedule-i", 314, 3),  # classes: fentanyl-related, cannabimimetic agents, THCs
        ("us-schedule-ii", 74, 0),  # + the two hydrocodone combination products, from 2014
        # classes: barbituric acid derivatives, and the unsettled; the anabolic steroids' definition
        ("us-schedule-iii", 120, 3),
        ("us-schedule-iv", 82, 0),
        ("us-schedule-v", 10, 0),  # 1308.15(c)(6), difenoxin with atropine, apart (2026-12-07)
        # 32, APAAN (82 FR 32457) and seven more of 21 CFR 1310.02(a) the compilation missed
        # classes: the derivatives of 4-piperidone and of 4-AP, and the halides of 4-AP
        ("us-list-i", 40, 3),
        ("us-list-ii", 11, 0),
    ],
)
def test_counts_per_schedule(real_registry, schedule, named, classes):
    listings = _in_force(schedule)
    assert listings.of_substances().count() == named
    assert listings.of_classes().count() == classes


def _us(text, on=COMPILED):
    [result] = check_items([text], on=on, jurisdiction="US")
    return result


def _listed(result):
    return [m for m in result.matches if m["basis"] == "listing"]


@pytest.mark.parametrize(
    ("name", "schedule", "code"),
    [
        ("Heroin", "US-I", "9200"),
        ("Lysergide", "US-I", "7315"),
        ("MDMA", "US-I", "7405"),
        ("Psilocybine", "US-I", "7437"),
        ("Mescaline", "US-I", "7381"),
        ("GHB", "US-I", "2010"),
        ("Etodesnitazene", "US-I", "9765"),
        ("Fentanyl", "US-II", "9801"),
        ("Carfentanil", "US-II", "9743"),
        ("Cocaine", "US-II", "9041"),
        ("Morphine", "US-II", "9300"),
        ("Oxycodone", "US-II", "9143"),
        ("Methamphetamine", "US-II", "1105"),
        ("Phencyclidine", "US-II", "7471"),
        ("Ketamine", "US-III", "7285"),
        ("Buprenorphine", "US-III", "9064"),
        ("Alprazolam", "US-IV", "2882"),
        ("Diazepam", "US-IV", "2765"),
        ("Zolpidem", "US-IV", "2783"),
        ("Tramadol", "US-IV", "9752"),
        ("Marihuana", "US-I", "7360"),
        ("Pregabalin", "US-V", "2782"),
    ],
)
def test_spot_checks_with_their_dea_code_numbers(real_registry, name, schedule, code):
    result = _us(name)
    assert result.status == "controlled", (name, result.reason)
    # The entry of the record the name is (marihuana is also reached through the schedule III
    # entries for it in an FDA-approved product or under a state medical license, from
    # 2026-04-28: tests/data/test_relations_real.py).
    [match] = [m for m in _listed(result) if not m["route"]["steps"]]
    assert match["schedule"]["code"] == schedule
    listing = Listing.objects.get(uid=match["listing"])
    assert listing.attributes["dea_code"] == code


def test_narcotic_flags_are_listing_attributes(real_registry):
    heroin = Listing.objects.get(substance__uid="heroin", schedule__uid="us-schedule-i")
    ketamine = Listing.objects.get(substance__uid="ketamine", schedule__uid="us-schedule-iii")
    assert heroin.attributes["narcotic"] is True
    assert ketamine.attributes["narcotic"] is False
    assert heroin.schedule.regime == "controlled"


def test_ketamine_is_controlled_in_china_and_us_schedule_iii_but_not_by_the_un(real_registry):
    [everywhere] = check_items(["Ketamine"], on=COMPILED)
    schedules = sorted(
        m["schedule"]["jurisdiction"] + " " + m["schedule"]["code"] for m in everywhere.matches
    )
    assert everywhere.status == "controlled"
    assert any(s.startswith("CN ") for s in schedules)
    assert "US US-III" in schedules
    assert not any(s.startswith("UN ") for s in schedules)
    [un] = check_items(["Ketamine"], on=COMPILED, jurisdiction="UN")
    assert un.status == "not_controlled"


# an analogue with no record of its own (the CFR names ortho-fluorobutyryl fentanyl, (b)(84))
META_CHLORO_BUTYRYLFENTANYL = "CCCC(=O)N(c1cccc(Cl)c1)C1CCN(CCc2ccccc2)CC1"
N_METHYL_NORFENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(C)CC1"


def test_fentanyl_related_substances_class_from_the_2018_temporary_order(real_registry):
    assert _us(META_CHLORO_BUTYRYLFENTANYL, D(2018, 2, 5)).status == "not_controlled"
    temporary = _us(META_CHLORO_BUTYRYLFENTANYL, D(2018, 2, 6))
    assert temporary.status == "controlled"
    [match] = temporary.matches
    assert match["class"]["uid"] == "class-us-fentanyl-related-substances"
    assert match["instrument"]["reference"] == "83 FR 5188"
    permanent = _us(META_CHLORO_BUTYRYLFENTANYL, D(2025, 7, 16))
    assert permanent.matches[0]["instrument"]["reference"] == "Pub. L. 119-26"


def test_the_us_class_is_narrower_than_chinas_and_excludes_schedule_ii_fentanyls(real_registry):
    # China's condition 4 takes any group on N1; the US (A) and (B) keep a phenethyl group.
    assert _us(N_METHYL_NORFENTANYL).status == "not_controlled"
    [cn] = check_items([N_METHYL_NORFENTANYL], on=COMPILED, jurisdiction="CN")
    assert cn.status == "controlled"
    fentanyl = _us("Fentanyl")
    assert [m["basis"] for m in fentanyl.matches] == ["listing"]  # Schedule II only, no class


def test_every_code_number_is_four_digits_and_every_listing_cites_its_instrument(real_registry):
    listings = Listing.objects.filter(schedule__jurisdiction__code="US").select_related("listed_by")
    for listing in listings:
        code = listing.attributes.get("dea_code")
        assert code is None or (len(code) == 4 and code.isdigit())
        assert listing.effective_from == listing.listed_by.effective_on


@pytest.mark.parametrize(
    ("name", "before", "after", "reference"),
    [
        # Dates read in the rules' DATES lines (fixtures/README.md, "US dates verified").
        ("Lasmiditan", D(2020, 1, 30), D(2020, 1, 31), "85 FR 5557"),
        ("Brexanolone", D(2019, 6, 16), D(2019, 6, 17), "84 FR 27938"),
        ("4-Piperidone", D(2023, 5, 11), D(2023, 5, 12), "88 FR 21902"),
        ("Benzylfentanyl", D(2020, 5, 14), D(2020, 5, 15), "85 FR 20822"),
        ("N-Ethylhexedrone", D(2019, 7, 17), D(2019, 7, 18), "84 FR 34291"),
        ("Solriamfetol", D(2019, 6, 16), D(2019, 6, 17), "84 FR 27943"),
        ("Cenobamate", D(2020, 3, 9), D(2020, 3, 10), "85 FR 13741"),
        ("Daridorexant", D(2022, 4, 6), D(2022, 4, 7), "87 FR 20313"),
        ("Remimazolam", D(2020, 10, 5), D(2020, 10, 6), "85 FR 63014"),
        ("Serdexmethylphenidate", D(2021, 5, 6), D(2021, 5, 7), "86 FR 24487"),
        ("Zuranolone", D(2023, 10, 30), D(2023, 10, 31), "88 FR 74347"),
        ("Isotonitazene", D(2020, 8, 19), D(2020, 8, 20), "85 FR 51342"),
        ("Brivaracetam", D(2016, 5, 11), D(2016, 5, 12), "81 FR 29487"),
        ("Butyryl fentanyl", D(2016, 5, 11), D(2016, 5, 12), "81 FR 29492"),
        ("AH-7921", D(2016, 5, 15), D(2016, 5, 16), "81 FR 22023"),
        ("MT-45", D(2018, 1, 11), D(2018, 1, 12), "82 FR 58557"),
        ("5F-MDMB-PICA", D(2019, 4, 15), D(2019, 4, 16), "84 FR 15505"),
        ("FUB-144", D(2019, 4, 15), D(2019, 4, 16), "84 FR 15505"),
        ("Eluxadoline", D(2015, 12, 16), D(2015, 12, 17), "80 FR 69861"),
        ("Cyclopropylfentanyl", D(2018, 1, 3), D(2018, 1, 4), "83 FR 469"),
        ("Metonitazepyne", D(2025, 8, 14), D(2025, 8, 15), "90 FR 39314"),
        ("Protonitazepyne", D(2025, 8, 14), D(2025, 8, 15), "90 FR 39314"),
        ("4-CMC", D(2025, 12, 16), D(2025, 12, 17), "90 FR 51102"),
        # Effective on publication by a secondary source only (confidence medium).
        ("Acrylfentanyl", D(2017, 7, 13), D(2017, 7, 14), "82 FR 32453"),
        ("U-47700", D(2016, 11, 13), D(2016, 11, 14), "81 FR 79389"),
        ("Suvorexant", D(2014, 9, 28), D(2014, 9, 29), "79 FR 51243"),
        ("Tramadol", D(2014, 8, 17), D(2014, 8, 18), "79 FR 37623"),
        ("N-Ethylpentylone", D(2018, 8, 30), D(2018, 8, 31), "83 FR 44474"),
        # The interim final rule, not its adoption as final (86 FR 30772, 2021-07-12).
        ("Oliceridine", D(2020, 10, 29), D(2020, 10, 30), "85 FR 68749"),
        # A List I chemical the compilation missed.
        ("APAAN", D(2017, 8, 13), D(2017, 8, 14), "82 FR 32457"),
    ],
)
def test_dated_us_actions_start_on_the_day_their_rule_took_effect(
    real_registry, name, before, after, reference
):
    assert _us(name, before).status == "not_controlled"
    result = _us(name, after)
    assert result.status == "controlled"
    assert [m["instrument"]["reference"] for m in _listed(result)] == [reference]


def test_a_carbamate_of_4_ap_is_listed_from_4_aps_designation_not_its_own(real_registry):
    """1-boc-4-AP was a List I chemical from 2020-05-15 as a carbamate of 4-AP (85 FR 20822); its
    specific listing of 2022-11-09 (87 FR 67550) changed nothing in its control."""
    listing = Listing.objects.get(substance__uid="1-boc-4-ap", schedule__uid="us-list-i")
    assert listing.effective_from == D(2020, 5, 15)
    assert listing.listed_by.reference == "85 FR 20822"


@pytest.mark.parametrize(
    ("name", "code", "since", "reference"),
    [
        (
            "N-Methylpseudoephedrine",
            "8119",
            D(1990, 11, 29),
            "Pub. L. 101-647, title XXIII, sec. 2301",
        ),
        ("Ergocristine", "8612", D(2011, 5, 2), "76 FR 17778"),
        ("PMK glycidate", "8535", D(2021, 6, 9), "86 FR 24703"),
        ("PMK glycidic acid", "8525", D(2021, 6, 9), "86 FR 24703"),
        ("APAA", "8515", D(2021, 6, 9), "86 FR 24703"),
        ("MAPA", "8795", D(2021, 12, 20), None),
        ("1-Boc-4-piperidone", "", D(2023, 5, 12), "88 FR 21902"),
        ("APAAN", "8512", D(2017, 8, 14), "82 FR 32457"),
    ],
)
def test_list_i_chemicals_of_1310_02_the_compilation_missed(
    real_registry, name, code, since, reference
):
    """21 CFR 1310.02(a) lists each, with its code; the shared compilation had none of them, or
    (N-methylpseudoephedrine) only as a name of N-methylephedrine, under that entry's code."""
    result = _us(name)
    [listed] = [m for m in _listed(result) if m["substance"] == result.substance.uid]
    assert {m["schedule"]["code"] for m in _listed(result)} == {"US-LIST-I"}
    assert result.since["US"] == since.isoformat()
    assert _us(name, since - timedelta(days=1)).status == "not_controlled"
    listing = Listing.objects.get(uid=listed["listing"])
    assert listing.attributes.get("dea_code", "") == code
    if reference:
        assert listing.listed_by.reference == reference


@pytest.mark.parametrize(
    ("smiles", "since", "kind"),
    [
        ("CCOC(=O)N1CCC(=O)CC1", D(2023, 5, 12), "a carbamate of 4-piperidone"),
        ("CC(=O)N1CCC(=O)CC1", D(2023, 5, 12), "an amide of 4-piperidone"),
        ("C1CC2(CCN1)OCCO2", D(2023, 5, 12), "an acetal of 4-piperidone"),
        ("CC(C)(C)OC(=O)N1CCC2(CC1)OCCO2", D(2023, 5, 12), "an acetal and a carbamate"),
        ("CC(=O)N1CCC(CC1)Nc1ccccc1", D(2020, 5, 15), "an amide of 4-AP"),
        ("O=C(OCc1ccccc1)N1CCC(CC1)Nc1ccccc1", D(2020, 5, 15), "a carbamate of 4-AP"),
    ],
)
def test_derivatives_a_list_i_entry_names_by_kind_are_list_i_chemicals(
    real_registry, smiles, since, kind
):
    """4-piperidone's entry covers "its acetals, its amides, its carbamates" (88 FR 21902),
    4-AP's "its amides, its carbamates" (85 FR 20822): a class answers each, from its day."""
    result = _us(smiles)
    assert result.status == "controlled", kind
    assert result.since["US"] == since.isoformat()
    assert {(m["basis"], m["schedule"]["code"]) for m in result.matches} == {("class", "US-LIST-I")}
    assert _us(smiles, since - timedelta(days=1)).status == "not_controlled"


@pytest.mark.parametrize(
    ("smiles", "why"),
    [
        ("O=C1CCN(Cc2ccccc2)CC1", "an N-alkyl piperidone is no acetal, amide or carbamate"),
        ("CC1CN(C(=O)OC(C)(C)C)CCC1=O", "a ring substituent makes another piperidone"),
        ("c1ccc(CN2CCC(Nc3ccccc3)CC2)cc1", "an N-alkyl 4-AP is no amide or carbamate"),
    ],
)
def test_what_those_entries_do_not_name_is_not_a_list_i_chemical(real_registry, smiles, why):
    assert _us(smiles).status == "not_controlled", why


def test_a_halide_of_4_ap_is_in_doubt_from_the_day_halides_were_added(real_registry):
    """FR Doc 2023-23927 added "its halides" to 4-AP's entry from 2023-11-30; what the rule calls a
    halide was not read, so a halogenated 4-AP is uncertain, never controlled, and outside the
    entry before that day."""
    for smiles in ("Fc1ccc(NC2CCNCC2)cc1", "CC(C)(C)OC(=O)N1CCC(CC1)Nc1ccc(F)cc1"):
        result = _us(smiles)
        assert result.status == "uncertain"
        [match] = result.matches
        assert match["class"]["uid"] == "class-us-4-ap-halides" and "halide" in match["condition"]
        assert _us(smiles, D(2023, 11, 29)).status == "not_controlled"
    # a halogen on the acyl group only: an amide of 4-AP, not a halide of it
    assert _us("O=C(c1ccc(Cl)cc1)N(c1ccccc1)C1CCNCC1").status == "controlled"


def test_n_methylpseudoephedrine_is_not_a_name_of_n_methylephedrine(real_registry):
    pseudo, methyl = _us("N-Methylpseudoephedrine"), _us("N-Methylephedrine")
    assert pseudo.substance.uid == "n-methylpseudoephedrine"
    assert methyl.substance.uid == "n-methylephedrine"
    codes = {
        Listing.objects.get(uid=m["listing"]).attributes["dea_code"]
        for r in (pseudo, methyl)
        for m in _listed(r)
        if m["substance"] == r.substance.uid
    }
    assert codes == {"8119", "8115"}
    # China's "等麻黄素类物质" (and other ephedrine-type substances) reaches it, as it did while
    # it was held as a name of N-methylephedrine.
    [china] = check_items(["N-Methylpseudoephedrine"], on=COMPILED, jurisdiction="CN")
    assert china.status == "controlled"


@pytest.mark.parametrize(
    ("smiles", "codes"),
    [
        ("CN(C)[C@@H](C)[C@H](O)c1ccccc1", {"8115"}),  # (1R,2S): N-methylephedrine
        ("CN(C)[C@@H](C)[C@@H](O)c1ccccc1", {"8119"}),  # (1S,2S): N-methylpseudoephedrine
        ("CC(C(O)c1ccccc1)N(C)C", {"8115", "8119"}),  # no configuration drawn: either
    ],
)
def test_a_drawing_of_either_n_methylephedrine_cites_its_own_code(real_registry, smiles, codes):
    """Each is drawn with its configuration, and a stereoisomer's own entry governs it (a
    drawing of N-methylpseudoephedrine cited N-methylephedrine's 8115). China's ephedrine-type
    substances reach every one of them."""
    result = _us(smiles)
    assert {
        Listing.objects.get(uid=m["listing"]).attributes["dea_code"] for m in _listed(result)
    } == codes
    [china] = check_items([smiles], on=COMPILED, jurisdiction="CN")
    assert china.status == "controlled"


def test_temporary_order_without_a_read_effective_day_is_uncertain_until_the_permanent_rule(
    real_registry,
):
    """82 FR 17119 was published on 2017-04-10; its DATES line was not read, so 5F-ADB is in doubt
    from then until 85 FR 4211 (effective 2020-01-24, read) continued its control."""
    assert _us("5F-ADB", D(2017, 4, 9)).status == "not_controlled"
    assert _us("5F-ADB", D(2018, 6, 1)).status == "uncertain"
    assert _us("5F-ADB", D(2020, 1, 24)).status == "controlled"


def test_an_interim_final_rule_without_a_read_effective_day_is_uncertain_until_its_final_rule(
    real_registry,
):
    """81 FR 58834 (thiafentanil) was published on 2016-08-26, its DATES line not read; the final
    rule 84 FR 28212 (effective 2019-06-18, read) adopted it without change."""
    assert _us("Thiafentanil", D(2016, 8, 25)).status == "not_controlled"
    assert _us("Thiafentanil", D(2017, 6, 1)).status == "uncertain"
    assert _us("Thiafentanil", D(2019, 6, 18)).status == "controlled"


@pytest.mark.parametrize(
    ("name", "published", "certain"),
    [
        # 70 FR 16935 (final rule, 2005-04-04); the DEA code list of 2016-02-08 holds it.
        ("Zopiclone", D(2005, 4, 4), D(2016, 2, 8)),
        # 72 FR 20039 (interim rule, 2007-04-23); 73 FR 43355 finalized it "without change",
        # effective 2008-07-25 (read).
        ("N-Phenethyl-4-piperidone", D(2007, 4, 23), D(2008, 7, 25)),
        # 71 FR 60826 (final rule, 2006-10-17); no earlier document read shows it in force than
        # the compilation of 2026-12-03.
        ("Sodium permanganate", D(2006, 10, 17), D(2026, 12, 3)),
    ],
)
def test_a_rule_whose_day_was_not_read_is_in_doubt_from_its_publication(
    real_registry, name, published, certain
):
    """Not controlled before the rule was published, in doubt until a day that shows the control,
    controlled from then: not `uncertain` back to 1971 as when no rule was identified."""
    assert _us(name, published - datetime.timedelta(days=1)).status == "not_controlled"
    assert _us(name, published).status == "uncertain"
    assert _us(name, certain - datetime.timedelta(days=1)).status == "uncertain"
    assert _us(name, certain).status == "controlled"


def test_the_permanent_rule_for_three_nitazenes_took_effect_on_its_publication(real_registry):
    """89 FR 85047 (FR Doc 2024-24635): 'DATES: Effective October 25, 2024.' (read in govinfo's
    copy). It dates no listing: the three are listed from their temporary order, whose control
    'will continue to apply', so the day changes no verdict."""
    act = Instrument.objects.get(uid="us-044-89-fr-85047")
    assert (act.published_on, act.effective_on, act.effective_precision) == (
        D(2024, 10, 25),
        D(2024, 10, 25),
        "day",
    )
    assert not Listing.objects.filter(listed_by=act).exists()
    for name in ("Butonitazene", "Flunitazene", "Metodesnitazene"):
        assert _us(name, D(2024, 10, 24)).status == "controlled"
        assert _us(name, D(2024, 10, 25)).status == "controlled"


def test_mibk_is_a_list_ii_chemical_from_its_rule_of_1995(real_registry):
    """60 FR 19509 (published 1995-04-19) 'adds methyl isobutyl ketone (MIBK) as a List II
    Chemical'; 'EFFECTIVE DATE: May 19, 1995.' (read in a reprint of the GPO text)."""
    assert _us("methyl isobutyl ketone", D(1995, 5, 18)).status == "not_controlled"
    result = _us("CC(=O)CC(C)C", D(1995, 5, 19))  # drawn: 4-methylpentan-2-one
    assert result.status == "controlled"
    [basis] = _listed(result)
    assert basis["instrument"]["reference"] == "60 FR 19509"
    assert basis["schedule"]["uid"] == "us-list-ii"


def test_fub_amb_is_in_doubt_from_its_cited_order_until_its_extension_says_it_is_in_force(
    real_registry,
):
    """82 FR 51154 is known only as cited ('November 3, 2017') by its extension 84 FR 58045,
    published 2019-10-30, which says the control is then in effect."""
    assert _us("AMB-FUBINACA", D(2017, 11, 2)).status == "not_controlled"
    assert _us("AMB-FUBINACA", D(2018, 6, 1)).status == "uncertain"
    assert _us("AMB-FUBINACA", D(2019, 10, 30)).status == "controlled"


@pytest.mark.parametrize(
    ("name", "published"),
    [("Furanylfentanyl", D(2016, 11, 29)), ("4-FIBF", D(2017, 5, 3))],
)
def test_temporary_orders_read_without_their_dates_are_in_doubt_until_the_class_order(
    real_registry, name, published
):
    """81 FR 85873 and 82 FR 20544 were read without their DATES lines: in doubt from publication
    (not-before) until the class order of 2018-02-06 (83 FR 5188) covers them with certainty; the
    final order 83 FR 61320 of 2018-11-29 'maintains' their placement."""
    assert _us(name, published - datetime.timedelta(days=1)).status == "not_controlled"
    assert _us(name, published).status == "uncertain"
    assert _us(name, D(2018, 2, 5)).status == "uncertain"
    assert _us(name, D(2018, 2, 6)).status == "controlled"
    assert _us(name, D(2018, 11, 29)).status == "controlled"


def test_carisoprodol_is_in_doubt_on_the_day_the_secondary_sources_disagree_on(real_registry):
    """76 FR 77330: effective 'January 11' or 'January 12, 2012' by secondary sources."""
    assert _us("Carisoprodol", D(2012, 1, 10)).status == "not_controlled"
    assert _us("Carisoprodol", D(2012, 1, 11)).status == "uncertain"
    assert _us("Carisoprodol", D(2012, 1, 12)).status == "controlled"


def test_a_named_fentanyl_related_substance_stays_controlled_by_the_class_before_its_own_rule(
    real_registry,
):
    # Fentanyl carbamate: named in Schedule I by 86 FR 23602 (2021-05-04), a member of the class
    # from the temporary order of 2018-02-06 (83 FR 5188) before that.
    before = _us("CCOC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", D(2021, 5, 3))
    assert before.status == "controlled"
    assert [m["basis"] for m in before.matches] == ["class"]
    after = _us("CCOC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", D(2021, 5, 4))
    assert "86 FR 23602" in [m["instrument"]["reference"] for m in _listed(after)]


def test_crotonyl_fentanyl_is_a_class_member_until_its_final_order_names_it(real_registry):
    """85 FR 62215 (effective 2020-10-02, read) 'maintains' crotonyl fentanyl in Schedule I: the
    class order of 2018-02-06 covered it before."""
    before = _us("Crotonylfentanyl", D(2020, 10, 1))
    assert before.status == "controlled"
    assert [m["basis"] for m in before.matches] == ["class"]
    after = _us("Crotonylfentanyl", D(2020, 10, 2))
    assert [m["instrument"]["reference"] for m in _listed(after)] == ["85 FR 62215"]
    assert _us("Crotonylfentanyl", D(2018, 2, 5)).status == "not_controlled"


def test_beta_methyl_fentanyl_is_a_class_member_until_86_fr_22113_names_it(real_registry):
    """86 FR 22113 (effective 2021-04-27, read) names beta-methyl fentanyl among its 10: its own
    listing starts that day; the class order of 2018-02-06 covered it before."""
    before = _us("beta-Methyl fentanyl", D(2021, 4, 26))
    assert before.status == "controlled"
    assert [m["basis"] for m in before.matches] == ["class"]
    after = _us("beta-Methyl fentanyl", D(2021, 4, 27))
    assert [m["instrument"]["reference"] for m in _listed(after)] == ["86 FR 22113"]
    assert after.since["US"] == "2018-02-06"
    assert _us("beta-Methyl fentanyl", D(2018, 2, 5)).status == "not_controlled"


def test_5_6_dichloro_brorphine_is_in_doubt_from_its_temporary_order_not_its_notice(
    real_registry,
):
    """The notice of intent (FR Doc 2026-13364, 2026-07-01) controls nothing; the temporary
    order (FR Doc 2026-17531, issued 2026-08-27, its DATES line not read) does, from that day
    at the earliest and certainly by the eCFR snapshot of 2026-09-21, as code 9097. Its code
    name and its structure (drawn from the CFR's systematic name) find it too."""
    assert _us("5,6-dichloro brorphine", D(2026, 8, 26)).status == "not_controlled"
    assert _us("5,6-dichloro brorphine", D(2026, 8, 27)).status == "uncertain"
    for text in ("5,6-dichloro brorphine", "SR-14968"):
        result = _us(text, D(2026, 9, 21))
        assert result.status == "controlled"
        [match] = _listed(result)
        assert match["instrument"]["reference"] == "FR Doc 2026-17531"
        assert Listing.objects.get(uid=match["listing"]).attributes["dea_code"] == "9097"
    structure = _us("CC(c1ccc(Br)cc1)N1CCC(n2c(=O)[nH]c3cc(Cl)c(Cl)cc32)CC1", D(2026, 9, 21))
    assert [m["listing"] for m in _listed(structure)] == [match["listing"]]


def test_bromazolam_is_in_doubt_from_the_day_its_temporary_order_was_issued(real_registry):
    """Only the notice of intent (2025-12-15) was read; the eCFR snapshot of 2026-09-21 lists
    bromazolam as code 2778 until 2028-03-16, two years from an order of 2026-03-16 whose text
    was not found."""
    assert _us("bromazolam", D(2026, 3, 15)).status == "not_controlled"
    assert _us("bromazolam", D(2026, 3, 16)).status == "uncertain"
    assert _us("bromazolam", D(2026, 9, 20)).status == "uncertain"
    [match] = _listed(_us("bromazolam", D(2026, 9, 21)))
    assert Listing.objects.get(uid=match["listing"]).attributes["dea_code"] == "2778"


def test_listings_dated_by_the_act_and_those_left_in_doubt(real_registry):
    """The Controlled Substances Act's own schedules (sec. 202(c): 84 Stat. 1250 and 1252, and the
    rest as 21 U.S.C. 812(c) prints them) date 175 listings to 1971-05-01 (with the opiates its
    schedule II (a)(1) covers and the barbiturates of its schedule III (b)(1), the compounds of
    three of them included, the marijuana entries moved to schedule III in 2026, the class its
    "Tetrahydrocannabinols" means and two of that class's named examples, the two classes
    its "derivative of barbituric acid" means, and the two hydrocodone combination products of
    its schedule III (d)(3)-(4), recorded 2026-12-07); the rest of the undated ones keep their
    evidence acts."""
    us = Listing.objects.filter(schedule__jurisdiction__code="US")
    acts = ["us-dea-code-list-2016", "us-schedules-compiled-2026", "us-csa-1970"]
    assert [us.filter(listed_by__uid=uid).count() for uid in acts] == [2, 1, 179]
    dates = us.filter(listed_by__uid="us-csa-1970").values_list("effective_from", flat=True)
    assert set(dates) == {D(1971, 5, 1)}


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        ("Fentanyl", "US-II"),  # schedule II (b)(6) of the Act
        ("Methadone", "US-II"),
        ("Coca leaves", "US-II"),
        ("Phenobarbital", "US-IV"),  # schedule IV (11)
        ("Meprobamate", "US-IV"),
        ("Heroin", "US-I"),  # schedule I (b)(10)
        ("Lysergide (LSD)", "US-I"),  # schedule I (c)(9)
        ("Proheptazine", "US-I"),  # schedule I (a)(39), misprinted "Propheptazine"
        ("Phenazocine", "US-II"),  # schedule II (b)(18)
        ("Nalorphine", "US-III"),  # schedule III (c)
    ],
)
def test_substances_named_in_the_act_are_controlled_from_1971(real_registry, name, schedule):
    assert _us(name, D(1971, 5, 1)).status == "controlled"
    result = _us(name, D(1975, 1, 1))
    assert result.status == "controlled", result.reason
    [match] = _listed(result)
    assert match["schedule"]["code"] == schedule and not match.get("date_uncertain")
    assert match["instrument"]["reference"].startswith("Pub. L. 91-513")


@pytest.mark.parametrize(
    "name",
    [
        "Nabilone",  # in the compiled history from 1988, without a day
        "Medazepam",  # the compiled history contradicts itself: no day
    ],
)
def test_entries_the_act_does_not_date_stay_in_doubt(real_registry, name):
    assert _us(name, D(1975, 1, 1)).status == "uncertain"
    assert _us(name, D(2016, 2, 8)).status == "controlled"


def test_noroxymorphone_is_in_schedule_ii_by_its_code_rule_and_in_doubt_before(real_registry):
    """84 FR 41913 (effective 2019-08-16, read) says noroxymorphone "is a schedule II controlled
    substance" as a derivative of opium and opiates (the Act's schedule II (a)(1)), and gives it
    a code without affecting its control. It was controlled by then; since when is not said, so
    it is in doubt from the Act's day, and the rule is evidence, not the listing's start.
    Before the Act the registry holds no US list."""
    assert _us("Noroxymorphone", D(1971, 4, 30)).status == "unknown"
    for day in (D(1971, 5, 1), D(2019, 8, 15)):
        doubt = _us("Noroxymorphone", day)
        assert doubt.status == "uncertain", day
        assert "84 FR 41913" in doubt.reason
    after = _us("Noroxymorphone", D(2019, 8, 16))
    assert after.status == "controlled"
    [match] = _listed(after)
    assert match["schedule"]["code"] == "US-II"
    assert match["instrument"]["reference"] == "84 FR 41913"


def test_norfentanyl_is_in_schedule_ii_from_its_rule(real_registry):
    """85 FR 21320 (effective 2020-05-18, read) placed norfentanyl in Schedule II as an immediate
    precursor of fentanyl."""
    listing = Listing.objects.get(substance__uid="norfentanyl", schedule__uid="us-schedule-ii")
    assert listing.effective_from == D(2020, 5, 18)
    assert listing.listed_by.reference == "85 FR 21320"
    schedules = [m["schedule"]["code"] for m in _listed(_us("Norfentanyl", D(2020, 5, 18)))]
    assert "US-II" in schedules
    assert "US-II" not in [
        m["schedule"]["code"] for m in _listed(_us("Norfentanyl", D(2020, 5, 17)))
    ]


def test_oral_dronabinol_solutions_are_in_schedule_ii_from_their_rule(real_registry):
    """82 FR 14815 (interim final rule, effective 2017-03-23, read; made final by 82 FR 55504)
    placed FDA-approved oral solutions of dronabinol in Schedule II; the compilation had them in
    Schedule III. The capsules in sesame oil stay in Schedule III. Before, both were synthetic
    tetrahydrocannabinol in a preparation: Schedule I from the Act."""
    uid = "dronabinol-in-an-oral-solution-in-an-fda-approved-drug-product"
    (listing,) = Listing.objects.filter(substance__uid=uid, effective_to__isnull=True)
    assert listing.schedule.uid == "us-schedule-ii"
    assert listing.effective_from == D(2017, 3, 23)
    assert listing.listed_by.reference == "82 FR 14815"
    [before] = _listed(
        _us("Dronabinol in an oral solution in an FDA-approved drug product", D(2017, 3, 22))
    )
    assert before["schedule"]["code"] == "US-I"
    capsules = Listing.objects.get(
        substance__uid="dronabinol-in-sesame-oil-in-soft-gelatin-capsule", effective_to__isnull=True
    )
    assert capsules.schedule.uid == "us-schedule-iii"


def test_gbl_is_a_list_i_chemical_from_its_act_with_the_days_between_in_doubt(real_registry):
    """Public Law 106-172 (signed 2000-02-18) made GBL a List I chemical; 65 FR 21645 (effective
    2000-04-24, read) amended the regulation. The Act's own effective date was not read."""
    assert _us("gamma-Butyrolactone", D(2000, 2, 17)).status == "not_controlled"
    assert _us("gamma-Butyrolactone", D(2000, 3, 1)).status == "uncertain"
    assert _us("gamma-Butyrolactone", D(2000, 4, 24)).status == "controlled"
    listed = _listed(_us("gamma-Butyrolactone", D(2000, 4, 24)))
    assert [m["instrument"]["reference"] for m in listed] == ["65 FR 21645"]


def test_eutylone_is_listed_from_its_control_as_an_isomer_of_pentylone(real_registry):
    """88 FR 21101 (2023) gave eutylone its own listing and says it has been controlled since
    2014-03-07 as a positional isomer of pentylone; the listing starts then, as 1-boc-4-AP's
    does."""
    listing = Listing.objects.get(substance__uid="eutylone", schedule__uid="us-schedule-i")
    assert listing.effective_from == D(2014, 3, 7)
    assert "88 FR 21101" in listing.listed_by.reference
    result = _us("Eutylone", D(2015, 1, 1))
    assert result.status == "controlled"
    assert listing.uid in [m["listing"] for m in _listed(result)]


@pytest.mark.parametrize(
    ("name", "schedule", "effective", "reference"),
    [
        ("Ketamine", "US-III", D(1999, 8, 12), "64 FR 37673"),
        ("Zolpidem", "US-IV", D(1993, 2, 5), "58 FR 7186"),
        ("Lacosamide", "US-V", D(2009, 6, 22), "74 FR 23789"),
        ("5-MeO-DMT", "US-I", D(2011, 1, 19), "75 FR 79296"),
        ("Red phosphorus", "US-LIST-I", D(2001, 11, 16), "66 FR 52670"),
        # temporary orders continued by extensions and permanent rules (see each instrument)
        ("UR-144", "US-I", D(2013, 5, 16), "78 FR 28735"),
        ("alpha-PVP", "US-I", D(2014, 3, 7), "79 FR 12938"),
        ("Methylone", "US-I", D(2011, 10, 21), "76 FR 65371"),
        ("MDPV", "US-I", D(2011, 10, 21), "76 FR 65371"),  # then the Act of 2012
        # named by the Synthetic Drug Abuse Prevention Act of 2012
        ("2C-E", "US-I", D(2012, 7, 9), "Pub. L. 112-144, title XI, subtitle D, sec. 1152"),
        ("2C-N", "US-I", D(2012, 7, 9), "Pub. L. 112-144, title XI, subtitle D, sec. 1152"),
        ("GHB", "US-I", D(2000, 3, 13), "65 FR 13235"),
        ("Butorphanol", "US-IV", D(1997, 10, 31), "62 FR 51370"),
        ("Alfaxalone", "US-IV", D(2014, 3, 31), "79 FR 10985"),
        ("Fospropofol", "US-IV", D(2009, 11, 5), "74 FR 51234"),
        ("Perampanel", "US-III", D(2014, 1, 2), "78 FR 72013"),
        ("Embutramide", "US-III", D(2006, 9, 28), "71 FR 51115"),
        ("Boldione", "US-III", D(2010, 1, 4), "74 FR 63603"),
        ("Methasterone", "US-III", D(2012, 8, 29), "77 FR 44456"),
        ("Remifentanil", "US-II", D(1996, 11, 5), "61 FR 56893"),
        ("PB-22", "US-I", D(2014, 2, 10), "79 FR 7577"),
    ],
)
def test_entries_dated_by_their_rule(real_registry, name, schedule, effective, reference):
    """Rules, orders and statutes whose effective day was read date entries that were only known
    to be on the 2016 code list or the compilation: controlled from that day, not the day before."""
    [match] = _listed(_us(name, effective))
    assert match["schedule"]["code"] == schedule and not match.get("date_uncertain")
    assert match["instrument"]["reference"] == reference
    assert _before_named(_us(name, effective - timedelta(days=1)))


def test_acetyl_fentanyl_is_in_doubt_until_its_final_order(real_registry):
    """80 FR 42381 was published on 2015-07-17 (its DATES line not read); 82 FR 26349 (effective
    2017-06-07, read) maintained the placement."""
    assert _us("Acetyl fentanyl", D(2015, 7, 16)).status == "not_controlled"
    assert _us("Acetyl fentanyl", D(2016, 1, 1)).status == "uncertain"
    [match] = _listed(_us("Acetyl fentanyl", D(2017, 6, 7)))
    assert match["instrument"]["reference"] == "80 FR 42381" and not match.get("date_uncertain")


def test_cannabinoids_of_the_2011_order_are_in_doubt_until_the_act(real_registry):
    """JWH-018's temporary order was published on 2011-03-01 but its effective day was not read,
    and its extension's end was not read either: uncertain until the Act of 2012-07-09."""
    assert _us("JWH-018", D(2011, 2, 28)).status == "not_controlled"
    assert _us("JWH-018", D(2011, 6, 1)).status == "uncertain"
    [match] = _listed(_us("JWH-018", D(2012, 7, 9)))
    assert match["instrument"]["reference"] == "76 FR 11075" and not match.get("date_uncertain")


def test_anabolic_steroids_from_the_acts_of_1990_and_2004(real_registry):
    """The category entered Schedule III on 1991-02-27 (Pub. L. 101-647, effective 90 days after
    1990-11-29), with a definition naming 27 steroids, testosterone among them; the 2004 Act (in
    force 2005-01-20) named 26 more, bolasterone among them, which the 1990 definition reached
    only if it "promotes muscle growth": uncertain in between, not controlled before the
    category."""
    [category] = _listed(_us("Anabolic steroids", D(1991, 2, 27)))
    assert category["schedule"]["code"] == "US-III" and not category.get("date_uncertain")
    assert _us("Anabolic steroids", D(1991, 2, 26)).status == "not_controlled"
    for named_in_1990 in ("Testosterone", "Mibolerone", "Formebolone"):
        assert _us(named_in_1990, D(1991, 2, 26)).status == "not_controlled"
        listed = _listed(_us(named_in_1990, D(1991, 2, 27)))
        assert [m["instrument"]["reference"] for m in listed] == [
            "Pub. L. 101-647, title XIX, sec. 1902"
        ], named_in_1990
        assert not listed[0].get("date_uncertain")
    for added_in_2004 in ("Bolasterone", "Tetrahydrogestrinone"):
        assert _us(added_in_2004, D(1991, 2, 26)).status == "not_controlled"
        assert _us(added_in_2004, D(2000, 1, 1)).status == "uncertain"
        listed = _listed(_us(added_in_2004, D(2005, 1, 20)))
        assert [m["instrument"]["reference"] for m in listed] == ["Pub. L. 108-358"]
        assert not listed[0].get("date_uncertain")


TESTOSTERONE_ENANTHATE = "CCCCCCC(=O)O[C@H]1CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3CC[C@]12C"
TESTOSTERONE_ETHYL_ETHER = "CCO[C@H]1CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3CC[C@]12C"
NANDROLONE_DECANOATE = "CCCCCCCCCC(=O)O[C@H]1CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@@H]4[C@H]3CC[C@]12C"


def test_a_steroid_s_esters_and_ethers_are_schedule_iii_since_the_2004_act(real_registry):
    """21 U.S.C. 802(41)(A) since 2005-01-20: a named steroid "and any salt, ester, or ether"
    of it (70 FR 74653: "these substances and their salts, esters and ethers are Schedule III
    controlled substances"). Testosterone enanthate was answered not controlled: Schedule III's
    coverage (salts, isomers) was read for the steroids too."""
    for drawn, how in (
        (TESTOSTERONE_ENANTHATE, "ester"),
        (TESTOSTERONE_ETHYL_ETHER, "ether"),
        (NANDROLONE_DECANOATE, "ester"),
    ):
        result = _us(drawn, D(2005, 1, 20))
        assert result.status == "controlled", (drawn, result.reason)
        [match] = _listed(result)
        assert match["schedule"]["code"] == "US-III" and match["matched_by"] == how
        assert match["instrument"]["reference"] == "Pub. L. 108-358, sec. 2(a)"
        assert _us(drawn).status == "controlled"


def test_a_steroid_s_esters_were_in_doubt_under_the_1990_definition(real_registry):
    """The 1990 definition reached "any salt, ester, or isomer of a drug or substance described
    or listed in this paragraph, if that salt, ester, or isomer promotes muscle growth", and any
    other drug related to testosterone that does: an ester or an ether of a named steroid is in
    doubt from 1991-02-27 to 2005-01-19 (whether it promotes muscle growth is not on any list),
    and the steroid itself stays controlled without a break when the 2004 Act restated its
    definition: its page says since 1991-02-27, and the 2004 Act's record continued it."""
    result = _us(TESTOSTERONE_ENANTHATE, D(2000, 1, 1))
    assert result.status == "uncertain"
    assert "promotes muscle growth" in result.reason and "reaches esters only" in result.reason
    [match] = _listed(result)
    assert match["listing"] == "l-testosterone-us-schedule-iii-20160208"
    assert _us(TESTOSTERONE_ENANTHATE, D(2005, 1, 19)).status == "uncertain"
    assert _us(TESTOSTERONE_ENANTHATE, D(1991, 2, 26)).status == "not_controlled"
    # An ether is in doubt too: the 1990 definition reached any drug "chemically and
    # pharmacologically related to testosterone" that promotes muscle growth.
    ether = _us(TESTOSTERONE_ETHYL_ETHER, D(2000, 1, 1))
    assert ether.status == "uncertain"
    assert "reaches ethers only" in ether.reason
    for day in (D(2005, 1, 19), D(2005, 1, 20)):
        [match] = _listed(_us("Testosterone", day))
        assert not match.get("date_uncertain"), day
    from registry.history import instrument_changes, subject_history

    testosterone = Substance.objects.get(uid="testosterone")
    [today] = subject_history(substance=testosterone, on=COMPILED).in_force
    assert today.run_from == D(1991, 2, 27) and today.effective_from == D(2005, 1, 20)
    changes = instrument_changes(Instrument.objects.get(uid="us-pl-108-358-restated"))
    assert (len(changes.continued), changes.moves, changes.added) == (23, [], [])
    listings = Listing.objects.filter(
        substance__uid="testosterone", schedule__uid="us-schedule-iii"
    )
    assert [(li.effective_from, li.effective_to) for li in listings.order_by("effective_from")] == [
        (D(1991, 2, 27), D(2005, 1, 20)),
        (D(2005, 1, 20), None),
    ]


@pytest.mark.parametrize(
    ("smiles", "uid"),
    [
        ("C[C@]12CCC(=O)C(O)=C1CC[C@@H]1[C@@H]2CC[C@@]2(C)[C@H]1CC[C@]2(C)O", "oxymesterone"),
        ("C[C@]12CC[C@H](O)CC1=CC[C@@H]1[C@@H]2CC[C@@]2(C)[C@H]1CC[C@]2(C)O", "methandriol"),
        ("C[C@]12Cc3nonc3C[C@@H]1CC[C@@H]1[C@@H]2CC[C@@]2(C)[C@H]1CC[C@]2(C)O", "furazabol"),
        ("C[C@]12Cc3cn[nH]c3C[C@@H]1CC[C@@H]1[C@@H]2CC[C@@]2(C)[C@H]1CC[C@@H]2O", "prostanozol"),
        (
            "C[C@@H]1CC2=CC(=O)CC[C@]2(C)[C@H]2CC[C@@]3(C)[C@@H](CC[C@]3(C)O)[C@H]12",
            "bolasterone",
        ),
        (
            "C[C@]12CC=CC[C@@H]1CC[C@@H]1[C@@H]2CC[C@@]2(C)[C@H]1CC[C@]2(C)O",
            "desoxymethyltestosterone",
        ),
    ],
)
def test_an_anabolic_steroid_that_had_no_structure_is_found_drawn(real_registry, smiles, uid):
    # Drawn, each was answered not controlled in the US: its record had no structure.
    result = _us(smiles)
    assert result.substance.uid == uid
    assert [m["schedule"]["code"] for m in _listed(result)] == ["US-III"]


def test_calusterone_and_bolasterone_are_told_apart_by_their_7_methyl(real_registry):
    # The 7-epimers (7beta and 7alpha), each its own entry: neither is the other's stereoisomer
    # match (both are listed; a drawing of one finds that one).
    calusterone = _us("C[C@H]1CC2=CC(=O)CC[C@]2(C)[C@H]2CC[C@@]3(C)[C@@H](CC[C@]3(C)O)[C@H]12")
    assert calusterone.substance.uid == "calusterone" and calusterone.matched_by == "structure"


HISTORY = "DEA scheduling action in force on {} (FR citation not identified)"


@pytest.mark.parametrize(
    ("name", "schedule", "effective"),
    [
        ("Diazepam", "US-IV", D(1975, 7, 2)),
        ("Alprazolam", "US-IV", D(1981, 11, 12)),
        ("Flunitrazepam", "US-IV", D(1984, 11, 5)),
        ("Pentazocine", "US-IV", D(1979, 2, 9)),
        ("Phentermine", "US-IV", D(1973, 7, 6)),
        ("Benzphetamine", "US-III", D(1973, 6, 15)),
        ("Pemoline", "US-IV", D(1975, 1, 28)),
        ("3-Methylfentanyl", "US-I", D(1985, 4, 25)),
        ("MPPP", "US-I", D(1985, 8, 12)),
        ("Tenocyclidine", "US-I", D(1975, 7, 8)),
        ("Carfentanil", "US-II", D(1988, 10, 28)),
        ("Pyrovalerone", "US-V", D(1988, 5, 4)),
        ("Cathinone", "US-I", D(1993, 2, 16)),  # "(added February 16, 1993)"
        ("Methcathinone", "US-I", D(1992, 5, 1)),
        ("Dextropropoxyphene", "US-IV", D(1977, 3, 14)),
    ],
)
def test_entries_dated_by_the_compiled_history_of_the_regulation(
    real_registry, name, schedule, effective
):
    """A compiled history of 21 CFR 1308 (the annual editions, each entry annotated with the day
    its amendment took effect) dates entries whose rule was not read: `medium`, and controlled
    from that day, not the day before."""
    # the entry of the record itself (dextropropoxyphene also reaches its bulk form's entries)
    [match] = [m for m in _listed(_us(name, effective)) if not m["route"]["steps"]]
    assert match["schedule"]["code"] == schedule and not match.get("date_uncertain")
    assert match["instrument"]["reference"] == HISTORY.format(effective.isoformat())
    listing = Listing.objects.get(uid=match["listing"])
    assert listing.listed_by.confidence == "medium"
    assert _us(name, effective - timedelta(days=1)).status == "not_controlled"


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        # the Act's schedule III (a)(1), then schedule II
        ("Amphetamine", [(D(1971, 5, 1), "US-III"), (D(1971, 7, 7), "US-II")]),
        ("Methylphenidate", [(D(1971, 5, 1), "US-III"), (D(1971, 10, 28), "US-II")]),
        # the Act's "derivative of barbituric acid", then schedule II
        ("Pentobarbital", [(D(1971, 5, 1), "US-III"), (D(1973, 11, 13), "US-II")]),
        ("Phencyclidine", [(D(1971, 5, 1), "US-III"), (D(1978, 2, 24), "US-II")]),
        ("Glutethimide", [(D(1971, 5, 1), "US-III"), (D(1991, 3, 21), "US-II")]),
        ("Methaqualone", [(D(1973, 10, 4), "US-II"), (D(1984, 8, 27), "US-I")]),
        ("Sufentanil", [(D(1980, 12, 1), "US-I"), (D(1984, 5, 25), "US-II")]),
        ("Alfentanil", [(D(1984, 8, 24), "US-I"), (D(1987, 1, 23), "US-II")]),
        ("Mazindol", [(D(1973, 6, 15), "US-III"), (D(1981, 11, 27), "US-IV")]),
        # a thebaine derivative in schedule II, as 67 FR 62354 says; V in 1985; III (read)
        (
            "Buprenorphine",
            [(D(1971, 5, 1), "US-II"), (D(1985, 4, 1), "US-V"), (D(2002, 10, 7), "US-III")],
        ),
    ],
)
def test_transfers_between_schedules_keep_the_control_unbroken(real_registry, name, steps):
    """Each step is in its schedule from its day and not the day before, and the control runs
    unbroken from the first step."""
    for day, schedule in steps:
        codes = [m["schedule"]["code"] for m in _listed(_us(name, day))]
        assert codes == [schedule], (day, codes)
        assert schedule not in [
            m["schedule"]["code"] for m in _listed(_us(name, day - timedelta(days=1)))
        ]
    first = steps[0][0]
    assert _us(name, steps[-1][0]).since["US"] == first.isoformat()
    if first > D(1971, 5, 1):
        assert _us(name, first - timedelta(days=1)).status == "not_controlled"


def test_entries_named_later_that_were_controlled_before_are_in_doubt(real_registry):
    """Oripavine's rule (72 FR 54208, 2007) says it was controlled before as a thebaine
    derivative, without saying since when: uncertain back to the Act, certain from the rule.
    Iodine was a List II chemical from 1996-10-03 and moved to List I on 2007-08-01."""
    assert _us("Oripavine", D(1990, 1, 1)).status == "uncertain"
    assert _us("Oripavine", D(2007, 9, 24)).status == "controlled"
    assert _us("Iodine", D(1996, 10, 2)).status == "not_controlled"
    assert [m["schedule"]["code"] for m in _listed(_us("Iodine", D(1996, 10, 3)))] == ["US-LIST-II"]
    assert [m["schedule"]["code"] for m in _listed(_us("Iodine", D(2007, 8, 1)))] == ["US-LIST-I"]


def test_a_transfer_whose_day_is_in_doubt_leaves_the_compound_controlled(real_registry):
    """The compiled history gives LAAM's move from Schedule I to II two days (1993-08-08 and
    -18): in between, which schedule is in doubt, not whether it was controlled."""
    result = _us("LAAM", D(1993, 8, 10))
    assert result.status == "controlled"
    assert "on which list is not known" in result.reason
    assert sorted(m["schedule"]["code"] for m in _listed(result)) == ["US-I", "US-II"]
    assert all(m["date_uncertain"] for m in _listed(result))
    assert result.since == {"US": "1971-05-01"}
    from registry import jurisdictions

    [us] = jurisdictions.verdicts(
        result.status, result.matches, jurisdictions.jurisdictions(), result.since
    )[2:]
    assert (us.status, us.schedules, us.since) == ("controlled", ("US-I", "US-II"), "1971-05-01")
    assert _us("LAAM", D(1993, 8, 7)).status == "controlled"


@pytest.mark.parametrize(
    ("name", "schedule", "effective"),
    [
        ("Ephedrine", "US-LIST-I", D(1989, 3, 18)),  # the Act of 1988, 802(34)(C)
        ("Acetone", "US-LIST-II", D(1989, 3, 18)),  # 802(35)(B)
        ("Safrole", "US-LIST-I", D(1990, 11, 29)),  # the Act of 1990, sec. 2301
        ("Benzaldehyde", "US-LIST-I", D(1994, 4, 16)),  # the Act of 1993
    ],
)
def test_listed_chemicals_from_the_acts_that_listed_them(real_registry, name, schedule, effective):
    [match] = _listed(_us(name, effective))
    assert match["schedule"]["code"] == schedule and not match.get("date_uncertain")
    assert _us(name, effective - timedelta(days=1)).status == "not_controlled"


def test_hydriodic_acid_moved_from_list_ii_to_list_i_in_1990(real_registry):
    codes = [m["schedule"]["code"] for m in _listed(_us("Hydriodic acid", D(1990, 11, 28)))]
    assert codes == ["US-LIST-II"]
    codes = [m["schedule"]["code"] for m in _listed(_us("Hydriodic acid", D(1990, 11, 29)))]
    assert codes == ["US-LIST-I"]


def test_laam_is_an_isomer_of_alphacetylmethadol_that_the_us_entry_excepts(real_registry):
    """21 CFR 1308.11(b): 'Alphacetylmethadol (except levo-alphacetylmethadol ...)'. The 1961
    Convention's and China's entries cover its isomers, LAAM among them; the US Schedule I entry
    does not, and LAAM has its own US listings (I until 1993, then II)."""
    [result] = check_items(["LAAM"], on=D(2024, 1, 1))
    codes = {m["schedule"]["code"] for m in _listed(result)}
    assert {"UN-1961-I", "US-II"} <= codes and "US-I" not in codes
    assert [m["schedule"]["code"] for m in _listed(_us("LAAM", D(1980, 1, 1)))] == ["US-I"]
    [match] = _listed(_us("LAAM", D(1980, 1, 1)))
    assert match["substance"] == "levo-alphacetylmethadol"  # its own listing, not the excepting one


# The entries of the eCFR snapshot of 2026-09-21 that the registry did not list before (see
# fixtures/README.md, "The eCFR entries listed").


@pytest.mark.parametrize(
    ("name", "schedule", "code", "effective", "reference"),
    [
        ("Zipeprol", "US-I", "9873", D(2022, 12, 21), "87 FR 70717"),
        ("N-desethyl isotonitazene", "US-I", "9760", D(2024, 7, 29), "89 FR 60817"),
        ("Methoxetamine", "US-I", "7286", D(2022, 7, 6), "87 FR 34166"),
        ("PMMA", "US-I", "1245", D(2021, 7, 26), "86 FR 33508"),
        ("NM2201", "US-I", "7221", D(2018, 7, 10), "83 FR 31877"),
        ("5F-CUMYL-P7AICA", "US-I", "7085", D(2018, 7, 10), "83 FR 31877"),
        ("Amineptine", "US-I", "1219", D(2022, 12, 19), "87 FR 68895"),
        ("Methylenedioxynitazene", "US-I", "9766", D(2025, 10, 15), "FR Doc 2025-19542"),
        ("Lorcaserin", "US-IV", "1625", D(2013, 6, 7), "78 FR 26701"),
        ("Ezogabine", "US-V", "2779", D(2011, 12, 15), "76 FR 77895"),
        ("estra-4,9,11-triene-3,17-dione", "US-III", "4000", D(2014, 12, 18), "Pub. L. 113-260"),
    ],
)
def test_ecfr_entries_are_listed_from_the_act_that_placed_them(
    real_registry, name, schedule, code, effective, reference
):
    assert _before_named(_us(name, effective - timedelta(days=1)))
    result = _us(name, effective)
    assert result.status == "controlled", result.reason
    [match] = _listed(result)
    assert (match["schedule"]["code"], match["instrument"]["reference"]) == (schedule, reference)
    assert Listing.objects.get(uid=match["listing"]).attributes["dea_code"] == code


@pytest.mark.parametrize(
    ("name", "parent_controlled", "reference"),
    [
        # 88 FR 86266 (effective 2023-12-13) lists them by name, and says each was controlled
        # before as a positional isomer of AB-PINACA, alpha-PHP or mephedrone.
        ("ADB-BUTINACA", D(2015, 1, 30), "80 FR 5042"),
        ("alpha-PiHP", D(2019, 7, 18), "84 FR 34291"),
        ("3-MMC", D(2012, 7, 9), "Pub. L. 112-144, title XI, subtitle D, sec. 1152"),
        # 90 FR 38396 (effective 2025-08-08): a positional isomer of N-ethylpentylone.
        ("Dipentylone", D(2018, 8, 31), "83 FR 44474"),
    ],
)
def test_a_positional_isomer_is_controlled_from_its_parents_control_as_the_rule_naming_it_says(
    real_registry, name, parent_controlled, reference
):
    assert _us(name, parent_controlled - timedelta(days=1)).status == "not_controlled"
    result = _us(name, parent_controlled)
    assert result.status == "controlled", result.reason
    assert [m["instrument"]["reference"] for m in _listed(result)] == [reference]


def test_ethylone_is_in_doubt_between_butylones_control_and_its_own_listing(real_registry):
    """85 FR 34607 (effective 2020-06-08) says ethylone is a positional isomer of butylone
    (controlled from 2014-03-07) without saying from when it was controlled as such."""
    assert _us("Ethylone", D(2014, 3, 6)).status == "not_controlled"
    result = _us("Ethylone", D(2016, 1, 1))
    assert result.status == "uncertain"
    assert "85 FR 34607 took effect between 2014-03-07 and 2020-06-08" in result.reason
    assert _us("Ethylone", D(2020, 6, 8)).status == "controlled"


def test_a_temporary_order_that_ran_out_before_the_permanent_rule_was_found_leaves_a_doubt(
    real_registry,
):
    """88 FR 86040 ran from 2023-12-12 until 2025-12-12; MDMB-4en-PINACA's extension or
    permanent rule was not found, and the eCFR of 2026-09-21 has it among the permanent
    entries. CUMYL-PEGACLONE's order was extended until 2026-12-12 (90 FR 57542): no doubt."""
    assert _us("MDMB-4en-PINACA", D(2023, 12, 11)).status == "not_controlled"
    assert _us("MDMB-4en-PINACA", D(2025, 12, 11)).status == "controlled"
    assert _us("MDMB-4en-PINACA", D(2025, 12, 12)).status == "uncertain"
    assert _us("MDMB-4en-PINACA", D(2026, 9, 21)).status == "controlled"
    assert _us("CUMYL-PEGACLONE", D(2026, 1, 1)).status == "controlled"


@pytest.mark.parametrize(
    ("name", "earliest", "note"),
    [
        # final rules published on these days, their DATES lines not read
        ("3-MeO-PCP", D(2025, 6, 10), "took effect between 2025-06-10 and 2026-09-21"),
        # temporary orders not found, dated back two years from their expiry in the eCFR
        ("2-FDCK", D(2026, 5, 22), "took effect between 2026-05-22 and 2026-09-21"),
        ("O-desmethyltramadol", D(2026, 8, 26), "took effect between 2026-08-26 and 2026-09-21"),
        ("SR-17018", D(2026, 8, 27), "FR Doc 2026-17531 took effect between 2026-08-27"),
    ],
)
def test_an_act_whose_day_was_not_read_is_in_doubt_until_the_ecfr_snapshot(
    real_registry, name, earliest, note
):
    assert _us(name, earliest - timedelta(days=1)).status == "not_controlled"
    result = _us(name, earliest)
    assert result.status == "uncertain"
    assert note in result.reason
    assert _us(name, D(2026, 9, 21)).status == "controlled"


def test_mesocarb_is_controlled_from_the_day_a_report_of_its_rule_gives(real_registry):
    """87 FR 71247 was published on 2022-11-22; a trade-press report of it says the listing
    takes effect on Dec. 22. Before, mesocarb was uncertain from 2022-11-22 until 2026-09-21."""
    assert _us("Mesocarb", D(2022, 12, 21)).status == "not_controlled"
    result = _us("Mesocarb", D(2022, 12, 22))
    assert result.status == "controlled" and result.since == {"US": "2022-12-22"}


def test_an_ecfr_entry_whose_act_was_not_found_is_controlled_from_the_snapshot(real_registry):
    """Cipepofol (1308.14(c)(11), code 2139): the CFR gives its name only, and no rule was
    found; it has no structure here, so only its name finds it."""
    assert _us("Cipepofol", D(2026, 9, 20)).status == "uncertain"
    result = _us("Cipepofol", D(2026, 9, 21))
    assert result.status == "controlled"
    [match] = _listed(result)
    assert match["schedule"]["code"] == "US-IV"


@pytest.mark.parametrize("drug", ["Amobarbital", "Secobarbital", "Pentobarbital"])
def test_a_barbiturate_is_in_schedule_ii_and_its_compounds_in_schedule_iii(real_registry, drug):
    """Since 1973-11-13 the single substance is in schedule II; its compounds with active
    ingredients not in any schedule stay in schedule III (1308.13(c)(1)), an entry of their own:
    a preparation is not its ingredient."""
    result = _us(drug)
    assert [m["schedule"]["code"] for m in _listed(result)] == ["US-II"]
    assert [m["schedule"]["code"] for m in _listed(_us(drug, D(1972, 1, 1)))] == ["US-III"]
    compounds = _us(f"{drug} compounds with active ingredients not in any schedule")
    assert compounds.status == "controlled"
    [match] = _listed(compounds)
    assert match["schedule"]["code"] == "US-III"
    assert Listing.objects.get(uid=match["listing"]).effective_from == D(1971, 5, 1)


def test_cathine_is_in_schedule_iv_and_norephedrine_is_a_list_i_chemical(real_registry):
    """1308.14(f)(1) is cathine, (+)-norpseudoephedrine (code 1230), also a List I chemical as
    norpseudoephedrine; norephedrine (phenylpropanolamine), its diastereomer, is a List I
    chemical only, not in schedule IV."""
    cathine = _us("Cathine")
    assert sorted(m["schedule"]["uid"] for m in _listed(cathine)) == ["us-list-i", "us-schedule-iv"]
    norephedrine = _us("Norephedrine")
    assert [m["schedule"]["uid"] for m in _listed(norephedrine)] == ["us-list-i"]


@pytest.mark.parametrize(
    "entry",
    [
        "Marijuana extract in an FDA-approved product or subject to a state medical marijuana"
        " license",
        "Naturally derived delta-9-tetrahydrocannabinols in an FDA-approved product or in marijuana"
        " subject to a state medical marijuana license",
    ],
)
def test_the_2026_rescheduling_moved_the_extract_and_the_thc_of_such_products_too(
    real_registry, entry
):
    """91 FR 22714 (2026-04-28) names marijuana extracts and delta-9-THC derived from the plant
    beside marijuana, each in an FDA-approved product or under a state medical marijuana license:
    1308.13(g)(3) and (g)(4). Outside that scope they stay in schedule I."""
    before = _us(entry, D(2026, 4, 27))
    assert [m["schedule"]["code"] for m in _listed(before)] == ["US-I"]
    after = _us(entry, D(2026, 4, 28))
    assert [m["schedule"]["code"] for m in _listed(after)] == ["US-III"]
    # Outside that scope the extract stays in schedule I: the extract named is on schedule I or,
    # in that scope, III (one or the other, tests/data/test_relations_real.py).
    extract = _listed(_us("Marihuana extract"))
    assert [m["schedule"]["code"] for m in extract if not m["route"]["steps"]] == ["US-I"]
    assert all(m.entry_uncertain for m in extract if m["schedule"]["code"] == "US-III")


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("meta-Fluorofentanyl", "88 FR 85104"),
        ("para-Methylfentanyl", None),
        ("4-methylfentanyl", None),
        ("benzoyl fentanyl", None),
        ("tetrahydrothiofuranyl fentanyl", None),
    ],
)
def test_a_fentanyl_analogue_the_cfr_names_is_found_by_name_and_controlled_by_the_class(
    real_registry, name, reference
):
    """21 fentanyl analogues that 1308.11(b) names are records with the CFR's structure and code.
    Each was a fentanyl-related substance from the class order of 2018-02-06; only three of the
    acts naming them were read (88 FR 85104, 2023-12-07), so the others' named listing starts at
    the eCFR snapshot while the class answers for the years before."""
    assert _us(name, D(2018, 2, 5)).status == "not_controlled"
    early = _us(name, D(2018, 2, 6))
    assert early.status == "controlled"
    assert "class" in [m["basis"] for m in early.matches]
    now = _us(name, D(2026, 9, 21))
    [named] = _listed(now)
    assert named["schedule"]["code"] == "US-I"
    if reference:
        assert named["instrument"]["reference"] == reference


def test_methyldihydromorphine_is_the_acts_methylhydromorphine_by_its_code(real_registry):
    """Schedule I (b)(13) of the Act, "Methylhydromorphine", is code 9304 in every edition of 21
    CFR 1308 from 1970, the code the DEA's list gives methyldihydromorphine: listed from
    1971-05-01."""
    result = _us("Methyldihydromorphine", D(1971, 5, 1))
    assert result.status == "controlled"
    [match] = _listed(result)
    assert match["instrument"]["reference"].startswith("Pub. L. 91-513")


def test_a_steroid_named_by_a_correction_is_in_doubt_until_the_correction(real_registry):
    """The 2004 Act (in force 2005-01-20) wrote item (xvii) with 17alpha; Pub. L. 109-162
    (2006-01-05) corrected it to the 17beta compound, from a day not read."""
    name = "13beta-ethyl-17beta-hydroxygon-4-en-3-one"
    # before: within the definition only, on its condition
    assert _before_named(_us(name, D(2005, 1, 19)))
    assert _us(name, D(2005, 6, 1)).status == "uncertain"
    assert _us(name, D(2006, 1, 5)).status == "controlled"


LAAM = "CC[C@H](OC(C)=O)C(C[C@H](C)N(C)C)(c1ccccc1)c1ccccc1"  # (3S,6S)
LEVOPROPOXYPHENE = "CCC(=O)O[C@@](Cc1ccccc1)(c1ccccc1)[C@@H](C)CN(C)C"
DEXTROPROPOXYPHENE = "CCC(=O)O[C@](CC1=CC=CC=C1)(C1=CC=CC=C1)[C@H](C)CN(C)C"


def test_laam_drawn_is_in_schedule_ii_by_its_own_entry_not_in_schedule_i_as_an_isomer(
    real_registry,
):
    # 21 CFR 1308.11(b) excepts it from alphacetylmethadol, and the opiates of schedule I are
    # controlled "unless listed in another schedule": 1308.12(c) lists it (code 9648).
    for text in (LAAM, "LAAM"):
        result = _us(text)
        assert result.substance.uid == "levo-alphacetylmethadol"
        assert {m.listed.schedule.code for m in result.matches} == {"US-II"}, text


def test_levopropoxyphene_is_not_reached_by_dextropropoxyphenes_schedule_iv_entry(
    real_registry,
):
    # 1308.14(b) places its narcotic drugs "or their salts", not their isomers; 1308.12(c)
    # excepts levopropoxyphene from the opiates' isomers.
    assert _us(LEVOPROPOXYPHENE).status == "not_controlled"
    dextro = _us(DEXTROPROPOXYPHENE)
    assert dextro.status == "controlled"
    # In dosage forms schedule IV (1308.14(b)), in bulk schedule II (1308.12(c)): a structure
    # shows no form, so both entries reach it. Before, the compound found schedule IV only.
    assert {m.listed.schedule.code for m in dextro.matches} == {"US-IV", "US-II"}
    [bulk] = [m for m in dextro.matches if m.listed.schedule.code == "US-II"]
    assert bulk.substance == "dextropropoxyphene-bulk"
    named = _us("dextropropoxyphene")
    assert {(m.listed.schedule.code, m.substance) for m in named.matches} == {
        (m.listed.schedule.code, m.substance) for m in dextro.matches
    }


def test_dextropropoxyphenes_other_stereoisomers_are_in_the_bulk_entry_but_levopropoxyphene(
    real_registry,
):
    # 1308.12(c) covers the opiates' optical isomers, "dextrorphan and levopropoxyphene
    # excepted": the two diastereomers, (2R,3R) and (2S,3S), were not_controlled, the bulk
    # entry covering salts only because levopropoxyphene was no record it could except. They
    # are not dextropropoxyphene's mirror image, and whether a diastereomer is an "optical
    # isomer" (21 CFR 1300.01) the text does not say: the bulk entry reaches them in doubt.
    for diastereomer in (
        "CCC(=O)O[C@@](CC1=CC=CC=C1)(C1=CC=CC=C1)[C@H](C)CN(C)C",
        "CCC(=O)O[C@](CC1=CC=CC=C1)(C1=CC=CC=C1)[C@@H](C)CN(C)C",
    ):
        result = _us(diastereomer)
        assert result.status == "uncertain", diastereomer
        assert {(m.listed.schedule.code, m.substance) for m in result.matches} == {
            ("US-II", "dextropropoxyphene-bulk")
        }
        assert "optical isomers" in result.matches[0]["form_uncertain"]
    for text in (LEVOPROPOXYPHENE, "levopropoxyphene"):
        result = _us(text)
        assert result.substance.uid == "levopropoxyphene"
        assert result.status == "not_controlled", text
    # Elsewhere the enantiomer is a stereoisomer of dextropropoxyphene, named or drawn alike.
    named, drawn = check_items(["levopropoxyphene", LEVOPROPOXYPHENE], on=COMPILED)
    assert named.status == drawn.status == "controlled"
    assert {m.listed.schedule.code for m in named.matches} == {
        m.listed.schedule.code for m in drawn.matches
    }


def test_the_bulk_entry_named_is_dextropropoxyphene_where_no_entry_names_its_form(real_registry):
    # "Dextropropoxyphene, bulk (non-dosage forms)" (1308.12(c)) is the compound in one
    # physical form: in the US its own entry governs it (schedule II, not the dosage forms'
    # schedule IV); China and the 1961 Convention list the compound whatever its form. Before,
    # the name found the US record alone and answered not controlled in China and by the UN.
    from registry.check import covered_through

    [result] = check_items(["Dextropropoxyphene, bulk (non-dosage forms)"], on=COMPILED)
    assert result.substance.uid == "dextropropoxyphene-bulk"
    by_jurisdiction = {
        v.jurisdiction: v
        for v in verdicts(
            result.status,
            result.matches,
            jurisdictions(),
            result.since,
            result.unrecorded,
            result.preparation_open,
        )
    }
    assert {code: v.status for code, v in by_jurisdiction.items()} == {
        "CN": "controlled",
        "UN": "controlled",
        "US": "controlled",
    }
    assert by_jurisdiction["UN"].schedules == ("UN-1961-II",)
    assert by_jurisdiction["US"].schedules == ("US-II",)
    [un] = [m for m in _listed(result) if m["schedule"]["code"] == "UN-1961-II"]
    assert "an entry for Dextropropoxyphene" in un["explanation"]
    # The drawing of the compound still reaches both US entries, the bulk one by this relation.
    dextro = _us(DEXTROPROPOXYPHENE)
    [bulk] = [m for m in dextro.matches if m.listed.schedule.code == "US-II"]
    assert bulk.substance == "dextropropoxyphene-bulk"
    assert [step["relation"] for step in bulk["route"]["steps"]] == ["compound_entry"]
    # The bulk record's page: reached through the compound in China and by the UN, not in the US.
    record = Substance.objects.get(uid="dextropropoxyphene-bulk")
    reached = {c.listing.schedule.code for c in covered_through(record, on=COMPILED)}
    assert "US-IV" not in reached and "UN-1961-II" in reached


def test_para_methylfentanyl_is_named_from_86_fr_22113_and_a_class_member_before(real_registry):
    listing = Listing.objects.get(
        substance__uid="para-methylfentanyl", schedule__uid="us-schedule-i"
    )
    assert (listing.listed_by.uid, listing.effective_from) == ("us-060-86-fr-22113", D(2021, 4, 27))
    before = _us("para-methylfentanyl", on=D(2021, 4, 26))
    assert before.status == "controlled"
    assert not _listed(before)  # by the class alone
    after = _us("para-methylfentanyl", on=D(2021, 4, 27))
    assert [m["instrument"]["reference"] for m in _listed(after)] == ["86 FR 22113"]
    assert after.since["US"] == "2018-02-06"


def test_delta_9_thc_drawn_or_named_is_a_schedule_i_tetrahydrocannabinol(real_registry):
    # 1308.11(d)(31) names "delta 1 cis or trans tetrahydrocannabinol" (delta 9 in the
    # dibenzopyran numbering); the FDA-approved products are entries of their own.
    for text in ("dronabinol", "CCCCCc1cc(O)c2[C@@H]3C=C(C)CC[C@H]3C(C)(C)Oc2c1"):
        result = _us(text)
        assert result.status == "controlled", text
        assert {m["schedule"]["code"] for m in _listed(result)} == {"US-I"}
        assert result.since["US"] == "1971-05-01"


JWH_020 = "CCCCCCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21"  # 1-heptyl-3-(1-naphthoyl)indole
CP_55940 = "CCCCCCC(C)(C)c1ccc(C2CC(O)CCC2CCCO)c(O)c1"


def test_an_unnamed_cannabimimetic_agent_is_uncertain_for_want_of_its_cb1_assays(real_registry):
    """21 U.S.C. 812(c) Schedule I (d)(2)(A): a structure within the five classes is a
    cannabimimetic agent only if it is a CB1 receptor agonist shown by binding studies and
    functional assays, which no drawing shows. JWH-020 is named nowhere in the US lists."""
    result = _us(JWH_020)
    assert result.status == "uncertain"
    [match] = result.matches
    assert match["basis"] == "class"
    assert match["class"]["uid"] == "class-us-cannabimimetic-agents"
    assert match["rule"] == "(ii) 3-(1-naphthoyl)indole, N-substituted"
    assert "CB1 receptor" in match["condition"] and "激动剂" in match["condition_zh"]
    assert "also requires" in result.reason and "CB1" in result.reason
    assert not result.since  # a condition not shown starts no run of control
    # Before the Act the class was not there to reach it.
    assert _us(JWH_020, D(2012, 7, 8)).status == "not_controlled"


def test_a_named_cannabimimetic_agent_is_controlled_by_its_own_entry(real_registry):
    result = _us("JWH-018")
    assert result.status == "controlled" and not result.reason
    [named] = _listed(result)
    assert named["schedule"]["code"] == "US-I" and not named.get("date_uncertain")


def test_structures_outside_the_five_classes_are_not_cannabimimetic_agents(real_registry):
    # The N-H naphthoylindole (no substituent on the nitrogen), THC's dibenzopyran ring and
    # indometacin's N-benzoyl are none of the five classes.
    for smiles in (
        "O=C(c1cccc2ccccc12)c1c[nH]c2ccccc12",
        "COc1ccc2c(c1)c(CC(=O)O)c(C)n2C(=O)c1ccc(Cl)cc1",
    ):
        assert _us(smiles).status == "not_controlled", smiles


def test_every_jurisdiction_says_why_the_us_answer_is_uncertain(real_registry):
    from registry import jurisdictions

    [result] = check_items([JWH_020], on=COMPILED)
    assert result.status == "controlled"  # China's class claims it
    by_code = {
        v.jurisdiction: v
        for v in jurisdictions.verdicts(
            result.status,
            result.matches,
            jurisdictions.jurisdictions(),
            result.since,
            result.unrecorded,
            result.preparation_open,
        )
    }
    assert by_code["CN"].status == "controlled" and by_code["CN"].classes
    assert by_code["US"].status == "uncertain"
    assert by_code["US"].uncertain_because == ("condition",)
    assert by_code["US"].schedules == ("US-I",) and by_code["US"].since is None
    assert by_code["UN"].status == "not_controlled"
    assert set(result.since) == {"CN"}
    # CP-55,940: China's strict reading leaves it out (a substituent on the cyclohexyl ring);
    # the US class allows any: uncertain overall, for the US condition only.
    [cp] = check_items([CP_55940], on=COMPILED)
    assert cp.status == "uncertain" and "CB1" in cp.reason


FENTANYL_D5 = "CCC(=O)N(c1ccccc1)C1CCN(CCc2c([2H])c([2H])c([2H])c([2H])c2[2H])CC1"


def test_a_labelled_standard_is_the_compound_it_labels(real_registry):
    """Fentanyl-d5, an analytical standard, is fentanyl: Schedule II by fentanyl's own entry,
    not a stereoisomer of it and not a fentanyl-related substance of Schedule I (whose class
    rules except fentanyl itself, and judge a structure without its labels)."""
    result = _us(FENTANYL_D5)
    assert result.status == "controlled"
    assert result.substance.uid == "fentanyl" and result.matched_by == "isotopologue"
    assert [m["schedule"]["code"] for m in result.matches] == ["US-II"]
    [salt] = _us(FENTANYL_D5 + ".Cl").matches
    assert salt["explanation"] == "an isotope-labelled form of Fentanyl (the entry covers salts)"
    # Labelled acetylfentanyl keeps its class basis, with the atoms told in the drawing.
    labelled = "CC(=O)N(c1ccccc1)C1CCN(CC([2H])([2H])c2ccccc2)CC1"
    result = _us(labelled)
    [basis] = [m for m in result.matches if m["basis"] == "class"]
    drawn = [result.parent.GetAtomWithIdx(i) for i in basis["atoms"]]
    assert {a.GetSymbol() for a in drawn} == {"C", "N", "O"}  # no deuterium, no shift
    assert len(drawn) == 13
    assert result.matched_by == "isotopologue"


DELTA_8_THC = "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1CC=C(C)CC21"
DELTA_10_THC = "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1CCC(C)C=C21"


def test_a_thc_isomer_not_named_is_uncertain_not_free(real_registry):
    """21 CFR 1308.11(d)(31): tetrahydrocannabinols include synthetic isomers and derivatives of
    similar structure and activity, but not hemp; a structure shows neither its origin nor its
    activity. Delta-10-THC, HU-210 and THC-O-acetate were not_controlled in the US."""
    for smiles in (
        DELTA_10_THC,
        "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)C1CC=C(CO)CC21",  # HU-210
        "CCCCCc1cc(OC(C)=O)c2c(c1)OC(C)(C)C1CCC(C)=CC21",  # THC-O-acetate
    ):
        result = _us(smiles)
        assert result.status == "uncertain", smiles
        [basis] = result.matches
        assert basis["class"]["uid"] == "class-us-tetrahydrocannabinols"
        assert "hemp" in basis["condition"]
    # Named entries answer first: delta-9-THC by its group, nabilone in Schedule II only.
    assert _us("dronabinol").status == "controlled"
    nabilone = _us("CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)C1CCC(=O)CC21")
    assert nabilone.status == "controlled"
    assert [m["schedule"]["code"] for m in nabilone.matches] == ["US-II"]
    # Delta-8-THC is one of the text's own examples ("6 cis or trans tetrahydrocannabinol"):
    # controlled until hemp was excepted (a window from 2018-12-20 to 2019-01-01), uncertain
    # while hemp could be its origin, controlled again once hemp counts total THC (2026-11-12).
    assert _us(DELTA_8_THC, D(1990, 1, 1)).status == "controlled"
    assert _us(DELTA_8_THC, D(2018, 12, 25)).status == "uncertain"
    later = _us(DELTA_8_THC, D(2020, 1, 1))
    assert later.status == "uncertain" and "hemp" in later.matches[0]["condition"]
    assert _us(DELTA_8_THC, D(2026, 11, 12)).status == "controlled"
    assert _us(DELTA_8_THC).since == {"US": "2026-11-12"}
    # Cannabinol's ring C is aromatic: no tetrahydrocannabinol.
    assert _us("CCCCCc1cc(O)c2c(c1)OC(C)(C)c1ccc(C)cc1-2").status == "not_controlled"


def test_a_positional_isomer_of_thc_is_uncertain_a_deoxy_thc_is_not_reached(real_registry):
    """21 CFR 1300.01: for 1308.11(d), "isomer" means any optical, positional or geometric
    isomer. Abnormal THC (1-pentyl, 3-hydroxy) was not_controlled in the US."""
    for smiles in (
        "Oc1cc(CCCCC)c2c(c1)OC(C)(C)C1CCC(C)=CC21",  # abnormal delta-9-THC
        "CCCCCc1ccc(O)c2c1OC(C)(C)C1CCC(C)=CC21",  # the pentyl on C4, the hydroxy on C1
    ):
        result = _us(smiles)
        assert result.status == "uncertain", smiles
        [basis] = result.matches
        assert basis["rule"].startswith("positional isomers")
    # Without the oxygen on ring A the tricycle is read as no isomer and no derivative.
    assert _us("CCCCCc1ccc2c(c1)OC(C)(C)C1CCC(C)=CC21").status == "not_controlled"
    # Delta-9-THC itself is still reported by the first rule, as the text's own structure.
    thc = _us(DELTA_10_THC)
    assert thc.matches[0]["rule"].startswith("6,6-dimethyl")


def test_hhc_before_its_own_listing_is_uncertain_by_the_class_condition_not_by_a_date(
    real_registry,
):
    """The agency held HHC a tetrahydrocannabinol before FR Doc 2026-08595 listed it by name.
    Before, its answer was "Uncertain (date)", as if the 2026 act might have taken effect any
    day from 1971; it is the class's condition that leaves it open."""
    before = _us("HHC", D(2024, 6, 1))
    assert before.status == "uncertain"
    [basis] = before.matches
    assert basis["basis"] == "class" and "hemp" in basis["condition"]
    verdict = verdicts(before.status, before.matches, jurisdictions())
    assert [v.uncertain_because for v in verdict if v.jurisdiction == "US"] == [("condition",)]
    after = _us("HHC", D(2026, 6, 1))
    assert after.status == "controlled"
    assert [m["schedule"]["code"] for m in _listed(after)] == ["US-I"]


def test_thc_by_name_is_the_us_entry_too(real_registry):
    """DEA's code list gives "THC" among the other names of 7370 Tetrahydrocannabinols; the name
    also found only the 1971 Convention's group of isomers, which has no US listing."""
    for name in ("THC", "Tetrahydrocannabinol", "四氢大麻酚", "Tetrahydrocannabinols"):
        result = _us(name)
        assert result.status == "controlled", name
        assert [m["schedule"]["code"] for m in result.matches] == ["US-I"], name


def test_an_inchikey_no_record_has_is_in_doubt_where_an_isomer_is_excepted(real_registry):
    """Dextromethorphan-d3's InChIKey is no record's: its first block is shared by
    levomethorphan (US Schedule II) and dextromethorphan (excepted, not controlled in the US).
    Which compound it names is not known: uncertain there, not controlled as levomethorphan.
    In China, where both are listed, it is controlled either way."""
    from registry import jurisdictions

    key = "MKXZASYAUGDDCJ-GQJJTUARSA-N"
    us = _us(key)
    assert us.status == "uncertain" and "which one is not known" in us.reason
    assert all(m["identity_uncertain"] for m in us.matches)
    [everywhere] = check_items([key], on=COMPILED)
    by_code = {
        v.jurisdiction: v
        for v in jurisdictions.verdicts(
            everywhere.status,
            everywhere.matches,
            jurisdictions.jurisdictions(),
            everywhere.since,
            everywhere.unrecorded,
            everywhere.preparation_open,
        )
    }
    assert by_code["CN"].status == "controlled"
    # Which stereoisomer the key names is not known (identity), and levomethorphan's entry
    # covers its optical isomers only: a diastereomer would be in doubt there too (form).
    assert by_code["US"].status == "uncertain"
    assert by_code["US"].uncertain_because == ("identity", "form")
    # A key a record has is answered as before.
    levomethorphan = Substance.objects.get(uid="levomethorphan").inchikey
    assert _us(levomethorphan).status == "controlled"


def test_mesocarb_drawn_with_its_charges_on_the_nitrogens_is_mesocarb(real_registry):
    """The usual drawing of the mesoionic ring ([N+] ... [N-]) was cleaned up into a ring with
    two more hydrogens, another compound: not controlled anywhere."""
    drawn = "CC(CC1=CC=CC=C1)[N+]2=NOC(=C2)[N-]C(=O)NC3=CC=CC=C3"
    result = _us(drawn, D(2023, 1, 1))
    assert (result.status, result.substance.uid) == ("controlled", "mesocarb")


def test_an_entry_dated_by_evidence_is_no_news(real_registry):
    # Sulfuric acid, on List II for decades, was "added" on the day the compilation that
    # dates it was made (2026-12-03), on the page of the law's latest changes.
    from registry import history

    added = {
        row["substance__uid"]
        for day in history.legal_changes(jurisdiction="US", since=D(2026, 12, 1))
        for row in day.added
    }
    assert "sulfuric-acid" not in added
    diff = history.diff(jurisdiction="US", start=D(2026, 11, 1), end=D(2026, 12, 6))
    assert "sulfuric-acid" not in {entry.subject.uid for entry in diff.added}


def test_fenfluramine_was_in_schedule_iv_from_1973_until_its_removal(real_registry):
    """68 FR 26247 (2003): "In 1973, fenfluramine, its salts, isomers and salts of isomers were
    placed into schedule IV"; the compiled history gives 1973-06-15. 87 FR 78857 (published
    2022-12-23) removed it, on a day not read: certainly by 2023-04-21. The registry held the
    removal and not the listing, so both were not controlled all along."""
    for name in ("fenfluramine", "dexfenfluramine"):
        assert _us(name, D(1973, 6, 14)).status == "not_controlled"
        during = _us(name, D(2010, 6, 1))
        assert during.status == "controlled", name
        assert [m["schedule"]["code"] for m in _listed(during)] == ["US-IV"]
        assert during.since["US"] == "1973-06-15"
        assert _us(name, D(2023, 1, 10)).status == "uncertain"
        assert _us(name, D(2023, 4, 21)).status == "not_controlled"


@pytest.mark.parametrize(
    ("smiles", "uid", "schedule"),
    [
        ("C=CCN1CC[C@]23c4c5ccc(O)c4O[C@H]2[C@@H](O)C=C[C@H]3[C@H]1C5", "nalorphine", "US-III"),
        ("Fc1ccccc1C1=NCC(=S)N(CC(F)(F)F)c2ccc(Cl)cc21", "quazepam", "US-IV"),
        ("C=CCC1(C(C)C#CCC)C(=O)NC(=O)N(C)C1=O", "methohexital", "US-IV"),
        ("CCC[C@@H]1CC(=O)N([C@@H](CC)C(N)=O)C1", "brivaracetam", "US-V"),
        (
            "C[C@]12COC(=O)C[C@@H]1CC[C@@H]1[C@@H]2CC[C@@]2(C)[C@H]1CC[C@]2(C)O",
            "oxandrolone",
            "US-III",
        ),
        ("CC(C)CC(N(C)C)C1(c2ccc(Cl)cc2)CCC1", "sibutramine", "US-IV"),
        (
            "COc1ccc(CN(C(=O)[C@@H](N)Cc2c(C)cc(C(N)=O)cc2C)[C@@H](C)c2ncc(-c3ccccc3)[nH]2)"
            "cc1C(=O)O",
            "eluxadoline",
            "US-IV",
        ),
        (
            "CC[C@@H]1CN2CC[C@]3(Nc4cccc(OC)c4C3=O)[C@@H]2C[C@@H]1/C(=C\\OC)C(=O)OC",
            "mitragynine-pseudoindoxyl",
            "US-I",
        ),
        (
            "C[C@]12C=C(C=O)C(=O)C=C1CC[C@@H]1[C@@H]2[C@H](O)C[C@@]2(C)[C@H]1CC[C@]2(C)O",
            "formebolone",
            "US-III",
        ),
        # Drawn from their names in 2026-12 (fixtures/README.md): until then a structure check
        # of each answered "not controlled" in the US.
        ("CC[C@H]1C[C@@H]2C[C@H]3[C@@H]1N(C2)CCC1=C3NC2=C1C=C(OC)C=C2", "ibogaine", "US-I"),
        ("O=C1CC[C@@]2(O)[C@H]3Cc4ccc(O)c5c4[C@@]2(CCN3)[C@H]1O5", "noroxymorphone", "US-II"),
        ("CC(C)c1cccc(C(C)C)c1OCOP(=O)(O)O", "fospropofol", "US-IV"),
        ("CC(C)c1cccc([C@H](C)C2CC2)c1O", "cipepofol", "US-IV"),
        ("CCC(C)C(C)(COC(N)=O)COC(N)=O", "mebutamate", "US-IV"),
    ],
)
def test_a_us_only_compound_drawn_is_found(real_registry, smiles, uid, schedule):
    # These US records had no structure: drawn, each was not controlled anywhere.
    result = _us(smiles)
    assert result.substance.uid == uid
    assert [m["schedule"]["code"] for m in _listed(result)] == [schedule]


def test_khat_is_controlled_in_the_us_as_a_material_containing_cathinone_and_cathine(
    real_registry,
):
    """21 CFR 1308.11(f) and 1308.14(f) cover "any material, compound, mixture, or preparation
    which contains any quantity of" cathinone (schedule I) and cathine (schedule IV): khat, which
    contains them, was answered not controlled in the US. The 1971 Convention lists both
    alkaloids and not the plant; its lists are not read as covering materials containing them
    (the INCB: no plant is under control of that Convention)."""
    for name in ("Khat", "恰特草", "Catha edulis", "Qat"):
        result = _us(name)
        assert result.status == "controlled", name
        assert sorted(m["schedule"]["code"] for m in _listed(result)) == ["US-I", "US-IV"]
        assert all(
            m["route"]["steps"][0]["relation"] == "material_ingredient" for m in _listed(result)
        )
    [un] = check_items(["Khat"], on=COMPILED, jurisdiction="UN")
    assert un.status == "not_controlled"
    assert "does not cover materials containing it" in un.reason
    [cn] = check_items(["Khat"], on=COMPILED, jurisdiction="CN")
    assert [m["schedule"]["code"] for m in _listed(cn)] == ["CN-NONMED-2025"]
    assert not cn.matches[0]["route"]["steps"]  # its own entry, not through its alkaloids


def test_asked_for_every_jurisdiction_the_check_says_why_the_un_lists_do_not_reach_khat(
    real_registry, client
):
    """The same reason as when the UN alone is asked, beside the other jurisdictions' answers:
    in the API's verdict per jurisdiction and on the check page, in English and in Chinese."""
    response = client.post(
        "/api/v1/check/",
        {"items": ["Khat"], "on": COMPILED.isoformat()},
        content_type="application/json",
    )
    [result] = response.json()["results"]
    by_code = {v["jurisdiction"]: v for v in result["jurisdictions"]}
    assert result["status"] == "controlled" and by_code["UN"]["status"] == "not_controlled"
    assert "Schedule III does not cover materials containing it" in by_code["UN"]["reason"]
    assert by_code["US"]["reason"] == by_code["CN"]["reason"] == ""
    assert set(result["reasons"]) == {"UN"}
    page = client.get("/check/", {"items": "Khat", "on": COMPILED.isoformat()}).content.decode()
    assert "which is a material containing Cathine, but Convention" in page
    chinese = client.get("/zh-hans/check/", {"items": "Khat", "on": COMPILED.isoformat()})
    text = chinese.content.decode()
    assert "恰特草，为含有去甲伪麻黄碱的物料，但" in text and "不涵盖含有该物质的物料；" in text


def test_a_materials_page_says_why_a_list_of_what_it_contains_leaves_it_out(real_registry, client):
    """Peyote contains mescaline. China's and the UN's lists name mescaline and do not cover
    materials: the page says so beside their `not controlled`. In the US peyote has an entry of
    its own, which governs it (as in the check): schedule I by that entry, not through mescaline."""
    covered, why = reach_through(Substance.objects.get(uid="peyote"), on=COMPILED)
    assert not covered and set(why) == {"CN", "UN"}
    assert "Schedule I does not cover materials containing it" in why["UN"]
    page = client.get("/substances/peyote/").content.decode()
    assert "which is a material containing Mescaline, but Convention" in page
    assert "through its relations" not in page


@pytest.mark.parametrize("name", ["N-Ethylephedrine", "N-Ethylpseudoephedrine", "Lysergic acid"])
def test_list_i_chemicals_struck_in_1994_were_listed_from_1990(real_registry, name):
    """The Crime Control Act of 1990 listed them; the Domestic Chemical Diversion Control Act of
    1993 struck them, in force 1994-04-16. The compilation, of the current lists, had neither."""

    def list_i(on):
        return [m for m in _listed(_us(name, on)) if m["schedule"]["code"] == "US-LIST-I"]

    assert list_i(D(1990, 11, 28)) == []
    assert len(list_i(D(1990, 11, 29))) == 1
    assert len(list_i(D(1994, 4, 15))) == 1
    assert list_i(D(1994, 4, 16)) == []


def test_peyote_is_governed_by_its_own_us_entry_and_not_controlled_where_mescaline_alone_is(
    real_registry,
):
    """Peyote contains mescaline; the US lists the cactus itself (1308.11(d)), China and the 1971
    Convention only the alkaloid, and their lists do not cover materials containing it."""
    for name in ("Peyote", "Lophophora williamsii"):
        us = _us(name)
        assert [m["schedule"]["code"] for m in _listed(us)] == ["US-I"]
        assert not _listed(us)[0]["route"]["steps"]
    for code in ("CN", "UN"):
        [result] = check_items(["Peyote"], on=COMPILED, jurisdiction=code)
        assert result.status == "not_controlled", code
        assert "material containing Mescaline" in result.reason


@pytest.mark.parametrize(
    ("name", "through"),
    [("Sassafras oil", {"safrole"}), ("麻黄浸膏", {"ephedrine", "pseudoephedrine"})],
)
def test_an_oil_or_extract_rich_in_a_precursor_is_that_precursor_where_the_entry_says_so(
    real_registry, name, through
):
    """DEA treats safrole-rich oils as the List I chemical, and every ephedrine or pseudoephedrine
    mixture as regulated; the 1988 Convention leaves out only preparations from which the
    substance cannot easily be recovered (art. 12(14)). China lists the oil and the extract
    themselves."""
    for code, schedule in (("US", "US-LIST-I"), ("UN", "UN-1988-I")):
        [result] = check_items([name], on=COMPILED, jurisdiction=code)
        listed = _listed(result)
        assert {m["schedule"]["code"] for m in listed} == {schedule}, code
        assert {m["route"]["steps"][0]["substance"] for m in listed} == through
    [china] = check_items([name], on=COMPILED, jurisdiction="CN")
    assert {m["schedule"]["code"] for m in _listed(china)} == {"CN-PREC-1"}
    # A list that does not say so is not reached through its chemicals: khat contains cathine,
    # a List I chemical, and is in schedules I and IV, not on List I.
    assert "US-LIST-I" not in {m["schedule"]["code"] for m in _listed(_us("khat"))}


@pytest.mark.parametrize(
    ("name", "on", "status"),
    [
        # 84 FR 34291: "effective July 18, 2019, until July 18, 2021", extended by 86 FR 37672
        # ("effective July 18, 2021 and expires on July 18, 2022"); the permanent rule was not
        # read, and the schedules compiled on 2026-12-03 hold it.
        ("N-Ethylhexedrone", D(2021, 7, 18), "controlled"),
        ("N-Ethylhexedrone", D(2022, 7, 17), "controlled"),
        ("N-Ethylhexedrone", D(2022, 7, 18), "uncertain"),
        ("N-Ethylhexedrone", D(2026, 12, 2), "uncertain"),
        ("N-Ethylhexedrone", D(2026, 12, 3), "controlled"),
        # alpha-PiHP with alpha-PHP, its positional isomer, until 88 FR 86266 named it.
        ("alpha-PiHP", D(2022, 1, 1), "controlled"),
        ("alpha-PiHP", D(2022, 7, 18), "uncertain"),
        ("alpha-PiHP", D(2023, 12, 13), "controlled"),
        # 86 FR 11862 until 2023-03-01; the permanent order 88 FR 13692 from 2023-04-05.
        ("Brorphine", D(2023, 2, 28), "controlled"),
        ("Brorphine", D(2023, 3, 1), "uncertain"),
        ("Brorphine", D(2023, 4, 5), "controlled"),
        # 90 FR 39314 until 2027-08-15, made permanent by FR Doc 2026-00362: not in doubt.
        ("Metonitazepyne", D(2027, 8, 15), "controlled"),
        # FR Doc 2026-17531, issued 2026-08-27 "until 2028-08-27" (the eCFR): still running.
        ("SR-17018", D(2028, 8, 26), "controlled"),
        ("SR-17018", D(2028, 8, 27), "uncertain"),
        # Its temporary order ran until 2019-10-28; the fentanyl-related substances class
        # holds it from 2018-02-06 whatever followed.
        ("ortho-Fluorofentanyl", D(2020, 1, 1), "controlled"),
    ],
)
def test_an_entry_whose_temporary_order_ran_out_is_in_doubt_until_shown_again(
    real_registry, name, on, status
):
    [result] = check_items([name], on=on, jurisdiction="US")
    assert result.status == status, result.reason
    if status == "uncertain":
        assert "temporary order that listed it ran until" in result.reason


def test_the_substance_page_says_what_continued_a_temporary_order_is_not_recorded(
    real_registry, client
):
    page = client.get("/substances/n-ethylhexedrone/").content.decode()
    assert "its temporary order ran until 2022-07-18; what continued it until 2026-12-03" in page
    chinese = client.get("/zh-hans/substances/bromazolam/").content.decode()
    assert "依临时列管令，除非延续，有效至2028-03-16" in chinese


def test_a_run_of_control_breaks_where_a_temporary_order_ran_out(real_registry):
    """N-ethylhexedrone: controlled again from 2026-12-03, so since then, not since 2019."""
    [result] = check_items(["N-Ethylhexedrone"], on=D(2026, 12, 6), jurisdiction="US")
    assert (result.status, result.since) == ("controlled", {"US": "2026-12-03"})
    [result] = check_items(["Brorphine"], on=D(2024, 1, 1), jurisdiction="US")
    assert result.since == {"US": "2023-04-05"}


@pytest.mark.parametrize(
    ("name", "on", "since"),
    [
        # before the order ran out, the run is the order's: the later run does not hide it
        ("N-Ethylhexedrone", D(2022, 1, 1), "2019-07-18"),
        ("alpha-PHP", D(2022, 7, 17), "2019-07-18"),
        ("Brorphine", D(2023, 2, 28), "2021-03-01"),
    ],
)
def test_a_run_of_control_before_a_temporary_order_ran_out_says_since_the_order(
    real_registry, name, on, since
):
    [result] = check_items([name], on=on, jurisdiction="US")
    assert (result.status, result.since) == ("controlled", {"US": since})


@pytest.mark.parametrize("name", ["N-Ethylpentylone", "Dipentylone"])
@pytest.mark.parametrize("on", [D(2020, 8, 31), D(2021, 8, 31), D(2022, 6, 1), COMPILED])
def test_n_ethylpentylone_and_its_positional_isomers_are_controlled_without_a_break(
    real_registry, name, on
):
    """83 FR 44474 until 2020-08-31, extended by 85 FR 52915 for a year or until the permanent
    rule; 86 FR 31427 ("Effective date: June 14, 2021") placed N-ethylpentylone "and its
    optical, positional, and geometric isomers" permanently, within the extension."""
    [result] = check_items([name], on=on, jurisdiction="US")
    assert (result.status, result.since) == ("controlled", {"US": "2018-08-31"}), result.reason
    listing = Listing.objects.get(uid=_listed(result)[0]["listing"])
    assert listing.lapse() is None


@pytest.mark.parametrize(
    ("text", "schedules"),
    [
        # named by China and the 1971 Convention, not by the US: schedule III by the class
        ("butobarbital", ["US-III"]),
        ("allobarbital", ["US-III"]),
        ("cyclobarbital", ["US-III"]),
        ("vinylbital", ["US-III"]),
        ("CCCCC1(CC=C)C(=O)NC(=O)NC1=O", ["US-III"]),  # a barbiturate named nowhere
        # thiamylal: by the class, and by the group entry it is a member of (code 2100)
        ("C=CCC1(C(C)CCC)C(=O)NC(=S)NC1=O", ["US-III", "US-III"]),
        # a sodium salt drawn as its lactim anion, as PubChem draws such salts
        ("CCCCC1(C(=O)NC(=NC1=O)[O-])CC.[Na+]", ["US-III"]),
        ("CCCCC1(CC)C(=O)N=C(O)NC1=O", ["US-III"]),  # a lactim tautomer
        ("CCc1c(O)nc(O)nc1O", ["US-III"]),  # 5-ethylbarbituric acid, aromatic tautomer
        ("O=C1NC(=O)C2(CCCC2)C(=O)N1", ["US-III"]),  # spiro at carbon 5
        ("CCCCC1(CC)C(=S)NC(=O)NC1=O", ["US-III"]),  # a 4-thioxo analogue
        # recorded by name too: thiamylal a member of the group entry (code 2100), hexobarbital
        # named nowhere; their salts by their USP names, in English and in Chinese
        ("thiamylal", ["US-III", "US-III"]),
        ("thiamylal sodium", ["US-III", "US-III"]),
        ("硫戊巴比妥钠", ["US-III", "US-III"]),
        ("hexobarbital", ["US-III"]),
        # "unless listed in another schedule": the named entry answers alone
        ("phenobarbital", ["US-IV"]),
        ("amobarbital", ["US-II"]),
        ("pentobarbital sodium", ["US-II"]),
        ("戊巴比妥钠", ["US-II"]),
        # named in schedule III as well: both entries
        ("butalbital", ["US-III", "US-III"]),
    ],
)
def test_a_derivative_of_barbituric_acid_is_in_schedule_iii_unless_listed_in_another(
    real_registry, text, schedules
):
    result = _us(text)
    assert result.status == "controlled"
    assert sorted(m["schedule"]["code"] for m in result.matches) == schedules


@pytest.mark.parametrize(
    "smiles",
    [
        "O=C1CC(=O)NC(=O)N1",  # barbituric acid itself
        "Oc1cc(O)nc(O)n1",  # the same, as 2,4,6-trihydroxypyrimidine
        "CCC1(c2ccccc2)C(=O)NCNC1=O",  # primidone: no 2-oxo group
        "O=C1NC(=O)C(=Cc2ccccc2)C(=O)N1",  # a 5-ylidene compound
    ],
)
def test_what_is_not_read_as_a_derivative_of_barbituric_acid(real_registry, smiles):
    assert _us(smiles).status == "not_controlled"


def test_amobarbital_was_in_schedule_iii_by_name_and_as_a_derivative_before_1973(real_registry):
    result = _us("amobarbital", D(1972, 6, 1))
    assert sorted(m["schedule"]["code"] for m in result.matches) == ["US-III", "US-III"]


@pytest.mark.parametrize(
    "smiles",
    [
        "O=C1CC(=O)NC(=S)N1",  # 2-thiobarbituric acid, a reagent
        "CN1C(=O)CC(=O)N(C)C1=O",  # 1,3-dimethylbarbituric acid: on nitrogen only
    ],
)
def test_a_ring_with_nothing_on_carbon_5_is_uncertain_not_controlled(real_registry, smiles):
    # A derivative by the letter of the words; no copy read says the Act reaches such reagents.
    result = _us(smiles)
    assert result.status == "uncertain"
    assert [m["schedule"]["code"] for m in result.matches] == ["US-III"]
    assert "no copy read says the Act reaches" in result.reason


def test_ergotamines_list_i_entry_covers_its_salts_not_its_epimer(real_registry):
    # 21 CFR 1310.02(a): "Ergotamine and its salts"; ergotaminine, its C-8 epimer, is not listed.
    ergotaminine = (
        "C[C@@]1(C(=O)N2[C@H](C(=O)N3CCC[C@H]3[C@@]2(O1)O)CC4=CC=CC=C4)NC(=O)"
        "[C@@H]5CN([C@@H]6CC7=CNC8=CC=CC(=C78)C6=C5)C"
    )
    assert _us(ergotaminine).status == "not_controlled"
    assert [m["schedule"]["code"] for m in _listed(_us("ergotamine tartrate"))] == ["US-LIST-I"]


@pytest.mark.parametrize(
    ("text", "on", "schedules"),
    [
        # drawn: records that had no structure answer for a drawing of their compound
        (
            "COC1=CC=C2C[C@@H]3[C@@H]4C=C[C@H](O)[C@@H]5OC1=C2[C@@]54CC[N+]3(C)C.[Br-]",
            COMPILED,
            ["US-I"],
        ),
        ("CCN(C)[C@@H](C)[C@H](O)c1ccccc1", D(1992, 6, 1), ["US-LIST-I"]),  # N-ethylephedrine
        ("CCN(C)[C@@H](C)[C@@H](O)c1ccccc1", D(1992, 6, 1), ["US-LIST-I"]),  # its diastereomer
        ("CCN(C)[C@@H](C)[C@H](O)c1ccccc1", COMPILED, []),  # a List I chemical of 1990-1994 only
        # named as a salt with its cation: "fospropofol disodium", as the product is labelled
        ("fospropofol disodium", COMPILED, ["US-IV"]),
    ],
)
def test_records_drawn_and_salts_named_with_their_cation(real_registry, text, on, schedules):
    result = _us(text, on)
    assert sorted(m["schedule"]["code"] for m in result.matches) == schedules
    assert result.status == ("controlled" if schedules else "not_controlled")


PHENAZONE = "CC1=CC(=O)N(c2ccccc2)N1C"
BETAINE = "C[N+](C)(C)CC(=O)[O-]"
CHLORAL_HYDRATE = "OC(O)C(Cl)(Cl)Cl"
DICHLORALPHENAZONE = f"{PHENAZONE}.{CHLORAL_HYDRATE}.{CHLORAL_HYDRATE}"


@pytest.mark.parametrize(
    ("text", "uid", "since"),
    [
        (
            "C(COC(O)C(Cl)(Cl)Cl)(COC(O)C(Cl)(Cl)Cl)(COC(O)C(Cl)(Cl)Cl)COC(O)C(Cl)(Cl)Cl",
            "petrichloral",
            "1971-05-01",
        ),
        (f"{BETAINE}.{CHLORAL_HYDRATE}", "chloral-betaine", "1971-05-01"),
        (DICHLORALPHENAZONE, "dichloralphenazone", "2001-08-16"),
        (f"{CHLORAL_HYDRATE}.{PHENAZONE}.{CHLORAL_HYDRATE}", "dichloralphenazone", "2001-08-16"),
        ("78-12-6", "petrichloral", "1971-05-01"),
        ("2218-68-0", "chloral-betaine", "1971-05-01"),
        ("480-30-8", "dichloralphenazone", "2001-08-16"),
    ],
)
def test_a_compound_of_chloral_drawn_is_in_schedule_iv_by_its_own_name(
    real_registry, text, uid, since
):
    """None of the three had a structure: petrichloral drawn was "an ether of Chloral hydrate,
    but Schedule IV does not cover ethers", though the Act names it; chloral betaine and
    dichloralphenazone drawn were controlled "through their component" chloral hydrate, since
    1971. Each is now its own record, drawn whole, and found by its CAS number too."""
    result = _us(text, D(2020, 1, 1))
    assert (result.status, result.substance.uid, result.reason) == ("controlled", uid, "")
    assert [(m["substance"], m["schedule"]["code"]) for m in result.matches] == [(uid, "US-IV")]
    assert result.since == {"US": since}


def test_dichloralphenazone_drawn_before_its_rule_is_in_doubt_not_chloral_hydrate(
    real_registry, client
):
    """66 FR 42943 named it in 2001. Before, DEA read it as "a compound containing chloral
    hydrate", a Schedule IV substance, but says that reading was not applied: a complex of
    chloral hydrate is not chloral hydrate, and its listing records the doubt. Drawn, it was
    controlled through its chloral hydrate from 1971."""
    for text in (DICHLORALPHENAZONE, "Dichloralphenazone"):
        before = _us(text, D(2000, 1, 1))
        assert before.status == "uncertain"
        [basis] = before.matches
        assert basis["substance"] == "dichloralphenazone" and basis["date_uncertain"]
    # Its parts alone are themselves: chloral hydrate is in schedule IV, phenazone is not (nor
    # is betaine, chloral betaine's other part); neither is found as a salt of the complex.
    hydrate = _us(CHLORAL_HYDRATE, D(2000, 1, 1))
    assert (hydrate.status, hydrate.substance.uid) == ("controlled", "chloral-hydrate")
    for part in (PHENAZONE, BETAINE):
        alone = _us(part)
        assert (alone.status, alone.substance) == ("not_controlled", None)
    # The page draws the complex, all three parts.
    page = client.get("/substances/dichloralphenazone/")
    assert page.status_code == 200 and "480-30-8" in page.content.decode()


@pytest.mark.parametrize("partner", ["O", "Cl", "CCO"])
def test_dichloralphenazone_drawn_as_a_hydrate_or_a_salt_is_dichloralphenazone(
    real_registry, partner
):
    # With water, hydrochloric acid or ethanol drawn beside it, the complex was a mixture
    # controlled through its chloral hydrate since 1971, where drawn alone it is in doubt
    # before its rule of 2001 and in schedule IV from that rule.
    drawn = f"{DICHLORALPHENAZONE}.{partner}"
    before = _us(drawn, D(2000, 1, 1))
    assert (before.status, before.substance.uid) == ("uncertain", "dichloralphenazone")
    after = _us(drawn, D(2020, 1, 1))
    assert (after.status, after.substance.uid) == ("controlled", "dichloralphenazone")
    assert after.since == {"US": "2001-08-16"}
    # One chloral hydrate is not the complex: a mixture, through its chloral hydrate.
    mixture = _us(f"{PHENAZONE}.{CHLORAL_HYDRATE}.{partner}", D(2020, 1, 1))
    assert (mixture.status, mixture.substance) == ("controlled", None)


def test_the_run_of_an_ester_starts_when_the_list_first_reached_esters(real_registry):
    # Testosterone has been in schedule III since 1991-02-27; its esters only since the 2004
    # Act (before, "if that salt, ester, or isomer promotes muscle growth"). The answer's
    # listing said an ester had been held since 1991.
    butyrate = "CCCC(=O)O[C@H]1CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3CC[C@]12C"
    result = _us(butyrate, D(2010, 1, 1))
    [match] = _listed(result)
    assert (match["effective_from"], match["run_from"]) == ("2005-01-20", "2005-01-20")
    assert result.since == {"US": "2005-01-20"}


def test_codeine_methylbromide_is_a_pentavalent_nitrogen_morphine_derivative(real_registry):
    # 1961 Convention, Schedule I, and China's 吗啡甲溴化物: "Morphine methobromide and other
    # pentavalent nitrogen morphine derivatives ... one of which is codeine-N-oxide".
    drawn = "COC1=CC=C2C[C@@H]3[C@@H]4C=C[C@H](O)[C@@H]5OC1=C2[C@@]54CC[N+]3(C)C.[Br-]"
    for text in (drawn, "codeine methylbromide"):
        [result] = check_items([text], on=COMPILED)
        by_code = {
            v.jurisdiction: v for v in verdicts(result.status, result.matches, jurisdictions())
        }
        assert {code: v.status for code, v in by_code.items()} == dict.fromkeys(
            ("CN", "UN", "US"), "controlled"
        )
        assert by_code["UN"].schedules == ("UN-1961-I",)


def test_a_steroid_s_page_says_since_when_without_a_break(real_registry, client):
    # The 2004 Act restated the 1990 steroids' definition: their pages said "since 2005-01-20",
    # and the Act's page said they moved from schedule III to schedule III.
    page = client.get("/substances/testosterone/").content.decode()
    assert "</strong> since 1991-02-27" in page and "</strong> since 2005-01-20" not in page
    assert "US-III</a> since 1991-02-27" in page  # the jurisdictions side by side
    assert "continued from 2005-01-20 by" in page
    act = client.get("/instruments/us-pl-108-358-restated/").content.decode()
    assert "Continued without a break" in act and "Moved" not in act
    chinese = client.get("/zh-hans/substances/testosterone/").content.decode()
    assert "2005-01-20起延续" in chinese


def test_restated_entries_are_shown_continued_everywhere_and_a_move_stays_a_move(
    real_registry, client
):
    # The list's page and its CSV said "since 2005-01-20" too; midazolam, which China moved from
    # Class II to Class I in 2024 keeping some preparations in Class II, is not "continued".
    page = client.get("/schedules/us-schedule-iii/").content.decode()
    row = page[page.index(">Testosterone<") :][:1500]
    assert "1991-02-27" in row and "Pub. L. 101-647" in row
    csv_text = client.get("/schedules/us-schedule-iii/csv/").content.decode()
    [line] = [li for li in csv_text.splitlines() if li.endswith(",testosterone")]
    assert ",1991-02-27," in line
    midazolam = client.get("/instruments/cn-2024-54/").content.decode()
    assert "Continued without a break" not in midazolam
    hcp = client.get("/instruments/us-79-fr-49661/").content.decode()
    assert "0 entries added, 2 moved, 0 removed." in hcp


def test_the_check_says_since_when_a_restated_entry_has_held_a_steroid(real_registry, client):
    # The check gave each listing's own first day: testosterone "since 2005-01-20" beside a
    # summary that said 1991-02-27. The API says both, and the page says since when first.
    [match] = _listed(_us("Testosterone", D(2010, 1, 1)))
    assert (match["effective_from"], match["run_from"]) == ("2005-01-20", "1991-02-27")
    # The US alone or every jurisdiction: the same run (no other country's lists break it).
    [everywhere] = [
        m
        for m in check_items(["Testosterone"], on=D(2010, 1, 1))[0].matches
        if m.get("basis") == "listing" and m["schedule"]["jurisdiction"] == "US"
    ]
    assert everywhere["run_from"] == "1991-02-27"
    [before] = _listed(_us("Testosterone", D(2000, 1, 1)))
    assert before["run_from"] == before["effective_from"] == "1991-02-27"
    query = {"items": "Testosterone", "on": "2010-01-01", "jurisdiction": "US"}
    page = client.get("/check/", query).content.decode()
    assert "</a> since 1991-02-27" in page and "this entry from 2005-01-20" in page
    assert "</a> since 2005-01-20" not in page
    chinese = client.get("/zh-hans/check/", query).content.decode()
    assert "本条目自2005-01-20起" in chinese


def test_a_hydrocodone_combination_product_is_schedule_ii_since_2014(real_registry):
    named = "Hydrocodone combination product 15 mg/du"
    assert [m["schedule"]["code"] for m in _listed(_us(named, D(2014, 10, 5)))] == ["US-III"]
    for day in (D(2014, 10, 6), COMPILED):
        result = _us(named, day)
        assert result.status == "controlled"
        assert [m["schedule"]["code"] for m in _listed(result)] == ["US-II"]


@pytest.mark.parametrize(
    ("uid", "smiles"),
    [
        # 21 CFR 1308.11(h)(90), (91): the names the regulation gives them, read by OPSIN
        ("mgm-15", r"CC[C@@H]1CN2CC[C@]3(O)c4c(cccc4OC)N[C@@H]3[C@@H]2C[C@@H]1/C(=C\OC)C(=O)OC"),
        (
            "mgm-16",
            r"CC[C@@H]1CN2CC[C@]3(O)c4c(ccc(F)c4OC)N[C@@H]3[C@@H]2C[C@@H]1/C(=C\OC)C(=O)OC",
        ),
    ],
)
def test_the_temporary_mitragynine_analogues_are_drawn_from_their_entries(
    real_registry, uid, smiles
):
    result = check_items([smiles], on=COMPILED, jurisdiction="US")[0]
    assert result.substance.uid == uid and result.matched_by == "structure"
    assert [m["schedule"]["code"] for m in result.matches] == ["US-I"]


def test_an_opioid_s_temporary_entry_names_its_esters_and_ethers(real_registry):
    """1308.11(h)'s opening words name salts and isomers; the opioids' entries add "its
    isomers, esters, ethers, salts, and salts of isomers, esters, and ethers", the
    benzodiazepine's do not (bromazolam: "its salts, isomers, and salts of isomers")."""
    covers = {
        li.substance.uid: set(li.covers)
        for li in _in_force("us-schedule-i").filter(
            substance__uid__in=("spirochlorphine", "mgm-15", "ethyleneoxynitazene", "bromazolam")
        )
    }
    assert {"esters", "ethers"} <= covers["spirochlorphine"]
    assert {"esters", "ethers"} <= covers["mgm-15"]
    assert {"esters", "ethers"} <= covers["ethyleneoxynitazene"]
    assert not {"esters", "ethers"} & covers["bromazolam"]
    acetate = r"CC[C@@H]1CN2CC[C@]3(OC(C)=O)c4c(cccc4OC)N[C@@H]3[C@@H]2C[C@@H]1/C(=C\OC)C(=O)OC"
    [result] = check_items([acetate], on=COMPILED, jurisdiction="US")
    assert result.status == "controlled"
    assert result.matches[0]["route"]["needs"] == ["esters"]


DHEA = "C[C@]12CC[C@H]3[C@@H](CC=C4C[C@@H](O)CC[C@@]43C)[C@@H]1CCC2=O"
TRESTOLONE = "C[C@@H]1CC2=CC(=O)CC[C@@H]2[C@H]2CC[C@]3(C)[C@@H](O)CC[C@H]3[C@@H]21"


def _classes(result):
    return {m["class"]["uid"] for m in result.matches if m["basis"] == "class"}


def test_dehydroepiandrosterone_was_in_doubt_until_the_2004_act_left_it_out(real_registry):
    # The 1990 definition left out estrogens, progestins and corticosteroids, not DHEA.
    assert _us(DHEA, D(1991, 2, 26)).status == "not_controlled"
    for day in (D(1991, 2, 27), D(2000, 1, 1), D(2005, 1, 19)):
        before = _us(DHEA, day)
        assert before.status == "uncertain", day
        assert _classes(before) == {"class-us-anabolic-steroids-dhea-1990"}
        assert "promotes muscle growth" in before.reasons["US"]
        # The 2004 Act's day is known: no doubt about the date, only the condition.
        assert not any(m.get("date_uncertain") for m in before.matches)
    for day in (D(2005, 1, 20), COMPILED):
        after = _us(DHEA, day)
        assert after.status == "not_controlled" and not after.matches, day


def test_the_steroid_rule_looks_at_the_nucleus_it_matched(real_registry):
    # Trestolone joined to an estrogen (a carbonate) or to a corticosteroid (hydrocortisone's
    # 21-hemisuccinate): the estrogen's aromatic ring A or the corticosteroid's side chain does
    # not take the trestolone part out of the definition.
    with_estradiol = (
        "O=C(O[C@H]1CC[C@H]2[C@@H]3CCc4cc(O)ccc4[C@H]3CC[C@]12C)"
        "O[C@H]1CC[C@H]2[C@@H]3[C@H](C)CC4=CC(=O)CC[C@@H]4[C@H]3CC[C@]12C"
    )
    with_cortisol = (
        "O=C(CCC(=O)OCC(=O)[C@@]1(O)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3[C@@H](O)C[C@@]21C)"
        "O[C@H]1CC[C@H]2[C@@H]3[C@H](C)CC4=CC(=O)CC[C@@H]4[C@H]3CC[C@]12C"
    )
    for text in (TRESTOLONE, with_estradiol, with_cortisol):
        result = _us(text)
        assert result.status == "uncertain", text
        assert _classes(result) == {"class-us-anabolic-steroids"}
    # Each part alone is left out, as before.
    estradiol = "C[C@]12CC[C@H]3[C@@H](CCc4cc(O)ccc43)[C@@H]1CC[C@@H]2O"
    hydrocortisone = "OCC(=O)[C@@]1(O)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@]4(C)[C@H]3[C@@H](O)C[C@@]21C"
    for text in (estradiol, hydrocortisone):
        assert _us(text).status == "not_controlled", text
    # A 16-ketone keeps a steroid within the rule: only a carbonyl carbon outside the rings on
    # carbon 17 (the pregnane side chain) leaves it out.
    keto16 = "C[C@]12CC[C@H]3[C@@H](CCC4=CC(=O)CC[C@@]43C)[C@@H]1CC(=O)[C@@H]2O"
    assert _classes(_us(keto16)) == {"class-us-anabolic-steroids"}


def test_the_steroid_class_examples_are_drawn_as_the_records(real_registry):
    # A named steroid's example answers by its own listing, not as a stereoisomer in doubt.
    from substances.models import SubstanceClass

    examples = {
        ex["name"]: ex["smiles"]
        for ex in SubstanceClass.objects.get(uid="class-us-anabolic-steroids").examples
    }
    for name in ("Stanozolol", "Oxandrolone"):
        result = _us(examples[name])
        assert result.status == "controlled", name
        assert result.substance.uid == name.lower()
    assert examples["Trestolone"] == TRESTOLONE


NABILONE = "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)[C@@H]1CCC(=O)C[C@@H]21"  # (6aR,10aR), trans
CIS_NABILONE = "CCCCCCC(C)(C)c1cc(O)c2c(c1)OC(C)(C)[C@H]1CCC(=O)C[C@@H]21"


def test_nabilone_is_the_trans_pair_its_entry_names(real_registry):
    # 1308.12(f): "Nabilone [Another name for nabilone: (±)-trans-3-(1,1-dimethylheptyl)-...]".
    record = Substance.objects.get(uid="nabilone")
    assert record.inchikey == "GECBBEABIDMGGL-UHFFFAOYSA-N"  # the constitution's, as before
    for text in (
        NABILONE,
        NABILONE.replace("[C@@H]1CCC", "[C@H]1CCC").replace("[C@@H]21", "[C@H]21"),
        "nabilone",
        "51022-71-0",
        record.canonical_smiles,
    ):
        result = _us(text)
        assert result.status == "controlled", text
    cis = _us(CIS_NABILONE)
    assert cis.status == "uncertain"
    [basis] = _listed(cis)
    assert basis["substance"] == "nabilone" and basis["route"]["needs"] == ["stereoisomers"]
    assert "diastereomer" in cis.reasons["US"] or "mirror image" in cis.reasons["US"]
    # Asked as the racemic cis pair (CXSMILES), it is the same diastereomer.
    assert _us(CIS_NABILONE + " |&1:20,26|").status == "uncertain"


def test_4_methylaminorex_is_the_cis_isomer_its_us_entry_names(real_registry):
    cis = ["C[C@@H]1N=C(N)O[C@@H]1c1ccccc1", "C[C@H]1N=C(N)O[C@H]1c1ccccc1"]
    trans = "C[C@H]1N=C(N)O[C@@H]1c1ccccc1"
    for text in (*cis, "CC1N=C(N)OC1c1ccccc1", "4-methylaminorex"):
        assert _us(text).status == "controlled", text
    assert _us(trans).status == "uncertain"  # a diastereomer under "optical isomers"
    for code in ("CN", "UN"):  # their entries cover stereoisomers
        [result] = check_items([trans], on=COMPILED, jurisdiction=code)
        assert result.status == "controlled", code


def test_an_ended_class_checks_its_examples_on_its_last_day(real_registry, client):
    page = client.get("/classes/class-us-anabolic-steroids-dhea-1990/").content.decode()
    assert "each example is checked on 2005-01-19" in page
    assert "&amp;on=2005-01-19" in page
    current = client.get("/classes/class-us-anabolic-steroids/").content.decode()
    assert "is no longer in force" not in current and "&amp;on=" not in current


def test_a_racemate_asked_about_is_both_its_enantiomers(real_registry):
    # Racemethorphan written as dextromethorphan's drawing with an AND group: dextro and levo.
    record = Substance.objects.get(uid="dextromethorphan").smiles
    from rdkit import Chem

    centres = [a.GetIdx() for a in Chem.MolFromSmiles(record).GetAtoms() if a.GetChiralTag()]
    racemate = f"{record} |&1:{','.join(map(str, centres))}|"
    assert _us(record).status == "not_controlled"  # excepted
    result = _us(racemate)
    assert result.status == "controlled" and len(result.components) == 2
    [un] = check_items([racemate], on=COMPILED, jurisdiction="UN")
    assert un.status == "controlled"


def test_a_key_of_the_named_configuration_is_the_compound(real_registry):
    assert _us("GECBBEABIDMGGL-RTBURBONSA-N").status == "controlled"  # GSRS's nabilone key
    assert (
        _us(
            inchikey(NABILONE.replace("[C@@H]1CCC", "[C@H]1CCC").replace("[C@@H]21", "[C@H]21"))
        ).status
        == "controlled"
    )
    assert _us(inchikey(CIS_NABILONE)).status == "uncertain"
    for cis in ("C[C@@H]1N=C(N)O[C@@H]1c1ccccc1", "C[C@H]1N=C(N)O[C@H]1c1ccccc1"):
        assert _us(inchikey(cis)).status == "controlled"


NORETHISTERONE = "C[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(C#C)O)CCC4=CC(=O)CC[C@H]34"
LEVONORGESTREL = "CC[C@]12CC[C@H]3[C@H]([C@@H]1CC[C@]2(C#C)O)CCC4=CC(=O)CC[C@H]34"


def test_a_progestin_is_not_an_anabolic_steroid_and_the_verdict_says_why(real_registry):
    # 802(41)(A), 1990 and 2004: "other than estrogens, progestins, corticosteroids ...".
    for text, name in ((NORETHISTERONE, "norethisterone"), (LEVONORGESTREL, "levonorgestrel")):
        for day in (D(1995, 6, 1), COMPILED):
            result = _us(text, day)
            assert result.status == "not_controlled" and not result.matches, (name, day)
            why = f"left out by its rule “a progestin: {name}”"
            assert why in result.reasons["US"] and why in result.reason
    # Asked about everywhere, the reason is the US's only.
    [everywhere] = check_items([NORETHISTERONE], on=COMPILED)
    assert "a progestin" in everywhere.reasons["US"]
    assert all("a progestin" not in why for code, why in everywhere.reasons.items() if code != "US")
    with translation.override("zh-hans"):
        chinese = _us(NORETHISTERONE)
    assert "但被其规则“孕激素：炔诺酮（norethisterone）”排除" in chinese.reasons["US"]
    # An ester of it that no rule draws is left to the definition's condition.
    propionate = "C#C[C@]1(OC(=O)CC)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@@H]4[C@H]3CC[C@@]21C"
    assert _classes(_us(propionate)) == {"class-us-anabolic-steroids"}


def test_a_progestin_the_definition_names_as_an_anabolic_steroid_is_controlled(real_registry):
    # Normethandrolone (a progestin, ATC G03DC31) is named in 802(41)(A): its listing answers.
    result = _us(Substance.objects.get(uid="normethandrolone").smiles)
    assert result.status == "controlled"
    assert [m["substance"] for m in _listed(result)] == ["normethandrolone"]


def test_the_check_page_says_a_progestin_is_left_out(real_registry, client):
    page = client.get("/check/", {"items": NORETHISTERONE, "on": COMPILED.isoformat()})
    assert page.status_code == 200
    assert "left out by its rule “a progestin: norethisterone”" in page.content.decode()
