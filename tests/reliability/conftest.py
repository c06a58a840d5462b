"""What the reliability tests share: a small registry, the feed replayed, long runs behind a flag.

Long tests (a minute of load, PostgreSQL restarted under load) run only with RUN_LONG_TESTS=1;
the rest fit in the ordinary suite.
"""

import datetime
import os

import pytest

from registry.models import Change
from registry.representations import iter_all
from tests.factories import (
    InstrumentFactory,
    ListingFactory,
    NameFactory,
    ScheduleFactory,
    SubstanceFactory,
)

D = datetime.date
LONG = os.environ.get("RUN_LONG_TESTS") == "1"
long_test = pytest.mark.skipif(not LONG, reason="long test: set RUN_LONG_TESTS=1")


def replay_feed() -> dict[tuple[str, str], dict]:
    """The registry as a client following the feed from the start would hold it."""
    copy: dict[tuple[str, str], dict] = {}
    for change in Change.objects.order_by("seq").iterator():
        key = (change.resource_type, change.uid)
        if change.action == Change.Action.DELETED:
            copy.pop(key, None)
        else:
            copy[key] = change.data
    return copy


def registry_now() -> dict[tuple[str, str], dict]:
    return {(type_name, uid): data for type_name, uid, data in iter_all()}


def assert_feed_gap_free() -> None:
    seqs = list(Change.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.fixture
def small_registry(db):
    """A CN non-medical list with two listed substances, as the real data has them."""
    schedule = ScheduleFactory(
        uid="cn-nonmedical-2015", code="NM", name="Non-medical", name_zh="非药用类"
    )
    instrument = InstrumentFactory(
        jurisdiction=schedule.jurisdiction,
        reference="2015-A",
        published_on=D(2015, 9, 1),
        effective_on=D(2015, 10, 1),
    )
    for uid, name_en, name_zh, cas in (
        ("fentanyl", "Fentanyl", "芬太尼", "437-38-7"),
        ("carfentanil", "Carfentanil", "卡芬太尼", "59708-52-0"),
    ):
        substance = SubstanceFactory(uid=uid, name_en=name_en, name_zh=name_zh, cas=cas)
        NameFactory(substance=substance, name=f"{name_en} base", language="en")
        ListingFactory(
            schedule=schedule,
            substance=substance,
            listed_by=instrument,
            effective_from=D(2015, 10, 1),
        )
    return schedule
