"""Draft change sets: legal changes prepared by a curator, published by a reviewer.

A draft stores *which service to call with which arguments*, by uid, never a half-made record:
until it is published nothing of it exists in the registry or in the change feed. Publishing
replays the operations through registry.services in one transaction, with the reviewer as the
actor and the change set as the door (`Change.via` = "draft <id>"), so the feed says who approved
each change and in which set. If any operation fails, nothing is applied and the set stays a
draft.
"""

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from registry import services
from registry.models import Change, DraftChangeSet, DraftOperation, Instrument, Listing, Schedule
from registry.representations import BY_NAME, resource_type_of
from substances.models import RULE_KEYS, Relation, Substance, SubstanceClass

Service = DraftOperation.Service

# The legal facts: what is controlled, by which act, how a class is defined, and what decides
# how far an entry reaches (the relations between substances, a list's coverage). Under review
# (settings.REGISTRY_REQUIRE_REVIEW) every change of these made by a person, in the admin or
# through the API, is held as a draft until a reviewer other than its author publishes it.
LEGAL_TYPES = frozenset({"listing", "class", "instrument", "relation", "schedule"})

# One step of a draft as a face plans it: (service, summary, arguments).
Step = tuple[str, str, dict[str, Any]]


def review_required() -> bool:
    """Whether changes of legal facts must go through a reviewer (on in production)."""
    return bool(getattr(settings, "REGISTRY_REQUIRE_REVIEW", False))


def holds(model_or_instance) -> bool:
    """Whether a change of this resource by a person is held as a draft now."""
    model = model_or_instance if isinstance(model_or_instance, type) else type(model_or_instance)
    try:
        type_name = resource_type_of(model()).name
    except TypeError:
        return False
    return review_required() and type_name in LEGAL_TYPES


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
        **args.get("fields", {}),  # the new listing's item number or scope, as text
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


def _model(type_name: str) -> type[models.Model]:
    if type_name not in LEGAL_TYPES:
        raise ValidationError(f"A draft does not hold changes of {type_name} resources.")
    return BY_NAME[type_name].model


def _create(args: dict[str, Any], actor: services.Actor) -> None:
    model = _model(args["type"])
    fields = BY_NAME[args["type"]].fields_from(args.get("fields", {}))
    uid = args.get("uid", "")
    if model is Listing:
        services.list_substance(
            actor=actor,
            uid=uid,
            schedule=fields.pop("schedule"),
            instrument=fields.pop("listed_by"),
            effective_from=fields.pop("effective_from"),
            **fields,
        )
    elif model is Instrument:
        services.record_instrument(actor=actor, uid=uid, **fields)
    elif model is Relation:
        services.relate(actor=actor, uid=uid, **fields)
    elif model is SubstanceClass:
        services.define_class(actor=actor, uid=uid, rules=args.get("rules") or (), **fields)
    else:
        services.save_resource(model(uid=uid, **fields), actor=actor)


def _update(args: dict[str, Any], actor: services.Actor) -> None:
    model = _model(args["type"])
    if model is SubstanceClass:
        _update_class({**args, "substance_class": args["uid"]}, actor)
        return
    fields = BY_NAME[args["type"]].fields_from(args.get("fields", {}))
    with transaction.atomic():
        # Read again under the row's lock: only the fields the draft names are changed.
        instance = model.objects.select_for_update().filter(uid=args["uid"]).first()
        if instance is None:
            raise ValidationError(f"{args['type']} {args['uid']} no longer exists.")
        for name, value in fields.items():
            setattr(instance, name, value)
        services.save_resource(instance, actor=actor)


def _delete(args: dict[str, Any], actor: services.Actor) -> None:
    model = _model(args["type"])
    services.delete_resource(_get(model, args["uid"], args["type"].capitalize()), actor=actor)


RUNNERS: dict[str, Callable[[dict[str, Any], services.Actor], None]] = {
    Service.LIST_SUBSTANCE: _list_substance,
    Service.DELIST: _delist,
    Service.RESCHEDULE: _reschedule,
    Service.UPDATE_CLASS: _update_class,
    Service.CREATE: _create,
    Service.UPDATE: _update,
    Service.DELETE: _delete,
}


