"""The real registry for the data tests: loaded once per test process, replayed for each module.

`load_registry` takes 25-70 s (every record is validated and written through the services,
with its feed entry). Each data module needs the registry as that command leaves it, inside a
transaction that is rolled back after the module. So the first module in a process runs the
command and keeps what it changed, row for row (`_Rows`); a later module starting from the same
rows writes those changes back directly, in under a second. The database's own triggers keep
what hangs on the rows (SQLite's search tables) exactly as the command's writes did.

The replay is only used when the tables the command changed, and the tables their rows refer to,
hold what they held before the first load, row for row; otherwise the command runs again and its
changes are kept afresh. (A test that flushes the database makes the role groups and content
types again, under new ids; the registry's rows refer to neither, so that alone changes nothing.)
"""

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction


class _Rows:
    """Reads and writes the rows of the models' tables, exactly as the database holds them.

    SQLite gives back each value as stored and takes it back unchanged. PostgreSQL's values go
    through COPY's text form (one line a row), so that no value is adapted on the way.
    """

    def __init__(self):
        existing = set(connection.introspection.table_names(include_views=False))
        self.tables = {}
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.managed and not meta.proxy and meta.db_table in existing:
                pk = meta.pk.column
                others = [f.column for f in meta.local_concrete_fields if f.column != pk]
                self.tables[meta.db_table] = (model, [pk, *others])
        self.postgresql = connection.vendor == "postgresql"

    def _names(self, table):
        quote = connection.ops.quote_name
        return quote(table), ", ".join(map(quote, self.tables[table][1]))

    def referred(self, tables) -> set[str]:
        """The tables, and the tables their rows refer to (foreign keys, many-to-many)."""
        out = set(tables)
        for table in tables:
            for field in self.tables[table][0]._meta.get_fields():
                if field.concrete and field.is_relation and field.related_model is not None:
                    out.add(field.related_model._meta.db_table)
        return out & set(self.tables)

    def read(self, tables=None) -> dict[str, frozenset]:
        rows = {}
        with connection.cursor() as cursor:
            for table in self.tables if tables is None else tables:
                name, columns = self._names(table)
                if self.postgresql:
                    with cursor.copy(f"COPY {name} ({columns}) TO STDOUT") as copy:
                        data = b"".join(bytes(block) for block in copy)
                    rows[table] = frozenset(data.splitlines())
                else:
                    cursor.execute(f"SELECT {columns} FROM {name}")
                    rows[table] = frozenset(cursor.fetchall())
        return rows

    def _pk(self, row):
        return row.split(b"\t", 1)[0].decode() if self.postgresql else row[0]

    def write(self, removed: dict, added: dict) -> None:
        """Delete the rows `removed` names (by primary key), then insert the rows `added`."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, rows in removed.items():
                name, _ = self._names(table)
                pk = quote(self.tables[table][1][0])
                as_text = "::text" if self.postgresql else ""  # COPY gives the key as text
                for row in rows:
                    cursor.execute(f"DELETE FROM {name} WHERE {pk}{as_text} = %s", [self._pk(row)])
            for table, rows in added.items():
                name, columns = self._names(table)
                if self.postgresql:
                    with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write(row + b"\n")
                else:
                    marks = ", ".join(["%s"] * len(self.tables[table][1]))
                    cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)
            if self.postgresql:
                models = [self.tables[table][0] for table in added]
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)


# What the first load in this process changed: the rows it removed and added per table (a
# changed row is both), and the rows before it of the tables the replay depends on.
_loaded: dict = {}


def _load_or_replay() -> str:
    rows = _Rows()
    if _loaded and rows.read(_loaded["before"]) == _loaded["before"]:
        rows.write(_loaded["removed"], _loaded["added"])
        return "replayed"
    before = rows.read()
    call_command("load_registry", verbosity=0)
    after = rows.read()
    removed = {t: before[t] - after[t] for t in before if before[t] - after[t]}
    added = {t: after[t] - before[t] for t in after if after[t] - before[t]}
    depends = rows.referred(removed.keys() | added.keys())
    _loaded.clear()
    _loaded.update(removed=removed, added=added, before={t: before[t] for t in depends})
    return "loaded"


@pytest.fixture(scope="module")
def real_registry(django_db_setup, django_db_blocker):
    """The real fixtures, loaded (or replayed) once per module inside a transaction rolled back
    at its end. The process's own caches are emptied on the way in: they are keyed by the feed's
    version, which a replay gives again. A shared cache (Redis, when REDIS_URL is set) is left
    alone: clearing it would flush a database other processes use."""
    with django_db_blocker.unblock(), transaction.atomic():
        _load_or_replay()
        for cache in caches.all():
            if isinstance(cache, LocMemCache):
                cache.clear()
        yield
        transaction.set_rollback(True)
