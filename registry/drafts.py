"""Draft change sets: legal changes prepared by a curator, published by a reviewer.

A draft stores *which service to call with which arguments*, by uid, never a half-made record:
until it is published nothing of it exists in the registry or in the change feed. Publishing
replays the operations through registry.services in one transaction, with the reviewer as the
actor and the change set as the door (`Change.via` = "draft <id>"), so the feed says who approved
each change and in which set. If any operation fails, nothing is applied and the set stays a
draft.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from registry import services
from registry.models import Change, DraftChangeSet, DraftOperation, Instrument, Listing, Schedule
from substances.models import Substance, SubstanceClass

Service = DraftOperation.Service


def _get(model, uid: str, what: str):
    try:
        return model.objects.get(uid=uid)
    except model.DoesNotExist:
        raise ValidationError(f"{what} {uid} no longer exists.") from None


def _date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def _list_substance(args: dict[str, Any], actor: services.Actor) -> None:
    subject = {}
    if args.get("substance"):
        subject["substance"] = _get(Substance, args["substance"], "Substance")
    else:
        subject["substance_class"] = _get(SubstanceClass, args["substance_class"], "Class")
    services.list_substance(
        schedule=_get(Schedule, args["schedule"], "List"),
        instrument=_get(Instrument, args["instrument"], "Instrument"),
        effective_from=_date(args["effective_from"]),
        actor=actor,
        item_number=args.get("item_number", ""),
        **subject,
    )


def _delist(args: dict[str, Any], actor: services.Actor) -> None:
    services.delist(
        listing=_get(Listing, args["listing"], "Listing"),
        instrument=_get(Instrument, args["instrument"], "Instrument"),
        effective_to=_date(args["effective_to"]),
        actor=actor,
    )


def _reschedule(args: dict[str, Any], actor: services.Actor) -> None:
    services.reschedule(
        listing=_get(Listing, args["listing"], "Listing"),
        to_schedule=_get(Schedule, args["to_schedule"], "List"),
        instrument=_get(Instrument, args["instrument"], "Instrument"),
        effective_on=_date(args["effective_on"]),
        actor=actor,
    )


def _update_class(args: dict[str, Any], actor: services.Actor) -> None:
    substance_class = _get(SubstanceClass, args["substance_class"], "Class")
    expected = args.get("expected_version")
    if expected is not None and substance_class.version != expected:
        raise ValidationError(
            f"{substance_class.uid} was changed after this draft was made "
            f"(version {substance_class.version}, draft made on {expected})."
        )
    services.update_class(
        substance_class=substance_class,
        actor=actor,
        rules=args.get("rules"),
        expected_version=expected,
        **args.get("fields", {}),
    )


RUNNERS: dict[str, Callable[[dict[str, Any], services.Actor], None]] = {
    Service.LIST_SUBSTANCE: _list_substance,
    Service.DELIST: _delist,
    Service.RESCHEDULE: _reschedule,
    Service.UPDATE_CLASS: _update_class,
}


def start(*, title: str, author) -> DraftChangeSet:
    """Open a new, empty draft change set."""
    return DraftChangeSet.objects.create(title=title[:300], author=author)


def add_operation(
    changeset: DraftChangeSet, *, service: str, summary: str, **arguments: Any
) -> DraftOperation:
    """Append one operation to an open draft. Arguments are JSON: uids, ISO dates, text."""
    if not changeset.is_open:
        raise ValidationError(f"{changeset} is {changeset.get_status_display()}, not a draft.")
    if service not in RUNNERS:
        raise ValidationError(f"Unknown operation {service!r}.")
    position = (changeset.operations.aggregate(last=Max("position"))["last"] or 0) + 1
    return DraftOperation.objects.create(
        changeset=changeset,
        position=position,
        service=service,
        arguments=arguments,
        summary=summary[:500],
    )


def _run(changeset: DraftChangeSet, actor: services.Actor) -> None:
    for operation in changeset.operations.order_by("position"):
        try:
            RUNNERS[operation.service](operation.arguments, actor)
        except ValidationError as exc:
            raise ValidationError(
                f"Step {operation.position} ({operation}): {'; '.join(exc.messages)}"
            ) from exc


class _DryRun(Exception):
    pass


def problems(changeset: DraftChangeSet, *, user=None) -> list[str]:
    """What would stop the draft from being published now (empty when nothing would).

    The operations are run for real and rolled back, so every check the services make applies.
    """
    try:
        with transaction.atomic():
            _run(changeset, services.Actor.of(user, via=changeset.via))
            raise _DryRun
    except _DryRun:
        return []
    except ValidationError as exc:
        return exc.messages


def publish(changeset: DraftChangeSet, *, reviewer) -> list[Change]:
    """Apply every operation of a draft, as the reviewer, in one transaction; or none.

    A reviewer publishes someone else's work: the author of a draft cannot publish it.
    Returns the change-feed rows written.
    """
    if not reviewer.has_perm("registry.publish_draftchangeset"):
        raise ValidationError("Only a reviewer can publish a change set.")
    with transaction.atomic():
        changeset = DraftChangeSet.objects.select_for_update().get(pk=changeset.pk)
        if not changeset.is_open:
            raise ValidationError(f"{changeset} is already {changeset.get_status_display()}.")
        if changeset.author_id == reviewer.pk:
            raise ValidationError(
                f"{changeset} was prepared by you; another reviewer must publish it."
            )
        if not changeset.operations.exists():
            raise ValidationError(f"{changeset} has nothing to publish.")
        # The feed's lock before its head: read first, another writer's row committed before
        # our first one would fall inside this set's range of sequence numbers.
        head = services.lock_feed()
        _run(changeset, services.Actor.of(reviewer, via=changeset.via))
        written = list(Change.objects.after(head))
        changeset.status = DraftChangeSet.Status.PUBLISHED
        changeset.reviewer = reviewer
        changeset.decided_at = timezone.now()
        changeset.first_seq = written[0].seq if written else None
        changeset.last_seq = written[-1].seq if written else None
        changeset.save()
    return written


def discard(changeset: DraftChangeSet, *, user) -> None:
    """Give up a draft; it stays on record as discarded, with who did it."""
    with transaction.atomic():
        changeset = DraftChangeSet.objects.select_for_update().get(pk=changeset.pk)
        if not changeset.is_open:
            raise ValidationError(f"{changeset} is already {changeset.get_status_display()}.")
        changeset.status = DraftChangeSet.Status.DISCARDED
        changeset.reviewer = user
        changeset.decided_at = timezone.now()
        changeset.save()
