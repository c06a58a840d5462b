"""The sync representation of every public resource, defined once and read both ways.

Plain JSON, references by uid. The change feed stores exactly what `represent` returns, and the
export serves the same, so a client's copy built from an export and the feed after it can equal
the registry exactly. Uids never change, so a resource's representation changes only when the
resource itself does.

Each `ResourceType` names its keys; from them it writes a representation (`represent`) and reads
one back into model fields (`fields_from`): the admin's revert, drafts, `import_export` and the
fixture loader all use that, so none keeps a copy of a resource's fields.
"""

import datetime
import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from registry.models import ATTRIBUTES_APART, Instrument, Jurisdiction, Listing, Schedule
from substances.models import RULE_KEYS, Name, PrecursorUse, Relation, Substance, SubstanceClass

# The representation names a listing's class "class"; the model field is substance_class.
FIELD_OF_KEY = {"class": "substance_class"}
KEY_OF_FIELD = {field: key for key, field in FIELD_OF_KEY.items()}

# Keys of a representation that are no model field to write: the uid is chosen once, and a
# class's rules are written with the class (services.define_class / update_class).
_NOT_WRITABLE = {"uid", "rules"}


def _rules(obj: SubstanceClass) -> list[dict[str, Any]]:
    return [{key: getattr(rule, key) for key in RULE_KEYS} for rule in obj.rules.all()]


def _sorted_item_dates(obj: Instrument) -> dict[str, str]:
    return dict(sorted((obj.item_dates or {}).items()))


def _attribute_apart(name: str) -> Callable[[Listing], Any]:
    return lambda obj: (obj.attributes or {}).get(name, ATTRIBUTES_APART[name])


def _listing_attributes(obj: Listing) -> dict[str, Any]:
    return obj.published_attributes


def _fold_attributes_apart(values: dict[str, Any], apart: dict[str, Any]) -> None:
    """A listing's attributes published as keys of their own (China's `produced_in_china`),
    read back: into the `attributes` read with them, or, when the representation is partial
    (a draft's fields) and has none, as the values the listing's own setters take (applied
    after any attributes, on the record as it is then)."""
    if "attributes" not in values:
        values.update(apart)
        return
    if not isinstance(values["attributes"], dict):
        return  # refused by the listing's own check, naming `attributes`
    attributes = dict(values["attributes"])
    for name, value in apart.items():
        attributes.pop(name, None)
        if value != ATTRIBUTES_APART[name]:
            attributes[name] = value
    values["attributes"] = attributes


def _referenced(field, key: str, uid: str) -> models.Model:
    related = field.related_model
    try:
        return related._default_manager.get(uid=uid)
    except related.DoesNotExist:
        raise ValidationError(
            f"The earlier state refers to {key} {uid}, which no longer exists."
        ) from None


Resolve = Callable[[type[models.Model], str], models.Model]
"""Finds the record a reference names: (model, uid) -> the object (see ResourceType.fields_from)."""


class UidResolver:
    """Finds referenced records by uid for a bulk read: each model's records read once.

    A uid not seen is looked for again in the database (it may have been written since); a
    uid that is nowhere raises the model's DoesNotExist.
    """

    def __init__(self) -> None:
        self._by_model: dict[type[models.Model], dict[str, models.Model]] = {}

    def __call__(self, model: type[models.Model], uid: str) -> models.Model:
        known = self._by_model.get(model)
        if known is None or uid not in known:
            known = self._by_model[model] = {o.uid: o for o in model._default_manager.all()}
        try:
            return known[uid]
        except KeyError:
            raise model.DoesNotExist(f"{model._meta.verbose_name} {uid}") from None


