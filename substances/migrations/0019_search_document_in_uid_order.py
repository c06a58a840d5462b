"""The search document (migration 0013) in uid order: a page of a key's substances read from the
index alone, as many rows as the page needs.

The API lists a search's substances in uid order. With each document under its substance's id,
the database listed every substance holding the key, then sorted them to keep 51: 4-6 ms for
"fentanyl" or "ketamine" at 100,000 substances, where FTS5 reads the first 51 in its own
(rowid) order in 0.3-0.6 ms (bench/README.md, 2026-12-07, later). Each document is now kept
under its substance's *position*, which follows the uid:

    position = rank << 31 | id

`rank` (table substances_search_rank) increases with the uid; the id, below 2**31, keeps the
position unique and is read back as `position & (2**31 - 1)`, with no lookup. A substance
without a rank has position = id: its document sorts before every ranked one, and a page reads
those apart (substances.search, `narrowed_to_page`).

Kept by triggers, like the documents themselves. A new substance takes a rank between those of
its nearest ranked neighbours by uid (looked for among the 8 nearest), if there is room: past
the last one by a step of 2**16, else halfway. Where there is no room, or no ranked neighbour
near, it has none until the ranks are made again (`rebuild`: every substance ranked in uid
order, spaced over half the ranks, the documents written again). The loader and the synthetic
data generator do that after a load; this migration does it once. A uid that changes (none
should) loses its rank. Nothing is ever found or missed differently: the rank only orders.

SQLite only, where the document is; PostgreSQL's pg_trgm indexes serve it otherwise.
Written by hand: RunPython changes no model state, so makemigrations stays clean.
"""

import importlib

from django.db import migrations

_document = importlib.import_module("substances.migrations.0013_search_document")

TABLE = _document.TABLE
RANK_TABLE = "substances_search_rank"

ID_BITS = 31
ID_MASK = 2**ID_BITS - 1
"""A position's low bits: its substance's id."""

RANKS = 2**32
"""Ranks run from 1 to RANKS - 1: a position fits SQLite's 63 bits."""

APPEND_STEP = 2**16
"""The rank after the last one: a step past it (uids given in order, one after another, keep
room), halfway to RANKS once the step no longer fits."""

NEAR = 8
"""How many neighbours by uid a new substance looks among for a ranked one on each side."""


def position(substance_id: str) -> str:
    """SQL: the position of the document of the substance whose id is `substance_id`."""
    return (
        f"((coalesce((SELECT rank FROM {RANK_TABLE} WHERE substance_id = {substance_id}), 0)"
        f" << {ID_BITS}) | {substance_id})"
    )


def _write(substance_id: str) -> str:
    """SQL (a trigger's statements) writing one substance's document again, or removing it."""
    return f"""
        DELETE FROM {TABLE} WHERE rowid = {position(substance_id)};
        INSERT INTO {TABLE}(rowid, keys)
            SELECT {position("s.id")}, {_document._KEYS}
            FROM substances_substance s WHERE s.id = {substance_id};
    """


def _neighbour(side: str) -> str:
    """SQL: the rank of NEW's nearest ranked neighbour on `side` ("<" before, ">" after) among
    its NEAR nearest by uid; 0 (before) or RANKS (after) where it has no neighbour there at all;
    NULL where none of the nearest is ranked."""
    direction = "DESC" if side == "<" else "ASC"
    edge = 0 if side == "<" else RANKS
    return f"""
        CASE WHEN NOT EXISTS (SELECT 1 FROM substances_substance WHERE uid {side} NEW.uid)
        THEN {edge}
        ELSE (
            SELECT r.rank FROM (
                SELECT id, uid FROM substances_substance WHERE uid {side} NEW.uid
                ORDER BY uid {direction} LIMIT {NEAR}
            ) AS n JOIN {RANK_TABLE} r ON r.substance_id = n.id
            ORDER BY n.uid {direction} LIMIT 1
        ) END
    """


# A rank for NEW between its neighbours' (none where there is no room): ranks stay in uid order.
_RANK = f"""
    INSERT INTO {RANK_TABLE}(substance_id, rank)
    SELECT NEW.id, CASE WHEN b.hi = {RANKS} THEN b.lo + min({APPEND_STEP}, (b.hi - b.lo) / 2)
                        ELSE (b.lo + b.hi) / 2 END
    FROM (SELECT {_neighbour("<")} AS lo, {_neighbour(">")} AS hi) AS b
    WHERE b.lo IS NOT NULL AND b.hi IS NOT NULL AND b.hi - b.lo >= 2
        AND NOT EXISTS (SELECT 1 FROM {RANK_TABLE} WHERE substance_id = NEW.id);
"""

