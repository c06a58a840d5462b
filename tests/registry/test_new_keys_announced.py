"""Resources whose representation gains keys are announced in the feed by the migration that
adds them, so that a client's copy plus the changes after its position equals a fresh export
(docs/sync.md), for the keys added on 2026-12-07 (registry 0025)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.models import Change, Jurisdiction, Schedule
from registry.representations import represent
from substances.models import Substance

BEFORE = [
    ("registry", "0023_schedule_coverage_optical_isomers"),
    ("substances", "0019_search_document_in_uid_order"),
]


@pytest.mark.django_db(transaction=True)
def test_the_migration_announces_every_resource_whose_representation_grew():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    jurisdiction = apps.get_model("registry", "Jurisdiction").objects.create(
        uid="us", code="US", name="United States"
    )
    apps.get_model("registry", "Schedule").objects.create(
        uid="us-i", jurisdiction=jurisdiction, code="US-I", name="Schedule I", regime="controlled"
    )
    old = apps.get_model("substances", "Substance")
    old.objects.create(uid="fentanyl", name_en="Fentanyl", kind="compound", smiles="CCC")
    old.objects.create(uid="a-preparation", name_en="A preparation", kind="preparation")
    head = apps.get_model("registry", "Change").objects.count()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    announced = {
        (c.resource_type, c.uid): c for c in Change.objects.filter(seq__gt=head).order_by("seq")
    }
    resources = [*Jurisdiction.objects.all(), *Schedule.objects.all(), *Substance.objects.all()]
    assert len(announced) == len(resources) == 4
    for resource in resources:
        change = announced[(type(resource).__name__.lower(), resource.uid)]
        assert change.action == "updated" and change.via == "migration"
        assert change.data == represent(resource), resource.uid
    assert announced[("substance", "fentanyl")].data["ingredients"] == ""
    assert announced[("jurisdiction", "us")].data["analogue_law_from"] is None
    assert announced[("schedule", "us-i")].data["analogue_basis"] is False
