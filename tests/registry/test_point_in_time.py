"""What was controlled on date D: half-open periods, rescheduling and delisting."""

import datetime

import pytest

from registry import services
from registry.models import Listing
from substances.models import Substance
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    ScheduleFactory,
    SubstanceClassFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def test_listing_in_force_on_and_after_its_first_day_not_before():
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    assert list(Listing.objects.in_force(on=D(2019, 4, 30))) == []
    assert list(Listing.objects.in_force(on=D(2019, 5, 1))) == [listing]
    assert list(Listing.objects.in_force(on=D(2030, 1, 1))) == [listing]


def test_listing_not_in_force_on_its_end_date(actor):
    listing = ListingFactory(effective_from=D(2014, 1, 1))
    inst = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2025, 7, 28),
        effective_on=D(2025, 7, 28),
    )
    services.delist(listing=listing, instrument=inst, effective_to=D(2025, 7, 28), actor=actor)
    assert list(Listing.objects.in_force(on=D(2025, 7, 27))) == [listing]
    assert list(Listing.objects.in_force(on=D(2025, 7, 28))) == []


def test_rescheduled_substance_is_on_exactly_one_list_each_day(actor):
    listing = ListingFactory(effective_from=D(2014, 1, 1))
    class_two = ScheduleFactory(jurisdiction=listing.schedule.jurisdiction, regime="psychotropic")
    inst = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2023, 10, 1),
        effective_on=D(2023, 10, 1),
    )
    services.reschedule(
        listing=listing,
        to_schedule=class_two,
        instrument=inst,
        effective_on=D(2023, 10, 1),
        actor=actor,
    )
    before = Listing.objects.in_force(on=D(2023, 9, 30))
    after = Listing.objects.in_force(on=D(2023, 10, 1))
    assert [item.schedule for item in before] == [listing.schedule]
    assert [item.schedule for item in after] == [class_two]


def test_substances_controlled_on_a_date_and_in_a_jurisdiction(actor):
    listing = ListingFactory(effective_from=D(2017, 3, 1))
    un = JurisdictionFactory(code="UN", name="United Nations")
    un_listing = ListingFactory(
        schedule=ScheduleFactory(jurisdiction=un, code="T1", regime="precursor"),
        effective_from=D(1992, 1, 1),
    )
    assert set(Substance.objects.controlled(on=D(2017, 2, 28))) == {un_listing.substance}
    assert set(Substance.objects.controlled(on=D(2017, 3, 1))) == {
        listing.substance,
        un_listing.substance,
    }
    assert list(Substance.objects.controlled(on=D(2017, 3, 1), jurisdiction="CN")) == [
        listing.substance
    ]


def test_class_listings_are_not_named_substances():
    ListingFactory(
        substance=None, substance_class=SubstanceClassFactory(), effective_from=D(2019, 5, 1)
    )
    assert Listing.objects.in_force(on=D(2020, 1, 1)).of_classes().count() == 1
    assert Listing.objects.in_force(on=D(2020, 1, 1)).of_substances().count() == 0
    assert Substance.objects.controlled(on=D(2020, 1, 1)).count() == 0


def test_listings_started_between():
    a = ListingFactory(effective_from=D(2017, 3, 1))
    ListingFactory(effective_from=D(2018, 9, 1))
    assert list(Listing.objects.started_between(D(2017, 1, 1), D(2017, 12, 31))) == [a]
