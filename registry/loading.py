"""Reading the curated fixtures into the registry, through the services.

The fixtures (CSV and YAML, one file per resource type; see fixtures/README.md) are read into
plain specs, checked as a whole (every problem reported with its file and line), then applied
(each row read as its resource's representation, see registry.representations):
each resource is created or updated only when it differs from what the registry holds, so a
second load changes nothing and appends no change row.

Who owns the data: the fixtures seed an empty registry; from then on the database is the record.
On a live registry the loader adds what is new in the fixtures and brings a record in line with a
corrected fixture row only while nobody else has changed that record since the loader last wrote
it (the change feed says who wrote what). Where a curator, the API, a draft or a revert changed or
deleted the record since, the record is left alone and the disagreement is reported as a
`Conflict`. A deliberate correction from the fixtures names the uids to accept
(`load_registry --accept-fixture UID ...`) and is written through the services like any other
change, with its change rows. The loader deletes only the names a fixture file withdraws
(`names_withdrawn.csv`, each with why), and only those it wrote and nobody changed since.
"""

import csv
import datetime
import hashlib
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction

from registry import services
from registry.models import COVERAGE, Change, Instrument, Schedule, attributes_problem
from registry.representations import (
    BY_MODEL,
    FIELD_OF_KEY,
    RESOURCE_TYPES,
    ResourceType,
    represent,
)
from substances import chemistry, matching, search
from substances.models import RULE_KEYS, Name, Relation, RuleKind, Substance, SubstanceClass
from substances.validators import CAS_RE, UID_RE, cas_check_digit

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

CSV_FILES = {
    "jurisdiction": "jurisdictions.csv",
    "schedule": "schedules.csv",
    "instrument": "instruments.csv",
    "substance": "substances.csv",
    "relation": "relations.csv",
    "name": "names.csv",
    "precursor_use": "precursor_uses.csv",
    "listing": "listings.csv",
}
CLASSES_FILE = "classes.yaml"
# Names the fixtures once held and no longer do, each with why (a piece of a name split at its
# parentheses, say): the loader deletes what it wrote of them (see `Loader._withdraw`).
WITHDRAWN_NAMES_FILE = "names_withdrawn.csv"

REQUIRED = {
    "jurisdiction": ("uid", "code", "name"),
    "schedule": ("uid", "jurisdiction", "code", "name", "regime"),
    "instrument": ("uid", "jurisdiction"),
    "substance": ("uid", "name_en", "kind"),
    "relation": ("uid", "subject", "kind", "target"),
    "name": ("substance", "name", "language"),
    "precursor_use": ("uid", "precursor"),
    "listing": ("uid", "schedule", "effective_from", "listed_by"),
}


@dataclass
class Row:
    """One resource as the fixtures describe it, with where it was read."""

    where: str
    values: dict[str, Any]


@dataclass
class Fixtures:
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)
    withdrawn_names: list[Row] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


def name_uid(substance: str, language: str, name: str) -> str:
    """A name's uid, derived from what it is, so a rebuilt database gives it the same one."""
    digest = hashlib.sha1(f"{substance}|{language}|{name}".encode()).hexdigest()[:12]
    return f"n-{digest}"


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _coverage(value: str) -> list[str] | None:
    """A coverage cell: words separated by spaces; empty: none given; `none`: covers nothing."""
    value = (value or "").strip()
    if not value:
        return None
    return [] if value == "none" else value.split()


