"""Typed relations on the real registry: preparations, forms, group members and exceptions."""

import datetime
import re

import pytest

from registry import check, services
from registry.check import check_items, covered_through
from registry.jurisdictions import jurisdictions, verdicts_of
from registry.verdicts import ClassBasis
from substances.models import Substance

pytestmark = pytest.mark.django_db

D = datetime.date
DEXTROMETHORPHAN = "COC1=CC=C2C[C@H]3[C@H]4CCCC[C@@]4(CCN3C)C2=C1"
PSEUDOEPHEDRINE_HCL = "CN[C@@H](C)[C@@H](O)c1ccccc1.Cl"


def _one(text, on, jurisdiction="CN"):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


def _schedules(result):
    return sorted(m["schedule"]["uid"] for m in result.matches if m["basis"] == "listing")


@pytest.mark.parametrize(
    ("uid", "on", "expected"),
    [
        # Class II psychotropics from 2015-05-01, never narcotics through codeine
        ("codeine-compound-oral-liquids", D(2014, 6, 1), []),
        ("codeine-compound-oral-liquids", D(2016, 1, 1), ["cn-psychotropic-2-2013"]),
        # Class II from 2024-07-01 only, never narcotics through diphenoxylate
        ("diphenoxylate-compound-preparations", D(2020, 1, 1), []),
        ("diphenoxylate-compound-preparations", D(2024, 8, 1), ["cn-psychotropic-2-2013"]),
        # its own Class II entry, not buprenorphine's Class I
        ("buprenorphine-transdermal-patch", D(2020, 1, 1), ["cn-psychotropic-2-2013"]),
        ("buprenorphine-transdermal-patch", D(2026, 1, 1), ["cn-psychotropic-2-2025"]),
        # two active ingredients: no precursor control, which covers single-ingredient ones
        ("ergotamine-caffeine-tablets", D(2020, 1, 1), ["cn-psychotropic-2-2013"]),
        ("buprenorphine-naloxone-oral-solids", D(2020, 1, 1), ["cn-psychotropic-2-2013"]),
        ("caffeine-sodium-benzoate", D(2020, 1, 1), ["cn-psychotropic-2-2013"]),
    ],
)
def test_a_preparation_is_covered_only_by_its_own_listings(real_registry, uid, on, expected):
    name = Substance.objects.get(uid=uid).name_en
    result = _one(name, on)
    assert result.substance.uid == uid
    assert _schedules(result) == expected
    assert result.status == ("controlled" if expected else "not_controlled")


@pytest.mark.parametrize("text", ["dextromethorphan", "右美沙芬", "125-71-3", DEXTROMETHORPHAN])
def test_dextromethorphan_is_excepted_from_racemethorphan(real_registry, text):
    assert _one(text, D(2020, 1, 1)).status == "not_controlled"
    assert _one(text, D(2024, 6, 30)).status == "not_controlled"
    assert _schedules(_one(text, D(2024, 7, 1))) == ["cn-psychotropic-2-2013"]
    assert _schedules(_one(text, D(2026, 1, 1))) == ["cn-psychotropic-2-2025"]


def test_the_exception_does_not_free_the_listed_isomers(real_registry):
    levo = _one("levomethorphan", D(2020, 1, 1))
    assert "cn-narcotic-2013" in _schedules(levo)
    assert _one("dextrorphan", D(2020, 1, 1)).status == "not_controlled"
    assert set(_schedules(_one("levorphanol", D(2020, 1, 1)))) == {"cn-narcotic-2013"}


@pytest.mark.parametrize(
    "text",
    [
        "ephedrine",
        "pseudoephedrine",
        "norephedrine",
        "N-methylephedrine",
        "racephedrine",
        "ephedra extract",
        "麻黄浸膏粉",
        PSEUDOEPHEDRINE_HCL,
    ],
)
def test_members_of_the_ephedrine_group_are_category_i_precursors(real_registry, text):
    result = _one(text, D(2020, 1, 1))
    assert result.status == "controlled", result.reason
    [match] = [m for m in result.matches if m["schedule"]["uid"] == "cn-precursor-1"]
    assert match["substance"] == "ephedrine-type-substances"
    assert "member of" in match["explanation"]
    assert [s["relation"] for s in match["route"]["steps"]] == ["member_of"]


