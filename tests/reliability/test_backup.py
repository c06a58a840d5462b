"""Backups: export, wipe, re-import gives back the same registry, line for line."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from registry import services
from registry.models import Change
from substances.models import Substance
from tests.reliability.conftest import registry_now

pytestmark = pytest.mark.django_db(transaction=True)


def _export(client) -> list[str]:
    response = client.get("/api/v1/export/")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode().splitlines()


def _wipe() -> None:
    """An empty database, as after restoring nothing: every table of the apps emptied."""
    from django.apps import apps

    tables = [
        m._meta.db_table
        for app in ("registry", "substances")
        for m in apps.get_app_config(app).get_models()
    ]
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f'TRUNCATE TABLE "{table}" CASCADE')
            else:
                cursor.execute("PRAGMA foreign_keys = OFF")
                cursor.execute(f'DELETE FROM "{table}"')
                cursor.execute("PRAGMA foreign_keys = ON")


def test_export_wipe_import_reproduces_the_registry_exactly(client, small_registry, tmp_path):
    actor = services.Actor.system("tests")
    fentanyl = Substance.objects.get(uid="fentanyl")
    salt = services.create_substance(
        actor=actor, uid="a-fentanyl-hcl", name_en="Fentanyl hydrochloride", kind="form"
    )
    services.relate(subject=salt, kind="form_of", form="salt", target=fentanyl, actor=actor)
    services.define_class(
        actor=actor,
        uid="class-test",
        name_en="Test class",
        rules=[{"label": "amide", "kind": "include", "smarts": "C(=O)N"}],
    )
    before = _export(client)
    before_state = registry_now()
    path = tmp_path / "backup.ndjson"
    path.write_text("\n".join(before) + "\n", encoding="utf-8")

    _wipe()
    assert not Substance.objects.exists()
    call_command("import_export", str(path), verbosity=0)

    after = _export(client)
    assert after[1:] == before[1:]  # the header differs only by its feed position and time
    assert json.loads(after[0])["seq"] == Change.objects.head()
    assert registry_now() == before_state


def test_import_refuses_a_registry_that_is_not_empty(small_registry, tmp_path):
    path = tmp_path / "x.ndjson"
    path.write_text('{"seq": 1}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_export", str(path), verbosity=0)
