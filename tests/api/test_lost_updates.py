"""No lost update: two clients PATCH the same resource at the same moment, without If-Match.

Real concurrency: two threads, each with its own database connection and its own API client,
released together by a barrier, on a real database (PostgreSQL's test database, or a SQLite
file in WAL mode as the registry runs). Writers that change different fields must both win;
writers that change the same field are serialised: the last one wins, and both are in the feed.
Each test prints its trials and losses (run with -s to see them).
"""

import contextlib
import sqlite3
import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from registry.models import Change, Instrument, Listing
from registry.representations import represent, resource_type_of
from substances.models import Name, PrecursorUse, Substance, SubstanceClass

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 50

# resource path, model, uid, two fields a client may change independently
RESOURCES = {
    "substance": ("substances", Substance, "a-pvp", "name_zh", "notes"),
    "class": ("classes", SubstanceClass, "fentanyl-related", "definition_en", "notes"),
    "listing": ("listings", Listing, "l-mdmb", "item_number", "notes"),
    "name": ("names", Name, "n-apvp-1", "name", "source"),
    "instrument": ("instruments", Instrument, "cn-2019", "title_en", "notes"),
    "precursor-use": ("precursor-uses", PrecursorUse, "pu-npp-fentanyl", "role", "source"),
}


@contextlib.contextmanager
def shared_database(tmp_path):
    """A database that several threads write at once, each on its own connection.

    PostgreSQL's test database is one already. SQLite's in-memory test database is not: its
    shared cache takes table locks that fail at once instead of waiting. So it is copied into a
    file, which every connection opened in the block uses (in WAL mode with a busy timeout and
    IMMEDIATE transactions, as config.settings runs SQLite).
    """
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "concurrent.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as target:
        connection.connection.backup(target)
        # In WAL mode before any writer opens it, as `migrate` leaves the registry's file. Two
        # connections switching a fresh file to WAL at once can deadlock on the switch, and
        # SQLite then fails one at once ("database is locked") rather than wait.
        target.execute("PRAGMA journal_mode=WAL")
    original_settings = connections.settings["default"]
    original = connections["default"]
    settings_dict = {**original_settings, "NAME": str(path)}
    connections.settings["default"] = settings_dict
    connections["default"] = type(original)(settings_dict, "default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = original
        connections.settings["default"] = original_settings


def at_once(*calls):
    """Run each call in its own thread, released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except Exception as exc:  # pragma: no cover - reported by the caller
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def patcher(token_header: str, path: str, body: dict):
    def patch():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token_header)
        response = client.patch(path, body, format="json")
        return response.status_code, response.content[:300]

    return patch


def feed_of(model, uid: str) -> list[dict]:
    rows = Change.objects.filter(resource_type=resource_type_of(model()).name, uid=uid)
    return [change.data for change in rows.order_by("seq")]


@pytest.fixture
def token_header(curator):
    return curator._credentials["HTTP_AUTHORIZATION"]


@pytest.mark.parametrize("type_name", list(RESOURCES))
def test_two_writers_of_different_fields_both_win(registry, token_header, tmp_path, type_name):
    prefix, model, uid, field_a, field_b = RESOURCES[type_name]
    path = f"/api/v1/{prefix}/{uid}/"
    lost = 0
    with shared_database(tmp_path):
        for trial in range(TRIALS):
            a, b = f"A{trial}", f"B{trial}"
            results = at_once(
                patcher(token_header, path, {field_a: a}),
                patcher(token_header, path, {field_b: b}),
            )
            assert [status for status, _ in results] == [200, 200], results
            stored = model.objects.get(uid=uid)
            last = feed_of(model, uid)[-1]
            if (getattr(stored, field_a), getattr(stored, field_b)) != (a, b):
                lost += 1
            # The feed recorded the change from the fresh state: its last row is the registry.
            assert last == represent(stored)
    print(f"\n{connection.vendor} {type_name}: different fields, {TRIALS} trials, {lost} lost")
    assert lost == 0


@pytest.mark.parametrize("type_name", list(RESOURCES))
def test_two_writers_of_one_field_are_serialised_and_both_recorded(
    registry, token_header, tmp_path, type_name
):
    prefix, model, uid, field_a, _field_b = RESOURCES[type_name]
    path = f"/api/v1/{prefix}/{uid}/"
    lost = 0
    with shared_database(tmp_path):
        for trial in range(TRIALS):
            before = len(feed_of(model, uid))
            a, b = f"A{trial}", f"B{trial}"
            results = at_once(
                patcher(token_header, path, {field_a: a}),
                patcher(token_header, path, {field_a: b}),
            )
            assert [status for status, _ in results] == [200, 200], results
            stored = model.objects.get(uid=uid)
            recorded = [data[field_a] for data in feed_of(model, uid)[before:]]
            # Both writes are in the feed, in the order they were applied; the last one won.
            if sorted(recorded) != [a, b] or recorded[-1] != getattr(stored, field_a):
                lost += 1
    print(f"\n{connection.vendor} {type_name}: same field, {TRIALS} trials, {lost} lost")
    assert lost == 0