def read_fixtures(directory: Path = FIXTURES_DIR) -> Fixtures:
    """Read every fixture file and check it; nothing is written."""
    fx = Fixtures()
    for rtype, filename in CSV_FILES.items():
        path = directory / filename
        if not path.exists():
            fx.problem(f"fixtures/{filename}", "file is missing")
            continue
        for path in _files(directory, filename):
            _read_csv(fx, rtype, path, directory)

    if (directory / CLASSES_FILE).exists():
        for path in _files(directory, CLASSES_FILE):
            name = path.relative_to(directory).as_posix()
            with path.open(encoding="utf-8") as handle:
                for index, spec in enumerate(yaml.safe_load(handle) or []):
                    fx.rows["class"].append(Row(f"fixtures/{name}[{index}]", spec))
    else:
        fx.problem(f"fixtures/{CLASSES_FILE}", "file is missing")
    for row in fx.rows["name"]:
        v = row.values
        v["uid"] = name_uid(v.get("substance", ""), v.get("language", ""), v.get("name", ""))
    held = {row.values["uid"] for row in fx.rows["name"]}
    for path in _files(directory, WITHDRAWN_NAMES_FILE):
        if not path.exists():
            continue
        name = path.relative_to(directory).as_posix()
        with path.open(encoding="utf-8", newline="") as handle:
            for line, v in enumerate(csv.DictReader(handle), start=2):
                where = f"fixtures/{name}:{line}"
                if not (v.get("substance") and v.get("name") and v.get("reason")):
                    fx.problem(where, "a withdrawn name needs its substance, name and reason")
                    continue
                v["uid"] = name_uid(v["substance"], v.get("language", ""), v["name"])
                if v["uid"] in held:
                    fx.problem(where, "withdrawn, and still in names.csv")
                fx.withdrawn_names.append(Row(where, v))
    _check(fx)
    return fx


def _files(directory: Path, filename: str) -> list[Path]:
    """A resource type's files: the one at the top, then the same name in each jurisdiction's
    folder (fixtures/un/ holds the 1961 and 1971 Conventions, fixtures/us/ the US schedules)."""
    return [directory / filename, *sorted(directory.glob(f"*/{filename}"))]


def _read_csv(fx: Fixtures, rtype: str, path: Path, directory: Path) -> None:
    name = path.relative_to(directory).as_posix()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            where = f"fixtures/{name}:{reader.line_num}"
            values = {k: (v or "").strip() for k, v in record.items() if k is not None}
            for column in REQUIRED[rtype]:
                if not values.get(column):
                    fx.problem(where, f"'{column}' is empty")
            fx.rows[rtype].append(Row(where, values))


