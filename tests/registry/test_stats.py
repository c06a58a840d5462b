import datetime

import pytest

from registry.stats import schedule_counts
from tests.factories import ListingFactory, ScheduleFactory, SubstanceClassFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_schedule_counts_on_a_date_count_substances_and_classes_apart(django_assert_num_queries):
    schedule = ScheduleFactory(code="NM")
    ListingFactory(schedule=schedule, effective_from=D(2015, 10, 1))
    ListingFactory(schedule=schedule, effective_from=D(2017, 3, 1))
    ListingFactory(
        schedule=schedule,
        substance=None,
        substance_class=SubstanceClassFactory(),
        effective_from=D(2019, 5, 1),
    )
    with django_assert_num_queries(1):
        [before] = schedule_counts(on=D(2017, 2, 28), jurisdiction="CN")
    assert (before.substances, before.classes) == (1, 0)
    [after] = schedule_counts(on=D(2019, 5, 1), jurisdiction="cn")
    assert after.as_dict()["substances"] == 2 and after.as_dict()["classes"] == 1
    assert schedule_counts(on=D(2010, 1, 1)) == []
    assert len(schedule_counts(on=D(2010, 1, 1), include_empty=True)) == 1