@pytest.mark.parametrize(
    "smiles",
    [
        "CN[C@H](C)[C@@H](O)c1ccccc1",  # (+)-ephedrine, (1S,2R), half of racephedrine
        "CN[C@H](C)[C@H](O)c1ccccc1",  # (-)-pseudoephedrine, (1R,2R)
    ],
)
def test_stereoisomers_of_the_named_ephedrines_are_ephedrine_type_substances(real_registry, smiles):
    """The group is open ("等麻黄素类物质"): the stereoisomers of its named members are in it."""
    result = _one(smiles, D(2020, 1, 1))
    assert result.status == "controlled", result.reason
    [match] = [m for m in result.matches if m["schedule"]["uid"] == "cn-precursor-1"]
    assert match["substance"] == "ephedrine-type-substances"


def test_levomethorphans_own_entry_governs_it_after_the_2025_move(real_registry):
    """The 2025 lists moved levomethorphan from the narcotic list to the non-medical one, and
    kept racemethorphan, whose entry covers its stereoisomers, in the narcotic list: from then
    levomethorphan's own entry answers, not racemethorphan's as its isomer."""
    assert _schedules(_one("levomethorphan", D(2026, 1, 1))) == ["cn-nonmedical-2025"]


def test_a_stereoisomers_page_says_what_the_check_says(real_registry, client):
    """The pages of levomethorphan and N-methylpseudoephedrine showed the other entry too,
    "through its relations", where their own entry governs them."""
    for uid, codes in (
        ("levomethorphan", ("CN-NONMED-2025", "UN-1961-I", "US-II")),
        ("n-methylpseudoephedrine", ("US-LIST-I",)),
    ):
        page = client.get(f"/substances/{uid}/").content.decode()
        table = page[page.index("<table") :]
        table = table[: table.index("</table>")]
        assert all(f">{code}</a>" in table for code in codes), uid
        assert "CN-NARC-2025" not in table and table.count("through its relations") <= 1, uid


def test_an_extract_names_each_list_it_reaches_once_on_its_page(real_registry, client):
    # Ephedra extract reaches UN Table I and US List I through ephedrine and pseudoephedrine:
    # the table said each list twice.
    page = client.get("/substances/ephedra-extract/").content.decode()
    table = page[page.index("<table") :]
    table = table[: table.index("</table>")]
    assert table.count(">UN-1988-I</a>") == 1 and table.count(">US-LIST-I</a>") == 1


def test_the_chinese_chain_says_which_record_each_link_is_of(real_registry, client):
    # "消旋麻黄素的盐，为麻黄素的立体异构体" said the salt was the stereoisomer.
    page = client.get("/zh-hans/check/", {"items": "Racephedrine hydrochloride"}).content
    assert "作为消旋麻黄素的盐，后者为麻黄素的立体异构体" in page.decode()


THC_ISOMERS = {
    # The six the 2025 Non-medical List's item 282 names, drawn from its systematic names.
    "thc-delta-6a10a": "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1=C2CC(C)CC1",
    "thc-delta-6a7": "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1=CCC(C)CC12",
    "thc-delta-7": "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1C=CC(C)CC21",
    "thc-delta-8": "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1CC=C(C)CC21",
    "thc-delta-10": "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1CCC(C)C=C21",
    "exo-thc": "C=C1CCC2C(C1)c1c(O)cc(CCCCC)cc1OC2(C)C",
}


