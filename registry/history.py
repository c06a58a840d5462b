"""The legal history read as differences: what a jurisdiction's lists gained, lost and moved.

Two questions, both about the law (the listings' periods), not about the registry's edit log:

- `diff(jurisdiction, start, end)`: compare what was in force on `start` with what is in force
  on `end`. A subject (a named substance or a whole class) that is on a list on `end` and on no
  list of the jurisdiction on `start` was *added*; one on a list on `start` and on none on `end`
  was *removed*; one that left some lists and joined others was *moved* (a rescheduling, such as
  the 2025 reorganisation). A subject that only joined another list while staying on its own is
  *added* to that list; one that only left one of its lists is *removed* from it.
- `legal_changes(...)`: the same, day by day: for each effective date on which listings started
  or ended, what was added, removed and moved that day ("what's new", by the law's dates).

And two readings of one subject or one act:

- `subject_history(substance=... | substance_class=..., on=...)`: a subject's listings, those in
  force on a day, and its timeline (listed, moved, removed, by effective date);
- `instrument_changes(instrument)`: the entries an instrument added, moved and removed.

The results are a small dataclass family that the API, the site and the feeds render alike.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from registry.models import Listing
from substances.models import Substance, SubstanceClass

_FIELDS = (
    "substance_id",
    "substance_class_id",
    "schedule_id",
    "effective_from",
    "effective_to",
    "item_number",
    "substance__uid",
    "substance__name_en",
    "substance__name_zh",
    "substance_class__uid",
    "substance_class__name_en",
    "substance_class__name_zh",
    "schedule__uid",
    "schedule__code",
    "schedule__name",
    "schedule__name_zh",
    "schedule__sort_order",
    "listed_by__uid",
    "listed_by__reference",
    "listed_by__title_en",
    "listed_by__title_zh",
    "ended_by__uid",
    "ended_by__reference",
    "ended_by__title_en",
    "ended_by__title_zh",
)


@dataclass(frozen=True)
class SubjectRef:
    """What is listed: a named substance or a whole class."""

    type: str  # "substance" or "class"
    uid: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class ScheduleRef:
    uid: str
    code: str
    name: str
    name_zh: str
    sort_order: int = 0


@dataclass(frozen=True)
class InstrumentRef:
    uid: str
    reference: str
    title_en: str
    title_zh: str


@dataclass(frozen=True)
class DiffEntry:
    """One subject added to, removed from or moved to a list, by an instrument.

    For an addition or a move, `schedule` is the list it joined and `instrument` the one that
    listed it there; for a removal, `schedule` is the list it left and `instrument` the one that
    ended the listing. A move also names the lists it left (`from_schedules`). `effective_on`
    is the day the change took effect.
    """

    subject: SubjectRef
    schedule: ScheduleRef
    instrument: InstrumentRef | None
    effective_on: datetime.date | None
    item_number: str = ""
    from_schedules: tuple[ScheduleRef, ...] = ()


@dataclass(frozen=True)
class ListDiff:
    """What changed on a jurisdiction's lists between two dates."""

    jurisdiction: str
    start: datetime.date
    end: datetime.date
    added: list[DiffEntry] = field(default_factory=list)
    removed: list[DiffEntry] = field(default_factory=list)
    moved: list[DiffEntry] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved)


@dataclass(frozen=True)
class DayChanges:
    """What took effect on one day: the same three kinds as a diff."""

    day: datetime.date
    added: list[DiffEntry] = field(default_factory=list)
    removed: list[DiffEntry] = field(default_factory=list)
    moved: list[DiffEntry] = field(default_factory=list)

    @property
    def instruments(self) -> list[InstrumentRef]:
        seen: dict[str, InstrumentRef] = {}
        for entry in (*self.added, *self.moved, *self.removed):
            if entry.instrument:
                seen.setdefault(entry.instrument.uid, entry.instrument)
        return list(seen.values())


# --- reading the rows -----------------------------------------------------------------------


def _subject_key(row: dict) -> tuple[str, int]:
    if row["substance_id"] is not None:
        return ("s", row["substance_id"])
    return ("c", row["substance_class_id"])


def _subject(row: dict) -> SubjectRef:
    if row["substance_id"] is not None:
        return SubjectRef(
            "substance",
            row["substance__uid"],
            row["substance__name_en"] or "",
            row["substance__name_zh"] or "",
        )
    return SubjectRef(
        "class",
        row["substance_class__uid"],
        row["substance_class__name_en"] or "",
        row["substance_class__name_zh"] or "",
    )


