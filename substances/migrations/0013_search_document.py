"""One search document per substance, for SQLite: every key of a substance in one FTS5 row.

The trigram table of 0003 holds one row per key (a substance's English and Chinese keys and each
name's), so finding the substances holding a key means reading each matching row's substance id
from its stored content: 13 ms for the 9,419 rows that hold "芬太尼" at 100,000 substances. This
table holds one row per substance, under the substance's id, with all its keys joined by the
unit separator (U+001F, which no search key holds: substances.normalize drops it as
whitespace). With `detail='full'` the trigram tokenizer matches a quoted key as a phrase, its
trigrams side by side, so `MATCH '"key"'` is exactly "a key contains it" (a trigram across
two keys holds the separator, which no query holds), answered from the index alone: the same
9,419 keys are 6,746 substance ids in 0.3 ms. `SubstanceQuerySet.search` (substances/search.py)
uses it for the API's name filter.

Kept exact by triggers, as 0003's table is: a substance's row is written again when its keys
change or one of its names is added, changed, moved or deleted. Needs SQLite built with FTS5's
trigram tokenizer; without it nothing is made and the search keeps to 0003's table. PostgreSQL's
pg_trgm indexes (0003) already answer from the key columns: nothing to do there.

Written by hand: RunPython changes no model state, so makemigrations stays clean.
"""

import importlib

from django.db import migrations

_trigram = importlib.import_module("substances.migrations.0003_search_trigram_index")

TABLE = "substances_search_document"

_KEYS = f"""
    s.search_key_en || char(31) || s.search_key_zh || coalesce((
        SELECT char(31) || group_concat(n.search_key, char(31)) FROM substances_name n
        WHERE n.substance_id = s.id AND n.search_key <> ''
    ), '')
"""


def _write(substance_id: str) -> str:
    """SQL (for a trigger body) writing one substance's document again, or removing it."""
    return f"""
        DELETE FROM {TABLE} WHERE rowid = {substance_id};
        INSERT INTO {TABLE}(rowid, keys)
            SELECT s.id, {_KEYS} FROM substances_substance s WHERE s.id = {substance_id};
    """


SQLITE_TRIGGERS = {
    "substances_substance_doc_ai": f"""
        CREATE TRIGGER substances_substance_doc_ai AFTER INSERT ON substances_substance BEGIN
            {_write("NEW.id")}
        END
    """,
    # Every save writes every column; the WHEN clause leaves the document alone unless a key
    # moved.
    "substances_substance_doc_au": f"""
        CREATE TRIGGER substances_substance_doc_au
        AFTER UPDATE OF id, search_key_en, search_key_zh ON substances_substance
        WHEN OLD.id IS NOT NEW.id
            OR OLD.search_key_en IS NOT NEW.search_key_en
            OR OLD.search_key_zh IS NOT NEW.search_key_zh
        BEGIN
            DELETE FROM {TABLE} WHERE rowid = OLD.id;
            {_write("NEW.id")}
        END
    """,
    "substances_substance_doc_ad": f"""
        CREATE TRIGGER substances_substance_doc_ad AFTER DELETE ON substances_substance BEGIN
            DELETE FROM {TABLE} WHERE rowid = OLD.id;
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


def create_document(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite" or not _trigram._sqlite_has_fts5_trigram(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5(keys, "
            "tokenize='trigram case_sensitive 1', detail='full')"
        )
        cursor.execute(
            f"INSERT INTO {TABLE}(rowid, keys) SELECT s.id, {_KEYS} FROM substances_substance s"
        )
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)


def drop_document(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0012_name_substance_key"),
    ]

    operations = [
        migrations.RunPython(create_document, drop_document, elidable=False),
    ]
