"""The check on the real registry: dates of the class controls, salts, isomers, medicines."""

import datetime

import pytest

from registry.check import check_items

pytestmark = pytest.mark.django_db

D = datetime.date
# Not listed by name on any Chinese list (checked below): caught only by the class definitions.
# an analogue with no record of its own here (the US CFR names ortho-fluorobutyryl fentanyl)
META_CHLORO_BUTYRYLFENTANYL = "CCCC(=O)N(c1cccc(Cl)c1)C1CCN(CCc2ccccc2)CC1"
CUMYL_CH_MEGACLONE_LIKE = "CC(C)(c1ccccc1)NC(=O)c1nn(CC2CCCCC2)c2ccccc12"  # an indazole carboxamide
ETHYLENE_NITAZENE = "CCCOc1ccc(Cc2nc3cc([N+](=O)[O-])ccc3n2CCN2CCCCC2)cc1"


def _one(text, on, jurisdiction="CN"):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


def _bases(result):
    return sorted({m["basis"] for m in result.matches})


def test_fentanyl_analogue_is_class_controlled_from_2019_05_01(real_registry):
    before = _one(META_CHLORO_BUTYRYLFENTANYL, D(2019, 4, 30))
    after = _one(META_CHLORO_BUTYRYLFENTANYL, D(2019, 5, 1))
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


def test_listed_fentanyl_stays_under_its_own_listing_not_the_class(real_registry):
    # 2019 announcement: fentanyls already on the narcotic or psychotropic catalogues or the
    # Supplementary List "依原有目录予以管制"; the class entry does not also claim them.
    r = _one("芬太尼", D(2024, 1, 1))
    assert r.substance.uid == "fentanyl" and _bases(r) == ["listing"]
    [listing] = r.matches
    assert listing["schedule"]["uid"] == "cn-narcotic-2013"
    assert r.since["CN"] == "2014-01-01"
    # After the reorganisation the 2025 entry says the same of the narcotic list.
    assert _bases(_one("芬太尼", D(2026, 1, 1))) == ["listing"]


def test_fentanyl_named_on_the_supplementary_list_stays_under_that_entry(real_registry):
    r = _one("acetylfentanyl", D(2020, 1, 1))
    assert r.substance.uid == "acetylfentanyl" and _bases(r) == ["listing"]
    assert [m["schedule"]["uid"] for m in r.matches] == ["cn-nonmedical-2015"]
    # Its structure alone (no record asked by name) is still found as the same record.
    by_structure = _one("CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", D(2020, 1, 1))
    assert _bases(by_structure) == ["listing"]


def test_class_verdict_says_no_member_is_known_taken_out_for_a_legitimate_use(real_registry):
    r = _one(META_CHLORO_BUTYRYLFENTANYL, D(2024, 1, 1))
    [match] = r.matches
    assert match["listing"] == "l-class-fentanyls-cn-nonmedical-2015-20190501"
    assert "legitimate use" in match["explanation"]
    assert "No member is known" in match["explanation"]
    assert "合法用途" in match["explanation_zh"]
    assert r.since["CN"] == "2019-05-01"


def test_a_member_recorded_as_taken_out_is_not_claimed_by_the_class(real_registry):
    from registry import services
    from registry.models import Listing

    actor = services.Actor.system("test")
    analogue = services.create_substance(
        actor=actor,
        uid="test-meta-chlorobutyrylfentanyl",
        name_en="meta-Chlorobutyrylfentanyl (test record)",
        smiles=META_CHLORO_BUTYRYLFENTANYL,
    )
    entry = Listing.objects.get(uid="l-class-fentanyls-cn-nonmedical-2015-20190501")
    before = dict(entry.attributes)
    services.amend_listing(
        listing=entry, actor=actor, attributes={**before, "excepted": [analogue.uid]}
    )
    try:
        r = _one(META_CHLORO_BUTYRYLFENTANYL, D(2024, 1, 1))
        assert r.substance.uid == analogue.uid
        assert r.status == "not_controlled" and r.matches == []
        assert "taken out of Fentanyl-related substances" in r.reason
        # Before the reorganisation only: the 2025 entry records no exception.
        assert _one(META_CHLORO_BUTYRYLFENTANYL, D(2026, 1, 1)).status == "controlled"
    finally:
        services.amend_listing(
            listing=Listing.objects.get(pk=entry.pk), actor=actor, attributes=before
        )


def test_the_2019_wording_is_recorded_and_its_four_conditions_are_the_encoded_ones(real_registry):
    import re

    from registry.models import Listing
    from substances.models import SubstanceClass

    entry = Listing.objects.get(uid="l-class-fentanyls-cn-nonmedical-2015-20190501")
    wording = entry.attributes["legal_text_zh"]
    assert "依原有目录予以管制" in wording and "第三条第二款" in wording
    assert "2019年5月1日" in wording and entry.attributes["legal_text_en"]
    assert "shanghaiinvest.com" in entry.attributes["legal_text_source"]
    assert entry.attributes["excepted"] == []  # no member known to be taken out
    assert set(entry.attributes["named_listings_prevail"]) == {
        "cn-narcotic-2013",
        "cn-psychotropic-1-2013",
        "cn-psychotropic-2-2013",
        "cn-nonmedical-2015",
    }
    # The class rules were written from the definition the class holds; its four conditions
    # are word for word those of 2019 (numbered "一、" there, "（一）" here).
    definition = SubstanceClass.objects.get(uid="class-fentanyls").definition_zh
    conditions = re.findall(r"（[一二三四]）(.+?)；?$", definition, flags=re.M)
    assert len(conditions) == 4
    for n, condition in zip("一二三四", conditions, strict=True):
        assert f"{n}、{condition.rstrip('；。')}" in wording