def _check(fx: Fixtures) -> None:
    uids: dict[str, set[str]] = {}
    for rtype, rows in fx.rows.items():
        seen: dict[str, str] = {}
        for row in rows:
            uid = str(row.values.get("uid", ""))
            if not UID_RE.match(uid):
                fx.problem(row.where, f"uid {uid!r} is not a valid uid")
            if uid in seen:
                fx.problem(row.where, f"uid {uid} is used again (first at {seen[uid]})")
            seen[uid] = row.where
        uids[rtype] = set(seen)

    def ref(row: Row, column: str, rtype: str, required: bool = False) -> None:
        value = row.values.get(column, "")
        if value and value not in uids.get(rtype, set()):
            fx.problem(row.where, f"{column} {value!r} is not a known {rtype}")
        elif required and not value:
            fx.problem(row.where, f"{column} is empty")

    def coverage_words(row: Row) -> None:
        unknown = [w for w in _coverage(row.values.get("coverage", "")) or [] if w not in COVERAGE]
        if unknown:
            fx.problem(
                row.where, f"coverage {' '.join(unknown)!r} is not among {', '.join(COVERAGE)}"
            )

    def dates(row: Row, *columns: str) -> None:
        for column in columns:
            try:
                _date(row.values.get(column, ""))
            except ValueError:
                fx.problem(row.where, f"{column} {row.values[column]!r} is not a YYYY-MM-DD date")

    for row in fx.rows["schedule"]:
        ref(row, "jurisdiction", "jurisdiction")
        coverage_words(row)
        if row.values.get("regime") not in Schedule.Regime.values:
            fx.problem(
                row.where,
                f"regime {row.values.get('regime')!r} is not one of "
                f"{', '.join(Schedule.Regime.values)}",
            )
    for row in fx.rows["instrument"]:
        ref(row, "jurisdiction", "jurisdiction")
        dates(row, "published_on", "effective_on", "effective_bound")
        precision = row.values.get("effective_precision", "")
        if precision and precision not in Instrument.Precision.values:
            fx.problem(
                row.where,
                f"effective_precision {precision!r} is not one of "
                f"{', '.join(Instrument.Precision.values)}",
            )
        try:
            item_dates(row.values.get("item_dates", ""))
        except ValueError as exc:
            fx.problem(row.where, f"item_dates: {exc}")
    for row in fx.rows["substance"]:
        v = row.values
        if v.get("kind") not in Substance.Kind.values:
            fx.problem(row.where, f"kind {v.get('kind')!r} is not one of {Substance.Kind.values}")
        cas = v.get("cas", "")
        if cas:
            match = CAS_RE.match(cas)
            if not match:
                fx.problem(row.where, f"CAS {cas!r} is malformed")
            elif int(match.group(3)) != cas_check_digit(cas):
                fx.problem(
                    row.where, f"CAS {cas} fails its check digit (expected {cas_check_digit(cas)})"
                )
        if v.get("smiles"):
            try:
                chemistry.describe(v["smiles"])
            except chemistry.ChemistryError as exc:
                fx.problem(row.where, f"SMILES does not parse: {exc.reason}")
    chained: dict[str, set[str]] = defaultdict(set)
    kinds = {row.values.get("uid", ""): row.values.get("kind") for row in fx.rows["substance"]}
    for row in fx.rows["relation"]:
        v = row.values
        ref(row, "subject", "substance")
        ref(row, "target", "substance")
        if v.get("kind") not in Relation.Kind.values:
            fx.problem(row.where, f"kind {v.get('kind')!r} is not one of {Relation.Kind.values}")
        if (v.get("kind") == "form_of") != bool(v.get("form")):
            fx.problem(row.where, "a form_of relation names its form; no other relation does")
        elif v.get("form") and v["form"] not in Relation.Form.values:
            fx.problem(row.where, f"form {v['form']!r} is not one of {Relation.Form.values}")
        if v.get("subject") and v.get("subject") == v.get("target"):
            fx.problem(row.where, "a substance is not related to itself")
        if v.get("kind") == Relation.Kind.CONTAINS:
            # The model's rule (Relation.clean), said of the files before anything is written.
            if kinds.get(v.get("subject", "")) not in (None, *Relation.CONTAINERS):
                fx.problem(
                    row.where,
                    f"subject {v['subject']} is a {kinds[v['subject']]}: only a preparation or a "
                    "material contains an ingredient",
                )
            if kinds.get(v.get("target", "")) == Substance.Kind.GROUP:
                fx.problem(
                    row.where,
                    f"target {v['target']} is a group entry, not an ingredient: name the substance",
                )
        if v.get("kind") in Relation.CHAINED:
            chained[v.get("subject", "")].add(v.get("target", ""))
    for row in fx.rows["relation"]:
        v = row.values
        if v.get("kind") not in Relation.CHAINED:
            continue
        seen, frontier = set(), {v.get("target", "")}
        while frontier:
            if v.get("subject") in frontier:
                fx.problem(row.where, f"relations go round in a circle through {v['subject']}")
                break
            seen |= frontier
            frontier = {t for f in frontier for t in chained.get(f, ())} - seen
    cas_seen: dict[str, str] = {}
    for row in fx.rows["substance"]:
        cas = row.values.get("cas", "")
        if cas and cas in cas_seen:
            fx.problem(row.where, f"CAS {cas} is also given at {cas_seen[cas]}")
        cas_seen.setdefault(cas, row.where)
    for row in fx.rows["name"]:
        ref(row, "substance", "substance")
        dates(row, "valid_from", "valid_to")
        if row.values.get("kind") == Name.Kind.CAS:
            cas = row.values.get("name", "")
            if not CAS_RE.match(cas) or cas_check_digit(cas) != int(cas[-1]):
                fx.problem(row.where, f"other CAS number {cas!r} is not a valid CAS number")
            elif cas in cas_seen:
                fx.problem(row.where, f"other CAS number {cas} is the CAS of {cas_seen[cas]}")
        if row.values.get("language") not in Name.Language.values:
            fx.problem(
                row.where,
                f"language {row.values.get('language')!r} is not one of {Name.Language.values}",
            )
        if row.values.get("kind", "synonym") not in Name.Kind.values:
            fx.problem(
                row.where, f"kind {row.values.get('kind')!r} is not one of {Name.Kind.values}"
            )
    for row in fx.rows["precursor_use"]:
        ref(row, "precursor", "substance")
        ref(row, "product", "substance")
        if not row.values.get("product") and not row.values.get("product_name"):
            fx.problem(row.where, "neither product nor product_name is given")
    for row in fx.rows["class"]:
        for key in ("uid", "name_en"):
            if not row.values.get(key):
                fx.problem(row.where, f"'{key}' is empty")
        for index, rule in enumerate(row.values.get("rules") or []):
            try:
                spec = matching.RuleSpec(
                    rule.get("label", ""), rule.get("kind", "include"), rule["smarts"]
                )
                problem = matching.check_rule(spec, stress=False)
            except (KeyError, TypeError, AttributeError) as exc:
                problem = str(exc)
            if problem:
                fx.problem(row.where, f"rule {index} ({rule!r:.60}): {problem}")
    _check_listings(fx, ref, dates, coverage_words)


