"""The names the search orders by, kept in the substance's row.

The search ranks its hits in the database and reads one page of them; equal hits are ordered by
the English name casefolded (and a Chinese page sorted by name, by the Chinese name where there
is one). SQL's lower() is not Python's casefold() ("ß", final sigma) and depends on the database's
collation, so the folded names are worked out in Python (`substances.normalize.sort_name`), as
`Substance.derive_search_keys` does on every save, and compared code point by code point.

Not atomic, so that the registry stays up while it runs: on PostgreSQL, ALTER TABLE holds a lock
that stops every read of the table until its transaction ends, and filling a million rows takes
minutes. Each column is added in a statement of its own (empty by default), then the rows are
filled a batch per transaction. Run again after an interruption, it adds what is missing and
fills only the rows still empty (a substance always has an English name, so an empty sort name
is a row not yet filled).
"""

from django.db import migrations, models, transaction

from substances.normalize import sort_name

BATCH = 2000
COLUMNS = ("sort_name_en", "sort_name_zh")
TABLE = "substances_substance"


def add_columns(apps, schema_editor):
    # Added in SQL: SQLite's schema editor adds a NOT NULL column by copying the table into a
    # new one, which the search tables' triggers (0003, 0013) do not survive; ALTER TABLE ADD
    # COLUMN with a constant default adds it in place on both databases.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        held = {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}
        for name in COLUMNS:
            if name not in held:
                cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN {name} text NOT NULL DEFAULT ''")


def drop_columns(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in COLUMNS:
            cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN {name}")


def fill(apps, schema_editor):
    alias = schema_editor.connection.alias
    substance = apps.get_model("substances", "Substance")
    empty = substance.objects.using(alias).filter(sort_name_en="").order_by("id")
    last = 0
    while batch := list(empty.filter(id__gt=last).values_list("id", "name_en", "name_zh")[:BATCH]):
        with transaction.atomic(using=alias), schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {TABLE} SET sort_name_en = %s, sort_name_zh = %s WHERE id = %s",
                [
                    (sort_name(name_en), sort_name(name_zh or name_en), pk)
                    for pk, name_en, name_zh in batch
                ],
            )
        last = batch[-1][0]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("substances", "0014_days_held"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="substance",
                    name=name,
                    field=models.TextField(blank=True, editable=False),
                )
                for name in COLUMNS
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
