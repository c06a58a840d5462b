"""The sync representation of every public resource, defined once.

Plain JSON, references by uid. The change feed stores exactly what these functions return, and
the export serves the same, so a client's copy built from an export and the feed after it can
equal the registry exactly. Uids never change, so a resource's representation changes only when
the resource itself does.
"""

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from registry.models import Instrument, Jurisdiction, Listing, Schedule
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _jurisdiction(obj: Jurisdiction) -> dict[str, Any]:
    return {"uid": obj.uid, "code": obj.code, "name": obj.name, "name_zh": obj.name_zh}


def _schedule(obj: Schedule) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "jurisdiction": obj.jurisdiction.uid,
        "code": obj.code,
        "name": obj.name,
        "name_zh": obj.name_zh,
        "regime": obj.regime,
        "sort_order": obj.sort_order,
        "description": obj.description,
        "description_zh": obj.description_zh,
        "coverage": obj.coverage,
    }


def _instrument(obj: Instrument) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "jurisdiction": obj.jurisdiction.uid,
        "reference": obj.reference,
        "title_zh": obj.title_zh,
        "title_en": obj.title_en,
        "issuers": obj.issuers,
        "published_on": _date(obj.published_on),
        "effective_on": _date(obj.effective_on),
        "source_url": obj.source_url,
        "confidence": obj.confidence,
        "notes": obj.notes,
        "item_dates": dict(sorted((obj.item_dates or {}).items())),
    }


def _substance(obj: Substance) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "name_en": obj.name_en,
        "name_zh": obj.name_zh,
        "kind": obj.kind,
        "cas": obj.cas,
        "smiles": obj.smiles,
        "structure_source": obj.structure_source,
        "canonical_smiles": obj.canonical_smiles,
        "inchi": obj.inchi,
        "inchikey": obj.inchikey,
        "formula": obj.formula,
        "molecular_weight": obj.molecular_weight,
        "notes": obj.notes,
    }


def _relation(obj: Relation) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "subject": obj.subject.uid,
        "kind": obj.kind,
        "form": obj.form,
        "target": obj.target.uid,
        "source": obj.source,
        "notes": obj.notes,
    }


def _name(obj: Name) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "substance": obj.substance.uid,
        "name": obj.name,
        "language": obj.language,
        "kind": obj.kind,
        "source": obj.source,
    }


def _precursor_use(obj: PrecursorUse) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "precursor": obj.precursor.uid,
        "product": obj.product.uid if obj.product_id else None,
        "product_name": obj.product_name,
        "role": obj.role,
        "source": obj.source,
    }


def _class(obj: SubstanceClass) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "name_en": obj.name_en,
        "name_zh": obj.name_zh,
        "definition_zh": obj.definition_zh,
        "definition_en": obj.definition_en,
        "notes": obj.notes,
        "notes_zh": obj.notes_zh,
        "reference_smiles": obj.reference_smiles,
        "examples": obj.examples,
        "rules": [
            {
                "label": rule.label,
                "kind": rule.kind,
                "smarts": rule.smarts,
                "explanation": rule.explanation,
                "explanation_zh": rule.explanation_zh,
            }
            for rule in obj.rules.all()
        ],
    }


def _listing(obj: Listing) -> dict[str, Any]:
    return {
        "uid": obj.uid,
        "schedule": obj.schedule.uid,
        "substance": obj.substance.uid if obj.substance_id else None,
        "class": obj.substance_class.uid if obj.substance_class_id else None,
        "effective_from": _date(obj.effective_from),
        "effective_to": _date(obj.effective_to),
        "listed_by": obj.listed_by.uid,
        "ended_by": obj.ended_by.uid if obj.ended_by_id else None,
        "item_number": obj.item_number,
        "scope": obj.scope,
        "coverage": obj.coverage,
        "produced_in_china": obj.produced_in_china,
        "attributes": obj.attributes,
        "source": obj.source,
        "notes": obj.notes,
    }


_NOT_WRITABLE = {"uid", "rules"}