def item_dates(text: str) -> dict[str, str]:
    """An instrument row's dates for single items: `uid=YYYY-MM-DD; uid=YYYY-MM-DD`."""
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        uid, sep, day = (x.strip() for x in part.partition("="))
        if not sep or not UID_RE.match(uid):
            raise ValueError(f"{part!r} is not uid=YYYY-MM-DD")
        datetime.date.fromisoformat(day)  # ValueError names the bad date
        found[uid] = day
    return found


def _instrument_day(instrument: Row | None, subject: str) -> datetime.date | None:
    """The day an instrument row takes effect for one item (None when not on record)."""
    if instrument is None:
        return None
    try:
        stated = item_dates(instrument.values.get("item_dates", "")).get(subject)
        return _date(stated or instrument.values.get("effective_on", ""))
    except ValueError:
        return None  # reported with the instrument's own row


def _check_listings(fx: Fixtures, ref: Callable, dates: Callable, coverage_words: Callable) -> None:
    periods: dict[tuple[str, str], list[tuple[datetime.date, datetime.date | None, str]]] = (
        defaultdict(list)
    )
    instruments = {row.values.get("uid"): row for row in fx.rows["instrument"]}
    codes = {row.values.get("uid"): row.values.get("code") for row in fx.rows["jurisdiction"]}
    jurisdiction_of = {
        row.values.get("uid"): codes.get(row.values.get("jurisdiction"))
        for row in fx.rows["schedule"]
    }
    for row in fx.rows["listing"]:
        v = row.values
        subject = v.get("substance") or v.get("class") or ""
        for column, instrument in (("effective_from", "listed_by"), ("effective_to", "ended_by")):
            try:
                day = _date(v.get(column, ""))
            except ValueError:
                continue
            expected = _instrument_day(instruments.get(v.get(instrument)), subject) if day else None
            if expected and day != expected:
                fx.problem(
                    row.where,
                    f"{column} {day} is not the day {v[instrument]} takes effect for "
                    f"{subject} ({expected})",
                )
        coverage_words(row)
        try:
            problem = attributes_problem(_attributes(v), jurisdiction_of.get(v.get("schedule")))
        except ValueError as exc:  # json.JSONDecodeError included
            problem = f"attributes: {exc}"
        if problem:
            fx.problem(row.where, problem)
        ref(row, "schedule", "schedule")
        ref(row, "substance", "substance")
        ref(row, "class", "class")
        ref(row, "listed_by", "instrument")
        ref(row, "ended_by", "instrument")
        dates(row, "effective_from", "effective_to")
        if bool(v.get("substance")) == bool(v.get("class")):
            fx.problem(row.where, "give exactly one of substance and class")
        if bool(v.get("effective_to")) != bool(v.get("ended_by")):
            fx.problem(row.where, "effective_to and ended_by go together")
        try:
            start, end = _date(v.get("effective_from", "")), _date(v.get("effective_to", ""))
        except ValueError:
            continue
        if start and end and end <= start:
            fx.problem(row.where, "effective_to is not after effective_from")
            continue
        subject = v.get("substance") or v.get("class")
        if start:
            periods[(subject, v.get("schedule", ""))].append((start, end, row.where))
    for (subject, schedule), spans in periods.items():
        spans.sort(key=lambda s: s[0])
        for (_, a_end, a_where), (b_start, _, b_where) in itertools.pairwise(spans):
            if a_end is None or a_end > b_start:
                fx.problem(b_where, f"{subject} on {schedule} overlaps the listing at {a_where}")


