"""One question, every jurisdiction, on the real registry: the API, the site and the CLI."""

import csv
import datetime
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from registry.check import check_items
from registry.models import Instrument, Listing

pytestmark = pytest.mark.django_db

ON = "2026-12-03"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _by_code(verdicts):
    return {v["jurisdiction"]: v for v in verdicts}


def test_api_check_without_a_jurisdiction_answers_for_each(real_registry, client):
    response = client.post(
        "/api/v1/check/",
        {"items": ["ketamine", "heroin", "dextrorphan"], "on": ON},
        content_type="application/json",
    )
    assert response.status_code == 200
    ketamine, heroin, dextrorphan = response.json()["results"]
    k = _by_code(ketamine["jurisdictions"])
    assert sorted(k) == ["CN", "UN", "US"]
    assert k["CN"]["status"] == "controlled"
    assert k["UN"]["status"] == "not_controlled" and k["UN"]["schedules"] == []
    assert k["US"]["status"] == "controlled" and k["US"]["schedules"] == ["US-III"]
    h = _by_code(heroin["jurisdictions"])
    assert h["UN"]["schedules"] == ["UN-1961-I", "UN-1961-IV"]
    assert h["UN"]["since"] == "1964-12-13"
    assert {v["status"] for v in dextrorphan["jurisdictions"]} == {"not_controlled"}


def test_api_check_for_one_jurisdiction_answers_for_that_one(real_registry, client):
    response = client.post(
        "/api/v1/check/",
        {"items": ["ketamine"], "on": ON, "jurisdiction": "us"},
        content_type="application/json",
    )
    [result] = response.json()["results"]
    assert [v["jurisdiction"] for v in result["jurisdictions"]] == ["US"]


def test_api_filters_listings_and_substances_by_jurisdiction(real_registry, client):
    listings = client.get(
        "/api/v1/listings/", {"jurisdiction": "US", "substance": "ketamine"}
    ).json()
    [listing] = listings["results"]
    assert listing["uid"] == "l-ketamine-us-schedule-iii-20160208"
    assert listing["attributes"] == {
        "dea_code": "7285",
        "narcotic": False,
        "cfr_paragraph": "1308.13(c)",
    }
    schedules = client.get("/api/v1/schedules/", {"jurisdiction": "UN"}).json()["results"]
    assert len(schedules) == 10  # 1961 I-IV, 1971 I-IV, 1988 Tables I and II


def test_site_check_shows_each_jurisdiction(real_registry, client):
    page = client.get("/check/", {"items": "ketamine", "on": ON}).content.decode()
    assert "In each jurisdiction" in page
    assert "US-III" in page


def test_substance_page_shows_status_side_by_side(real_registry, client):
    page = client.get("/substances/ketamine/").content.decode()
    assert "Side by side, in each jurisdiction" in page
    table = page.split("Side by side, in each jurisdiction")[1].split("</table>")[0]
    assert ">CN<" in table and ">UN<" in table and ">US<" in table
    assert "US-III" in table and "7285" in table


def test_home_page_counts_per_jurisdiction(real_registry, client):
    page = client.get("/", {"on": ON}).content.decode()
    for code in ("CN", "UN", "US"):
        assert f"All lists of {code}" in page


def test_cli_without_a_jurisdiction_answers_for_each(real_registry, tmp_path):
    path = tmp_path / "in.smi"
    path.write_text("O=C1CCCCC1(NC)c1ccccc1Cl ketamine\n")
    out = io.StringIO()
    call_command("check_structures", str(path), "--on", ON, stdout=out, stderr=io.StringIO())
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    cells = dict(cell.split(": ", 1) for cell in row["jurisdictions"].split("; "))
    assert cells["CN"].startswith("controlled")
    assert cells["UN"] == "not_controlled"
    assert cells["US"] == "controlled (US-III)"


def test_api_filters_names_and_precursor_uses_by_jurisdiction(real_registry, client):
    names = client.get("/api/v1/names/", {"jurisdiction": "US", "q": "Marihuana"}).json()
    assert {n["substance"] for n in names["results"]} >= {"cannabis"}
    only_us = client.get("/api/v1/names/", {"jurisdiction": "US", "substance": "dextrorphan"})
    assert only_us.json()["results"] == []  # dextrorphan is on no US list
    uses = client.get("/api/v1/precursor-uses/", {"jurisdiction": "US"}).json()["results"]
    assert uses
    for use in uses:
        precursor = (
            use["precursor"]["uid"] if isinstance(use["precursor"], dict) else use["precursor"]
        )
        assert Listing.objects.filter(
            substance__uid=precursor, schedule__jurisdiction__code="US"
        ).exists()
    bad = client.get("/api/v1/names/", {"jurisdiction": "XX"})
    assert bad.status_code == 400 and "jurisdiction" in bad.json()


