"""An object's edit history, read from the change feed, and reverting to an earlier state.

The change feed holds each resource's full public representation after every change, so what
changed in a save is the difference between two consecutive representations, field by field.
Reverting writes the earlier representation back through registry.services: it is a new change,
by the curator who reverted, never an erasure of the ones between.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from registry import services
from registry.models import Change
from registry.representations import resource_type_of
from substances.models import Substance, SubstanceClass

Diff = list[tuple[str, Any, Any]]


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> Diff:
    """The fields whose value differs, as (field, before, after), in the representation's order."""
    before, after = before or {}, after or {}
    keys = list(after) + [key for key in before if key not in after]
    return [
        (key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)
    ]


@dataclass
class HistoryEntry:
    """One change of one resource, with what it changed compared with the change before."""

    change: Change
    changes: Diff
    revertible: bool


def history(resource_type: str, uid: str) -> list[HistoryEntry]:
    """Every change of a resource, newest first, each with its field-by-field difference."""
    rows = list(Change.objects.for_resource(resource_type, uid).select_related("actor"))
    entries = []
    previous = None
    for index, row in enumerate(rows):
        is_latest = index == len(rows) - 1
        entries.append(
            HistoryEntry(
                change=row,
                changes=diff(previous, row.data),
                revertible=row.data is not None and not is_latest,
            )
        )
        previous = row.data
    return entries[::-1]


def representation_at_version(resource_type: str, uid: str, version: int) -> dict | None:
    """The representation a versioned resource (substance, class) had at `version`.

    Version 1 is the creation and every recorded update adds one, so version n is the n-th
    created-or-updated row of the resource in the feed.
    """
    rows = Change.objects.for_resource(resource_type, uid).exclude(action=Change.Action.DELETED)
    row = rows[version - 1 : version].first() if version >= 1 else None
    return row.data if row else None


def revert(instance: models.Model, change: Change, *, actor: services.Actor) -> Change | None:
    """Bring a resource back to the state recorded in `change`, as a new change.

    Returns the change row written, or None when the resource already is in that state.
    """
    type_name = resource_type_of(instance).name
    if change.resource_type != type_name or change.uid != instance.uid or change.data is None:
        raise ValidationError(f"Change #{change.seq} is not a state of {instance.uid}.")
    fields = resource_type_of(instance).fields_from(change.data)
    last = Change.objects.for_resource(type_name, instance.uid).last()
    if isinstance(instance, Substance):
        services.update_substance(
            substance=instance, actor=actor, expected_version=instance.version, **fields
        )
    elif isinstance(instance, SubstanceClass):
        services.update_class(
            substance_class=instance, actor=actor, rules=change.data.get("rules", []), **fields
        )
    else:
        services.update_resource(instance, actor=actor, fields=fields)
    newest = Change.objects.for_resource(type_name, instance.uid).last()
    return newest if newest.seq != last.seq else None