_ID_FITS = f"""
    SELECT RAISE(ABORT, 'substance id above 2**31 - 1: the search document cannot hold it')
    WHERE NEW.id > {ID_MASK};
"""

SQLITE_TRIGGERS = {
    "substances_substance_doc_ai": f"""
        CREATE TRIGGER substances_substance_doc_ai AFTER INSERT ON substances_substance BEGIN
            {_ID_FITS}
            {_RANK}
            {_write("NEW.id")}
        END
    """,
    # Every save writes every column; the WHEN clause leaves the document alone unless a key
    # or the uid moved.
    "substances_substance_doc_au": f"""
        CREATE TRIGGER substances_substance_doc_au
        AFTER UPDATE OF id, uid, search_key_en, search_key_zh ON substances_substance
        WHEN OLD.id IS NOT NEW.id
            OR OLD.uid IS NOT NEW.uid
            OR OLD.search_key_en IS NOT NEW.search_key_en
            OR OLD.search_key_zh IS NOT NEW.search_key_zh
        BEGIN
            {_ID_FITS}
            DELETE FROM {TABLE} WHERE rowid = {position("OLD.id")};
            DELETE FROM {RANK_TABLE} WHERE substance_id = OLD.id
                AND (OLD.id IS NOT NEW.id OR OLD.uid IS NOT NEW.uid);
            {_RANK}
            {_write("NEW.id")}
        END
    """,
    "substances_substance_doc_ad": f"""
        CREATE TRIGGER substances_substance_doc_ad AFTER DELETE ON substances_substance BEGIN
            DELETE FROM {TABLE} WHERE rowid = {position("OLD.id")};
            DELETE FROM {RANK_TABLE} WHERE substance_id = OLD.id;
        END
    """,
    "substances_name_doc_ai": f"""
        CREATE TRIGGER substances_name_doc_ai AFTER INSERT ON substances_name BEGIN
            {_write("NEW.substance_id")}
        END
    """,
    "substances_name_doc_au": f"""
        CREATE TRIGGER substances_name_doc_au
        AFTER UPDATE OF id, search_key, substance_id ON substances_name
        WHEN OLD.search_key IS NOT NEW.search_key
            OR OLD.substance_id IS NOT NEW.substance_id
        BEGIN
            {_write("OLD.substance_id")}
            {_write("NEW.substance_id")}
        END
    """,
    "substances_name_doc_ad": f"""
        CREATE TRIGGER substances_name_doc_ad AFTER DELETE ON substances_name BEGIN
            {_write("OLD.substance_id")}
        END
    """,
}


def unranked(cursor) -> int:
    """How many documents sort apart, their substances without a rank."""
    cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE rowid <= {ID_MASK}")
    return cursor.fetchone()[0]


def rebuild(cursor) -> None:
    """Rank every substance in uid order, spaced over the first half of the ranks (the second
    is room for uids given in order after the last), and write every document again at its
    position. In the caller's transaction: a reader sees the old ranks or the new."""
    cursor.execute("SELECT count(*) FROM substances_substance")
    spacing = max(1, RANKS // (2 * (cursor.fetchone()[0] + 1)))
    cursor.execute(f"DELETE FROM {RANK_TABLE}")
    cursor.execute(
        f"INSERT INTO {RANK_TABLE}(substance_id, rank)"
        f" SELECT id, row_number() OVER (ORDER BY uid) * {spacing} FROM substances_substance"
    )
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(
        f"INSERT INTO {TABLE}(rowid, keys)"
        f" SELECT {position('s.id')}, {_document._KEYS} FROM substances_substance s"
    )
    # One segment: a page reads one list per trigram, not one per segment.
    cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")


def _has_document(connection) -> bool:
    return connection.vendor == "sqlite" and TABLE in connection.introspection.table_names()


def order_documents(apps, schema_editor):
    connection = schema_editor.connection
    if not _has_document(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM substances_substance")
        if (cursor.fetchone()[0] or 0) > ID_MASK:
            raise RuntimeError("a substance id above 2**31 - 1: the search document cannot hold it")
        cursor.execute(
            f"CREATE TABLE {RANK_TABLE} (substance_id INTEGER PRIMARY KEY,"
            " rank INTEGER NOT NULL UNIQUE)"
        )
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        rebuild(cursor)


def documents_by_id(apps, schema_editor):
    connection = schema_editor.connection
    if not _has_document(connection):
        return
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {RANK_TABLE}")
        for sql in _document.SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(
            f"INSERT INTO {TABLE}(rowid, keys)"
            f" SELECT s.id, {_document._KEYS} FROM substances_substance s"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0018_relation_entry_form"),
    ]

    operations = [
        migrations.RunPython(order_documents, documents_by_id, elidable=False),
    ]
