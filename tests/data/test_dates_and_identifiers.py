"""Dates known only to the year, month or a bound, and identifiers that resolve, on the real data.

An act whose day of entry into force is not known gives the verdict `uncertain` (with the act
and what is known of its date) for a day inside its window, never a confident answer; a CAS
number the lists give for a racemate, a stereoisomer or a group member finds its record in the
check and in search; a name whose meaning changed resolves by its meaning on the day asked.
"""

import csv
import datetime
from pathlib import Path

import pytest
from django.utils import translation

from registry.check import check_items
from registry.jurisdictions import jurisdictions, verdicts
from registry.models import Instrument
from substances.models import Name, Substance

pytestmark = pytest.mark.django_db

D = datetime.date
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _one(text, on, jurisdiction=None):
    [result] = check_items([text], on=on, jurisdiction=jurisdiction)
    return result


# --- dates and their precision ---------------------------------------------------------------


def test_no_instrument_is_a_placeholder_that_claims_a_day(real_registry):
    """Every act whose note calls its date a placeholder says how precise the date is."""
    for instrument in Instrument.objects.filter(notes__icontains="placeholder"):
        assert instrument.effective_precision != Instrument.Precision.DAY, instrument.uid


def test_no_un_table_addition_answers_controlled_before_the_vote(real_registry):
    """The 1988 Table I additions of 2019-2024 start no earlier than 180 days after the session."""
    sessions = {
        "un-cnd-2019": D(2019, 3, 14),
        "un-cnd-2020": D(2020, 3, 2),
        "un-cnd-2022": D(2022, 3, 14),
        "un-cnd-2024": D(2024, 3, 19),
    }
    for uid, first_day in sessions.items():
        act = Instrument.objects.get(uid=uid)
        assert act.effective_on == first_day + datetime.timedelta(days=180), uid
        assert act.effective_precision == Instrument.Precision.NOT_BEFORE


@pytest.mark.parametrize(
    ("on", "status"),
    [
        (D(2019, 10, 1), "not_controlled"),  # the 2019 session did not add it
        (D(2020, 3, 1), "not_controlled"),  # before the 63rd session voted
        (D(2020, 10, 1), "uncertain"),  # between the earliest and the latest day it took effect
        (D(2021, 6, 1), "controlled"),
    ],
)
def test_mapa_dates_from_the_2020_session(real_registry, on, status):
    result = _one("MAPA", on, "UN")
    assert result.status == status, result.reason
    if status == "uncertain":
        # the act cited as the site cites it, not by its identifier (un-cnd-2020)
        assert "CND decision of the 63rd session (Vienna, 2-6 March 2020) took effect" in (
            result.reason
        )
        assert "un-cnd-2020" not in result.reason and result.matches
        assert all(m["date_uncertain"] for m in result.matches)


@pytest.mark.parametrize(
    ("on", "status"),
    [
        # Not a precursor before 2012, but China's catalogues of narcotic drugs and psychotropic
        # substances are held only from 2014-01-01: the registry cannot say "not controlled".
        (D(2011, 12, 31), "unknown"),
        (D(2012, 6, 1), "uncertain"),
        (D(2013, 1, 1), "controlled"),
    ],
)
def test_a_precursor_known_to_the_year(real_registry, on, status):
    result = _one("2-chlorophenyl cyclopentyl ketone", on, "CN")
    assert result.status == status, result.reason
    if status == "uncertain":
        assert "in 2012 (day not known)" in result.reason
        assert result.unrecorded == ()  # a basis in doubt answers there: uncertain, not unknown
    if status == "unknown":
        assert "CN (from 2014-01-01)" in result.reason and result.unrecorded == ("CN",)


def test_us_entries_dated_by_the_2016_code_list_are_uncertain_before_it(real_registry):
    assert _one("nabilone", D(2010, 1, 1), "US").status == "uncertain"
    assert _one("nabilone", D(2016, 2, 8), "US").status == "controlled"
    assert Instrument.objects.get(uid="us-dea-code-list-2016").effective_bound == D(1971, 5, 1)


def test_a_certain_basis_outweighs_an_uncertain_one(real_registry):
    """Ethylone in 2016: China's listing (2015-10-01) is certain, the US one is not (85 FR 34607
    says it was controlled before 2020-06-08 as butylone's isomer, from a day it does not give);
    without a jurisdiction it is controlled, and the US part of the answer says uncertain."""
    from registry import jurisdictions

    result = _one("ethylone", D(2016, 1, 1))
    assert result.status == "controlled"
    by_code = {
        v.jurisdiction: v.status
        for v in jurisdictions.verdicts(
            result.status, result.matches, jurisdictions.jurisdictions(), result.since
        )
    }
    assert by_code["US"] == "uncertain" and by_code["CN"] == "controlled"