@pytest.mark.parametrize(("uid", "smiles"), THC_ISOMERS.items())
def test_the_thc_isomers_are_members_of_their_group_entry(real_registry, uid, smiles):
    """Drawn, named or numbered, each isomer is covered by the group's listings: the 2013
    Class I psychotropic list from 2014, the 2025 Non-medical List, 1971 Schedule I."""
    record = Substance.objects.get(uid=uid)
    for text in (smiles, record.cas, record.name_zh):
        result = _one(text, D(2024, 1, 1))
        assert result.status == "controlled", (text, result.reason)
        [match] = result.matches
        assert match["substance"] == "tetrahydrocannabinol-isomers"
        assert [s["relation"] for s in match["route"]["steps"]] == ["member_of"]
        assert match["schedule"]["uid"] == "cn-psychotropic-1-2013"
    assert _schedules(_one(smiles, D(2026, 1, 1))) == ["cn-nonmedical-2025"]
    assert _schedules(_one(smiles, D(2026, 1, 1), "UN")) == ["un-1971-schedule-i"]
    # a stereoisomer drawn with its configuration is the same entry
    if uid == "thc-delta-8":
        drawn = "CCCCCc1cc(O)c2c(c1)OC(C)(C)[C@@H]1CC=C(C)C[C@H]21"
        assert _schedules(_one(drawn, D(2026, 1, 1))) == ["cn-nonmedical-2025"]


def test_dronabinol_is_no_member_of_the_isomers_entry(real_registry):
    result = _one("dronabinol", D(2026, 1, 1))
    assert {m["substance"] for m in result.matches if m["basis"] == "listing"} == {"dronabinol"}


def test_the_group_member_salt_route_says_why(real_registry):
    result = _one(PSEUDOEPHEDRINE_HCL, D(2020, 1, 1))
    [match] = [m for m in result.matches if m["schedule"]["uid"] == "cn-precursor-1"]
    assert match["route"]["matched_by"] == "salt" and match["route"]["needs"] == ["salts"]
    assert "salt of Pseudoephedrine" in match["explanation"]


def test_an_unlisted_shadow_record_hides_no_listing(real_registry):
    actor = services.Actor.system("tests")
    services.create_substance(
        actor=actor,
        uid="shadow-ketamine-hcl",
        name_en="Ketamine hydrochloride (shadow)",
        kind="form",
        smiles="CNC1(c2ccccc2Cl)CCCCC1=O.Cl",
    )
    result = _one("CNC1(c2ccccc2Cl)CCCCC1=O.Cl", D(2024, 1, 1))
    assert result.status == "controlled"
    assert "cn-psychotropic-1-2013" in _schedules(result)
    by_name = _one("Ketamine hydrochloride (shadow)", D(2024, 1, 1))
    assert by_name.substance.uid == "shadow-ketamine-hcl"
    assert by_name.status == "controlled"


def test_the_public_page_shows_the_relation_and_why(client, real_registry):
    page = client.get("/substances/ephedrine/").content.decode()
    assert "A member of the group entry" in page
    assert "/substances/ephedrine-type-substances/" in page
    covered = covered_through(Substance.objects.get(uid="ephedrine"), on=D(2024, 1, 1))
    assert [c.listing.schedule.uid for c in covered] == ["cn-precursor-1"]
    page = client.get("/substances/dextromethorphan/").content.decode()
    assert "Excepted from the listings of" in page


def test_the_api_shows_relations_both_ways(client, real_registry):
    body = client.get("/api/v1/substances/dextromethorphan/").json()
    kinds = sorted((r["kind"], r["target"]["uid"]) for r in body["relations"])
    assert kinds == [("excepted_from", "racemethorphan"), ("form_of", "racemethorphan")]
    group = client.get("/api/v1/substances/ephedrine-type-substances/").json()
    members = {r["subject"]["uid"] for r in group["inverse_relations"]}
    assert {"ephedrine", "pseudoephedrine", "n-methylephedrine", "racephedrine"} <= members
    listing = client.get(
        "/api/v1/listings/l-ephedrine-type-substances-cn-precursor-1-20051101/"
    ).json()
    assert listing["coverage"] == ["salts", "stereoisomers", "preparations"]