def test_every_instrument_has_a_chinese_title_shown_on_the_chinese_page(real_registry, client):
    untitled = Instrument.objects.filter(title_zh="")
    assert list(untitled.values_list("uid", flat=True)) == []
    rule = Instrument.objects.get(uid="us-012-83-fr-469")
    html = client.get(f"/zh-hans/instruments/{rule.uid}/").content.decode()
    assert rule.title_zh == "将环丙基芬太尼临时列入附表一" and rule.title_zh in html
    decision = Instrument.objects.get(uid="un-cnd-61-1961-carfentanil")
    assert decision.title_zh == (
        "麻醉药品委员会决定：将卡芬太尼列入《1961年麻醉品单一公约》附表一和附表四"
    )
    html = client.get(f"/zh-hans/instruments/{decision.uid}/").content.decode()
    assert decision.title_zh in html


# --- before the registry's record of a jurisdiction starts --------------------------------

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"  # on no list, anywhere


def test_each_jurisdiction_says_from_when_its_lists_are_held(real_registry, client):
    held = {
        j["code"]: j["records_from"] for j in client.get("/api/v1/jurisdictions/").json()["results"]
    }
    # China: the 2013 catalogues (in force 2014-01-01); the UN: the 1961 Convention in force;
    # the US: the Controlled Substances Act in force.
    assert held == {"CN": "2014-01-01", "UN": "1964-12-13", "US": "1971-05-01"}


def test_before_the_record_starts_a_compound_is_unknown_there_not_uncontrolled(
    real_registry, client
):
    # Heroin was controlled in China in 2000 by catalogues the registry does not hold: what it
    # holds cannot say "not controlled" then. The UN and the US lists of 2000 are held.
    response = client.post(
        "/api/v1/check/",
        {"items": ["heroin", ASPIRIN], "on": "2000-01-01"},
        content_type="application/json",
    )
    heroin, aspirin = response.json()["results"]
    assert heroin["status"] == "controlled"
    assert heroin["unrecorded"] == ["CN"]
    h = _by_code(heroin["jurisdictions"])
    assert h["CN"]["status"] == "unknown"
    assert h["UN"]["status"] == h["US"]["status"] == "controlled"
    assert aspirin["status"] == "unknown"
    assert "CN (from 2014-01-01)" in aspirin["reason"]
    a = _by_code(aspirin["jurisdictions"])
    assert (a["CN"]["status"], a["UN"]["status"], a["US"]["status"]) == (
        "unknown",
        "not_controlled",
        "not_controlled",
    )


def test_one_jurisdiction_before_its_record_starts(real_registry, client):
    def verdict(item, on, jurisdiction):
        response = client.post(
            "/api/v1/check/",
            {"items": [item], "on": on, "jurisdiction": jurisdiction},
            content_type="application/json",
        )
        [result] = response.json()["results"]
        return result["status"], result.get("unrecorded", [])

    assert verdict("heroin", "1960-01-01", "US") == ("unknown", ["US"])  # the Harrison Act era
    assert verdict("heroin", "1971-05-01", "US") == ("controlled", [])
    assert verdict("heroin", "1964-12-12", "UN") == ("unknown", ["UN"])  # the 1931 Convention's
    assert verdict("heroin", "1964-12-13", "UN") == ("controlled", [])
    assert verdict("heroin", "2013-12-31", "CN") == ("unknown", ["CN"])
    assert verdict("heroin", "2014-01-01", "CN") == ("controlled", [])
    # Held from the start: a compound no list names is not controlled there.
    assert verdict(ASPIRIN, "1980-01-01", "US") == ("not_controlled", [])


def test_site_says_a_list_before_its_record_starts_is_not_recorded(real_registry, client):
    page = client.get("/schedules/cn-narcotic-2013/", {"on": "2010-01-01"}).content.decode()
    assert "lists starts on 2014-01-01: what they held before" in page
    page = client.get("/schedules/cn-narcotic-2013/", {"on": "2015-01-01"}).content.decode()
    assert "record of this jurisdiction" not in page
    check = client.get("/check/", {"items": ASPIRIN, "on": "2000-01-01"}).content.decode()
    assert "Unknown (not recorded then)" in check


def test_the_check_page_dates_each_listing(real_registry, client):
    page = client.get("/check/", {"items": "heroin", "on": ON}).content.decode()
    assert "since 1964-12-13" in page  # the 1961 Convention's Schedule I
    assert "since  —" not in page


