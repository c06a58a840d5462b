"""Publishing a draft while another writer commits, on PostgreSQL: the set's range of
sequence numbers holds its own rows and nothing else."""

import datetime
import threading
import time

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections, transaction

from registry import drafts, roles, services
from registry.models import Change, DraftChangeSet
from tests.admin.conftest import make_user
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

TRIALS = 25


def _waiting_for_the_feed() -> bool:
    """Whether some backend is blocked on an advisory lock (the feed's is the only one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def _other_writer(uid: str, holding: threading.Event, seqs: list, errors: list) -> None:
    """Write a substance, then hold the feed's lock until the publisher waits for it."""
    try:
        with transaction.atomic():
            change = services.create_substance(
                actor=services.Actor.system("other writer"), uid=uid, name_en=uid
            )
            seqs.append(Change.objects.get(uid=change.uid, resource_type="substance").seq)
            holding.set()
            deadline = time.monotonic() + 20
            while not _waiting_for_the_feed():
                if time.monotonic() > deadline:
                    raise AssertionError("the publisher never waited for the feed's lock")
                time.sleep(0.005)
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.fixture
def setting(transactional_db):
    if not Group.objects.filter(name=roles.REVIEWER).exists():
        roles.grant_roles(Group, Permission)
    china = JurisdictionFactory()
    schedule = ScheduleFactory(jurisdiction=china, code="NPS", uid="cn-nps")
    instrument = InstrumentFactory(
        jurisdiction=china, uid="cn-2024-54", effective_on=datetime.date(2024, 7, 1)
    )
    return (
        schedule,
        instrument,
        make_user("curator", role=roles.CURATOR),
        make_user("reviewer", role=roles.REVIEWER),
    )


def _draft(n: int, schedule, instrument, author) -> DraftChangeSet:
    substance = SubstanceFactory(uid=f"drafted-{n}")
    changeset = drafts.start(title=f"draft {n}", author=author)
    drafts.add_operation(
        changeset,
        service="list_substance",
        summary=f"list drafted-{n}",
        substance=substance.uid,
        schedule=schedule.uid,
        instrument=instrument.uid,
        effective_from="2024-07-01",
    )
    return changeset


def test_a_row_committed_while_publishing_stays_outside_the_drafts_range(on_postgres, setting):
    """The other writer holds the feed's lock when the reviewer publishes, and commits only
    once the publication waits for that lock: the classic interleaving, made to happen on
    every trial rather than by luck."""
    schedule, instrument, curator, reviewer = setting
    for n in range(TRIALS):
        changeset = _draft(n, schedule, instrument, curator)
        holding, seqs, errors = threading.Event(), [], []
        other = threading.Thread(target=_other_writer, args=(f"other-{n}", holding, seqs, errors))
        other.start()
        assert holding.wait(20)
        written = drafts.publish(changeset, reviewer=reviewer)
        other.join(30)
        assert not errors
        changeset.refresh_from_db()
        [other_seq] = seqs
        in_range = Change.objects.filter(seq__gte=changeset.first_seq, seq__lte=changeset.last_seq)
        assert [c.seq for c in written] == [c.seq for c in in_range]
        assert {c.via for c in in_range} == {changeset.via}, (n, other_seq, changeset.first_seq)
        assert changeset.first_seq == other_seq + 1
    seqs = list(Change.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def _busy_writer(index: int, stop: threading.Event, errors: list) -> None:
    actor = services.Actor.system(f"busy writer {index}")
    n = 0
    try:
        while not stop.is_set():
            services.create_substance(actor=actor, uid=f"busy-{index}-{n}", name_en=f"Busy {n}")
            n += 1
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


def test_drafts_published_among_busy_writers_own_exactly_their_range(on_postgres, setting):
    """No orchestration: two writers commit as fast as they can while drafts are published."""
    schedule, instrument, curator, reviewer = setting
    changesets = [_draft(n, schedule, instrument, curator) for n in range(TRIALS)]
    stop, errors = threading.Event(), []
    writers = [threading.Thread(target=_busy_writer, args=(i, stop, errors)) for i in range(2)]
    for writer in writers:
        writer.start()
    try:
        for changeset in changesets:
            drafts.publish(changeset, reviewer=reviewer)
    finally:
        stop.set()
        for writer in writers:
            writer.join(30)
    assert not errors
    for changeset in changesets:
        changeset.refresh_from_db()
        in_range = Change.objects.filter(seq__gte=changeset.first_seq, seq__lte=changeset.last_seq)
        assert {c.via for c in in_range} == {changeset.via}
    assert Change.objects.filter(via="command").count() > TRIALS  # the writers did write