@pytest.mark.parametrize(
    ("text", "on", "since"),
    [
        # an unlisted fentanyl analogue: class-controlled without a break since 2019-05-01,
        # across the 2025 reorganisation that started a new class listing
        ("CCCC(=O)N(c1ccccc1F)C1CCN(CCc2ccccc2)CC1", D(2026, 1, 1), "2019-05-01"),
        ("fentanyl", D(2026, 1, 1), "2014-01-01"),
        ("etizolam", D(2026, 1, 1), "2021-07-01"),  # moved to the medical list in 2025
        ("dextromethorphan", D(2026, 1, 1), "2024-07-01"),
        ("codeine-containing compound oral liquid preparations", D(2026, 1, 1), "2015-05-01"),
        ("ephedrine", D(2026, 1, 1), "2005-11-01"),
    ],
)
def test_since_when_without_a_break(real_registry, text, on, since):
    result = _one(text, on)
    assert result.status == "controlled"
    assert result.since["CN"] == since


def test_search_results_count_since_through_relations_as_the_check_does(real_registry):
    # Every record that is a form, member or preparation of another: the search's "since"
    # (check.standings) follows its relations as the check does, and so does its status.
    on = D(2026, 1, 1)
    related = Substance.objects.filter(relations__isnull=False).distinct().order_by("uid")
    assert related.count() >= 20
    standings = check.standings(list(related), on=on)
    compared = 0
    for substance in related:
        result = _one(substance.name_en, on, jurisdiction=None)
        if result.substance is None or result.substance.uid != substance.uid:
            continue  # the name finds another record first: not this record's verdict
        compared += 1
        standing = standings[substance.pk]
        assert standing.since == result.since, substance.uid
        if standing.through:
            assert result.status == "controlled", substance.uid
    assert compared >= 20
    levo = Substance.objects.get(uid="levomethamphetamine")
    through = standings[levo.pk].through
    assert through and {c.listing.substance.uid for c in through} == {"methamphetamine"}