def test_the_upload_page_says_where_the_record_does_not_reach(real_registry, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("old.smi", f"{ASPIRIN} aspirin\n".encode())
    page = client.post("/check/upload/", {"file": file, "on": "2000-01-01"}).content.decode()
    assert "CN: unknown" in page


@pytest.mark.parametrize(
    ("smiles", "status"),
    [
        ("[Na+].[Cl-]", "not_controlled"),  # Table II excludes the salts of hydrochloric acid
        ("[Na+].[O-]S(=O)(=O)[O-].[Na+]", "not_controlled"),  # and of sulphuric acid
        ("Cl", "controlled"),
        ("OS(=O)(=O)O", "controlled"),
        ("[K+].[O-][Mn](=O)(=O)=O", "controlled"),
    ],
)
def test_the_acids_of_table_ii_do_not_reach_their_salts(real_registry, client, smiles, status):
    response = client.post(
        "/api/v1/check/", {"items": [smiles], "on": ON}, content_type="application/json"
    )
    [result] = response.json()["results"]
    assert result["status"] == status, result["reason"]


def test_a_start_the_registry_knows_only_as_a_bound_is_said_to_be_one(real_registry, client):
    """Where the control's first day is where the registry's record starts, or only bounded
    (an evidence act's `not-after`), the pages say so rather than give a plain start."""
    page = client.get("/check/", {"items": "ketamine", "on": "2020-01-01"}).content.decode()
    assert 'CN 2014-01-01 <span class="small">(or earlier: the registry' in page
    assert "US 1999-08-12</p>" in page  # placed in Schedule III on that day: a plain start
    page = client.get("/substances/diazepam/").content.decode()
    assert "first day: between 1976-08-16 and 2014-12-31" in page  # the UN listing's bound


def test_a_preparation_is_uncertain_where_its_ingredient_is_controlled(real_registry, client):
    """Ergotamine and caffeine tablets are a Class II psychotropic entry of China's own; the US
    lists ergotamine as a List I chemical and the 1988 Convention in its Table I, entries whose
    words say nothing the registry holds of preparations: uncertain there, never a confident
    "not controlled"."""
    response = client.post(
        "/api/v1/check/",
        {"items": ["麦角胺咖啡因片", "ergotamine"], "on": ON},
        content_type="application/json",
    )
    preparation, ergotamine = response.json()["results"]
    by_code = _by_code(preparation["jurisdictions"])
    assert by_code["CN"]["status"] == "controlled"
    assert by_code["UN"]["status"] == by_code["US"]["status"] == "uncertain"
    assert preparation["preparation_open"] == ["UN", "US"]
    assert "preparation_open" not in ergotamine
    [only_us] = client.post(
        "/api/v1/check/",
        {"items": ["麦角胺咖啡因片"], "on": ON, "jurisdiction": "US"},
        content_type="application/json",
    ).json()["results"]
    assert only_us["status"] == "uncertain"
    assert "a preparation of Ergotamine, which US controls" in only_us["reason"]
    # An ingredient no jurisdiction controls leaves the answer as it was.
    [caffeine] = client.post(
        "/api/v1/check/",
        {"items": ["caffeine sodium benzoate"], "on": ON, "jurisdiction": "US"},
        content_type="application/json",
    ).json()["results"]
    assert caffeine["status"] == "not_controlled"
    page = client.get("/check/", {"items": "麦角胺咖啡因片", "on": ON}).content.decode()
    assert page.count("Uncertain (preparation)") == 2  # the UN's row and the US's


def test_a_preparation_s_page_says_what_the_check_says(real_registry, client):
    # Its side-by-side table said "Not controlled" where the check says "Uncertain
    # (preparation)".
    [checked] = client.post(
        "/api/v1/check/",
        {"items": ["Ergotamine and caffeine tablets"]},
        content_type="application/json",
    ).json()["results"]
    by_code = _by_code(checked["jurisdictions"])
    assert {code for code, v in by_code.items() if v["status"] == "uncertain"} == {"UN", "US"}
    page = client.get("/substances/ergotamine-caffeine-tablets/").content.decode()
    table = page[page.index("<table") :]
    table = table[: table.index("</table>")]
    assert table.count("Uncertain (preparation)") == 2
    assert "Not controlled" not in table
    assert table.count("a preparation of Ergotamine") == 2
    # Oxycodone's compound tablets: the 1961 Convention puts a preparation under its drug's
    # controls, and US schedule II's paragraph reaches "any ... preparation" of an opiate.
    [checked] = client.post(
        "/api/v1/check/",
        {"items": ["Oxycodone-containing compound oral solid preparations"]},
        content_type="application/json",
    ).json()["results"]
    by_code = _by_code(checked["jurisdictions"])
    assert by_code["UN"]["schedules"] == ["UN-1961-I"]
    assert by_code["US"]["schedules"] == ["US-II"]
    page = client.get("/substances/oxycodone-compound-oral-solids/").content.decode()
    table = page[page.index("<table") :]
    assert "Uncertain" not in table[: table.index("</table>")]
    assert page.count("a preparation containing Oxycodone") >= 2  # how UN-1961-I and US-II reach it


def test_a_us_combination_product_is_a_preparation_of_its_narcotic(real_registry, client):
    [result] = client.post(
        "/api/v1/check/",
        {"items": ["Codeine combination product 90 mg/du"], "on": ON},
        content_type="application/json",
    ).json()["results"]
    assert result["substance"]["uid"] == "codeine-combination-product-90-mg-du"
    by_code = _by_code(result["jurisdictions"])
    assert by_code["US"]["schedules"] == ["US-III"]
    # Under the 1961 Convention: Schedule II as codeine's preparation (article 2(3)), or
    # Schedule III within its item's limits (not more than 100 mg a dose, 2.5 per cent
    # undivided), which the US entry's do not all keep to. China's entry covers
    # single-ingredient preparations, but China also lists codeine's compound oral liquids:
    # whether this product is one (a syrup) or not (tablets) is not recorded, so open.
    assert by_code["UN"]["status"] == "controlled"
    assert by_code["UN"]["schedules"] == ["UN-1961-II", "UN-1961-III"]
    assert by_code["CN"]["status"] == "uncertain"
    assert by_code["CN"]["uncertain_because"] == ["preparation"]
    [in_china] = client.post(
        "/api/v1/check/",
        {"items": ["Codeine combination product 90 mg/du"], "on": ON, "jurisdiction": "CN"},
        content_type="application/json",
    ).json()["results"]
    assert in_china["reason"] == (
        "a preparation of Codeine, as is Codeine-containing compound oral liquid preparations, "
        "which CN lists on 2026-12-03: whether this one is of that kind is not recorded"
    )
    assert by_code["CN"]["reason"] == in_china["reason"]  # said per jurisdiction too
    # Before China listed the compound oral liquids (2015-05-01), its codeine entry had
    # answered for every compound preparation: not covered.
    [before] = client.post(
        "/api/v1/check/",
        {"items": ["Codeine combination product 90 mg/du"], "on": "2015-04-30"},
        content_type="application/json",
    ).json()["results"]
    assert _by_code(before["jurisdictions"])["CN"] == {
        **_by_code(before["jurisdictions"])["CN"],
        "status": "not_controlled",
        "reason": "a preparation of Codeine, whose entry in CN covers only its single-ingredient "
        "preparations",
    }
    # Another active ingredient makes another kind of preparation: China's buprenorphine
    # patch says nothing of buprenorphine with naloxone, which China listed from 2019-09-01.
    [naloxone] = client.post(
        "/api/v1/check/",
        {
            "items": ["Buprenorphine and naloxone compound oral solid preparations"],
            "on": "2015-04-30",
        },
        content_type="application/json",
    ).json()["results"]
    assert _by_code(naloxone["jurisdictions"])["CN"]["status"] == "not_controlled"
    page = client.get("/substances/codeine-combination-product/").content.decode()
    table = page[page.index("<table") :]
    assert table[: table.index("</table>")].count("Uncertain (preparation)") == 1


def test_an_input_in_parts_says_why_a_part_is_not_controlled_where_nothing_answers(
    client, real_registry
):
    """Bufotenine with palmitic acid: the UN's answer says why, as for bufotenine alone."""
    [result] = client.post(
        "/api/v1/check/",
        {"items": ["CN(C)CCc1c[nH]c2ccc(O)cc12.CCCCCCCCCCCCCCCC(=O)O"], "on": ON},
        content_type="application/json",
    ).json()["results"]
    un = _by_code(result["jurisdictions"])["UN"]
    assert un["status"] == "not_controlled"
    assert "does not cover positional isomers" in un["reason"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Opium combination product 25 mg/du", "包括复方樟脑酊、阿桔片"),
    ],
)
def test_a_compound_preparation_is_open_where_the_ingredients_entry_names_compound_ones(
    client, real_registry, name, words
):
    """China's 2025 tramadol and opium entries cover single-ingredient preparations and name
    compound ones: such a preparation was answered not controlled there."""
    [result] = client.post(
        "/api/v1/check/", {"items": [name], "on": ON}, content_type="application/json"
    ).json()["results"]
    china = _by_code(result["jurisdictions"])["CN"]
    assert (china["status"], china["uncertain_because"]) == ("uncertain", ["preparation"])
    assert words in china["reason"]


