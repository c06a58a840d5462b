"""The names the search orders by, kept in the substance's row.

The search ranks its hits in the database and reads one page of them; equal hits are ordered by
the English name casefolded (and a Chinese page sorted by name, by the Chinese name where there
is one). SQL's lower() is not Python's casefold() ("ß", final sigma) and depends on the database's
collation, so the folded names are worked out in Python (`substances.normalize.sort_name`), as
`Substance.derive_search_keys` does on every save, and compared code point by code point.
"""

from django.db import migrations, models

from substances.normalize import sort_name

BATCH = 2000


def fill(apps, schema_editor):
    substance = apps.get_model("substances", "Substance")
    rows = substance.objects.using(schema_editor.connection.alias).order_by("id")
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while batch := list(
            rows.filter(id__gt=last).values_list("id", "name_en", "name_zh")[:BATCH]
        ):
            cursor.executemany(
                "UPDATE substances_substance SET sort_name_en = %s, sort_name_zh = %s WHERE id = %s",
                [
                    (sort_name(name_en), sort_name(name_zh or name_en), pk)
                    for pk, name_en, name_zh in batch
                ],
            )
            last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0014_days_held"),
    ]

    # Added in SQL: SQLite's schema editor adds a NOT NULL column by copying the table into a
    # new one, which the search tables' triggers (0003, 0013) do not survive; ALTER TABLE ADD
    # COLUMN with a constant default adds it in place on both databases.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="substance",
                    name=name,
                    field=models.TextField(blank=True, editable=False),
                )
                for name in ("sort_name_en", "sort_name_zh")
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE substances_substance ADD COLUMN {name} text NOT NULL DEFAULT ''",
                    f"ALTER TABLE substances_substance DROP COLUMN {name}",
                )
                for name in ("sort_name_en", "sort_name_zh")
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