def test_a_search_result_shows_the_listing_that_reaches_it_through_a_relation(
    real_registry, client
):
    html = client.get("/search/", {"q": "levomethamphetamine"}).content.decode()
    results = html.split('<ol class="results"')[1].split("</ol>")[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", results).split())
    text = text.split("Controlled without a break since")[0]  # the first result
    assert "Levomethamphetamine" in text
    # Its own non-medical listing, and methamphetamine's listings, which cover its isomers.
    assert "Not on a list by name" not in text
    assert "which is a stereoisomer of Methamphetamine" in text
    # On the US list only through methamphetamine; on China's non-medical list by name as well,
    # which is shown once.
    assert "Schedule II (21 CFR 1308.12) (Levomethamphetamine, which is a stereoisomer" in text
    assert text.count("Catalogue of Non-medical Narcotic Drugs and Psychotropic Substances") == 1


def test_search_results_show_the_classes_whose_entry_claims_them_as_the_check_does(
    real_registry,
):
    # China's 2025 fentanyl entry defers to the narcotic list ("依原有目录予以管制"): fentanyl
    # itself is not claimed by it, carfentanil (named on the non-medical list) is.
    on = D(2026, 1, 1)
    substances = list(Substance.objects.exclude(smiles="").order_by("uid"))
    standings = check.standings(substances, on=on)
    results = check_items([s.uid for s in substances], on=on)
    compared = conditions = 0
    for substance, result in zip(substances, results, strict=True):
        if result.substance is None or result.substance.uid != substance.uid:
            continue
        compared += 1
        shown = {c.substance_class.uid for c in standings[substance.pk].classes}
        weighed = {
            m.substance_class.uid
            for m in result.matches
            if isinstance(m, ClassBasis) and not m.date_uncertain and not m.condition
        }
        assert shown == weighed, substance.uid
        # A class whose definition also asks what a structure cannot show is shown apart.
        possible = {c.substance_class.uid for c in standings[substance.pk].possible}
        conditional = {
            m.substance_class.uid
            for m in result.matches
            if isinstance(m, ClassBasis) and not m.date_uncertain and m.condition
        }
        assert possible == conditional, substance.uid
        conditions += bool(possible)
    assert compared >= 500
    assert conditions >= 10  # the naphthoylindoles and the like within the US classes
    by_uid = {s.uid: standings[s.pk] for s in substances}
    assert "class-fentanyls" not in {c.substance_class.uid for c in by_uid["fentanyl"].classes}
    assert "class-fentanyls" in {c.substance_class.uid for c in by_uid["carfentanil"].classes}


def test_the_class_page_says_which_members_stay_under_their_own_list(real_registry, client):
    flags, page_of = {}, {}
    for page in range(1, 30):
        response = client.get("/classes/class-fentanyls/", {"page": page})
        assert response.status_code == 200
        for member in response.context["members"].object_list:
            flags[member.uid], page_of[member.uid] = member.not_claimed, page
        if not response.context["members"].has_next():
            break
    assert flags["fentanyl"] == "own-list"  # on the narcotic list, which the entry defers to
    assert flags["carfentanil"] == ""  # named on the non-medical list: the entry claims it too
    html = client.get("/zh-hans/classes/class-fentanyls/", {"page": page_of["fentanyl"]})
    assert "依原有目录管制：不属于整类列管条目" in html.content.decode()


def _verdicts(text, on):
    [result] = check_items([text], on=on)
    return result, {v.jurisdiction: v for v in verdicts_of(result, jurisdictions())}


@pytest.mark.parametrize(
    ("name", "relation", "un_lists"),
    [
        # 21 CFR 1308.12(b)(1) codes opium's forms and preparations apart; for China and the
        # 1961 Convention they are opium, or its single-ingredient preparations.
        ("Opium, powdered", "form_of", {"UN-1961-I"}),
        ("Opium, granulated", "form_of", {"UN-1961-I"}),
        # A preparation of opium: Schedule I (article 2(3)); not the Schedule III item, whose
        # 0.2 per cent of morphine these pharmacopoeial preparations are far above (its listing
        # excepts them), though a preparation of opium of unstated strength may be one.
        ("Opium tincture", "single_ingredient", {"UN-1961-I"}),
        ("Opium extracts", "single_ingredient", {"UN-1961-I"}),
        ("Opium fluid extract", "single_ingredient", {"UN-1961-I"}),
        # The CFR's own words name them too.
        ("Tincture of opium", "single_ingredient", {"UN-1961-I"}),
        ("Opium fluid", "single_ingredient", {"UN-1961-I"}),
        ("Granulated opium", "form_of", {"UN-1961-I"}),
    ],
)
def test_the_us_opium_records_are_opium_for_china_and_the_un(
    real_registry, name, relation, un_lists
):
    for on, cn_list in ((D(2020, 1, 1), "CN-NARC-2013"), (D(2026, 12, 8), "CN-NARC-2025")):
        result, by_code = _verdicts(name, on)
        assert by_code["CN"].status == "controlled", (name, on, by_code["CN"])
        assert by_code["CN"].schedules == (cn_list,)
        assert by_code["UN"].status == "controlled", (name, on, by_code["UN"])
        assert set(by_code["UN"].schedules) == un_lists
        cn = [m for m in result.matches if m.listed.schedule.jurisdiction == "CN"]
        assert [m.substance for m in cn] == ["opium"]
        assert cn[0].route.steps[0].relation == relation
        # In the US its own entry governs it, not raw opium's (the same schedule II).
        us = [m for m in result.matches if m.listed.schedule.jurisdiction == "US"]
        assert [m.listed.schedule.code for m in us] == ["US-II"]
        assert us[0].substance == result.substance.uid


MARIJUANA_III = (
    "Marijuana in FDA-approved drug products and marijuana subject to a state medical marijuana "
    "license"
)
EXTRACT_III = (
    "Marijuana extract in an FDA-approved product or subject to a state medical marijuana license"
)


@pytest.mark.parametrize("name", ["Marihuana extract", MARIJUANA_III, EXTRACT_III])
def test_the_us_cannabis_records_are_cannabis_for_china_and_the_un(real_registry, name):
    for on in (D(2019, 6, 1), D(2026, 12, 8)):
        result, by_code = _verdicts(name, on)
        assert by_code["CN"].status == "controlled", (name, on)
        assert by_code["UN"].status == "controlled", (name, on)
        un = {m.substance for m in result.matches if m.listed.schedule.jurisdiction == "UN"}
        assert un == {"cannabis"}, (name, on)
    # The 1961 Schedule IV entry, until 2020-12-02, was cannabis and cannabis resin: not the
    # extracts and tinctures Schedule I names.
    _result, by_code = _verdicts(name, D(2019, 6, 1))
    expected = {"UN-1961-I"} if "xtract" in name else {"UN-1961-I", "UN-1961-IV"}
    assert set(by_code["UN"].schedules) == expected


def test_the_us_moved_marijuana_in_medical_settings_to_schedule_iii(real_registry):
    for name in (MARIJUANA_III, EXTRACT_III):
        _result, by_code = _verdicts(name, D(2026, 12, 8))
        # Its own entry governs it in the US, not cannabis's schedule I entry.
        assert by_code["US"].schedules == ("US-III",), name
        _result, by_code = _verdicts(name, D(2025, 1, 1))
        assert by_code["US"].schedules == ("US-I",), name
    # Cannabis asked in the US: schedule I, and schedule III as those entries name it.
    _result, by_code = _verdicts("Cannabis", D(2026, 12, 8))
    assert set(by_code["US"].schedules) == {"US-I", "US-III"}
    _result, by_code = _verdicts("Cannabis", D(2025, 1, 1))
    assert by_code["US"].schedules == ("US-I",)


def test_natural_thc_in_medical_products_is_a_preparation_of_dronabinol(real_registry):
    name = (
        "Naturally derived delta-9-tetrahydrocannabinols in an FDA-approved product or in "
        "marijuana subject to a state medical marijuana license"
    )
    for on in (D(2020, 1, 1), D(2026, 12, 8)):
        _result, by_code = _verdicts(name, on)
        # The 1971 Convention, article 3(1): Schedule II, as delta-9-THC.
        assert (by_code["UN"].status, by_code["UN"].schedules) == ("controlled", ("UN-1971-II",))
        # China's entry covers single-ingredient preparations (2020) or says nothing of them
        # (2026); what else the product holds its entry does not say.
        assert by_code["CN"].status == "uncertain", (on, by_code["CN"])
        assert "Dronabinol" in by_code["CN"].reason


EPHEDRINE_TYPE = (
    "Ephedrine-type substances (ephedrine, pseudoephedrine, racephedrine, norephedrine, "
    "methylephedrine, ephedra extract, ephedra extract powder, etc.)"
)


def test_a_group_entry_is_open_where_some_of_its_members_are_controlled(real_registry):
    """China's ephedrine-type substances: the 1988 Convention's Table I and the US List I name no
    such group, but list ephedrine, pseudoephedrine, norephedrine: not `not_controlled` there
    (which member is meant decides), and the members are named."""
    result, by_code = _verdicts(EPHEDRINE_TYPE, D(2026, 12, 8))
    assert by_code["CN"].status == "controlled"
    un, us = by_code["UN"], by_code["US"]
    assert (un.status, un.uncertain_because, un.schedules) == (
        "uncertain",
        ("members",),
        ("UN-1988-I",),
    )
    assert "Ephedrine (UN-1988-I)" in un.reason and "5 of the 8 members" in un.reason
    # Methylephedrine is no Table I substance: not named among them.
    assert "N-Methylephedrine" not in un.reason
    assert (us.status, us.schedules) == ("uncertain", ("US-LIST-I",))
    assert result.members_open == {"UN": ("UN-1988-I",), "US": ("US-LIST-I",)}
    # Asked of one jurisdiction, the same answer.
    [only_un] = check_items([EPHEDRINE_TYPE], on=D(2026, 12, 8), jurisdiction="UN")
    assert only_un.status == "uncertain" and only_un.members_open == {"UN": ("UN-1988-I",)}


def test_a_group_entry_none_of_whose_members_is_controlled_stays_not_controlled(real_registry):
    # The US barbituric acid derivatives: its one recorded member, thiamylal, is on no list of
    # China's or the Conventions'.
    result, by_code = _verdicts("Barbituric acid derivatives", D(2026, 12, 8))
    assert by_code["US"].status == "controlled"
    assert by_code["UN"].status == by_code["CN"].status == "not_controlled"
    assert result.members_open == {}


def test_a_group_of_preparations_answers_from_its_items(real_registry):
    # US schedule V's narcotic preparations: each item is within a 1961 Schedule III item's
    # limits (opium's: Schedule I or III), so the Convention reaches every one.
    _result, by_code = _verdicts("Narcotic preparations", D(2026, 12, 8))
    assert by_code["US"].status == "controlled"
    assert by_code["UN"].status == "uncertain"
    assert set(by_code["UN"].schedules) == {"UN-1961-I", "UN-1961-III"}
    assert "each of the 5 members the registry records" in by_code["UN"].reason
    # In China each item is itself open (a compound preparation China may name): in doubt.
    assert by_code["CN"].status == "uncertain" and by_code["CN"].schedules == ()
    assert "(in doubt)" in by_code["CN"].reason


def test_the_substance_page_says_which_members_are_controlled(real_registry, client):
    page = client.get("/substances/ephedrine-type-substances/").content.decode()
    assert "Uncertain (which member)" in page
    assert "5 of the 8 members the registry records" in page
    page = client.get("/zh-hans/substances/ephedrine-type-substances/").content.decode()
    assert "不确定（哪一成员）" in page and "麻黄素（UN-1988-I）" in page


def test_an_ester_the_us_does_not_name_is_reached_by_its_parent_s_entry(real_registry):
    """Nicodicodine is 6-nicotinoyldihydrocodeine: the US names no nicodicodine, and schedule
    II's dihydrocodeine covers its esters (1308.12(c)). Where it is listed by name (China, the
    1961 Convention's Schedule II) that entry governs it, not dihydrocodeine's."""
    result, by_code = _verdicts("Nicodicodine", D(2026, 12, 8))
    assert by_code["US"].schedules == ("US-II",)
    [us] = [m for m in result.matches if m.listed.schedule.jurisdiction == "US"]
    assert us.substance == "dihydrocodeine"
    assert us.explanation == (
        "Nicodicodine, which is an ester of Dihydrocodeine (the entry covers esters)"
    )
    assert by_code["CN"].schedules == ("CN-NONMED-2025",)
    assert by_code["UN"].schedules == ("UN-1961-II",)


def test_an_ether_listed_by_name_is_not_also_in_its_parent_s_schedule(real_registry):
    # Norcodeine, an ether of normorphine: the 1961 Convention's Schedule I covers the ethers
    # of normorphine "unless appearing in another Schedule", and norcodeine is in Schedule II.
    _result, by_code = _verdicts("Norcodeine", D(2026, 12, 8))
    assert by_code["UN"].schedules == ("UN-1961-II",)
    # The US's normorphine entry (1308.11(c)) covers no ethers: said, not silent.
    assert by_code["US"].status == "not_controlled"
    assert "does not cover ethers" in by_code["US"].reason


def test_a_group_entry_answers_from_its_members_where_another_jurisdiction_is_unrecorded(
    real_registry,
):
    # On 2004-01-01 the registry holds no list of China's: `unknown` there, and the rule holds
    # in the others (it was skipped, leaving UN and US `not_controlled`).
    result, by_code = _verdicts(EPHEDRINE_TYPE, D(2004, 1, 1))
    assert by_code["CN"].status == "unknown"
    assert (by_code["UN"].status, by_code["US"].status) == ("uncertain", "uncertain")
    assert result.status == "uncertain"


def test_a_group_entry_whose_members_were_not_checked_in_time_is_not_judged(real_registry):
    [result] = check_items([EPHEDRINE_TYPE], on=D(2026, 12, 8), time_budget=0.001)
    by_code = {v.jurisdiction: v for v in verdicts_of(result, jurisdictions())}
    assert result.out_of_time
    for code in ("UN", "US"):
        assert by_code[code].status == "unknown", by_code[code]
        assert "time budget" in by_code[code].reason


def test_the_pmk_glycidic_acid_esters_are_open_in_the_us_through_the_methyl_ester(real_registry):
    # The US lists PMK methyl glycidate (List I, 2021), not the group of the acid's esters.
    _result, by_code = _verdicts("PMK glycidic acid esters", D(2026, 12, 8))
    assert (by_code["US"].status, by_code["US"].schedules) == ("uncertain", ("US-LIST-I",))
    assert by_code["UN"].status == by_code["CN"].status == "controlled"
    _result, methyl = _verdicts("PMK methyl glycidate", D(2026, 12, 8))
    assert methyl["US"].schedules == ("US-LIST-I",)
    assert methyl["UN"].schedules == ("UN-1988-I",)


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Cannabis", "Marijuana in FDA-approved drug products"),
        ("Dextropropoxyphene", "Dextropropoxyphene, bulk"),
    ],
)
def test_a_compound_and_an_entry_for_it_on_another_list_are_one_or_the_other(
    real_registry, name, entry
):
    """The US lists cannabis in schedule I and marijuana in an FDA-approved product or under a
    state medical license in schedule III (from 2026-04-28); dextropropoxyphene in schedule IV
    and in bulk in schedule II. A name does not say which: on one of the lists, each basis says
    why (it said schedules I and III, as if both applied)."""
    [result] = check_items([name], on=D(2026, 12, 8), jurisdiction="US")
    assert result.status == "controlled"
    doubts = [(m.listed.schedule.code, m.entry_uncertain) for m in result.matches]
    assert len({code for code, why in doubts if why}) == 2, doubts
    assert all(entry in why for _code, why in doubts if why)
    # Raw, powdered and granulated opium are all schedule II: no doubt.
    [opium] = check_items(["Opium"], on=D(2026, 12, 8), jurisdiction="US")
    assert not any(m.entry_uncertain for m in opium.matches)