def test_tramadol_compound_preparations_are_controlled_in_china_without_a_break(real_registry):
    """Their own Class II entry from 2023-07-01 (2023年第43号); from 2025-07-28 the tramadol entry
    (Class II item 68) lists tramadol "including compound preparations containing tramadol"
    (包括含曲马多复方制剂): all of them, not some named ones as the opium entry's words are."""
    for on in (datetime.date(2023, 6, 30), datetime.date(2024, 1, 1), datetime.date(2026, 1, 1)):
        [result] = check_items(["Tramadol compound preparations"], on=on, jurisdiction="CN")
        if on < datetime.date(2023, 7, 1):
            # the 2013 tramadol entry covered its single-ingredient preparations only
            assert result.status == "not_controlled"
            assert "covers only its single-ingredient preparations" in result.reason
            continue
        assert (result.status, result.since) == ("controlled", {"CN": "2023-07-01"})
    assert [m["schedule"]["code"] for m in result.matches] == ["CN-PSY2-2025"]
    assert result.matches[0].listed.listing == (
        "l-tramadol-compound-preparations-cn-psychotropic-2-2025-20250728"
    )


def test_tablets_of_paracetamol_and_hydrocodone_are_a_compound_oral_solid_of_hydrocodone(
    real_registry,
):
    """China's 2025 lists dropped the tablets' own item (2013 Class II item 77): they are a
    compound oral solid preparation of hydrocodone, Class I or II by the strength per tablet."""
    tablets = "Paracetamol and hydrocodone bitartrate tablets"
    [result] = check_items([tablets], on=datetime.date(2026, 1, 1), jurisdiction="CN")
    assert result.status == "controlled"
    assert sorted(m["schedule"]["code"] for m in result.matches) == [
        "CN-PSY1-2025",
        "CN-PSY2-2025",
    ]
    assert all(m["route"]["steps"][0]["relation"] == "member_of" for m in result.matches)


