"""Every write that changes the public record goes through here.

Each service validates (`full_clean()`), writes, and appends its `Change` row(s) in one
transaction, so the feed can never disagree with the registry: a write that fails leaves neither
a partial record nor a change row. The admin, the API and the management commands call these
functions; nothing writes public resources around them.
"""

import datetime
import itertools
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from registry import cache as feed_cache
from registry import warming
from registry.models import ATTRIBUTES_APART, Change, Instrument, Listing, Schedule
from registry.representations import represent, resource_type_of
from substances import chemistry, matching
from substances.models import (
    ClassRule,
    Name,
    PrecursorUse,
    Relation,
    Substance,
    SubstanceClass,
)
from substances.normalize import search_key

# Any constant will do; it only has to be the same for every writer of the feed.
CHANGE_FEED_LOCK = 0x52454731  # "REG1"


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and through which door (admin, api, command, ...)."""

    user: Any = None
    name: str = ""
    via: str = "service"

    @classmethod
    def of(cls, user, *, via: str) -> "Actor":
        return cls(user=user, name=user.get_username() if user else "", via=via)

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(user=None, name=name, via="command")


# --- the feed -------------------------------------------------------------------------------


def lock_feed() -> int:
    """Take the feed's lock until this transaction ends, and return the feed's head then.

    On PostgreSQL a transaction-scoped advisory lock serializes writers from here to COMMIT, so
    sequence numbers become visible in commit order and a reader polling "after N" can never
    skip a row that commits late; a rollback releases the lock and its numbers, so there are no
    gaps. SQLite takes its write lock at BEGIN (transaction_mode IMMEDIATE), which does the same.
    The head is read after the lock is held, so no other writer's row can come after it before
    this transaction ends: what this transaction writes is exactly what lies after it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_feed must run inside the transaction of the change")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_FEED_LOCK])
    return Change.objects.aggregate(last=Max("seq"))["last"] or 0


def _next_seq() -> int:
    """The next sequence number, reserved until this transaction ends (see lock_feed)."""
    return lock_feed() + 1


