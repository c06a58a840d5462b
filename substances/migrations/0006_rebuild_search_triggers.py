"""Rebuild the SQLite trigram search index and its triggers.

SQLite alters a table by copying it into a new one, and the triggers of the old table (the ones
that keep the search index of 0003 exact) go with the old table: the relations migrations
(0004, 0005) remade `substances_substance`, so the index is rebuilt here from the keys, and its
triggers made again. PostgreSQL keeps its indexes through such changes; nothing to do there.

Written by hand: RunPython changes no model state, so makemigrations stays clean.
"""

import importlib

from django.db import migrations

_search = importlib.import_module("substances.migrations.0003_search_trigram_index")


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    _search.drop_index(apps, schema_editor)
    _search.create_index(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0005_remove_parent"),
    ]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=False)]