def test_a_class_condition_a_structure_cannot_show_is_said_on_every_face(real_registry, client):
    """The US cannabimimetic agents: uncertain in the US for an unnamed member, said so by
    the API (why, per jurisdiction), the check page and the class page, in both languages."""
    heptyl = "CCCCCCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21"
    [result] = client.post(
        "/api/v1/check/", {"items": [heptyl], "on": ON}, content_type="application/json"
    ).json()["results"]
    by_code = _by_code(result["jurisdictions"])
    assert by_code["US"]["status"] == "uncertain"
    assert by_code["US"]["uncertain_because"] == ["condition"]
    assert by_code["CN"]["status"] == "controlled" and by_code["CN"]["uncertain_because"] == []
    [us_basis] = [m for m in result["matches"] if m["schedule"]["code"] == "US-I"]
    assert us_basis["condition"].startswith("that the substance be a cannabinoid receptor")
    cn_basis = next(m for m in result["matches"] if m["schedule"]["jurisdiction"] == "CN")
    assert "condition" not in cn_basis
    page = client.get("/check/", {"items": heptyl, "on": ON}).content.decode()
    assert page.count("Uncertain (beyond structure)") == 1  # the US row
    assert "The definition also requires what a structure cannot show:" in page
    chinese = client.get("/zh-hans/check/", {"items": heptyl, "on": ON}).content.decode()
    assert "不确定（结构以外的条件）" in chinese and "大麻素1型受体" in chinese
    cls = client.get("/classes/class-us-cannabimimetic-agents/").content.decode()
    assert "What the rules cannot decide" in cls and "binding studies and functional assays" in cls
    cls_zh = client.get("/zh-hans/classes/class-us-cannabimimetic-agents/").content.decode()
    assert "规则无法判定之处" in cls_zh and "结合研究和功能试验" in cls_zh


