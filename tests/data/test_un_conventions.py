"""The 1961 and 1971 Conventions on the real registry: counts per schedule, spot checks, dates."""

import datetime

import pytest

from registry.check import check_items
from registry.models import Instrument, Listing

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 1)  # after every decision of CND 68 (March 2025) can have taken effect


def _in_force(schedule, on=TODAY):
    return Listing.objects.in_force(on=on).filter(schedule__uid=schedule)


@pytest.mark.parametrize(
    ("schedule", "count"),
    [
        ("un-1961-schedule-i", 138),
        ("un-1961-schedule-ii", 10),
        ("un-1961-schedule-iii", 8),
        ("un-1961-schedule-iv", 18),
        ("un-1971-schedule-i", 33),
        # 65 entries, dronabinol's as two listings: itself (1991) and, as the WHO's 2018 review
        # describes the entry, the stereochemical variants of delta-9-THC (a group record).
        ("un-1971-schedule-ii", 66),
        ("un-1971-schedule-iii", 9),
        ("un-1971-schedule-iv", 69),
    ],
)
def test_counts_per_schedule_after_cnd_68(real_registry, schedule, count):
    assert _in_force(schedule).count() == count


def test_the_1971_entries_before_2015_add_up_to_incbs_116(real_registry):
    on = D(2014, 12, 31)  # the upper bound given to entries whose listing date is not known
    counts = [_in_force(f"un-1971-schedule-{s}", on).count() for s in ("i", "ii", "iii", "iv")]
    assert counts == [28, 18, 9, 61] and sum(counts) == 116


def _un(text, on=TODAY):
    [result] = check_items([text], on=on, jurisdiction="UN")
    return result


def _schedules(result):
    """The schedules certainly in force (a listing whose act's date is in doubt is left out)."""
    return sorted(
        m["schedule"]["code"]
        for m in result.matches
        if m["basis"] == "listing" and not m.get("date_uncertain")
    )


@pytest.mark.parametrize(
    ("name", "schedules", "year"),
    [
        ("Heroin", ["UN-1961-I", "UN-1961-IV"], 1964),
        ("Codeine", ["UN-1961-II"], 1964),
        ("Carfentanil", ["UN-1961-I", "UN-1961-IV"], 2018),
        ("Acetylfentanyl", ["UN-1961-I", "UN-1961-IV"], 2016),
        ("U-47700", ["UN-1961-I"], 2017),
        ("Furanylfentanyl", ["UN-1961-I"], 2018),
        ("Isotonitazene", ["UN-1961-I"], 2021),
        ("Brorphine", ["UN-1961-I"], 2022),
        ("Protonitazene", ["UN-1961-I"], 2023),
        ("Butonitazene", ["UN-1961-I"], 2024),
        ("N-Desethyl isotonitazene", ["UN-1961-I"], 2025),
        ("25I-NBOMe", ["UN-1971-I"], 2015),
        ("DOC", ["UN-1971-I"], 2020),
        ("5F-MDMB-PINACA", ["UN-1971-II"], 2018),
        ("alpha-PHP", ["UN-1971-II"], 2020),
        ("Eutylone", ["UN-1971-II"], 2022),
        ("N,N-dimethylpentylone", ["UN-1971-II"], 2024),
        ("Hexahydrocannabinol", ["UN-1971-II"], 2025),
        ("Etizolam", ["UN-1971-IV"], 2020),
        ("Carisoprodol", ["UN-1971-IV"], 2025),
    ],
)
def test_spot_checks_of_the_shared_data(real_registry, name, schedules, year):
    result = _un(name)
    assert result.status == "controlled", result.reason
    assert _schedules(result) == schedules
    assert {int(m["effective_from"][:4]) for m in result.matches} == {year}


def test_cannabis_left_schedule_iv_of_1961_on_2_december_2020(real_registry):
    before, after = _un("Cannabis", D(2020, 12, 1)), _un("Cannabis", D(2020, 12, 2))
    assert _schedules(before) == ["UN-1961-I", "UN-1961-IV"]
    # The removal took effect on receipt of the notification (art. 3(7)), on or after the vote:
    # from the vote the Schedule IV listing is in doubt, and later it is gone.
    assert _schedules(after) == ["UN-1961-I"]
    [doubt] = [m for m in after.matches if m["schedule"]["code"] == "UN-1961-IV"]
    assert "63/17" in doubt["date_uncertain"] or "cannabis" in doubt["date_uncertain"]
    assert _schedules(_un("Cannabis", D(2021, 7, 1))) == ["UN-1961-I"]
    assert after.status == "controlled"  # Schedule I is certain
    [ended] = Listing.objects.filter(substance__uid="cannabis", schedule__code="UN-1961-IV")
    assert ended.ended_by.reference == "CND decision 63/17"