# --- the steps the faces plan ---------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.uid
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _rules(rules: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if rules is None:
        return None
    return [{key: rule.get(key, "") for key in RULE_KEYS} for rule in rules]


def create_step(
    model: type[models.Model], fields: dict[str, Any], *, uid: str = "", rules=None
) -> Step:
    """Create a listing, an instrument or a class (with its rules)."""
    type_name = resource_type_of(model()).name
    arguments: dict[str, Any] = {
        "type": type_name,
        "uid": uid,
        "fields": BY_NAME[type_name].data_from(fields),
    }
    if rules is not None:
        arguments["rules"] = _rules(rules)
    return Service.CREATE, f"create {type_name} {uid or '(new)'}", arguments


def update_step(
    instance: models.Model, fields: dict[str, Any], *, rules=None, expected_version=None
) -> Step:
    """Change the named fields of a listing, an instrument or a class (and a class's rules)."""
    type_name = resource_type_of(instance).name
    arguments: dict[str, Any] = {
        "type": type_name,
        "uid": instance.uid,
        "fields": BY_NAME[type_name].data_from(fields),
    }
    if rules is not None:
        arguments["rules"] = _rules(rules)
    if expected_version is not None:
        arguments["expected_version"] = expected_version
    named = ", ".join(arguments["fields"]) + (", rules" if rules is not None else "")
    return Service.UPDATE, f"amend {type_name} {instance.uid} ({named or 'nothing'})", arguments


def save_class_amendment(
    substance_class: SubstanceClass,
    *,
    author,
    fields: dict[str, Any],
    rules: Iterable[dict[str, Any]],
) -> DraftChangeSet:
    """Keep a curator's amendment of a class (its text and all its rules) as a new draft.

    Saved as it is, without a trial run: a draft may be unfinished, and what would stop it is
    shown on the draft (see `problems`). Published, it applies only if nobody changed the class
    after the version it was made on.
    """
    rules = _rules(rules)
    changeset = start(title=f"Amend class {substance_class}", author=author)
    add_operation(
        changeset,
        service=Service.UPDATE_CLASS,
        summary=f"amend class {substance_class.uid} ({len(rules)} rule(s))",
        substance_class=substance_class.uid,
        expected_version=substance_class.version,
        fields=fields,
        rules=rules,
    )
    return changeset


def delete_step(instance: models.Model) -> Step:
    """Delete a listing, an instrument or a class entered in error."""
    type_name = resource_type_of(instance).name
    return (
        Service.DELETE,
        f"delete {type_name} {instance.uid}",
        {"type": type_name, "uid": instance.uid},
    )


def delist_step(listing: Listing, *, instrument: Instrument, effective_to: datetime.date) -> Step:
    return (
        Service.DELIST,
        f"end {listing.uid} from {effective_to} ({instrument})",
        {"listing": listing.uid, "instrument": instrument.uid, "effective_to": _json(effective_to)},
    )


def amend_listing_steps(listing: Listing, fields: dict[str, Any]) -> list[Step]:
    """The draft's steps for an amendment of a listing: a correction, a delisting, or both (see
    `services.read_listing_amendment`, which tells them apart)."""
    amendment = services.read_listing_amendment(listing, fields)
    steps = []
    if amendment.corrections or not amendment.ends:
        steps.append(update_step(listing, amendment.corrections))
    if amendment.ends:
        steps.append(
            delist_step(listing, instrument=amendment.ended_by, effective_to=amendment.effective_to)
        )
    return steps


def reschedule_step(
    listing: Listing, *, to_schedule: Schedule, instrument: Instrument, effective_on, **fields
) -> Step:
    arguments: dict[str, Any] = {
        "listing": listing.uid,
        "to_schedule": to_schedule.uid,
        "instrument": instrument.uid,
        "effective_on": _json(effective_on),
    }
    if fields:
        arguments["fields"] = {name: _json(value) for name, value in fields.items()}
    return (
        Service.RESCHEDULE,
        f"move {listing.uid} to {to_schedule.code} on {effective_on} ({instrument})",
        arguments,
    )


def propose(*, title: str, author, steps: Iterable[Step]) -> DraftChangeSet:
    """Open a draft holding these steps, once a trial run of all of them succeeds.

    The trial runs through the services and is rolled back, so a step that could not be
    published now is refused here with the services' own ValidationError (field names kept),
    and no draft is left behind.
    """
    steps = list(steps)
    with transaction.atomic():
        changeset = start(title=title, author=author)
        for service, summary, arguments in steps:
            add_operation(changeset, service=service, summary=summary, **arguments)
        actor = services.Actor.of(author, via=changeset.via)
        try:
            with transaction.atomic():
                for service, _summary, arguments in steps:
                    RUNNERS[service](arguments, actor)
                raise _DryRun
        except _DryRun:
            pass
    return changeset


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
    if not may_publish(reviewer):
        raise ValidationError("Only a reviewer can publish a change set.", code="not_reviewer")
    with transaction.atomic():
        changeset = DraftChangeSet.objects.select_for_update().get(pk=changeset.pk)
        if not changeset.is_open:
            raise ValidationError(
                f"{changeset} is already {changeset.get_status_display()}.", code="decided"
            )
        if changeset.author_id == reviewer.pk:
            raise ValidationError(
                f"{changeset} was prepared by you; another reviewer must publish it.",
                code="own_draft",
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


def may_publish(user) -> bool:
    """Reviewers (and superusers) publish drafts; never their own (see publish)."""
    return bool(user and user.has_perm("registry.publish_draftchangeset"))


def may_discard(changeset: DraftChangeSet, user) -> bool:
    """A draft's author gives it up, or a reviewer refuses it."""
    return changeset.author_id == user.pk or may_publish(user)


def discard(changeset: DraftChangeSet, *, user) -> None:
    """Give up a draft; it stays on record as discarded, with who did it."""
    if not may_discard(changeset, user):
        raise ValidationError(
            "Only the draft's author or a reviewer can discard it.", code="not_reviewer"
        )
    with transaction.atomic():
        changeset = DraftChangeSet.objects.select_for_update().get(pk=changeset.pk)
        if not changeset.is_open:
            raise ValidationError(
                f"{changeset} is already {changeset.get_status_display()}.", code="decided"
            )
        changeset.status = DraftChangeSet.Status.DISCARDED
        changeset.reviewer = user
        changeset.decided_at = timezone.now()
        changeset.save()