@pytest.mark.parametrize(
    "name",
    [
        "opium",
        "Opium, raw",
        "raw opium",
        "coca leaf",
        "coca leaves",
        "morphine methylbromide",
        "morphine methobromide",
        # Each in Chinese too, and the others held twice, each under its own name.
        "阿片",
        "古柯叶",
        "吗啡甲溴化物",
        "罂粟浓缩物",
        "concentrate of poppy straw",
        "poppy straw concentrate",
        "nicocodine",
        "nicocodeine",
        "尼可待因",
        # Its own US entry; a salt of etorphine, which China and the 1961 Convention list.
        "etorphine hydrochloride",
        # The common names of cannabis and its resin (the entry's Chinese name is the three).
        "大麻",
        "大麻树脂",
        # The US entries' own Chinese names.
        "生阿片",
        "罂粟秆浓缩物",
    ],
)
def test_one_thing_under_two_names_gets_one_answer_everywhere(real_registry, name):
    # China and the UN hold opium, coca leaf and morphine methobromide under those names, the
    # US as "Opium, raw", "Coca leaves", "Morphine methylbromide": each name found one record,
    # "not controlled" where the other's lists control it.
    from registry.check import check_items

    [result] = check_items([name], on=datetime.date(2026, 1, 1))
    assert result.status == "controlled"
    assert {m.listed.schedule.jurisdiction for m in result.matches} == {"CN", "UN", "US"}, name


def test_etorphine_hydrochloride_is_excepted_from_etorphines_us_entry(real_registry):
    # 21 CFR 1308.11(c) "Etorphine (except hydrochloride salt)"; 1308.12(c) "Etorphine
    # hydrochloride". Named, the salt is in schedule II only, etorphine in schedule I.
    from registry.check import check_items

    etorphine = "CCC[C@@](C)(O)[C@H]1C[C@]23C=C[C@]1(OC)[C@@H]1OC4=C5C(=CC=C4O)C[C@H]2N(C)CC[C@]513"
    results = check_items(
        ["etorphine hydrochloride", "etorphine", etorphine, f"{etorphine}.Br"],
        on=datetime.date(2026, 1, 1),
        jurisdiction="US",
    )
    assert [sorted({m.listed.schedule.code for m in r.matches}) for r in results] == [
        ["US-II"],
        ["US-I"],
        ["US-I"],
        ["US-I"],  # another salt: etorphine's entry, not the hydrochloride's
    ]


@pytest.mark.parametrize(
    ("drawn", "record"),
    [
        (
            "COc1ccc2c3c1O[C@H]1[C@@H](OC(=O)c4cccnc4)C=C[C@H]4[C@@H](C2)N(C)CC[C@@]341",
            "nicocodine",
        ),
        (
            "[Br-].C[N+]1(C)CC[C@]23C4=C5O[C@H]2[C@@H](O)C=C[C@H]3[C@H]1CC4=CC=C5O",
            "morphine-methobromide",
        ),
    ],
)
def test_a_compound_drawn_reaches_the_us_entry_that_names_it_otherwise(
    real_registry, drawn, record
):
    # The US entries "Nicocodeine" and "Morphine methylbromide" are records without a
    # structure, entries for the compounds China and the UN hold (form_of, entry): drawn, the
    # compound was not controlled in the US.
    from registry.check import check_items

    [result] = check_items([drawn], on=datetime.date(2026, 1, 1))
    assert result.substance.uid == record
    assert {m.listed.schedule.code for m in result.matches} >= {"US-I"}
    assert {m.listed.schedule.jurisdiction for m in result.matches} == {"CN", "UN", "US"}


def test_poppy_shell_is_poppy_straw_in_the_us(real_registry):
    # 21 U.S.C. 802(20): poppy straw is every part of the opium poppy but the seeds, after
    # mowing; the 1961 Convention schedules its concentrate, not the straw.
    from registry.check import check_items

    [result] = check_items(["罂粟壳"], on=datetime.date(2026, 1, 1))
    assert {m.listed.schedule.code for m in result.matches} == {"CN-NARC-2025", "US-II"}


def test_the_chinese_pages_write_chinese_around_the_data(real_registry, client):
    """What the pages write around the data is in the page's language, punctuation included: an
    act described by an English phrase is headed by its Chinese title, its issuing body and its
    confidence are named in Chinese, the counts and lists are joined with full-width marks."""
    import re

    html = client.get("/zh-hans/instruments/us-017-temporary-placement/").content.decode()
    assert re.search(r"<h1[^>]*>(.*?)</h1>", html)[1] == "83 FR 44474"
    html = client.get("/zh-hans/instruments/us-058-temporary-placement/").content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html)[1]
    assert "temporary placement" not in heading and "临时列入附表一" in heading
    assert "<dd>美国缉毒局</dd>" in html and "Drug Enforcement Administration" not in html
    assert re.search(r"<dt>可信度</dt><dd>[高中低]</dd>", html)
    assert re.search(r"新增 \d+ 项，调整 \d+ 项，移出 \d+ 项。", html)
    announcement = client.get("/zh-hans/instruments/cn-2025-55/").content.decode()
    assert "；" in re.search(r"<dt>发布机关</dt><dd>(.*?)</dd>", announcement)[1]
    english = client.get("/instruments/cn-2025-55/").content.decode()
    assert "Ministry of Public Security" in english
    substance = client.get("/zh-hans/substances/fentanyl/").content.decode()
    assert "（DEA 代码" in substance and " (DEA" not in substance
    changes = client.get("/zh-hans/changes/").content.decode()
    assert "</span>：" in changes and "</span>:" not in changes
    # The US schedule IV clause of dextropropoxyphene's dosage forms, translated.
    schedule = client.get("/zh-hans/schedules/us-schedule-iv/").content.decode()
    assert "1308.14(b) says" not in schedule and "不包括其异构体" in schedule