def test_marihuana_extract_is_one_list_or_the_other_as_cannabis_is(real_registry):
    # 1308.13(g)(3) puts marijuana extract in an FDA-approved product or under a state medical
    # license in schedule III (2026-04-28): the extract asked about is schedule I or III.
    for name in ("Marihuana extract", "Marijuana extract"):
        _result, by_code = _verdicts(name, D(2026, 12, 8))
        assert set(by_code["US"].schedules) == {"US-I", "US-III"}, name
        _result, by_code = _verdicts(name, D(2025, 1, 1))
        assert by_code["US"].schedules == ("US-I",), name


@pytest.mark.parametrize("uid", ["cannabis", "dextropropoxyphene"])
def test_the_page_of_a_compound_with_an_entry_on_another_list_says_one_or_the_other(
    real_registry, client, uid
):
    page = client.get(f"/substances/{uid}/").content.decode()
    table = page[page.index('class="by-jurisdiction"') :]
    us = table[table.index('<th scope="row">US</th>') :]
    us = us[: us.index("</tr>")]
    assert "the registry does not record" in us and "governs" in us


def test_a_group_entry_s_members_unchecked_in_time_say_so(real_registry):
    [result] = check_items([EPHEDRINE_TYPE], on=D(2026, 12, 8), time_budget=0.001)
    assert "members of this group entry" in result.reasons["UN"]


def test_the_poppy_and_its_straw_say_why_the_un_and_china_leave_them_out(real_registry):
    for name in ("Opium poppy", "Poppy straw"):
        _result, by_code = _verdicts(name, D(2026, 12, 8))
        assert by_code["US"].schedules == ("US-II",)
        assert by_code["UN"].status == "not_controlled"
        assert "material containing Morphine" in by_code["UN"].reason
    # The capsule is poppy straw in US law (21 U.S.C. 802(20)), and China's entry.
    _result, by_code = _verdicts("Poppy shell (poppy capsule)", D(2026, 12, 8))
    assert by_code["US"].schedules == ("US-II",) and by_code["CN"].status == "controlled"
    _result, by_code = _verdicts("Poppy straw", D(2026, 12, 8))
    assert (by_code["CN"].status, by_code["CN"].schedules) == ("uncertain", ("CN-NARC-2025",))
