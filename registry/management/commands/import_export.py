"""manage.py import_export FILE: rebuild the registry from an NDJSON export, through the services.

The export (GET /api/v1/export/) is a complete, consistent copy of the public record. Loaded
into an empty database with this command, it gives back a registry whose export has the same
lines (tests/reliability/test_backup.py). Every resource is written by registry.services, so the
change feed of the rebuilt registry records each one; the edit history before the export is not
in it (that is in the database backups).
"""

import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry import services
from registry.models import Change, Instrument, Jurisdiction, Listing, Schedule
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


class Command(BaseCommand):
    help = "Rebuild an EMPTY registry from an NDJSON export (GET /api/v1/export/)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if Change.objects.exists():
            raise CommandError("The registry is not empty: import an export into an empty one.")
        lines = file.read_text(encoding="utf-8").splitlines()
        if not lines:
            raise CommandError(f"{file} is empty.")
        try:
            header = json.loads(lines[0])
            rows = [json.loads(line) for line in lines[1:] if line.strip()]
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not an NDJSON export: {exc}") from exc
        by_type: dict[str, list[dict]] = {}
        for row in rows:
            by_type.setdefault(row["type"], []).append(row["data"])
        self.actor = services.Actor.system("import_export")
        with transaction.atomic():
            self._load(by_type)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(rows)} resources exported at feed position {header.get('seq')}."
            )
        )

    def _load(self, by_type: dict[str, list[dict]]) -> None:
        save = self._save
        for data in by_type.get("jurisdiction", []):
            save(Jurisdiction(**data))
        jurisdictions = {j.uid: j for j in Jurisdiction.objects.all()}
        for data in by_type.get("schedule", []):
            save(Schedule(**{**data, "jurisdiction": jurisdictions[data["jurisdiction"]]}))
        for data in by_type.get("instrument", []):
            save(
                Instrument(
                    **{
                        **data,
                        "jurisdiction": jurisdictions[data["jurisdiction"]],
                        "published_on": _date(data["published_on"]),
                        "effective_on": _date(data["effective_on"]),
                    }
                )
            )
        self._substances(by_type.get("substance", []))
        substances = {s.uid: s for s in Substance.objects.all()}
        for data in by_type.get("relation", []):
            save(
                Relation(
                    **{
                        **data,
                        "subject": substances[data["subject"]],
                        "target": substances[data["target"]],
                    }
                )
            )
        for data in by_type.get("name", []):
            save(Name(**{**data, "substance": substances[data["substance"]]}))
        for data in by_type.get("precursor_use", []):
            product = data["product"]
            save(
                PrecursorUse(
                    **{
                        **data,
                        "precursor": substances[data["precursor"]],
                        "product": substances[product] if product else None,
                    }
                )
            )
        for data in by_type.get("class", []):
            fields = {k: v for k, v in data.items() if k != "rules"}
            services.define_class(actor=self.actor, rules=data["rules"], **fields)
        classes = {c.uid: c for c in SubstanceClass.objects.all()}
        schedules = {s.uid: s for s in Schedule.objects.all()}
        instruments = {i.uid: i for i in Instrument.objects.all()}
        for data in by_type.get("listing", []):
            fields = {k: v for k, v in data.items() if k != "class"}
            fields.update(
                schedule=schedules[data["schedule"]],
                substance=substances[data["substance"]] if data["substance"] else None,
                substance_class=classes[data["class"]] if data["class"] else None,
                listed_by=instruments[data["listed_by"]],
                ended_by=instruments[data["ended_by"]] if data["ended_by"] else None,
                effective_from=_date(data["effective_from"]),
                effective_to=_date(data["effective_to"]),
            )
            save(Listing(**fields))

    def _substances(self, rows: list[dict]) -> None:
        derived = {"canonical_smiles", "inchi", "inchikey", "formula", "molecular_weight"}
        for data in rows:
            self._save(Substance(**{k: v for k, v in data.items() if k not in derived}))

    def _save(self, instance) -> None:
        services.save_resource(instance, actor=self.actor)