def test_codeine_n_oxide_is_the_named_member_of_the_pentavalent_nitrogen_entry(real_registry):
    # 1961 Convention, Schedule I: "Morphine methobromide and other pentavalent nitrogen
    # morphine derivatives, including in particular the morphine-N-oxide derivatives, one of
    # which is codeine-N-oxide"; China's entry reads the same. It was US schedule I only.
    from registry.check import check_items

    drawn = "COc1ccc2c3c1O[C@H]1[C@@H](O)C=C[C@H]4[C@@H](C2)[N+](C)([O-])CC[C@@]341"
    for text in ("codeine-N-oxide", drawn):
        [result] = check_items([text], on=datetime.date(2026, 1, 1))
        assert result.substance.uid == "codeine-n-oxide"
        assert {m.listed.schedule.code for m in result.matches} == {
            "CN-NONMED-2025",
            "UN-1961-I",
            "US-I",
        }, text
        # In the US by its own entry (9053), not as a member through morphine methylbromide's.
        [us] = [m for m in result.matches if m.listed.schedule.code == "US-I"]
        assert us.substance == "codeine-n-oxide"


def test_pages_show_what_an_entry_for_the_compound_adds_or_governs(real_registry, client):
    """The side-by-side table of a compound shows the other records' entries for it (the US
    "Nicocodeine" for nicocodine, the bulk entry for dextropropoxyphene), as the check counts
    them; a search result for the bulk entry does not show the dosage forms' schedule IV."""
    import re

    def us_row(uid):
        html = client.get(f"/substances/{uid}/").content.decode()
        return re.search(r'<th scope="row">US</th>(.*?)</tr>', html, re.S)[1]

    assert "US-I" in us_row("nicocodine") and "Not controlled" not in us_row("nicocodine")
    assert "US-I" in us_row("morphine-methobromide")
    dextro = us_row("dextropropoxyphene")
    assert "US-IV" in dextro and "US-II" in dextro
    bulk = us_row("dextropropoxyphene-bulk")
    assert "US-II" in bulk and "US-IV" not in bulk
    html = client.get("/search/", {"q": "Dextropropoxyphene, bulk"}).content.decode()
    item = html[html.index("/substances/dextropropoxyphene-bulk/") :]
    item = item[: item.index("</li>")]
    assert "1308.12" in item and "1308.14" not in item


def test_racephedrine_is_ephedrines_racemate_on_list_i(real_registry):
    # 21 CFR 1310.02(a): "Ephedrine, its salts, optical isomers, and salts of optical isomers".
    from registry.check import check_items

    for text in ("racephedrine", "90-81-3"):
        [result] = check_items([text], on=datetime.date(2026, 1, 1), jurisdiction="US")
        assert {m.listed.schedule.code for m in result.matches} == {"US-LIST-I"}, text