def test_the_api_renders_uncertain(client, real_registry):
    response = client.post(
        "/api/v1/check/",
        {"items": ["MAPA"], "on": "2020-10-01", "jurisdiction": "UN"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    [item] = response.json()["results"]
    assert item["status"] == "uncertain"
    # the reason cites the act for a reader; its identifier is in the match, for a machine
    assert "CND decision of the 63rd session" in item["reason"]
    assert {m["instrument"]["uid"] for m in item["matches"]} == {"un-cnd-2020"}


@pytest.mark.parametrize(
    ("prefix", "doubt", "why"),
    [
        ("", "in doubt on this date:", "between 2020-08-29 and "),
        ("/zh-hans", "该日期存疑：", "于 2020-08-29 至 "),
    ],
)
def test_the_check_page_says_why_a_named_listing_is_in_doubt(
    client, real_registry, prefix, doubt, why
):
    """A named listing whose act took effect on a day not known is marked in doubt, with what
    is known of the act's date, on the English and the Chinese page."""
    page = client.get(f"{prefix}/check/", {"items": "MAPA", "on": "2020-10-01"})
    assert page.status_code == 200
    html = page.content.decode()
    assert doubt in html and "un-cnd-2020" in html and why in html


@pytest.mark.parametrize(
    ("language", "text", "on", "jurisdiction", "why"),
    [
        (
            "en",
            "Noroxymorphone",
            D(2000, 1, 1),
            "US",
            "the act that listed it is not identified: 84 FR 41913 shows it listed on 2019-08-16,"
            " and it may have been from 1971-05-01",
        ),
        (
            "zh-hans",
            "Hydrochloric acid",
            D(1990, 1, 1),
            "US",
            "列管它的法律文件未查明：65 FR 47309显示其在1996-10-03已被列管",
        ),
        (
            "en",
            "Sulfuric acid",
            D(2000, 1, 1),
            "US",
            "the act that listed it is not identified: 21 CFR 1308.11-1308.15 and 1310.02 as"
            " compiled on 2026-12-03 shows it listed on 2026-12-03",
        ),
        (
            "en",
            "MDMB-4en-PINACA",
            D(2026, 1, 1),
            "US",
            "the act that listed it is not identified: 21 CFR 1308.11(d)(110)-(114) as the eCFR"
            " gave it on 2026-09-21 shows it listed on 2026-09-21, and it may have been from"
            " 2025-12-12",
        ),
    ],
)
def test_a_reason_in_doubt_does_not_say_that_evidence_took_effect(
    real_registry, language, text, on, jurisdiction, why
):
    """Evidence (a later document showing an entry listed, the act that listed it not being
    identified) is not said to have taken effect in the window of doubt: it says what it
    shows, and since when the entry may have been listed."""
    with translation.override(language):
        result = _one(text, on, jurisdiction)
    assert result.status == "uncertain"
    assert why in result.reason and "took effect" not in result.reason
    assert Instrument.objects.filter(evidence=True).count() == 12  # eight US, four UN


@pytest.mark.parametrize(
    ("language", "text", "on", "jurisdiction", "act"),
    [
        # cited by its Federal Register reference
        ("en", "N-Phenethyl-4-piperidone", D(2007, 5, 1), "US", "72 FR 20039 took effect between"),
        # a reference that says its number is not confirmed: cited by its title
        (
            "zh-hans",
            "邻氯苯基环戊酮",
            D(2012, 6, 1),
            "CN",
            "将邻氯苯基环戊酮增列为第一类易制毒化学品（2012年） 于 2012 年",
        ),
        (
            "en",
            "邻氯苯基环戊酮",
            D(2012, 6, 1),
            "CN",
            "Addition of 2-chlorophenyl cyclopentyl ketone (邻氯苯基环戊酮) to Category I took",
        ),
    ],
)
def test_a_reason_in_doubt_cites_the_act_as_its_readers_know_it(
    real_registry, language, text, on, jurisdiction, act
):
    """The act whose date is not known precisely is named as the site cites it (its reference,
    else its title in the answer's language), not by the registry's own identifier."""
    with translation.override(language):
        result = _one(text, on, jurisdiction)
    assert result.status == "uncertain"
    assert act in result.reason
    [basis] = [m for m in result.matches if m.date_uncertain]
    assert act in basis.date_uncertain and basis.listed.instrument.uid not in result.reason


# --- the UN conventions' exceptions ----------------------------------------------------------


@pytest.mark.parametrize("text", ["dextromethorphan", "125-71-3", "dextrorphan"])
def test_the_1961_exceptions_are_not_controlled_under_the_un_conventions(real_registry, text):
    result = _one(text, D(2026, 1, 1), "UN")
    assert result.status == "not_controlled", result.matches
    # while their racemates and the other isomers are
    assert _one("racemethorphan", D(2026, 1, 1), "UN").status == "controlled"
    assert _one("levorphanol", D(2026, 1, 1), "UN").status == "controlled"


# --- identifiers -----------------------------------------------------------------------------


def _other_cas_numbers():
    with open(FIXTURES / "names.csv", encoding="utf-8") as f:
        return [(r["substance"], r["name"]) for r in csv.DictReader(f) if r["kind"] == "cas"]


def test_other_cas_numbers_are_loaded_and_none_is_a_records_own(real_registry):
    rows = _other_cas_numbers()
    assert len(rows) == 16
    own = set(Substance.objects.exclude(cas="").values_list("cas", flat=True))
    assert not own & {cas for _, cas in rows}
    assert Name.objects.filter(kind=Name.Kind.CAS).count() == 16


@pytest.mark.parametrize(("uid", "cas"), _other_cas_numbers())
def test_every_other_cas_number_resolves_in_the_check_and_in_search(real_registry, uid, cas):
    result = _one(cas, D(2026, 1, 1))
    assert result.substance is not None and result.substance.uid == uid
    assert result.matched_by == "cas"
    assert uid in set(Substance.objects.search(cas).values_list("uid", flat=True))


def test_search_by_a_secondary_cas_finds_the_record(client, real_registry):
    """The site's search and the API's `q` filter, whatever engine answers them."""
    page = client.get("/search/", {"q": "36418-34-5"})  # the UN lists' number for benzylmorphine
    assert page.status_code == 200
    assert "/substances/benzylmorphine/" in page.content.decode()
    body = client.get("/api/v1/substances/", {"q": "36418-34-5"}).json()
    assert [row["uid"] for row in body["results"]] == ["benzylmorphine"]


@pytest.mark.parametrize(
    ("on", "uids"),
    [
        (D(2020, 1, 1), {"parahexyl"}),  # the 2013 list's name of parahexyl
        (D(2025, 7, 10), {"parahexyl", "hhc"}),  # both lists in force: the name meant both
        (D(2026, 1, 1), {"hhc"}),  # the 2025 lists' name of HHC
    ],
)
def test_a_name_resolves_by_its_meaning_on_the_day(real_registry, on, uids):
    result = _one("六氢大麻酚", on, "CN")
    assert result.status == "controlled"
    assert {m["substance"] for m in result.matches if m["basis"] == "listing"} == uids


def test_the_2025_catalogues_took_effect_in_a_window_of_a_week(real_registry):
    """No text of the 2025 catalogues' day of effect was found: a secondary source says the
    joint announcement was issued on 2025-07-21 and took effect at once; the medical catalogue's
    page is dated 2025-07-28. In that week a substance moved between lists is controlled (on
    one of them), a class too, and one new to the 2025 lists is uncertain."""
    for uid in ("cn-2025-55", "cn-2025-nonmedical-list"):
        act = Instrument.objects.get(uid=uid)
        assert act.effective_precision == Instrument.Precision.NOT_AFTER
        assert (act.effective_bound, act.effective_on) == (D(2025, 7, 21), D(2025, 7, 28))
    week = D(2025, 7, 24)
    assert _one("ketamine", week, "CN").status == "controlled"
    para_chlorofentanyl = "CCC(=O)N(c1ccc(Cl)cc1)C1CCN(CCc2ccccc2)CC1"  # by China's class only
    result = _one(para_chlorofentanyl, week, "CN")
    assert result.status == "controlled" and result.since == {"CN": "2019-05-01"}
    # Fentanyl is on a narcotic list all week (which one is in doubt), so China's fentanyl
    # class, which defers to the named entries, does not claim it; a new cannabinoid is
    # controlled by its class, and the verdict says so.
    fentanyl = _one("fentanyl", week, "CN")
    assert fentanyl.status == "controlled"
    assert not any(getattr(m, "substance_class", None) for m in fentanyl.matches)
    cannabinoid = "CCCCCCn1nc(C(=O)NC(C(=O)OC)C(C)(C)C)c2ccccc21"
    result = _one(cannabinoid, week, "CN")
    [cn] = [
        v
        for v in verdicts(result.status, result.matches, jurisdictions())
        if v.jurisdiction == "CN"
    ]
    assert (cn.status, cn.classes) == ("controlled", ("class-synthetic-cannabinoids",))
    assert _one("carisoprodol", D(2025, 7, 20), "CN").status == "not_controlled"
    assert _one("carisoprodol", week, "CN").status == "uncertain"
    assert _one("carisoprodol", D(2025, 7, 28), "CN").status == "controlled"


def test_remimazolam_s_chinese_listing_is_dated_by_what_is_known_of_it(real_registry):
    """The announcement that placed remimazolam in Class II was not found; its day (recalled as
    2020-01-01) was used as if read. It is on no 2013 list as they took effect, and the official
    449 of mid-2021 counts it: uncertain between the two, controlled from 2021-07-01."""
    assert _one("remimazolam", D(2020, 6, 1), "CN").status == "uncertain"
    assert _one("remimazolam", D(2021, 7, 1), "CN").status == "controlled"
