"""Reads may go to a replica; writes, the feed and transactions stay on the primary."""

import pytest
from django.db import transaction

from config.routers import PRIMARY, REPLICA, PrimaryReplicaRouter, pinned_to_primary
from registry.models import Change
from substances.models import Substance


@pytest.fixture
def replica(settings):
    """A "replica" alias (the same database, as in the test settings' MIRROR)."""
    from django.db import connections

    connections.settings[REPLICA] = dict(connections.settings[PRIMARY])
    yield PrimaryReplicaRouter()
    del connections.settings[REPLICA]


def test_without_a_replica_the_router_leaves_everything_to_the_default():
    assert PrimaryReplicaRouter().db_for_read(Substance) is None


def test_plain_reads_go_to_the_replica(replica):
    assert replica.db_for_read(Substance) == REPLICA


def test_the_feed_is_always_read_from_the_primary(replica):
    assert replica.db_for_read(Change) == PRIMARY


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    with transaction.atomic():
        assert replica.db_for_read(Substance) == PRIMARY


def test_writes_and_pinned_reads_go_to_the_primary(replica):
    assert replica.db_for_write(Substance) == PRIMARY
    with pinned_to_primary():
        assert replica.db_for_read(Substance) == PRIMARY
    assert replica.db_for_read(Substance) == REPLICA


def test_migrations_run_on_the_primary_only(replica):
    assert replica.allow_migrate(PRIMARY, "substances")
    assert not replica.allow_migrate(REPLICA, "substances")


def test_writing_requests_are_pinned_to_the_primary(rf):
    from config.routers import PinToPrimaryMiddleware, _pinned

    seen = []
    middleware = PinToPrimaryMiddleware(lambda request: seen.append(_pinned.get()))
    middleware(rf.post("/api/v1/substances/"))
    middleware(rf.get("/api/v1/substances/"))
    middleware(rf.get("/admin/"))
    assert seen == [True, False, True]
