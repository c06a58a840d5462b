"""manage.py import_export FILE: rebuild the registry from an NDJSON export, through the services.

The export (GET /api/v1/export/) is a complete, consistent copy of the public record. Loaded
into an empty database with this command, it gives back a registry whose export has the same
lines (tests/reliability/test_backup.py). Every resource is written by registry.services, so the
change feed of the rebuilt registry records each one; the edit history before the export is not
in it (that is in the database backups).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry import services
from registry.models import Change
from registry.representations import RESOURCE_TYPES, UidResolver
from substances.models import SubstanceClass


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
        """Each type in dependency order, each representation read back by its resource type."""
        resolve = UidResolver()
        for rt in RESOURCE_TYPES:
            for data in by_type.get(rt.name, []):
                fields = rt.fields_from(data, resolve=resolve)
                if rt.model is SubstanceClass:
                    services.define_class(
                        actor=self.actor, uid=data["uid"], rules=data["rules"], **fields
                    )
                else:
                    services.save_resource(rt.model(uid=data["uid"], **fields), actor=self.actor)
