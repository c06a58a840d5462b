"""A read transaction that sees the registry as of one feed position.

A response that says `Registry-Seq: N` must show exactly what the registry held when the feed
ended at N: not a change more, not a change less. Writers append to the feed in commit order
(see registry.services._next_seq), so a single consistent snapshot of the database holds exactly
the changes 1..N for the N it sees.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db import connection, transaction


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Run the block in one read-only transaction with a single, stable snapshot.

    PostgreSQL: REPEATABLE READ, READ ONLY, so every statement sees the snapshot taken by the
    first one. SQLite: a deferred (read) transaction, which in WAL mode keeps its snapshot from
    its first read while writers go on; the project's IMMEDIATE mode would take the write lock,
    and block every curator for as long as an export streams. Inside an enclosing transaction
    (a write, a test) the block simply joins it.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        with ExitStack() as stack:
            connection.ensure_connection()
            mode = connection.transaction_mode
            connection.transaction_mode = "DEFERRED"  # read by atomic() when it sends BEGIN
            try:
                stack.enter_context(transaction.atomic())
            finally:
                connection.transaction_mode = mode
            yield
        return
    with transaction.atomic():  # pragma: no cover - other databases: their default isolation
        yield