class ResourceType:
    """A public resource: its name in the feed, its model, its representation, read both ways.

    The representation is the `keys` in their order, each a model field (a listing's "class" is
    its substance_class): references as uids, dates as ISO text, other values as stored; a key
    also named in `computed` is computed there instead (a listing's `attributes` and the
    attributes published apart from them); then the other `computed` keys (a class's rules, an
    instrument's item dates in order). `represent` writes it and `fields_from` reads it back
    into model fields, so a field added to a model and named in `keys` is exported, recorded in
    the feed, reverted, imported and loaded alike.

    `attributes_apart` names keys that are no model field but listing attributes published on
    their own (see registry.models.ATTRIBUTES_APART): `fields_from` reads them back into the
    listing's attributes.
    """

    def __init__(
        self,
        name: str,
        model: type[models.Model],
        keys: tuple[str, ...],
        *,
        computed: dict[str, Callable[[Any], Any]] | None = None,
        select: tuple[str, ...] = (),
        prefetch: tuple[str, ...] = (),
        parent_field: str | None = None,
        attributes_apart: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.model = model
        self.keys = keys
        self.computed = computed or {}
        self.select = select
        self.prefetch = prefetch
        self.parent_field = parent_field
        self.attributes_apart = attributes_apart

    @functools.cached_property
    def fields(self) -> tuple[tuple[str, models.Field], ...]:
        """(key, model field) for every key of the representation but the computed ones."""
        return tuple(
            (key, self.model._meta.get_field(FIELD_OF_KEY.get(key, key)))
            for key in self.keys
            if key not in self.computed
        )

    def represent(self, obj: models.Model) -> dict[str, Any]:
        """The sync representation of `obj`."""
        data: dict[str, Any] = {}
        fields = dict(self.fields)
        for key in self.keys:
            if key in self.computed:
                data[key] = self.computed[key](obj)
                continue
            field = fields[key]
            value = getattr(obj, field.attname)
            if field.is_relation:
                value = None if value is None else getattr(obj, field.name).uid
            elif isinstance(field, models.DateField):
                value = value.isoformat() if value else None
            data[key] = value
        for key, compute in self.computed.items():
            if key not in data:
                data[key] = compute(obj)
        return data

    def fields_from(self, data: dict[str, Any], *, resolve: Resolve | None = None) -> dict:
        """Model field values for a representation of this type: the way back from `represent`.

        References by uid become the objects they name, through `resolve` (by default read
        from the database, a ValidationError when one no longer exists); ISO dates become
        dates. Keys that are not editable model fields are left out: the uid, a class's rules,
        and what the save derives again (InChI, formula, ...).
        """
        values = {}
        apart = {}
        for key, value in data.items():
            if key in _NOT_WRITABLE:
                continue
            if key in self.attributes_apart:
                apart[key] = value
                continue
            name = FIELD_OF_KEY.get(key, key)
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.editable:
                continue
            if field.is_relation:
                if value is None:
                    values[name] = None
                elif resolve is not None:
                    values[name] = resolve(field.related_model, value)
                else:
                    values[name] = _referenced(field, key, value)
            elif isinstance(field, models.DateField) and value:
                values[name] = datetime.date.fromisoformat(value)
            else:
                values[name] = value
        if apart:
            _fold_attributes_apart(values, apart)
        return values

    def data_from(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Some model field values as the representation writes them (what a draft stores)."""
        data = {}
        for name, value in fields.items():
            if name in _NOT_WRITABLE or name in {"version", "expected_version"}:
                continue
            if isinstance(value, models.Model):
                value = value.uid
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            data[KEY_OF_FIELD.get(name, name)] = value
        return data

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
    ResourceType(
        "jurisdiction",
        Jurisdiction,
        (
            "uid",
            "code",
            "name",
            "name_zh",
            "records_from",
            "analogue_law",
            "analogue_law_zh",
            "analogue_law_from",
        ),
    ),
    ResourceType(
        "schedule",
        Schedule,
        (
            "uid",
            "jurisdiction",
            "code",
            "name",
            "name_zh",
            "regime",
            "sort_order",
            "description",
            "description_zh",
            "analogue_basis",
            "coverage",
        ),
        select=("jurisdiction",),
    ),
    ResourceType(
        "instrument",
        Instrument,
        (
            "uid",
            "jurisdiction",
            "reference",
            "title_zh",
            "title_en",
            "issuers",
            "published_on",
            "effective_on",
            "source_url",
            "confidence",
            "notes",
            "effective_precision",
            "effective_bound",
            "evidence",
        ),
        computed={"item_dates": _sorted_item_dates},
        select=("jurisdiction",),
    ),
    ResourceType(
        "substance",
        Substance,
        (
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
        ),
    ),
    ResourceType(
        "relation",
        Relation,
        ("uid", "subject", "kind", "form", "target", "source", "notes"),
        select=("subject", "target"),
    ),
    ResourceType(
        "name",
        Name,
        ("uid", "substance", "name", "language", "kind", "source", "valid_from", "valid_to"),
        select=("substance",),
    ),
    ResourceType(
        "precursor_use",
        PrecursorUse,
        ("uid", "precursor", "product", "product_name", "role", "source"),
        select=("precursor", "product"),
    ),
    ResourceType(
        "class",
        SubstanceClass,
        (
            "uid",
            "name_en",
            "name_zh",
            "definition_zh",
            "definition_en",
            "notes",
            "notes_zh",
            "reference_smiles",
            "condition",
            "condition_zh",
            "examples",
        ),
        computed={"rules": _rules},
        prefetch=("rules",),
    ),
    ResourceType(
        "listing",
        Listing,
        (
            "uid",
            "schedule",
            "substance",
            "class",
            "effective_from",
            "effective_to",
            "listed_by",
            "ended_by",
            "item_number",
            "scope",
            "coverage",
            "produced_in_china",
            "attributes",
            "source",
            "notes",
        ),
        # China's mark is a listing attribute, published as its own key (as when it was a
        # column) and left out of `attributes`, so the representation kept its shape.
        computed={
            **{name: _attribute_apart(name) for name in ATTRIBUTES_APART},
            "attributes": _listing_attributes,
        },
        select=("schedule", "substance", "substance_class", "listed_by", "ended_by"),
        attributes_apart=tuple(ATTRIBUTES_APART),
    ),
)
BY_MODEL = {rt.model: rt for rt in RESOURCE_TYPES}
BY_NAME = {rt.name: rt for rt in RESOURCE_TYPES}


def resource_type_of(instance: models.Model) -> ResourceType:
    try:
        return BY_MODEL[type(instance)]
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