# One structure per condition of the 2019 definition, named on no Chinese list: controlled in
# 2020 through the class alone, not the day before the announcement took effect.
@pytest.mark.parametrize(
    ("condition", "smiles"),
    [
        ("1: hexanoyl for propionyl", "CCCCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"),
        ("2: thiophen-2-yl on the amide N", "CCC(=O)N(c1cccs1)C1CCN(CCc2ccccc2)CC1"),
        ("3: 2-methyl on the piperidine", "CCC(=O)N(c1ccccc1)C1CC(C)N(CCc2ccccc2)CC1"),
        ("4: 2-cyclohexylethyl for phenethyl", "CCC(=O)N(c1ccccc1)C1CCN(CCC2CCCCC2)CC1"),
    ],
)
def test_each_2019_condition_on_a_compound_no_list_names(real_registry, condition, smiles):
    assert _one(smiles, D(2019, 4, 30)).status == "not_controlled"
    r = _one(smiles, D(2020, 1, 1))
    assert r.status == "controlled" and _bases(r) == ["class"], condition
    assert r.matches[0]["schedule"]["uid"] == "cn-nonmedical-2015"
    assert r.since["CN"] == "2019-05-01"


def test_norfentanyl_is_outside_the_2019_class(real_registry):
    # Condition 4 replaces the phenethyl group by "any other group except hydrogen".
    r = _one("CCC(=O)N(c1ccccc1)C1CCNCC1", D(2020, 1, 1))
    assert r.status == "not_controlled"


def test_a_name_in_its_english_spelling_finds_the_inn_record(real_registry):
    # The search found dexamfetamine for "dexamphetamine"; the check answered unknown.
    results = check_items(
        ["dexamphetamine", "levamphetamine", "Fentanil"], on=datetime.date(2026, 1, 1)
    )
    assert [(r.substance.uid, r.matched_by) for r in results] == [
        ("dexamfetamine", "name"),
        ("levamfetamine", "name"),
        ("fentanyl", "name"),
    ]


def test_the_names_the_trade_uses_find_their_records(real_registry):
    # Each answered unknown: no record held the short name the trade and the press use.
    names = ["delta-8-THC", "Δ8-THC", "exo-THC", "Δ10-THC", "Sydnocarb", "Propoxyphene"]
    names += ["Δ3-THC", "methylamphetamine"]
    results = check_items(names, on=datetime.date(2026, 1, 1))
    assert [(r.substance.uid, r.matched_by) for r in results] == [
        ("thc-delta-8", "name"),
        ("thc-delta-8", "name"),
        ("exo-thc", "name"),
        ("thc-delta-10", "name"),
        ("mesocarb", "name"),
        ("dextropropoxyphene", "name"),
        ("thc-delta-6a10a", "name"),
        ("methamphetamine", "name"),
    ]


def test_a_name_finds_first_the_record_whose_own_name_it_is(real_registry):
    # Each is one record's own English name and another's synonym: the check reported the
    # other record (the one entered first).
    results = check_items(
        ["Tetrahydrocannabinols", "delta-9-Tetrahydrocannabinol and its stereochemical variants"],
        on=datetime.date(2026, 1, 1),
    )
    assert [r.substance.uid for r in results] == [
        "tetrahydrocannabinols",
        "delta-9-thc-stereochemical-variants",
    ]


@pytest.mark.parametrize(
    "text", ["any", "synthetic", "dosage forms", "cis isomer", "2-methoxybenzyl", "phenylamino"]
)
def test_a_piece_of_a_name_split_at_its_parentheses_is_no_name(real_registry, text):
    # The US compilation split "Barbituric acid derivatives (any)" into two names: "any" was
    # controlled, as barbituric acid derivatives.
    [result] = check_items([text], on=datetime.date(2026, 1, 1))
    assert result.substance is None or result.matched_by != "name", result.substance


def test_tcpy_is_named_as_the_cfr_names_it(real_registry):
    [result] = check_items(["1-[1-(2-Thienyl)cyclohexyl]pyrrolidine"], on=datetime.date(2026, 1, 1))
    assert result.substance.uid == "1-1-cyclohexyl-pyrrolidine"
    assert result.substance.name_en == "1-[1-(2-Thienyl)cyclohexyl]pyrrolidine"


def test_a_precursor_in_solution_is_the_precursor(real_registry):
    # China's precursor lists do not cover salts; acetone with water (or hydrochloric acid,
    # HCl with water) was answered "a salt of acetone", not controlled.
    for text in ("CC(C)=O.O", "Cl.O"):
        result = _one(text, D(2026, 1, 1))
        assert (result.status, result.matched_by) == ("controlled", "structure"), text
        assert "CN-PREC-3" in {m.listed.schedule.code for m in result.matches}
