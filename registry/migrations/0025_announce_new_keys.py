"""Announce in the change feed every resource whose representation gained keys: substances
(`ingredients`, substances 0020), jurisdictions (`analogue_law`, `analogue_law_zh`,
`analogue_law_from`, 0024) and schedules (`analogue_basis`, 0024).

A client that synced before keeps its copies as they were; the sync contract is that its copy
plus the changes after its position equals a fresh export (docs/sync.md). So each such resource
is recorded once more, as `updated`, with its representation as it now is: the new keys arrive
with their values (for most, the empty default). Written by hand, with the representations of
this point in the history, so that later changes to the code do not change what it records.
Forwards only: history is append-only, and going back leaves the rows, as a write would.
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

SUBSTANCE_KEYS = (
    "uid",
    "name_en",
    "name_zh",
    "kind",
    "ingredients",
    "cas",
    "smiles",
    "structure_source",
    "canonical_smiles",
    "inchi",
    "inchikey",
    "formula",
    "molecular_weight",
    "notes",
)


def _iso(day):
    return day.isoformat() if day else None


def _substance(s):
    return {key: getattr(s, key) for key in SUBSTANCE_KEYS}


def _jurisdiction(j):
    return {
        "uid": j.uid,
        "code": j.code,
        "name": j.name,
        "name_zh": j.name_zh,
        "records_from": _iso(j.records_from),
        "analogue_law": j.analogue_law,
        "analogue_law_zh": j.analogue_law_zh,
        "analogue_law_from": _iso(j.analogue_law_from),
    }


def _schedule(s):
    return {
        "uid": s.uid,
        "jurisdiction": s.jurisdiction.uid,
        "code": s.code,
        "name": s.name,
        "name_zh": s.name_zh,
        "regime": s.regime,
        "sort_order": s.sort_order,
        "description": s.description,
        "description_zh": s.description_zh,
        "analogue_basis": s.analogue_basis,
        "coverage": s.coverage,
    }


def announce(apps, schema_editor):
    Change = apps.get_model("registry", "Change")
    Jurisdiction = apps.get_model("registry", "Jurisdiction")
    Schedule = apps.get_model("registry", "Schedule")
    Substance = apps.get_model("substances", "Substance")
    rows = [
        *(("jurisdiction", j.uid, _jurisdiction(j)) for j in Jurisdiction.objects.order_by("uid")),
        *(
            ("schedule", s.uid, _schedule(s))
            for s in Schedule.objects.select_related("jurisdiction").order_by("uid")
        ),
        *(("substance", s.uid, _substance(s)) for s in Substance.objects.order_by("uid")),
    ]
    if not rows:
        return
    first = (Change.objects.aggregate(last=Max("seq"))["last"] or 0) + 1
    now = timezone.now()
    Change.objects.bulk_create(
        (
            Change(
                seq=first + n,
                at=now,
                action="updated",
                resource_type=rtype,
                uid=uid,
                data=data,
                actor_name="migration: new keys in the representation",
                via="migration",
            )
            for n, (rtype, uid, data) in enumerate(rows)
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0024_analogue_law"),
        ("substances", "0020_preparation_ingredients"),
    ]

    operations = [
        migrations.RunPython(announce, migrations.RunPython.noop, elidable=False),
    ]