def _referenced(field, key: str, uid: str) -> models.Model:
    related = field.related_model
    try:
        return related._default_manager.get(uid=uid)
    except related.DoesNotExist:
        raise ValidationError(
            f"The earlier state refers to {key} {uid}, which no longer exists."
        ) from None


class ResourceType:
    """A public resource: its name in the feed, its model, and how to read it efficiently."""

    def __init__(
        self,
        name: str,
        model: type[models.Model],
        represent: Callable[[Any], dict[str, Any]],
        select: tuple[str, ...] = (),
        prefetch: tuple[str, ...] = (),
        parent_field: str | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.represent = represent
        self.select = select
        self.prefetch = prefetch
        self.parent_field = parent_field

    def fields_from(self, data: dict[str, Any]) -> dict[str, Any]:
        """Model field values for a representation of this type: the way back from `represent`.

        References by uid become the objects they name (a ValidationError when one no longer
        exists); ISO dates become dates. Keys that are not editable model fields are left out:
        the uid, a class's rules, and what the save derives again (InChI, formula, ...).
        """
        values = {}
        for key, value in data.items():
            if key in _NOT_WRITABLE:
                continue
            name = "substance_class" if key == "class" else key
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.editable:
                continue
            if field.is_relation:
                values[name] = None if value is None else _referenced(field, key, value)
            elif isinstance(field, models.DateField) and value:
                values[name] = datetime.date.fromisoformat(value)
            else:
                values[name] = value
        return values

    def queryset(self) -> models.QuerySet:
        qs = self.model._default_manager.select_related(*self.select)
        if self.prefetch:
            qs = qs.prefetch_related(*self.prefetch)
        return qs.order_by("uid")

    def in_dependency_order(self) -> Iterator[models.Model]:
        """Every resource of the type, each after the one it refers to through `parent_field`.

        Level by level: those without a parent, then those whose parent has none, and so on
        (such chains must have no cycles); by uid within a level. No type uses it since the
        typed relations replaced the substances' parent link: relations follow the substances.
        """
        if self.parent_field is None:
            yield from self.queryset().iterator(chunk_size=2000)
            return
        depth = 0
        while True:
            above = "__".join([self.parent_field] * (depth + 1))
            level = self.queryset().filter(**{f"{above}__isnull": True})
            if depth:
                level = level.filter(**{f"{above.rsplit('__', 1)[0]}__isnull": False})
            yield from level.iterator(chunk_size=2000)
            depth += 1
            deeper = "__".join([self.parent_field] * depth)
            if not self.model._default_manager.filter(**{f"{deeper}__isnull": False}).exists():
                return


# In dependency order: a client applying an export line by line meets each referenced uid first.
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("jurisdiction", Jurisdiction, _jurisdiction),
    ResourceType("schedule", Schedule, _schedule, select=("jurisdiction",)),
    ResourceType("instrument", Instrument, _instrument, select=("jurisdiction",)),
    ResourceType("substance", Substance, _substance),
    ResourceType("relation", Relation, _relation, select=("subject", "target")),
    ResourceType("name", Name, _name, select=("substance",)),
    ResourceType("precursor_use", PrecursorUse, _precursor_use, select=("precursor", "product")),
    ResourceType("class", SubstanceClass, _class, prefetch=("rules",)),
    ResourceType(
        "listing",
        Listing,
        _listing,
        select=("schedule", "substance", "substance_class", "listed_by", "ended_by"),
    ),
)
_BY_MODEL = {rt.model: rt for rt in RESOURCE_TYPES}
BY_NAME = {rt.name: rt for rt in RESOURCE_TYPES}


def resource_type_of(instance: models.Model) -> ResourceType:
    try:
        return _BY_MODEL[type(instance)]
    except KeyError:
        raise TypeError(f"{type(instance).__name__} is not a public resource") from None


def represent(instance: models.Model) -> dict[str, Any]:
    """The sync representation of a public resource."""
    return resource_type_of(instance).represent(instance)


def iter_all() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every public resource as (type, uid, representation), in dependency then uid order:
    types in the order above: relations after the substances they relate."""
    for rt in RESOURCE_TYPES:
        for obj in rt.in_dependency_order():
            yield rt.name, obj.uid, rt.represent(obj)