def _schedule(row: dict) -> ScheduleRef:
    return ScheduleRef(
        row["schedule__uid"],
        row["schedule__code"],
        row["schedule__name"],
        row["schedule__name_zh"] or "",
        row["schedule__sort_order"],
    )


def _instrument(row: dict, prefix: str) -> InstrumentRef | None:
    if not row[f"{prefix}__uid"]:
        return None
    return InstrumentRef(
        row[f"{prefix}__uid"],
        row[f"{prefix}__reference"] or "",
        row[f"{prefix}__title_en"] or "",
        row[f"{prefix}__title_zh"] or "",
    )


def _sorted(entries: list[DiffEntry]) -> list[DiffEntry]:
    return sorted(
        entries,
        key=lambda e: (
            e.schedule.sort_order,
            e.schedule.code,
            e.subject.name_en.lower(),
            e.subject.uid,
        ),
    )


def _listings(jurisdiction: str, schedule: str | None):
    listings = Listing.objects.in_jurisdiction(jurisdiction)
    if schedule:
        listings = listings.filter(schedule__uid=schedule)
    return listings


# --- between two dates ----------------------------------------------------------------------


def diff(
    *,
    jurisdiction: str,
    start: datetime.date,
    end: datetime.date,
    schedule: str | None = None,
) -> ListDiff:
    """What was added, removed and moved on `jurisdiction`'s lists from `start` to `end`.

    Compares the listings in force on `start` with those in force on `end` (so a listing that
    began and ended between the two dates does not show). With `schedule` (a list's uid) only
    that list is compared: a subject moved onto it from another list shows as added. A listing
    dated by evidence (`Instrument.evidence`: an act not identified, known from a document of
    that day) that begins between the two is no addition: it may have been in force on `start`
    too (as in `legal_changes`). One query.
    """
    if start > end:
        raise ValueError("start must not be after end")
    rows = (
        _listings(jurisdiction, schedule)
        .filter(
            Q(effective_from__lte=start, effective_to__isnull=True)
            | Q(effective_from__lte=start, effective_to__gt=start)
            | Q(effective_from__lte=end, effective_to__isnull=True)
            | Q(effective_from__lte=end, effective_to__gt=end)
        )
        .order_by()
        .values(*_FIELDS, "listed_by__evidence")
    )
    before: dict[tuple, dict[int, dict]] = defaultdict(dict)
    after: dict[tuple, dict[int, dict]] = defaultdict(dict)
    for row in rows:
        key = _subject_key(row)
        if _in_force(row, start):
            before[key][row["schedule_id"]] = row
        if _in_force(row, end):
            after[key][row["schedule_id"]] = row
    result = ListDiff(jurisdiction=jurisdiction.upper(), start=start, end=end)
    for key in before.keys() | after.keys():
        was, now = before.get(key, {}), after.get(key, {})
        lost = [was[s] for s in was.keys() - now.keys()]
        gained = [now[s] for s in now.keys() - was.keys() if not now[s]["listed_by__evidence"]]
        _classify(result.added, result.removed, result.moved, lost, gained)
    result.added[:] = _sorted(result.added)
    result.removed[:] = _sorted(result.removed)
    result.moved[:] = _sorted(result.moved)
    return result


def _in_force(row: dict, day: datetime.date) -> bool:
    return row["effective_from"] <= day and (
        row["effective_to"] is None or row["effective_to"] > day
    )


def _classify(added, removed, moved, lost: list[dict], gained: list[dict]) -> None:
    """Sort one subject's lost and gained listings into additions, removals and moves."""
    lost.sort(key=lambda r: r["schedule__sort_order"])
    gained.sort(key=lambda r: r["schedule__sort_order"])
    if lost and gained:
        previous = tuple(_schedule(r) for r in lost)
        for row in gained:
            moved.append(
                DiffEntry(
                    subject=_subject(row),
                    schedule=_schedule(row),
                    instrument=_instrument(row, "listed_by"),
                    effective_on=row["effective_from"],
                    item_number=row["item_number"] or "",
                    from_schedules=previous,
                )
            )
        return
    for row in gained:
        added.append(
            DiffEntry(
                subject=_subject(row),
                schedule=_schedule(row),
                instrument=_instrument(row, "listed_by"),
                effective_on=row["effective_from"],
                item_number=row["item_number"] or "",
            )
        )
    for row in lost:
        removed.append(
            DiffEntry(
                subject=_subject(row),
                schedule=_schedule(row),
                instrument=_instrument(row, "ended_by"),
                effective_on=row["effective_to"],
                item_number=row["item_number"] or "",
            )
        )