def test_ketamine_and_tramadol_are_not_under_the_conventions(real_registry):
    assert _un("Ketamine").status == "not_controlled"
    assert _un("Tramadol").status == "not_controlled"
    assert _un("Ketamine", D(2026, 1, 1)).status == "not_controlled"
    [cn] = check_items(["Ketamine"], on=TODAY, jurisdiction="CN")
    assert cn.status == "controlled"


def test_a_1971_decision_takes_effect_no_earlier_than_180_days_after_the_session(real_registry):
    # CND 63 met on 2-6 March 2020; the communication followed, and art. 2(7) adds 180 days.
    assert _un("Etizolam", D(2020, 8, 28)).status == "not_controlled"
    # From then on it may have taken effect (the day of the communication is not known) ...
    assert _un("Etizolam", D(2020, 8, 29)).status == "uncertain"
    # ... and by the bound it certainly had.
    assert _un("Etizolam", D(2021, 2, 28)).status == "controlled"
    decision = Instrument.objects.get(uid="un-cnd-63-1971-etizolam")
    assert decision.effective_on == D(2020, 8, 29)
    assert decision.published_on is None  # the day of adoption within the session is not known


def test_a_substance_in_two_schedules_of_one_convention_is_one_record_listed_twice(real_registry):
    heroin = Listing.objects.filter(substance__uid="heroin", schedule__jurisdiction__code="UN")
    assert sorted(heroin.values_list("schedule__code", flat=True)) == ["UN-1961-I", "UN-1961-IV"]


def test_dextromethorphan_and_dextrorphan_are_recorded_as_excepted(real_registry):
    racemethorphan = Listing.objects.get(
        substance__uid="racemethorphan", schedule__uid="un-1961-schedule-i"
    )
    racemorphan = Listing.objects.get(
        substance__uid="racemorphan", schedule__uid="un-1961-schedule-i"
    )
    assert "dextromethorphan" in racemethorphan.scope and "excluded" in racemethorphan.scope
    assert "dextrorphan" in racemorphan.scope and "excluded" in racemorphan.scope
    assert _un("Dextrorphan").status == "not_controlled"


def test_every_un_listing_cites_a_convention_or_a_cnd_decision(real_registry):
    listings = Listing.objects.filter(schedule__uid__startswith="un-19").exclude(
        schedule__uid__startswith="un-1988"
    )
    assert listings.count() == 354
    for listing in listings.select_related("listed_by"):
        assert listing.effective_from == listing.listed_by.effective_on
        assert listing.listed_by.issuers in {
            "United Nations Conference",
            "Commission on Narcotic Drugs",
        }


def test_levamfetamine_drawn_is_answered_as_named_not_as_the_racemate(real_registry):
    """Levamfetamine has its own entry in the 1971 Schedule II (its day not known precisely):
    drawn, it is governed by it, not reached through amfetamine's entry (the racemate, drawn
    without configuration), whose coverage is salts only."""
    on = datetime.date(1990, 1, 1)
    drawn, named = _un("C[C@@H](N)Cc1ccccc1", on), _un("levamfetamine", on)
    assert drawn.substance.uid == named.substance.uid == "levamfetamine"
    assert drawn.status == named.status
    assert [m.date_uncertain != "" for m in drawn.matches] == [
        m.date_uncertain != "" for m in named.matches
    ]
    assert "amfetamine" not in {m.route.matched for m in drawn.matches}


CIS_DELTA_9_THC = "CCCCCc1cc(O)c2c(c1)OC(C)(C)[C@@H]1CCC(C)=C[C@H]21"


def test_the_stereochemical_variants_of_delta_9_thc_are_in_schedule_ii(real_registry):
    """1971 Convention: delta-9-THC and its stereochemical variants were in Schedule I at its
    adoption; dronabinol alone moved to Schedule II in 1991; the WHO's review of 2018 finds the
    variants in Schedule II with it, the decision that moved them not identified."""
    assert _schedules(_un(CIS_DELTA_9_THC, D(1980, 1, 1))) == ["UN-1971-I"]
    assert _un(CIS_DELTA_9_THC, D(2000, 1, 1)).status == "uncertain"
    now = _un(CIS_DELTA_9_THC)
    assert now.status == "controlled" and _schedules(now) == ["UN-1971-II"]
    assert _schedules(_un("dronabinol", D(2000, 1, 1))) == ["UN-1971-II"]


def test_a_since_dated_by_evidence_says_control_may_have_begun_earlier(real_registry, client):
    # UN "since 2014-12-31" read as the day mesocarb was listed; it is the day a document
    # shows it listed, the act not identified.
    from registry.check import check_items

    [result] = check_items(["mesocarb"], on=datetime.date(2026, 1, 1))
    assert result.since["UN"] == "2014-12-31"
    assert "UN" in result.since_at_latest and "US" not in result.since_at_latest
    assert result.as_dict()["since_at_latest"] == ["UN"]
    page = client.get("/check/", {"items": "mesocarb", "on": "2026-01-01"}).content.decode()
    assert 'UN 2014-12-31 <span class="small">(or earlier: listed by then at the latest' in page
