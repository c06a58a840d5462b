"""A trigram index for substring search on the search keys (SubstanceQuerySet.search).

`search` finds a key contained anywhere in a substance's English or Chinese key or in one of its
names' keys: `LIKE '%key%'`, which no B-tree index can answer, so a rare or absent name scans
every key (about 85 ms at 100,000 substances on SQLite). A trigram index answers it from the
three-character pieces of the key instead.

- SQLite: an FTS5 table with the trigram tokenizer holds every non-empty key, kept exact by
  triggers (so every write path, services or not, keeps it in step). Rowids: a substance's
  English key is -2*id, its Chinese key -2*id-1, a name's key the name's id. Needs SQLite >= 3.34
  built with FTS5; without it nothing is created and search keeps using LIKE.
- PostgreSQL: pg_trgm GIN indexes on the three key columns, which serve LIKE '%key%' directly.

Written by hand: RunPython changes no model state, so makemigrations stays clean.
"""

from django.db import DatabaseError, migrations, transaction

TABLE = "substances_search_trigram"

SQLITE_TRIGGERS = {
    "substances_substance_trgm_ai": f"""
        CREATE TRIGGER substances_substance_trgm_ai AFTER INSERT ON substances_substance BEGIN
            INSERT INTO {TABLE}(rowid, key, substance_id)
                SELECT -2 * NEW.id, NEW.search_key_en, NEW.id WHERE NEW.search_key_en <> '';
            INSERT INTO {TABLE}(rowid, key, substance_id)
                SELECT -2 * NEW.id - 1, NEW.search_key_zh, NEW.id WHERE NEW.search_key_zh <> '';
        END
    """,
    # Every save writes every column; the WHEN clause leaves the index alone unless a key moved.
    "substances_substance_trgm_au": f"""
        CREATE TRIGGER substances_substance_trgm_au
        AFTER UPDATE OF id, search_key_en, search_key_zh ON substances_substance
        WHEN OLD.id IS NOT NEW.id
            OR OLD.search_key_en IS NOT NEW.search_key_en
            OR OLD.search_key_zh IS NOT NEW.search_key_zh
        BEGIN
            DELETE FROM {TABLE} WHERE rowid IN (-2 * OLD.id, -2 * OLD.id - 1);
            INSERT INTO {TABLE}(rowid, key, substance_id)
                SELECT -2 * NEW.id, NEW.search_key_en, NEW.id WHERE NEW.search_key_en <> '';
            INSERT INTO {TABLE}(rowid, key, substance_id)
                SELECT -2 * NEW.id - 1, NEW.search_key_zh, NEW.id WHERE NEW.search_key_zh <> '';
        END
    """,
    "substances_substance_trgm_ad": f"""
        CREATE TRIGGER substances_substance_trgm_ad AFTER DELETE ON substances_substance BEGIN
            DELETE FROM {TABLE} WHERE rowid IN (-2 * OLD.id, -2 * OLD.id - 1);
        END
    """,
    "substances_name_trgm_ai": f"""
        CREATE TRIGGER substances_name_trgm_ai AFTER INSERT ON substances_name BEGIN
            INSERT INTO {TABLE}(rowid, key, substance_id)
                SELECT NEW.id, NEW.search_key, NEW.substance_id WHERE NEW.search_key <> '';
        END
    """,
    "substances_name_trgm_au": f"""
        CREATE TRIGGER substances_name_trgm_au
        AFTER UPDATE OF id, search_key, substance_id ON substances_name
        WHEN OLD.id IS NOT NEW.id
            OR OLD.search_key IS NOT NEW.search_key
            OR OLD.substance_id IS NOT NEW.substance_id
        BEGIN
            DELETE FROM {TABLE} WHERE rowid = OLD.id;
            INSERT INTO {TABLE}(rowid, key, substance_id)
                SELECT NEW.id, NEW.search_key, NEW.substance_id WHERE NEW.search_key <> '';
        END
    """,
    "substances_name_trgm_ad": f"""
        CREATE TRIGGER substances_name_trgm_ad AFTER DELETE ON substances_name BEGIN
            DELETE FROM {TABLE} WHERE rowid = OLD.id;
        END
    """,
}

POSTGRESQL_INDEXES = {
    "substances_substance_key_en_trgm": ("substances_substance", "search_key_en"),
    "substances_substance_key_zh_trgm": ("substances_substance", "search_key_zh"),
    "substances_name_key_trgm": ("substances_name", "search_key"),
}


def _sqlite_has_fts5_trigram(connection) -> bool:
    """Whether this SQLite build has FTS5 with the trigram tokenizer (3.34+), tried for real."""
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "CREATE VIRTUAL TABLE temp.substances_trigram_probe USING fts5("
                "key, tokenize='trigram case_sensitive 1', detail='none')"
            )
            cursor.execute("DROP TABLE temp.substances_trigram_probe")
    except DatabaseError:
        return False
    return True


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        if not _sqlite_has_fts5_trigram(connection):
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE VIRTUAL TABLE {TABLE} USING fts5(key, substance_id UNINDEXED, "
                "tokenize='trigram case_sensitive 1', detail='none')"
            )
            cursor.execute(
                f"""
                INSERT INTO {TABLE}(rowid, key, substance_id)
                    SELECT -2 * id, search_key_en, id FROM substances_substance
                    WHERE search_key_en <> ''
                UNION ALL
                    SELECT -2 * id - 1, search_key_zh, id FROM substances_substance
                    WHERE search_key_zh <> ''
                UNION ALL
                    SELECT id, search_key, substance_id FROM substances_name
                    WHERE search_key <> ''
                """
            )
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for name, (table, column) in POSTGRESQL_INDEXES.items():
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                    f"USING gin ({column} gin_trgm_ops)"
                )


def drop_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The extension stays: other schemas or databases' objects may rely on it.
            for name in POSTGRESQL_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0002_classrule_require_kind"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
