"""Concurrent writers on PostgreSQL: a reader polling "after N" never misses or repeats a change."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from registry import services
from registry.models import Change

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WRITERS = 2
PER_WRITER = 25


def _writer(index: int, errors: list) -> None:
    actor = services.Actor.system(f"writer-{index}")
    try:
        for n in range(PER_WRITER):
            with transaction.atomic():
                services.create_substance(actor=actor, uid=f"w{index}-{n}", name_en=f"W{index} {n}")
                # Hold the transaction open a moment after taking a sequence number, so that a
                # later writer would commit first if numbers were not handed out in commit order.
                time.sleep(0.002)
    except Exception as exc:  # pragma: no cover - reported below
        errors.append(exc)
    finally:
        connections.close_all()


def _reader(seen: list, stop: threading.Event) -> None:
    last = 0
    try:
        while True:
            done = stop.is_set()
            batch = list(Change.objects.after(last).values_list("seq", flat=True)[:50])
            seen.extend(batch)
            if batch:
                last = batch[-1]
            elif done:
                return
    finally:
        connections.close_all()


def test_reader_sees_every_change_once_in_order_while_two_writers_commit(on_postgres):
    assert connection.vendor == "postgresql"
    errors: list = []
    seen: list[int] = []
    stop = threading.Event()
    reader = threading.Thread(target=_reader, args=(seen, stop))
    writers = [threading.Thread(target=_writer, args=(i, errors)) for i in range(WRITERS)]
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join(timeout=30)
    assert not errors
    total = WRITERS * PER_WRITER
    assert seen == list(range(1, total + 1))
    assert list(Change.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