def test_a_control_made_permanent_on_the_same_list_is_a_continuation(real_registry, client):
    # The fentanyl-related substances' temporary order ended the day the HALT Fentanyl Act's
    # permanent control began, on the same schedule: not a move from schedule I to schedule I.
    html = client.get("/classes/class-us-fentanyl-related-substances/").content.decode()
    timeline = html[html.index('<ol class="timeline">') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert '<li class="continued">' in timeline
    assert "→" not in timeline.split('<li class="continued">')[1].split("</li>")[0]
    chinese = client.get("/zh-hans/classes/class-us-fentanyl-related-substances/").content.decode()
    assert "延续" in chinese


def test_a_us_class_definition_has_a_chinese_translation_marked_as_one(real_registry, client):
    html = client.get("/zh-hans/classes/class-us-fentanyl-related-substances/").content.decode()
    assert "中文（参考译文）" in html and "英文（以此为准）" in html
    assert "将N-丙酰基替换为另一酰基" in html
    chinese = client.get("/zh-hans/classes/class-fentanyls/").content.decode()
    assert "中文（正式文本）" in chinese and "参考译文" not in chinese


def test_every_uncertain_answer_in_a_jurisdiction_says_why(real_registry):
    """Whatever the verdict elsewhere: AM-1220 is named in China's list and within the US
    cannabimimetic agents' definition, whose condition a structure cannot show; every record's
    structure, checked, leaves no jurisdiction `uncertain` without a reason."""
    from registry.jurisdictions import jurisdictions, verdicts_of
    from substances.models import Substance

    among = jurisdictions()
    structures = sorted(set(Substance.objects.exclude(smiles="").values_list("smiles", flat=True)))
    silent = []
    for start in range(0, len(structures), 500):
        for result in check_items(structures[start : start + 500], on=datetime.date(2026, 12, 3)):
            silent += [
                (result.input, v.jurisdiction)
                for v in verdicts_of(result, among)
                if v.status == "uncertain" and not v.reason
            ]
    assert len(structures) > 700
    assert silent == []
    [am_1220] = check_items(["AM-1220"], on=datetime.date(2026, 12, 3))
    us = {v.jurisdiction: v for v in verdicts_of(am_1220, among)}["US"]
    assert (am_1220.status, us.status) == ("controlled", "uncertain")
    assert "CB1" in us.reason and "a structure alone does not show this" in us.reason


def test_where_time_ran_out_a_jurisdiction_no_basis_answers_is_not_judged(
    real_registry, monkeypatch, client
):
    """2-MMC is named on China's list, and in the US a possible positional isomer of 3-MMC: when
    the check's time runs out before isomers are looked for, China still answers, the others
    are `unknown` with the reason (not `not_controlled`), and the API says which."""
    from registry import check
    from registry.jurisdictions import jurisdictions, verdicts_of
    from registry.verdicts import to_json

    looked_for = check._positional_isomers
    monkeypatch.setattr(check, "_positional_isomers", lambda items, _deadline: looked_for(items, 0))
    [result] = check_items(["CC(NC)C(=O)c1ccccc1C"], on=datetime.date(2026, 12, 3))
    by_code = {v.jurisdiction: v for v in verdicts_of(result, jurisdictions())}
    assert (result.status, by_code["CN"].status) == ("controlled", "controlled")
    assert by_code["US"].status == by_code["UN"].status == "unknown"
    assert "time budget was spent before its esters" in by_code["US"].reason
    assert to_json(result)["unjudged"] == ["UN", "US"]
    page = client.get("/check/", {"items": "CC(NC)C(=O)c1ccccc1C", "on": ON}).content.decode()
    assert "Unknown (not recorded then)" not in page
    assert page.count("the check&#x27;s time budget was spent before its esters") >= 2


def test_a_class_rule_not_applied_in_time_leaves_unjudged_only_where_classes_are_in_force(
    real_registry, monkeypatch
):
    """No class was in force under the UN conventions in 2015 (their first, the glycidic acid
    esters, came later): ketamine's class rules running out of time leaves the UN answer as it
    is (not controlled); China and the US answer by ketamine's own entries anyway."""
    from registry import check
    from registry.jurisdictions import jurisdictions, verdicts_of

    monkeypatch.setattr(check, "ITEM_TIME_BUDGET_SECONDS", 0.0)
    [result] = check_items(["ketamine"], on=datetime.date(2015, 1, 1))
    by_code = {v.jurisdiction: v.status for v in verdicts_of(result, jurisdictions())}
    assert result.out_of_time
    assert by_code == {"CN": "controlled", "UN": "not_controlled", "US": "controlled"}
    assert result.unjudged == ()


def test_ergotamines_structure_is_a_precursor_in_each_jurisdiction(real_registry, client):
    # Without a structure on its record, a drawing of ergotamine found nothing and was answered
    # not controlled in China, under the 1988 Convention and in the US, which all list it.
    ergotamine = (
        "C[C@@]1(C(=O)N2[C@H](C(=O)N3CCC[C@H]3[C@@]2(O1)O)CC4=CC=CC=C4)NC(=O)"
        "[C@H]5CN([C@@H]6CC7=CNC8=CC=CC(=C78)C6=C5)C"
    )
    response = client.post(
        "/api/v1/check/", {"items": [ergotamine], "on": ON}, content_type="application/json"
    )
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["substance"]["uid"] == "ergotamine"
    assert {code: v["status"] for code, v in _by_code(result["jurisdictions"]).items()} == {
        "CN": "controlled",
        "UN": "controlled",
        "US": "controlled",
    }
    codes = {m["schedule"]["code"] for m in result["matches"]}
    assert {"UN-1988-I", "US-LIST-I"} <= codes, codes
    assert any(code.startswith("CN-PREC") for code in codes), codes
