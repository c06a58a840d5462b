"""Whether a preparation has one active ingredient or more (`Substance.ingredients`).

Written by hand, as SQL both databases run in place: Django would remake SQLite's substance
table to add a column with a check constraint, which SQLite refuses while the search triggers
(migrations 0006, 0013, 0019) name the table, and which would drop the database defaults that
migration 0015 gave the sort names. The column keeps a database default (''), as those do, so
that code older than this migration can still insert a substance.
"""

from django.db import migrations, models

TABLE = "substances_substance"
CONSTRAINT = "substance_ingredients_of_preparations"
CHECK = (
    "ingredients = '' OR (kind = 'preparation' AND ingredients IN ('single', 'compound', 'either'))"
)


def add_column(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            cursor.execute(
                f"ALTER TABLE {TABLE} ADD COLUMN ingredients varchar(8) NOT NULL DEFAULT ''"
                f" CONSTRAINT {CONSTRAINT} CHECK ({CHECK})"
            )
        else:
            cursor.execute(
                f"ALTER TABLE {TABLE} ADD COLUMN ingredients varchar(8) NOT NULL DEFAULT ''"
            )
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} CHECK ({CHECK})")


def drop_column(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor != "sqlite":
            cursor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {CONSTRAINT}")
        cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN ingredients")


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0019_search_document_in_uid_order"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_column, drop_column, elidable=False)],
            state_operations=[
                migrations.AddField(
                    model_name="substance",
                    name="ingredients",
                    field=models.CharField(
                        blank=True,
                        choices=[
                            ("single", "single-ingredient: the one active ingredient it names"),
                            ("compound", "compound: more than one active ingredient, named or not"),
                            ("either", "either: its entry admits one active ingredient or more"),
                        ],
                        help_text=(
                            "For a preparation: whether it has one active ingredient (the one it "
                            "contains), more (it may name only some of them), or either, as its "
                            "entry admits. Blank where the record does not say."
                        ),
                        max_length=8,
                        verbose_name="active ingredients",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="substance",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("ingredients", ""),
                            models.Q(
                                ("kind", "preparation"),
                                ("ingredients__in", ["single", "compound", "either"]),
                            ),
                            _connector="OR",
                        ),
                        name=CONSTRAINT,
                        violation_error_message=(
                            "Only a preparation says whether it has one active ingredient or more."
                        ),
                    ),
                ),
            ],
        ),
    ]