# --- day by day -----------------------------------------------------------------------------


def legal_changes(
    *,
    jurisdiction: str | None = None,
    schedule: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    days: int | None = None,
) -> list[DayChanges]:
    """What took effect on each day, newest day first: the law's "what's new".

    A day's additions, removals and moves are told apart per subject as in `diff`: a subject
    whose listing ended on a list and another started that same day moved. Only the days from
    `since` to `until` (both included, either open), and at most the `days` latest of them.
    A listing dated by evidence (an act not identified, known from a document of that day:
    `Instrument.evidence`) took effect on no day known, and is not among a day's additions.
    Three queries.
    """
    listings = Listing.objects.all()
    if jurisdiction:
        listings = listings.in_jurisdiction(jurisdiction)
    if schedule:
        listings = listings.filter(schedule__uid=schedule)
    starts = listings.exclude(listed_by__evidence=True).values_list("effective_from", flat=True)
    ends = listings.exclude(effective_to__isnull=True).values_list("effective_to", flat=True)
    if since:
        starts, ends = (
            starts.filter(effective_from__gte=since),
            ends.filter(effective_to__gte=since),
        )
    if until:
        starts, ends = (
            starts.filter(effective_from__lte=until),
            ends.filter(effective_to__lte=until),
        )
    day_set = set(starts.order_by().distinct()) | set(ends.order_by().distinct())
    chosen = sorted(day_set, reverse=True)
    if days is not None:
        chosen = chosen[:days]
    if not chosen:
        return []
    rows = (
        listings.filter(Q(effective_from__in=chosen) | Q(effective_to__in=chosen))
        .order_by()
        .values(*_FIELDS, "listed_by__evidence")
    )
    started: dict[datetime.date, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    ended: dict[datetime.date, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    wanted = set(chosen)
    for row in rows:
        key = _subject_key(row)
        if row["effective_from"] in wanted and not row["listed_by__evidence"]:
            started[row["effective_from"]][key].append(row)
        if row["effective_to"] in wanted:
            ended[row["effective_to"]][key].append(row)
    result = []
    for day in chosen:
        changes = DayChanges(day=day)
        for key in started[day].keys() | ended[day].keys():
            gained, lost = started[day].get(key, []), ended[day].get(key, [])
            gained_ids = {r["schedule_id"] for r in gained}
            lost_ids = {r["schedule_id"] for r in lost}
            # A listing ended and restarted on the same list the same day is a correction of
            # its terms, not a change of the list.
            gained = [r for r in gained if r["schedule_id"] not in lost_ids]
            lost = [r for r in lost if r["schedule_id"] not in gained_ids]
            _classify(changes.added, changes.removed, changes.moved, lost, gained)
        changes.added[:] = _sorted(changes.added)
        changes.removed[:] = _sorted(changes.removed)
        changes.moved[:] = _sorted(changes.moved)
        if not changes.added and not changes.removed and not changes.moved:
            continue
        result.append(changes)
    return result


# --- one subject's history ------------------------------------------------------------------


@dataclass
class TimelineEvent:
    """What happened to a subject's listings on one day.

    `kind` is "listed" (only starts), "removed" (only ends), "moved" (ends and starts on the
    same day: a rescheduling, such as the 2025 reorganisation's move to the new lists) or
    "continued" (ends and starts on the same day on the same lists: a temporary control made
    permanent, an entry renewed by a new act).
    """

    date: datetime.date
    ended: list[Listing] = field(default_factory=list)
    started: list[Listing] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.ended and self.started:
            same = {li.schedule_id for li in self.ended} == {li.schedule_id for li in self.started}
            return "continued" if same else "moved"
        return "listed" if self.started else "removed"

    @property
    def instruments(self) -> list:
        seen = {}
        for listing in self.ended:
            seen.setdefault(listing.ended_by_id, listing.ended_by)
        for listing in self.started:
            seen.setdefault(listing.listed_by_id, listing.listed_by)
        return list(seen.values())


def timeline(listings: Iterable[Listing]) -> list[TimelineEvent]:
    """The listings of one subject turned into dated events, oldest first."""
    events: dict[datetime.date, TimelineEvent] = {}
    for listing in listings:
        start = events.setdefault(listing.effective_from, TimelineEvent(listing.effective_from))
        start.started.append(listing)
        if listing.effective_to:
            end = events.setdefault(listing.effective_to, TimelineEvent(listing.effective_to))
            end.ended.append(listing)
    return [events[day] for day in sorted(events)]


@dataclass
class SubjectHistory:
    """Every listing of one subject (a substance or a whole class), oldest first, those in
    force on the day asked about, and the same listings as dated events."""

    on: datetime.date
    listings: list[Listing]
    in_force: list[Listing]
    events: list[TimelineEvent]


def mark_runs(listings: list[Listing]) -> None:
    """Set each listing's run on its list (`Listing.run_before`, and so `Listing.run_start`),
    given every listing of one subject in order of first day (`listed_by` and
    `schedule__jurisdiction` loaded).

    One that starts the day another on the same list ends continues it, when that day is known
    to the day, nothing in the run lapsed (a temporary order), and the subject went to no other
    list of its jurisdiction that day (midazolam left China's Class II for Class I in 2024, and
    only some of its preparations stayed). Another jurisdiction's lists do not count: what the
    US did on a day says nothing of a run on a Chinese list, and a run reads the same whether
    the other jurisdictions' listings were read or not (the check reads one when asked)."""
    lists_started: dict[tuple[int, datetime.date], set[int]] = defaultdict(set)
    for listing in listings:
        started = (listing.schedule.jurisdiction_id, listing.effective_from)
        lists_started[started].add(listing.schedule_id)
    last: dict[int, Listing] = {}
    for listing in listings:
        before = last.get(listing.schedule_id)
        started = (listing.schedule.jurisdiction_id, listing.effective_from)
        if (
            before is not None
            and before.effective_to == listing.effective_from
            and lists_started[started] == {listing.schedule_id}
            and not listing.start_known_as
            and before.lapse() is None
        ):
            listing._run_before = before
        last[listing.schedule_id] = listing


def subject_history(
    *,
    substance: Substance | None = None,
    substance_class: SubstanceClass | None = None,
    on: datetime.date,
) -> SubjectHistory:
    """The legal history of a substance or of a whole class, read in one query.

    Whether a listing is in force on `on` is the database's answer (`ListingQuerySet.in_force`),
    given as a flag on each listing.
    """
    if substance is not None:
        subject = Q(substance=substance)
    else:
        subject = Q(substance_class=substance_class)
    listings = list(
        Listing.objects.filter(subject)
        .with_in_force(on=on)
        .select_related("schedule__jurisdiction", "listed_by", "ended_by")
        .order_by("effective_from", "schedule__sort_order", "id")
    )
    mark_runs(listings)
    return SubjectHistory(
        on=on,
        listings=listings,
        in_force=[listing for listing in listings if listing.is_in_force],
        events=timeline(listings),
    )


# --- what one instrument did ----------------------------------------------------------------

_LISTING_FIELDS = (
    "substance_id",
    "substance_class_id",
    "effective_from",
    "effective_to",
    "item_number",
    "listed_by_id",
    "ended_by_id",
    "schedule_id",
    "schedule__name",
    "schedule__name_zh",
    "substance__uid",
    "substance__name_en",
    "substance__name_zh",
    "substance_class__uid",
    "substance_class__name_en",
    "substance_class__name_zh",
    "listed_by__uid",
    "listed_by__reference",
    "listed_by__title_en",
    "listed_by__title_zh",
    "ended_by__uid",
    "ended_by__reference",
    "ended_by__title_en",
    "ended_by__title_zh",
)


@dataclass(frozen=True)
class ListingFacts:
    """One listing as plain values: what an instrument page prints.

    Announcements such as the 2025 reorganisation touch hundreds of entries; plain values read
    in one query keep such a page fast where model instances and per-row lookups would not.
    `subject` is ("s", substance id) or ("c", class id).
    """

    subject: tuple[str, int]
    subject_uid: str
    name_en: str
    name_zh: str
    schedule_id: int
    schedule_name: str
    schedule_name_zh: str
    item_number: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    listed_by_id: int
    ended_by_id: int | None
    listed_by: InstrumentRef | None
    ended_by: InstrumentRef | None

    @property
    def is_class(self) -> bool:
        return self.subject[0] == "c"


def _facts(listings) -> list[ListingFacts]:
    rows = []
    for row in listings.values(*_LISTING_FIELDS):
        is_class = row["substance_id"] is None
        prefix = "substance_class" if is_class else "substance"
        rows.append(
            ListingFacts(
                subject=_subject_key(row),
                subject_uid=row[f"{prefix}__uid"],
                name_en=row[f"{prefix}__name_en"],
                name_zh=row[f"{prefix}__name_zh"],
                schedule_id=row["schedule_id"],
                schedule_name=row["schedule__name"],
                schedule_name_zh=row["schedule__name_zh"],
                item_number=row["item_number"],
                effective_from=row["effective_from"],
                effective_to=row["effective_to"],
                listed_by_id=row["listed_by_id"],
                ended_by_id=row["ended_by_id"],
                listed_by=_instrument(row, "listed_by"),
                ended_by=_instrument(row, "ended_by"),
            )
        )
    return rows


@dataclass
class InstrumentChanges:
    """What one instrument did to the lists: the entries it added, moved and removed.

    A move is (the listings that ended, the listing that started): the subject left those lists
    and joined another on the same day, even if the two halves were made by two instruments (as
    in the 2025 reorganisation, where one announcement ended the old lists and another started
    the new non-medical list).
    """

    added: list[ListingFacts] = field(default_factory=list)
    moves: list[tuple[list[ListingFacts], ListingFacts]] = field(default_factory=list)
    removed: list[ListingFacts] = field(default_factory=list)
    # Entries ended and started again on the same list the same day (an act restating them, a
    # temporary order made permanent): held without a break, neither moved nor added.
    continued: list[ListingFacts] = field(default_factory=list)


def instrument_changes(instrument) -> InstrumentChanges:
    """What `instrument` added, moved and removed, in the lists' order. Three queries."""
    order = ("schedule__sort_order", "substance__name_en", "substance_class__name_en", "id")
    made = _facts(Listing.objects.filter(listed_by=instrument).order_by(*order))
    ended = _facts(Listing.objects.filter(ended_by=instrument).order_by(*order))
    ended_days = {row.effective_to for row in ended}
    made_days = {row.effective_from for row in made}

    def subjects(rows: list[ListingFacts]) -> Q:
        return Q(substance_id__in=[r.subject[1] for r in rows if not r.is_class]) | Q(
            substance_class_id__in=[r.subject[1] for r in rows if r.is_class]
        )

    counterpart = Q(pk__in=[])
    if ended:
        counterpart |= Q(effective_from__in=ended_days) & subjects(ended) & ~Q(listed_by=instrument)
    if made:
        counterpart |= Q(effective_to__in=made_days) & subjects(made) & ~Q(ended_by=instrument)
    others = _facts(Listing.objects.filter(counterpart).order_by(*order))
    started_elsewhere = defaultdict(list)
    ended_elsewhere = defaultdict(list)
    for other in others:
        if other.listed_by_id != instrument.pk and other.effective_from in ended_days:
            started_elsewhere[other.subject].append(other)
        if other.ended_by_id != instrument.pk and other.effective_to in made_days:
            ended_elsewhere[other.subject].append(other)
    ended_by_subject = defaultdict(list)
    for row in ended:
        ended_by_subject[row.subject].append(row)
    made_subjects = {row.subject for row in made}

    made_lists = defaultdict(set)
    for row in made:
        made_lists[row.subject, row.effective_from].add(row.schedule_id)

    def continues(before: list[ListingFacts], row: ListingFacts) -> bool:
        """Ended and started again on the same list, that day, and on no other list."""
        return made_lists.get((row.subject, row.effective_from), {row.schedule_id}) == {
            row.schedule_id
        } and all(
            b.schedule_id == row.schedule_id and b.effective_to == row.effective_from
            for b in before
        )

    result = InstrumentChanges()
    for row in made:
        before = ended_by_subject.get(row.subject) or ended_elsewhere.get(row.subject)
        if before and continues(before, row):
            result.continued.append(row)
        elif before:
            result.moves.append((before, row))
        else:
            result.added.append(row)
    for row in ended:
        if row.subject in made_subjects:
            continue  # told with its move
        after = started_elsewhere.get(row.subject)
        if after and all(
            later.schedule_id == row.schedule_id and later.effective_from == row.effective_to
            for later in after
        ):
            result.continued.append(row)
        elif after:
            result.moves.extend(([row], later) for later in after)
        else:
            result.removed.append(row)
    return result
