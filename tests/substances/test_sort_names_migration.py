"""Migration substances/0015 fills the names the search sorts by, in place and resumably."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from substances import search
from substances.normalize import search_key
from tests.factories import SubstanceFactory

BEFORE = ("substances", "0014_days_held")
AFTER = ("substances", "0015_sort_names")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor.loader.project_state([target] if target else None).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_every_row_and_resumes_where_it_stopped():
    apps = migrate(BEFORE)
    Substance = apps.get_model("substances", "Substance")
    for uid, name_en, name_zh in (
        ("a", "Straße-Δ9", "芬太尼"),
        ("b", "ALPHA-PVP", ""),
        ("c", "zeta", "Ζήτα"),
    ):
        Substance.objects.create(  # a historical model: its keys are not derived on save
            uid=uid,
            name_en=name_en,
            name_zh=name_zh,
            kind="compound",
            search_key_en=search_key(name_en),
            search_key_zh=search_key(name_zh),
        )
    try:
        migrate(AFTER)
        rows = {
            uid: (en, zh)
            for uid, en, zh in migrate(AFTER)
            .get_model("substances", "Substance")
            .objects.values_list("uid", "sort_name_en", "sort_name_zh")
        }
        assert rows == {
            "a": ("strasse-delta9", "芬太尼"),  # a Greek letter alone spelled out
            "b": ("alpha-pvp", "alpha-pvp"),
            "c": ("zeta", "ζήτα"),
        }
        # Stopped halfway: run again, it adds nothing twice and fills what is still empty.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE substances_substance SET sort_name_en = '' WHERE uid = 'c'")
            cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", AFTER)
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        with connection.cursor() as cursor:
            cursor.execute("SELECT sort_name_en FROM substances_substance WHERE uid = 'c'")
            assert cursor.fetchone() == ("zeta",)
    finally:
        migrate(None)
    # Added in place, the columns left the search's own tables and their triggers working.
    assert [hit.matched for hit in search.search("alpha pvp").hits] == ["ALPHA-PVP"]
    SubstanceFactory(uid="d", name_en="Quelquechose-7")
    assert [hit.matched for hit in search.search("lquechose").hits] == ["Quelquechose-7"]