# --- applying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A fixture row that disagrees with a record someone changed since the loader wrote it."""

    rtype: str
    uid: str
    where: str
    fields: tuple[str, ...]
    change: Change | None
    reason: str = ""

    def describe(self) -> str:
        what = self.reason or f"fixture differs in {', '.join(self.fields)}"
        by = ""
        if self.change is not None:
            who = self.change.actor_name or "someone"
            by = (
                f"; {self.change.action} by {who} via {self.change.via} in change "
                f"#{self.change.seq} ({self.change.at:%Y-%m-%d})"
            )
        return f"{self.rtype} {self.uid} ({self.where}): {what}{by}; the registry's record is kept"


@dataclass
class LoadReport:
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    conflicts: list[Conflict] = field(default_factory=list)

    def count(self, rtype: str, outcome: str) -> None:
        self.counts[rtype][outcome] += 1

    def summary_lines(self) -> list[str]:
        return [
            f"{rtype:14} {c['created']:5} created {c['updated']:5} updated "
            f"{c['unchanged']:5} unchanged {c['conflict']:5} conflicts"
            + (f" {c['withdrawn']:5} withdrawn" if c["withdrawn"] else "")
            for rtype, c in self.counts.items()
        ]


Progress = Callable[[str, int, int], None]


class Loader:
    """Applies checked fixtures through the services, in dependency order, in one transaction."""

    def __init__(
        self,
        fx: Fixtures,
        *,
        actor: services.Actor,
        progress: Progress | None = None,
        accept: Iterable[str] = (),
    ):
        self.fx = fx
        self.actor = actor
        self.progress = progress or (lambda rtype, done, total: None)
        self.report = LoadReport()
        self.by_uid: dict[str, dict[str, Any]] = {}
        # uids whose fixture rows are a deliberate correction: applied even over others' changes
        self.accept = set(accept)
        self._deleted: dict[str, set[str]] = {}  # per resource type, the uids ever deleted

    def _others_change(self, rtype: str, uid: str) -> Change | None:
        """The latest change to a resource by anyone but this loader since the loader last wrote
        it; None when the loader's own write is the latest (the fixtures still own the record)."""
        rows = Change.objects.filter(resource_type=rtype, uid=uid)
        mine = rows.filter(actor_name=self.actor.name, via=self.actor.via)
        last_mine = mine.order_by("-seq").values_list("seq", flat=True).first() or 0
        others = rows.filter(seq__gt=last_mine).exclude(
            actor_name=self.actor.name, via=self.actor.via
        )
        return others.order_by("-seq").first()

    def _conflict(self, rtype, uid, where, fields=(), change=None, reason="") -> None:
        self.report.conflicts.append(Conflict(rtype, uid, where, tuple(fields), change, reason))
        self.report.count(rtype, "conflict")

    def _gone(self, rtype: str, uid: str, where: str) -> bool:
        """A fixture row whose record was deleted: uids are never reused, so it stays deleted.

        The feed's deletions of the type are read once; only a uid among them is looked up
        (the loader deletes only withdrawn names, after every type is loaded, so the set holds
        for the whole load)."""
        if rtype not in self._deleted:
            self._deleted[rtype] = set(
                Change.objects.filter(
                    resource_type=rtype, action=Change.Action.DELETED
                ).values_list("uid", flat=True)
            )
        if uid not in self._deleted[rtype]:
            return False
        last = Change.objects.filter(resource_type=rtype, uid=uid).order_by("-seq").first()
        if last is None or last.action != Change.Action.DELETED:
            return False
        self._conflict(rtype, uid, where, change=last, reason="the record was deleted")
        return True

    def run(self) -> LoadReport:
        if self.fx.problems:
            raise ValidationError(self.fx.problems)
        with transaction.atomic():
            for rt in RESOURCE_TYPES:
                if rt.model is SubstanceClass:
                    self._load_classes(rt)
                else:
                    self._load(rt)
            self._withdraw()
            # The substances loaded sort apart in the search document until ranked in uid
            # order (migration substances/0019): done once, after the load, in its transaction.
            search.order_document()
        return self.report

    def _withdraw(self) -> None:
        """Delete the withdrawn names the loader wrote, through the services (each deletion
        is a change of the feed): only while nobody else has changed the name since the loader
        wrote it; a curator's later word on it is kept and reported as a conflict."""
        for row in self.fx.withdrawn_names:
            uid = row.values["uid"]
            name = Name.objects.filter(uid=uid).first()
            if name is None:
                continue
            change = self._others_change("name", uid)
            if change is not None and uid not in self.accept:
                self._conflict(
                    "name", uid, row.where, change=change, reason="withdrawn from the fixtures"
                )
                continue
            services.delete_resource(name, actor=self.actor)
            self.report.count("name", "withdrawn")

    def _load(self, rt: ResourceType) -> None:
        rtype, model = rt.name, rt.model
        existing = {obj.uid: obj for obj in model.objects.select_related(*rt.select)}
        self.by_uid[rtype] = existing
        rows = self.fx.rows[rtype]
        for index, row in enumerate(rows, start=1):
            uid = row.values["uid"]
            obj = existing.get(uid)
            before = represent(obj) if obj is not None else None
            try:
                fields = rt.fields_from(_representation(rt, row.values), resolve=self._resolve)
            except KeyError as missing:
                # It refers to a record the registry no longer has (deleted since): kept out.
                self._conflict(
                    rtype, uid, row.where, reason=f"refers to {missing}, not in the registry"
                )
                continue
            if obj is None:
                if self._gone(rtype, uid, row.where):
                    continue
                obj = model(uid=uid)
            for attr, value in fields.items():
                setattr(obj, attr, value)
            if before is not None and isinstance(obj, Substance):
                # Derived here as a save would derive them: a record whose identifiers this
                # release's chemistry derives differently (the InChIKey of a double bond's
                # configuration) is updated through the services, with its change in the feed.
                obj.derive_identifiers()
            after = represent(obj)
            differing = [k for k in after if before and after.get(k) != before.get(k)]
            # Identifiers derived again differ, and nothing a curator writes: no conflict with a
            # curator's later edit (the record keeps every word of theirs, its keys are new).
            derived = _derived_fields(model)
            derived_only = bool(differing) and set(differing) <= derived
            if before is not None and after != before and uid not in self.accept:
                change = None if derived_only else self._others_change(rtype, uid)
                if change is not None:
                    curated = [k for k in differing if k not in derived]
                    self._conflict(rtype, uid, row.where, curated, change)
                    obj.refresh_from_db()
                    if isinstance(obj, Substance):
                        # The curator's record kept, with its identifiers derived again.
                        services.save_resource(obj, actor=self.actor)
                    continue
            if before is not None and after == before:
                outcome = "unchanged"
            else:
                try:
                    services.save_resource(obj, actor=self.actor)
                except ValidationError as exc:
                    raise ValidationError(f"{row.where}: {'; '.join(exc.messages)}") from exc
                existing[uid] = obj
                outcome = "updated" if before is not None else "created"
            self.report.count(rtype, outcome)
            if index % 50 == 0 or index == len(rows):
                self.progress(rtype, index, len(rows))

    def _get(self, rtype: str, uid: str):
        if not uid:
            return None
        try:
            return self.by_uid[rtype][uid]
        except KeyError:
            raise KeyError(f"{rtype} {uid}") from None

    def _resolve(self, model, uid: str):
        return self._get(BY_MODEL[model].name, uid)

    def _load_classes(self, rt: ResourceType) -> None:
        existing = {c.uid: c for c in SubstanceClass.objects.prefetch_related("rules")}
        self.by_uid["class"] = existing
        for row in self.fx.rows["class"]:
            spec = dict(row.values)
            uid = spec.pop("uid")
            rules = [
                {
                    **{key: rule.get(key, "") for key in RULE_KEYS},
                    "label": str(rule["label"]),
                    "kind": rule.get("kind", RuleKind.INCLUDE),
                    "smarts": rule["smarts"],
                }
                for rule in spec.pop("rules", None) or []
            ]
            values = {key: spec.get(key, "") for key in rt.keys if key != "uid"}
            for key in ("notes", "notes_zh"):
                values[key] = _text(values[key])  # YAML may give a list of bullets
            values["examples"] = spec.get("examples") or []
            fields = rt.fields_from(values)
            obj = existing.get(uid)
            try:
                if obj is None:
                    if self._gone("class", uid, row.where):
                        continue
                    obj = services.define_class(actor=self.actor, uid=uid, rules=rules, **fields)
                    existing[uid] = obj
                    self.report.count("class", "created")
                    continue
                before = represent(obj)
                wanted = {**before, **fields, "rules": rules}
                if before == wanted:
                    self.report.count("class", "unchanged")
                    continue
                change = None if uid in self.accept else self._others_change("class", uid)
                if change is not None:
                    differing = [k for k in wanted if wanted[k] != before.get(k)]
                    self._conflict("class", uid, row.where, differing, change)
                    continue
                services.update_class(substance_class=obj, actor=self.actor, rules=rules, **fields)
                self.report.count("class", "updated")
            except ValidationError as exc:
                raise ValidationError(f"{row.where}: {'; '.join(exc.messages)}") from exc
        self.progress("class", len(self.fx.rows["class"]), len(self.fx.rows["class"]))


