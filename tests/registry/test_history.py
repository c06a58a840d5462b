"""The legal history as differences: added, removed and moved between two dates, and by day."""

import datetime

import pytest

from registry import history, services
from tests.factories import TEST_ACTOR, InstrumentFactory, ListingFactory, SubstanceFactory
from tests.web.sample import D2014, D2015, D2019, D2025, build_sample

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def sample(db):
    return build_sample()


def uids(entries):
    return sorted(e.subject.uid for e in entries)


def test_diff_across_the_reorganisation_moves_every_entry(sample):
    result = history.diff(jurisdiction="CN", start=D2025 - DAY, end=D2025)
    assert result.added == [] and result.removed == []
    assert uids(result.moved) == sorted(
        [
            sample.fentanyl.uid,
            sample.carfentanil.uid,
            sample.adb.uid,
            sample.pvp.uid,
            "class-fentanyls",
        ]
    )
    carfentanil = next(e for e in result.moved if e.subject.uid == sample.carfentanil.uid)
    assert carfentanil.schedule.uid == "cn-nonmedical-2025"
    assert [s.uid for s in carfentanil.from_schedules] == ["cn-narcotic-2013"]
    assert carfentanil.instrument.uid == sample.reorganisation.uid
    assert carfentanil.effective_on == D2025


def test_diff_counts_additions_between_distant_dates(sample):
    result = history.diff(jurisdiction="CN", start=D2014, end=D2019)
    assert uids(result.added) == sorted([sample.adb.uid, sample.pvp.uid, "class-fentanyls"])
    klass = next(e for e in result.added if e.subject.type == "class")
    assert klass.instrument.uid == sample.fentanyl_class_2019.uid
    assert result.moved == [] and result.removed == []


def test_diff_tells_a_removal_with_the_instrument_that_ended_it(sample):
    ender = InstrumentFactory(
        jurisdiction=sample.cn, uid="cn-test-end", effective_on=datetime.date(2026, 1, 1)
    )
    listing = sample.adb.listings.get(effective_to__isnull=True)
    services.delist(
        listing=listing,
        instrument=ender,
        effective_to=datetime.date(2026, 1, 1),
        actor=TEST_ACTOR,
    )
    result = history.diff(jurisdiction="CN", start=D2025, end=datetime.date(2026, 1, 1))
    assert uids(result.removed) == [sample.adb.uid]
    assert result.removed[0].instrument.uid == "cn-test-end"
    assert result.removed[0].schedule.uid == "cn-nonmedical-2025"


def test_joining_a_second_list_is_an_addition_not_a_move(sample):
    precursor_list = sample.narcotic_2025
    ListingFactory(
        schedule=precursor_list,
        substance=sample.pvp,
        effective_from=datetime.date(2026, 1, 1),
        listed_by=InstrumentFactory(jurisdiction=sample.cn, effective_on=datetime.date(2026, 1, 1)),
    )
    result = history.diff(jurisdiction="CN", start=D2025, end=datetime.date(2026, 1, 1))
    assert uids(result.added) == [sample.pvp.uid] and result.moved == []


def test_diff_of_one_list_shows_moves_onto_it_as_additions(sample):
    result = history.diff(
        jurisdiction="CN", start=D2025 - DAY, end=D2025, schedule="cn-nonmedical-2025"
    )
    assert sample.carfentanil.uid in uids(result.added)
    assert sample.fentanyl.uid not in uids(result.added)
    assert result.moved == []


def test_diff_refuses_dates_in_the_wrong_order(sample):
    with pytest.raises(ValueError, match="start"):
        history.diff(jurisdiction="CN", start=D2025, end=D2014)


def test_diff_of_a_day_with_itself_is_empty(sample):
    assert history.diff(jurisdiction="CN", start=D2019, end=D2019).empty


def test_other_jurisdictions_stay_out(sample):
    assert history.diff(jurisdiction="UN", start=D2014, end=D2025).empty


def test_legal_changes_by_day_newest_first(sample):
    days = history.legal_changes(jurisdiction="CN")
    assert [d.day for d in days] == [D2025, D2019, D2015, D2014]
    assert len(days[0].moved) == 5 and days[0].added == []
    assert uids(days[2].added) == sorted([sample.adb.uid, sample.pvp.uid])
    assert [i.uid for i in days[0].instruments] == [sample.reorganisation.uid]


def test_legal_changes_of_one_list_and_window(sample):
    days = history.legal_changes(schedule="cn-nonmedical-2015", since=D2015, until=D2019)
    assert [d.day for d in days] == [D2019, D2015]
    days = history.legal_changes(schedule="cn-nonmedical-2015")
    assert uids(days[0].removed) == sorted([sample.adb.uid, sample.pvp.uid, "class-fentanyls"])


def test_legal_changes_are_the_law_not_the_edit_log(sample):
    # Correcting a listing's scope writes to the feed, but no list changed that day.
    listing = sample.pvp.listings.get(effective_to__isnull=True)
    listing.scope = "salts"
    services.save_resource(listing, actor=TEST_ACTOR)
    assert [d.day for d in history.legal_changes(jurisdiction="CN", days=1)] == [D2025]


def test_legal_changes_keeps_at_most_the_days_asked(sample):
    assert [d.day for d in history.legal_changes(days=2)] == [D2025, D2019]
    SubstanceFactory()  # an unlisted substance changes nothing
    assert len(history.legal_changes()) == 4


def test_subject_history_tells_the_move_and_what_is_in_force(sample):
    legal = history.subject_history(substance=sample.carfentanil, on=D2025)
    assert [e.kind for e in legal.events] == ["listed", "moved"]
    assert [listing.schedule.uid for listing in legal.in_force] == ["cn-nonmedical-2025"]
    before = history.subject_history(substance=sample.carfentanil, on=D2025 - DAY)
    assert [listing.schedule.uid for listing in before.in_force] == ["cn-narcotic-2013"]


def test_subject_history_of_a_class(sample):
    legal = history.subject_history(substance_class=sample.fentanyls, on=D2019)
    assert [e.date for e in legal.events] == [D2019, D2025]
    assert len(legal.in_force) == 1 and legal.in_force[0].effective_from == D2019


def test_instrument_changes_tell_moves_and_additions(sample):
    moved = history.instrument_changes(sample.reorganisation)
    assert moved.added == [] and moved.removed == []
    assert sorted(after.subject_uid for _before, after in moved.moves) == sorted(
        [
            sample.fentanyl.uid,
            sample.carfentanil.uid,
            sample.adb.uid,
            sample.pvp.uid,
            "class-fentanyls",
        ]
    )
    added = history.instrument_changes(sample.fentanyl_class_2019)
    assert [row.subject_uid for row in added.added] == ["class-fentanyls"]
    assert added.added[0].listed_by.uid == sample.fentanyl_class_2019.uid