def record_change(
    *,
    action: str,
    actor: Actor,
    instance: models.Model | None = None,
    resource_type: str | None = None,
    uid: str | None = None,
) -> Change:
    """Append one row to the change feed. Must run inside the writing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change must run inside the transaction of the change")
    if instance is not None:
        resource_type = resource_type_of(instance).name
        uid = instance.uid
    data = None if action == Change.Action.DELETED else represent(instance)
    # Cached reads are keyed on the feed's position: once this commits, they are stale.
    transaction.on_commit(feed_cache.bump)
    warming.on_commit()
    return Change.objects.create(
        seq=_next_seq(),
        at=timezone.now(),
        action=action,
        resource_type=resource_type,
        uid=uid,
        data=data,
        actor=actor.user if actor.user and actor.user.pk else None,
        actor_name=actor.name,
        via=actor.via,
    )


# --- generic writes -------------------------------------------------------------------------


def new_uid(model: type[models.Model], hint: str = "") -> str:
    """A fresh uid: a slug of `hint` when it is free and was never used, else a random one."""
    base = slugify(hint)[:60].strip("-")
    type_name = resource_type_of(model()).name
    candidates = [base] if base else []
    candidates += [f"{base or type_name[:1]}-{secrets.token_hex(3)}" for _ in range(5)]
    for candidate in candidates:
        if not _uid_taken(model, type_name, candidate):
            return candidate
    raise RuntimeError("could not find a free uid")  # pragma: no cover - 5 random tries


def _uid_taken(model, type_name: str, uid: str) -> bool:
    return (
        model._default_manager.filter(uid=uid).exists()
        or Change.objects.filter(resource_type=type_name, uid=uid).exists()
    )


def uid_ever_used(model: type[models.Model], uid: str) -> bool:
    """Whether a resource of this type has, or ever had, this uid (deleted ones included)."""
    return _uid_taken(model, resource_type_of(model()).name, uid)


def _refuse_used_uid(instance: models.Model) -> None:
    """A new resource may not take a uid that any resource of its type has or ever had."""
    if instance.uid and uid_ever_used(type(instance), instance.uid):
        raise ValidationError(
            {"uid": f"The uid {instance.uid} was used before and is never reused."},
            code="uid_reused",
        )


def save_resource(instance: models.Model, *, actor: Actor) -> Change | None:
    """Validate and save a public resource, and record its change.

    Creating refuses a uid that any resource of the type ever had (uids are never reused).
    Saving an existing resource applies only the fields edited on this instance since it was
    read (update_resource), on top of the row as it is now. Saving without any change to the
    public representation records nothing.
    """
    if not instance._state.adding:
        return update_resource(instance, actor=actor, fields=instance.edited_fields())
    with transaction.atomic():
        if isinstance(instance, Substance):
            # The feed's lock before the one-record-per-compound check, so that two writers
            # entering the same compound at once are checked one after the other: the second
            # sees the first and is refused, instead of both passing and both committing.
            lock_feed()
        _refuse_used_uid(instance)
        instance.full_clean()
        instance.save()
        instance.mark_loaded()
        return record_change(action=Change.Action.CREATED, instance=instance, actor=actor)


def update_resource(
    instance: models.Model,
    *,
    actor: Actor,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
    also: Callable[[models.Model], None] | None = None,
) -> Change | None:
    """Amend an existing public resource: set `fields`, and only those, and record the change.

    The row is locked (SELECT ... FOR UPDATE; SQLite's IMMEDIATE transaction locks the whole
    database) and read again inside the transaction, and the fields are applied to that fresh
    copy. So two writers of different fields both keep their change, two writers of the same
    field are serialised (the last one wins, both are in the feed), and the change row is the
    state actually stored. `instance` may be older than the row: none of its other values are
    written. With `expected_version`, refuse when someone else saved the resource since that
    version. `also` runs on the locked copy before the save (e.g. a class's rules). Returns the
    change row, or None when the public representation did not change (nothing is written).
    Afterwards `instance` holds the stored state.
    """
    model = type(instance)
    with transaction.atomic():
        if model is Substance:
            lock_feed()  # as on creation: the one-record-per-compound check runs alone
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        if getattr(instance, "uid", current.uid) != current.uid:
            _apply(current, {"uid": instance.uid})  # refused: a uid is permanent
        if expected_version is not None:
            _refuse_if_stale(current, expected_version)
        before = represent(current)
        _apply(current, fields)
        current.full_clean()
        if isinstance(current, Substance):
            # Derived now, as the save will derive them: identifiers that this release's
            # chemistry derives differently are a change of the record, told in the feed.
            current.derive_identifiers()
        if also is not None:
            also(current)
        change = None
        if represent(current) == before:
            transaction.set_rollback(True)
        else:
            if hasattr(current, "version"):
                current.version = models.F("version") + 1
            current.save()
            if hasattr(current, "version"):
                current.refresh_from_db(fields=["version"])
            change = record_change(action=Change.Action.UPDATED, instance=current, actor=actor)
    for field in model._meta.concrete_fields:
        setattr(instance, field.attname, getattr(current, field.attname))
    instance._state.fields_cache.clear()
    instance.mark_loaded()
    return change


def delete_resource(instance: models.Model, *, actor: Actor) -> Change:
    """Delete a public resource (a correction) and record the deletion.

    Whatever depends on it must go first: a substance still named by a listing is refused, since
    the legal history is never lost. A substance's names go with it, each with its own change row.
    """
    type_name = resource_type_of(instance).name
    with transaction.atomic():
        if isinstance(instance, Substance):
            for name in instance.names.all():
                delete_resource(name, actor=actor)
            for use in instance.uses.all():
                delete_resource(use, actor=actor)
            for relation in instance.relations.all():
                delete_resource(relation, actor=actor)
        uid = instance.uid
        try:
            instance.delete()
        except ProtectedError as exc:
            blockers = sorted({str(getattr(o, "uid", o)) for o in exc.protected_objects})[:5]
            raise ValidationError(
                f"{type_name} {uid} cannot be deleted while these refer to it: "
                f"{', '.join(blockers)}."
            ) from exc
        return record_change(
            action=Change.Action.DELETED, resource_type=type_name, uid=uid, actor=actor
        )


def _apply(instance: models.Model, fields: Mapping[str, Any]) -> None:
    """Set the named fields; a field the resource does not have, or that is not set by hand
    (derived identifiers, the version, timestamps), is refused by name, and so is another uid.

    A listing's attributes published as keys of their own (`produced_in_china`) are set too,
    after its `attributes`, so that the two together say what the representation says.
    """
    apart = {}
    for name, value in fields.items():
        if isinstance(instance, Listing) and name in ATTRIBUTES_APART:
            apart[name] = value
            continue
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is None or not field.concrete or not field.editable or field.primary_key:
            raise ValidationError({name: "Unknown or read-only field."})
        if name == "uid" and value != instance.uid:
            raise ValidationError(
                {"uid": f"A uid is permanent: {instance.uid} cannot become {value}."},
                code="uid_permanent",
            )
        setattr(instance, name, value)
    for name, value in apart.items():
        setattr(instance, name, value)


# --- substances and names -------------------------------------------------------------------


def create_substance(*, actor: Actor, uid: str = "", **fields: Any) -> Substance:
    """Enter a new substance. Without a uid, one is made from its English name."""
    substance = Substance(uid=uid or new_uid(Substance, fields.get("name_en", "")), **fields)
    save_resource(substance, actor=actor)
    return substance


def _refuse_if_stale(current: Substance | SubstanceClass, expected_version: int | None) -> None:
    """Refuse a save made from another version than the one now stored (read under lock)."""
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            f"{current.uid} was changed by someone else since you opened it "
            f"(version {current.version}, yours {expected_version}). Reload and try again.",
            code="stale",
        )


def update_substance(
    *, substance: Substance, actor: Actor, expected_version: int | None = None, **fields: Any
) -> Substance:
    """Amend a substance: the fields given, and only those (see update_resource).

    With `expected_version`, refuse when someone else saved it meanwhile.
    """
    update_resource(substance, actor=actor, fields=fields, expected_version=expected_version)
    return substance


def relation_uid(relation: Relation) -> str:
    """The uid of a new relation: r-<subject>-<kind>-<target>, or a fresh one if that was used."""
    kind = relation.kind.replace("_", "-")
    return new_uid(Relation, f"r-{relation.subject.uid}-{kind}-{relation.target.uid}")


def relate(
    *, subject: Substance, kind: str, target: Substance, actor: Actor, form: str = "", **fields
) -> Relation:
    """Say how one substance stands to another (see substances.models.Relation)."""
    uid = fields.pop("uid", "")
    relation = Relation(subject=subject, kind=kind, target=target, form=form, **fields)
    relation.uid = uid or relation_uid(relation)
    save_resource(relation, actor=actor)
    return relation


def add_name(*, substance: Substance, name: str, language: str, actor: Actor, **fields) -> Name:
    """Give a substance another name (synonym, code name, Chinese alternative, ...)."""
    obj = Name(
        uid=fields.pop("uid", "") or new_uid(Name, f"n-{secrets.token_hex(5)}"),
        substance=substance,
        name=name,
        language=language,
        **fields,
    )
    save_resource(obj, actor=actor)
    return obj


def add_precursor_use(
    *, precursor: Substance, actor: Actor, uid: str = "", **fields: Any
) -> PrecursorUse:
    """Record what a precursor chemical is used to make (a registry substance as `product`, or
    only its `product_name`), with its role and source."""
    use = PrecursorUse(
        uid=uid or new_uid(PrecursorUse, f"pu-{precursor.uid}"), precursor=precursor, **fields
    )
    save_resource(use, actor=actor)
    return use


# --- instruments ----------------------------------------------------------------------------


def record_instrument(*, actor: Actor, uid: str = "", **fields: Any) -> Instrument:
    """Record a legal act (announcement, notice, decree) so listings can cite it."""
    hint = fields.get("reference") or fields.get("title_en", "")
    instrument = Instrument(uid=uid or new_uid(Instrument, hint), **fields)
    save_resource(instrument, actor=actor)
    return instrument


# --- classes --------------------------------------------------------------------------------


def _replace_rules(substance_class: SubstanceClass, rules: Iterable[Mapping[str, Any]]) -> None:
    substance_class.rules.all().delete()
    for order, spec in enumerate(rules):
        rule = ClassRule(substance_class=substance_class, sort_order=order, **spec)
        try:
            rule.full_clean(exclude=["substance_class"])
        except ValidationError as exc:
            raise ValidationError({f"rules[{order}]": exc.messages}) from exc
        rule.save()


def example_contradictions(uid: str, examples, specs: list[matching.RuleSpec]) -> list[str]:
    """The worked examples that say whether they are members and that the rules `specs`
    classify otherwise, each said in a sentence naming it (docs/class-rules.md: the examples
    are shown on the class's page as tested). Their shape is the model's to check."""
    tested = [
        (place, example)
        for place, example in enumerate(examples if isinstance(examples, list) else [])
        if isinstance(example, dict) and isinstance(example.get("expected"), bool)
    ]
    if not tested:
        return []
    try:
        compiled = [matching.compile_class(uid, specs)] if specs else []
    except chemistry.ChemistryError:
        return []  # a rule that cannot be read is refused by name on its own (ClassRule.clean)
    wrong = []
    for place, example in tested:
        name = example.get("name") or example.get("smiles")
        try:
            mol = chemistry.parse_structure(example["smiles"])
        except (chemistry.ChemistryError, KeyError, TypeError):
            continue  # the model's check names it
        try:
            member = bool(compiled and matching.match_classes(mol, compiled))
        except chemistry.ChemistryError as exc:  # a search stopped at its time budget
            wrong.append(f"examples[{place}] ({name}) could not be tested: {exc.reason}")
            continue
        if member != example["expected"]:
            said = "a member" if example["expected"] else "no member"
            wrong.append(
                f"examples[{place}] ({name}) says it is "
                f"{said}, but the rules {'take' if member else 'leave'} it."
            )
    return wrong


def _test_examples(substance_class: SubstanceClass) -> None:
    specs = [rule.spec for rule in substance_class.rules.all()]
    if wrong := example_contradictions(substance_class.uid, substance_class.examples, specs):
        raise ValidationError({"examples": wrong})


def define_class(
    *, actor: Actor, uid: str, rules: Iterable[Mapping[str, Any]] = (), **fields: Any
) -> SubstanceClass:
    """Define a whole class controlled by structure: its legal text and its machine rules."""
    with transaction.atomic():
        substance_class = SubstanceClass(uid=uid, **fields)
        _refuse_used_uid(substance_class)
        substance_class.full_clean()
        substance_class.save()
        _replace_rules(substance_class, rules)
        _test_examples(substance_class)
        record_change(action=Change.Action.CREATED, instance=substance_class, actor=actor)
    return substance_class


def update_class(
    *,
    substance_class: SubstanceClass,
    actor: Actor,
    rules: Iterable[Mapping[str, Any]] | None = None,
    expected_version: int | None = None,
    **fields: Any,
) -> SubstanceClass:
    """Amend a class's text or replace its rules; one change row for the class as a whole.

    Only the fields given are set (see update_resource); the rules are replaced only when
    given. With `expected_version`, refuse when someone else
    saved it meanwhile (checked under the row's lock, so two curators' saves cannot both pass).
    """

    def also(current: SubstanceClass) -> None:
        if rules is not None:
            _replace_rules(current, list(rules))
        _test_examples(current)

    update_resource(
        substance_class,
        actor=actor,
        fields=fields,
        expected_version=expected_version,
        also=also,
    )
    return substance_class


# --- listings: the legal acts ---------------------------------------------------------------


def _check_instrument(schedule: Schedule, instrument: Instrument, field: str) -> None:
    if instrument.jurisdiction_id != schedule.jurisdiction_id:
        raise ValidationError(
            {field: f"{instrument} belongs to another jurisdiction than the list {schedule.code}."}
        )


def list_substance(
    *,
    schedule: Schedule,
    instrument: Instrument,
    effective_from: datetime.date,
    actor: Actor,
    substance: Substance | None = None,
    substance_class: SubstanceClass | None = None,
    uid: str = "",
    **fields: Any,
) -> Listing:
    """Place a substance (or a whole class) on a schedule from a date, under an instrument."""
    _check_instrument(schedule, instrument, "instrument")
    subject = substance or substance_class
    hint = f"l-{subject.uid if subject else ''}-{schedule.uid}-{effective_from:%Y%m%d}"
    listing = Listing(
        uid=uid or new_uid(Listing, hint),
        schedule=schedule,
        substance=substance,
        substance_class=substance_class,
        effective_from=effective_from,
        listed_by=instrument,
        **fields,
    )
    save_resource(listing, actor=actor)
    return listing


def delist(
    *, listing: Listing, instrument: Instrument, effective_to: datetime.date, actor: Actor
) -> Listing:
    """End a listing from a date (the first day it no longer applies), under an instrument."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        if listing.effective_to is not None:
            raise ValidationError(
                {"listing": f"{listing.uid} already ended on {listing.effective_to}."}
            )
        _check_instrument(listing.schedule, instrument, "instrument")
        listing.effective_to = effective_to
        listing.ended_by = instrument
        save_resource(listing, actor=actor)
    return listing


@dataclass(frozen=True)
class ListingAmendment:
    """What an amendment of a listing means in law: corrections of how it was entered, and
    (when it ends a listing in force) the end: `effective_to`, the first day it no longer
    applies, and `ended_by`, the instrument that ended it."""

    corrections: dict[str, Any]
    effective_to: datetime.date | None = None
    ended_by: Instrument | None = None

    @property
    def ends(self) -> bool:
        return self.ended_by is not None


def read_listing_amendment(listing: Listing, fields: Mapping[str, Any]) -> ListingAmendment:
    """Tell a delisting from a correction: setting `effective_to` or `ended_by` on a listing in
    force ends it, and then needs both; on a listing already ended, they correct it."""
    corrections = dict(fields)
    ends = listing.effective_to is None and (
        corrections.get("effective_to") is not None or corrections.get("ended_by") is not None
    )
    if not ends:
        return ListingAmendment(corrections)
    effective_to = corrections.pop("effective_to", None)
    ended_by = corrections.pop("ended_by", None)
    if effective_to is None or ended_by is None:
        missing = "effective_to" if effective_to is None else "ended_by"
        raise ValidationError({missing: "Ending a listing needs both effective_to and ended_by."})
    return ListingAmendment(corrections, effective_to=effective_to, ended_by=ended_by)


def amend_listing(*, listing: Listing, actor: Actor, **fields: Any) -> Listing:
    """Amend a listing: end it (a delisting, see `delist`) when the amendment ends a listing
    in force, else correct the fields given. Corrections sent with an end are applied first."""
    amendment = read_listing_amendment(listing, fields)
    with transaction.atomic():
        if amendment.corrections or not amendment.ends:
            update_resource(listing, actor=actor, fields=amendment.corrections)
        if not amendment.ends:
            return listing
        return delist(
            listing=listing,
            instrument=amendment.ended_by,
            effective_to=amendment.effective_to,
            actor=actor,
        )


def reschedule(
    *,
    listing: Listing,
    to_schedule: Schedule,
    instrument: Instrument,
    effective_on: datetime.date,
    actor: Actor,
    **fields: Any,
) -> tuple[Listing, Listing]:
    """Move a listed subject to another schedule: one listing ends, another starts that day."""
    if to_schedule.pk == listing.schedule_id:
        # It would end the listing and start its twin, two changes and no change in law.
        raise ValidationError(
            {
                "to_schedule": f"{listing.uid} is already on {to_schedule.code}: a rescheduling "
                "moves it to another schedule (a correction of the listing is an amendment)."
            }
        )
    with transaction.atomic():
        ended = delist(
            listing=listing, instrument=instrument, effective_to=effective_on, actor=actor
        )
        started = list_substance(
            schedule=to_schedule,
            instrument=instrument,
            effective_from=effective_on,
            substance=ended.substance,
            substance_class=ended.substance_class,
            actor=actor,
            **fields,
        )
    return ended, started


# --- the one bulk write path ----------------------------------------------------------------
#
# Creating or removing tens of thousands of resources one service call at a time costs a few
# queries each. These two functions are the only sanctioned way around that: they still validate
# every field, still write one change row per resource, with gap-free sequence numbers taken
# under the feed's lock, in the same transaction as the rows themselves. The synthetic data
# generator uses them; anything else that needs volume should too, never a raw bulk_create.


def _prepare_for_bulk(instance: models.Model) -> None:
    """What Model.save() would derive, since bulk_create does not call save()."""
    if isinstance(instance, Substance):
        instance.derive_identifiers()
        instance.derive_search_keys()
    elif isinstance(instance, Name):
        instance.search_key = search_key(instance.name)


def _bulk_changes(
    rows: list[tuple[str, str, dict | None]], *, action: str, actor: Actor
) -> list[Change]:
    """Append one change row per (resource_type, uid, data), numbered on from the feed's head."""
    first = _next_seq()  # takes the feed's lock until the transaction ends
    at = timezone.now()
    user = actor.user if actor.user and actor.user.pk else None
    changes = [
        Change(
            seq=first + offset,
            at=at,
            action=action,
            resource_type=resource_type,
            uid=uid,
            data=data,
            actor=user,
            actor_name=actor.name,
            via=actor.via,
        )
        for offset, (resource_type, uid, data) in enumerate(rows)
    ]
    Change.objects.bulk_create(changes, batch_size=2000)
    transaction.on_commit(feed_cache.bump)
    warming.on_commit()
    return changes


def bulk_create_resources(
    instances: list[models.Model], *, actor: Actor, batch_size: int = 2000
) -> list[Change]:
    """Create many new public resources of one type, and one `created` change row for each.

    Each instance is validated field by field (uid shape, CAS check digit, choices, lengths)
    and by its model's clean(); the database's constraints check uniqueness. A uid that any
    resource of the type ever had is refused, as in save_resource. Related objects must be
    saved already (their primary keys set), since the representation refers to them by uid.
    """
    if not instances:
        return []
    model = type(instances[0])
    type_name = resource_type_of(instances[0]).name
    if any(type(instance) is not model for instance in instances):
        raise TypeError("bulk_create_resources takes resources of one type at a time")
    with transaction.atomic():
        uids = [instance.uid for instance in instances]
        if len(set(uids)) != len(uids):
            raise ValidationError({"uid": "The same uid appears twice in one bulk write."})
        for start in range(0, len(uids), batch_size):
            chunk = uids[start : start + batch_size]
            used = Change.objects.filter(resource_type=type_name, uid__in=chunk)
            taken = used.values_list("uid", flat=True).first()
            if taken:
                raise ValidationError({"uid": f"The uid {taken} was used before."})
        # References are checked by the database's foreign keys in the insert itself, rather
        # than by one query per reference here.
        references = [f.name for f in model._meta.fields if f.is_relation]
        for instance in instances:
            _prepare_for_bulk(instance)
            instance.clean_fields(exclude=references)
            if isinstance(instance, Listing):
                instance.check_attributes()
                instance.check_dates_agree_with_instruments()
                continue  # the rest of its clean() is one overlap query per row: _check_overlaps
            if isinstance(instance, Substance):
                instance.clean(check_twins=False)  # see _check_twins, for the whole batch
                continue
            instance.clean()
        if model is Listing:
            _check_overlaps(instances)
        if model is Substance:
            _check_twins(instances)
        model._default_manager.bulk_create(instances, batch_size=batch_size)
        return _bulk_changes(
            [(type_name, i.uid, represent(i)) for i in instances],
            action=Change.Action.CREATED,
            actor=actor,
        )


def _check_overlaps(listings: list[Listing]) -> None:
    """Listing.clean()'s rule for many listings at once: no two periods of one subject on one
    list overlap, among the new listings or with those already recorded."""
    by_key: dict[tuple, list[tuple]] = {}
    for listing in listings:
        if listing.effective_to and listing.effective_to <= listing.effective_from:
            raise ValidationError(f"{listing.uid}: a listing must end after it starts.")
        key = (listing.schedule_id, listing.substance_id, listing.substance_class_id)
        by_key.setdefault(key, []).append(
            (listing.effective_from, listing.effective_to, listing.uid)
        )
    for field in ("substance_id", "substance_class_id"):
        ids = sorted({getattr(listing, field) for listing in listings} - {None})
        for start in range(0, len(ids), 2000):
            existing = Listing.objects.filter(**{f"{field}__in": ids[start : start + 2000]})
            for row in existing.values_list(
                "schedule_id",
                "substance_id",
                "substance_class_id",
                "effective_from",
                "effective_to",
                "uid",
            ):
                if row[:3] in by_key:
                    by_key[row[:3]].append(row[3:])
    for periods in by_key.values():
        periods.sort(key=lambda period: period[0])
        for before, after in itertools.pairwise(periods):
            if before[1] is None or before[1] > after[0]:
                raise ValidationError(
                    f"{after[2]} overlaps {before[2]}: the same subject is on the same list "
                    "for part of that period.",
                    code="listing_overlap",
                )


def _check_twins(substances: list[Substance]) -> None:
    """Substance.check_one_record_per_compound for many new substances at once: no two records
    of one compound (same CAS RN, or same standardized structure; for a form or preparation,
    which shares its parent's standardized structure, the same full structure), among the new
    ones or with those already recorded. New records have no relations yet."""
    seen: dict[tuple[str, str], Substance] = {}
    for substance in substances:
        structure = (
            ("inchikey", substance.inchikey)
            if substance.kind in (Substance.Kind.FORM, Substance.Kind.PREPARATION)
            else ("parent_key", substance.parent_key)
        )
        for key in (("cas", substance.cas), structure):
            if not key[1]:
                continue
            other = seen.get(key)
            if other is not None:
                raise ValidationError(
                    f"{substance.uid} and {other.uid} are the same compound ({key[0]} "
                    f"{key[1]}): the registry keeps one record per compound.",
                    code="duplicate",
                )
            seen.setdefault(key, substance)
    for field in ("cas", "parent_key", "inchikey"):
        values = sorted({value for kind, value in seen if kind == field})
        for start in range(0, len(values), 2000):
            existing = Substance.objects.filter(**{f"{field}__in": values[start : start + 2000]})
            for uid, value in existing.values_list("uid", field):
                new = seen[(field, value)]
                raise ValidationError(
                    f"{new.uid} is the same compound as {uid} ({field} {value}): the registry "
                    "keeps one record per compound.",
                    code="duplicate",
                )


def bulk_delete_resources(queryset: models.QuerySet, *, actor: Actor) -> list[Change]:
    """Delete every resource of a queryset (one type), and one `deleted` change row for each.

    Nothing cascades silently: a resource that others still refer to is refused, as in
    delete_resource, so callers delete dependants first (listings, then names, then substances).
    """
    type_name = resource_type_of(queryset.model()).name
    manager = queryset.model._default_manager
    with transaction.atomic():
        _next_seq()  # the feed's lock first, so that what is read is what gets deleted
        rows = list(queryset.order_by("uid").values_list("pk", "uid"))
        for start in range(0, len(rows), 2000):
            chunk = [pk for pk, _uid in rows[start : start + 2000]]
            try:
                deleted, per_model = manager.filter(pk__in=chunk).delete()
            except ProtectedError as exc:
                blockers = sorted({str(getattr(o, "uid", o)) for o in exc.protected_objects})[:5]
                raise ValidationError(
                    f"These {type_name} resources cannot be deleted while others refer to "
                    f"them: {', '.join(blockers)}."
                ) from exc
            if deleted != len(chunk):
                raise ValidationError(
                    f"Deleting {len(chunk)} {type_name} resources would also delete "
                    f"{deleted - len(chunk)} others ({per_model}); delete those first."
                )
        return _bulk_changes(
            [(type_name, uid, None) for _pk, uid in rows],
            action=Change.Action.DELETED,
            actor=actor,
        )