TRUE_CELLS = {"1", "true", "yes", "*"}

# Cells that are not one value of their field: read from their own text (or other columns).
_CELL_READERS: dict[str, Callable[[dict[str, str], Any], Any]] = {
    "coverage": lambda v, model_field: _coverage_cell(v, model_field),
    "item_dates": lambda v, model_field: item_dates(v.get("item_dates", "")),
    # An instrument row of kind "evidence" (the kind column says what each act is).
    "evidence": lambda v, model_field: (
        v.get("evidence") in TRUE_CELLS or v.get("kind") == "evidence"
    ),
    "attributes": lambda v, model_field: _attributes(v),
}


def _derived_fields(model) -> frozenset[str]:
    """The fields of a resource that no curator writes (its save derives them: a substance's
    identifiers from its structure)."""
    return frozenset(f.name for f in model._meta.concrete_fields if not f.editable)


def _coverage_cell(v: dict[str, str], model_field) -> list[str] | None:
    """An empty coverage cell: a listing says nothing (None); a list covers nothing more ([])."""
    value = _coverage(v.get("coverage", ""))
    return [] if value is None and not model_field.null else value


def _representation(rt: ResourceType, v: dict[str, str]) -> dict[str, Any]:
    """A fixture row as the representation of its resource, each cell read as its field's type.

    An empty or missing cell is the field's default (empty text, no reference, no date); the
    resource type then reads the representation back into model fields, as it does for the
    feed and the export, so a field added to a resource needs no code here.
    """
    data: dict[str, Any] = {}
    for key in (*rt.keys, *rt.computed):
        name = FIELD_OF_KEY.get(key, key)
        try:
            model_field = rt.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a computed value that is no field (a class's rules)
        cell = v.get(key, "")
        if key in _CELL_READERS:
            data[key] = _CELL_READERS[key](v, model_field)
        elif model_field.is_relation or isinstance(model_field, models.DateField):
            data[key] = cell or None
        elif isinstance(model_field, models.BooleanField):
            data[key] = cell in TRUE_CELLS
        elif isinstance(model_field, models.IntegerField):
            data[key] = int(cell or model_field.get_default() or 0)
        elif cell == "" and model_field.has_default():
            data[key] = model_field.get_default()
        else:
            data[key] = cell
    return data


def _attributes(v: dict[str, str]) -> dict[str, Any]:
    """A listing's attributes from the columns that carry them (empty cells say nothing):
    China's `produced_in_china` mark, the US columns, and any other in `attributes`."""
    attributes: dict[str, Any] = {}
    if v.get("produced_in_china") in TRUE_CELLS:
        attributes["produced_in_china"] = True
    if v.get("dea_code"):
        attributes["dea_code"] = v["dea_code"]
    if v.get("narcotic"):
        attributes["narcotic"] = v["narcotic"] in {"1", "true", "yes"}
    if v.get("cfr_paragraph"):
        attributes["cfr_paragraph"] = v["cfr_paragraph"]
    if v.get("attributes"):
        # Any other attribute by name, as a JSON object (an act's wording for a class entry).
        extra = json.loads(v["attributes"])
        if not isinstance(extra, dict):
            raise ValueError("the attributes cell holds a JSON object")
        attributes.update(extra)
    return attributes


def _text(value: Any) -> str:
    """Notes may be written in YAML as a list of bullets; stored as one text."""
    if isinstance(value, list | tuple):
        return "\n".join(f"- {item}" for item in value)
    return str(value or "")
