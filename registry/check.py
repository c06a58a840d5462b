"""The check: is this compound controlled on a given date, and why?

Given names, CAS numbers, InChIKeys or structures (SMILES or molfile) and a date, the check says
for each input whether it is controlled and on what basis:

- a named listing in force that day, of the substance the input resolves to: the same compound,
  a salt of it, or a stereoisomer of it (the lists' footnotes put salts and isomers under the
  parent's entry), or the substance found by name, CAS number or InChIKey;
- every whole class in force that day whose rules the structure meets, with the rule and the
  matched atoms.

A compound can be both. The check never raises on bad input: an unreadable structure, a CAS
number with a wrong check digit or an oversized input gets the verdict `invalid` with its reason,
and one bad item does not spoil the batch. Work per batch is bounded: identification and the
listings are read in a few queries for the whole batch, and each class's rules are compiled once.

Time is bounded too, whatever the input: the class rules have `ITEM_TIME_BUDGET_SECONDS` per item
and the whole check `REQUEST_TIME_BUDGET_SECONDS`; an item whose rules could not all be applied
in time is `unknown` (or stays `controlled` by a listing), with the reason.
"""

import datetime
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Change, Listing
from substances import chemistry, matching
from substances.models import Name, Substance, SubstanceClass
from substances.normalize import normalize_cas, search_key
from substances.validators import CAS_RE, cas_check_digit

MAX_ITEMS = 1000

REQUEST_TIME_BUDGET_SECONDS = 8.0
"""Time one check may spend on its items, reading included: well inside a worker's timeout."""
ITEM_TIME_BUDGET_SECONDS = 0.5
"""Time the class rules may take on one structure (real compounds take milliseconds)."""

# One token of the characters SMILES is written with; anything else is read as a name.
_STRUCTURE_CHARS = re.compile(r"^[A-Za-z0-9@+\-\[\]()=#$:/\\.%*]+$")

CONTROLLED = "controlled"
NOT_CONTROLLED = "not_controlled"
UNKNOWN = "unknown"
INVALID = "invalid"


@dataclass
class CheckResult:
    """The verdict on one input.

    `detected_as` says how the input was read (name, cas, inchikey, smiles, molfile, empty);
    `matched_by` how it resolved to a registry substance: structure (the same compound), salt
    (same parent after removing counter-ions), stereoisomer (same constitution), name, cas or
    inchikey. `structure` is the standardized parent the class rules were applied to, as SMILES,
    so that a class match's `atoms` can be highlighted on it.
    """

    input: str
    detected_as: str
    status: str = UNKNOWN
    reason: str = ""
    substance: Substance | None = None
    matched_by: str = ""
    structure: str = ""
    matches: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        substance = None
        if self.substance is not None:
            substance = {
                "uid": self.substance.uid,
                "name_en": self.substance.name_en,
                "name_zh": self.substance.name_zh,
                "cas": self.substance.cas,
                "matched_by": self.matched_by,
            }
        return {
            "input": self.input,
            "detected_as": self.detected_as,
            "status": self.status,
            "reason": self.reason,
            "substance": substance,
            "structure": self.structure,
            "matches": self.matches,
        }


@dataclass
class _Item:
    result: CheckResult
    mol: Any = None  # the standardized parent, when there is a structure
    raw: Any = None  # the structure as given
    keys: tuple[str, str, str] = ("", "", "")  # exact InChIKey, parent key, skeleton key
    examined: bool = True  # False when the check's time ran out before it was read


def _schedule_summary(listing: Listing) -> dict[str, Any]:
    schedule = listing.schedule
    return {
        "uid": schedule.uid,
        "code": schedule.code,
        "name": schedule.name,
        "name_zh": schedule.name_zh,
        "regime": schedule.regime,
        "jurisdiction": schedule.jurisdiction.code,
    }


def _listing_basis(listing: Listing) -> dict[str, Any]:
    instrument = listing.listed_by
    return {
        "listing": listing.uid,
        "schedule": _schedule_summary(listing),
        "instrument": {
            "uid": instrument.uid,
            "reference": instrument.reference,
            "title_en": instrument.title_en,
            "title_zh": instrument.title_zh,
        },
        "effective_from": listing.effective_from.isoformat(),
        "effective_to": listing.effective_to.isoformat() if listing.effective_to else None,
        "scope": listing.scope,
    }


def _read(text: Any) -> _Item:
    """Decide what the input is and, for structures, parse and key it. Never raises."""
    if not isinstance(text, str):
        return _Item(CheckResult(str(text), "empty", INVALID, _("an item must be a string")))
    stripped = text.strip()
    result = CheckResult(text, "empty")
    if not stripped:
        result.status, result.reason = INVALID, _("empty input")
        return _Item(result)
    if len(stripped) > chemistry.MAX_MOLBLOCK_CHARS or (
        len(stripped) > chemistry.MAX_INPUT_CHARS and not chemistry.is_molblock(stripped)
    ):
        result.detected_as = "smiles"
        result.status = INVALID
        result.reason = _("input too long: %(n)s characters") % {"n": len(stripped)}
        return _Item(result)
    if chemistry.is_molblock(text):
        result.detected_as = "molfile"
        return _parse(result, text)
    if chemistry.is_inchikey(stripped):
        result.detected_as = "inchikey"
        return _Item(result, keys=(stripped, stripped, stripped.split("-")[0]))
    if CAS_RE.match(stripped) or (stripped.isdigit() and normalize_cas(stripped)):
        result.detected_as = "cas"
        cas = normalize_cas(stripped)
        if cas_check_digit(cas) != int(cas[-1]):
            result.status = INVALID
            result.reason = _(
                "%(cas)s is not a valid CAS number: the check digit should be %(digit)s"
            ) % {"cas": cas, "digit": cas_check_digit(cas)}
        return _Item(result)
    result.detected_as = "name"
    if not _STRUCTURE_CHARS.match(stripped):
        return _Item(result)
    parsed = _parse(CheckResult(text, "smiles"), stripped)
    if parsed.result.status == INVALID:
        # Not a structure after all: keep it as a name, and say why if the name is unknown.
        result.reason = parsed.result.reason
        return _Item(result)
    if stripped.isalpha():
        # A bare word such as "CBN" is both a name and a valid SMILES: the name is looked up
        # first, and the structure is the fallback.
        result.structure = parsed.result.structure
        return _Item(result, mol=parsed.mol, raw=parsed.raw)
    return parsed


def _unread(text: Any) -> _Item:
    """An item the check had no time left to read."""
    reason = _("not examined: the check's time budget was spent; send fewer items at a time")
    return _Item(CheckResult(str(text), "empty", UNKNOWN, reason), examined=False)


def _parse(result: CheckResult, text: str) -> _Item:
    try:
        raw = chemistry.parse_structure(text)
        mol = chemistry.standardize(raw)
        structure = chemistry.canonical_smiles(mol)
    except chemistry.ChemistryError as exc:
        result.status, result.reason = INVALID, exc.reason
        return _Item(result)
    result.structure = structure
    return _Item(result, mol=mol, raw=raw)


def _key_structures(items: list[_Item]) -> None:
    """InChIKeys for the structures that could be a registry substance.

    InChI is the costliest step of a check, and only a structure whose parent has the formula
    and the graph key of some registry substance's parent can be that substance, a salt, a
    stereoisomer or a tautomer of it; the others (most compounds screened) need no key.
    """
    formulas, graphs = _registry_gates()
    for item in items:
        if item.mol is None or item.keys != ("", "", "") or item.result.status == INVALID:
            continue
        if chemistry.formula(item.mol) not in formulas:
            continue
        if chemistry.graph_key(item.mol) not in graphs:
            continue
        parent = chemistry.inchikey(item.mol)
        # Most inputs are their own parent; only a salt or a charged form needs a second key.
        same = item.raw is None or chemistry.canonical_smiles(item.raw) == item.result.structure
        exact = parent if same else chemistry.inchikey(item.raw)
        item.keys = (exact, parent, parent.split("-")[0] if parent else "")


_GATES: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def _registry_gates() -> tuple[frozenset[str], frozenset[str]]:
    """The formulas and graph keys of the registry substances' parents.

    Recomputed when the registry changes (the feed's head moves).
    """
    version = Change.objects.version()
    if version not in _GATES:
        formulas, graphs = set(), set()
        for smiles in Substance.objects.exclude(smiles="").values_list("smiles", flat=True):
            try:
                parent = chemistry.standardize(smiles)
            except chemistry.ChemistryError:
                continue
            formulas.add(chemistry.formula(parent))
            graphs.add(chemistry.graph_key(parent))
        _GATES.clear()
        _GATES[version] = (frozenset(formulas), frozenset(graphs))
    return _GATES[version]


def _resolve(items: list[_Item]) -> None:
    """Find the registry substance of each item, in a few queries for the whole batch."""
    names = {search_key(i.result.input) for i in items if i.result.detected_as == "name"}
    names.discard("")
    cas_numbers = {
        normalize_cas(i.result.input)
        for i in items
        if i.result.detected_as == "cas" and i.result.status != INVALID
    }
    keys = [i.keys for i in items if any(i.keys)]
    exact = {k[0] for k in keys if k[0]}
    parents = {k[1] for k in keys if k[1]}
    skeletons = {k[2] for k in keys if k[2]}

    condition = Q(pk__in=[])
    if names:
        named = Name.objects.filter(search_key__in=names).values("substance_id")
        condition |= Q(search_key_en__in=names) | Q(search_key_zh__in=names) | Q(pk__in=named)
    if cas_numbers:
        condition |= Q(cas__in=cas_numbers)
    if exact:
        condition |= Q(inchikey__in=exact)
    if parents:
        condition |= Q(parent_key__in=parents)
    if skeletons:
        condition |= Q(skeleton_key__in=skeletons)
    candidates = list(
        Substance.objects.filter(condition).select_related("parent").prefetch_related("names")
    )

    by_name: dict[str, Substance] = {}
    by_cas: dict[str, Substance] = {}
    by_exact: dict[str, Substance] = {}
    by_parent: dict[str, Substance] = {}
    by_skeleton: dict[str, Substance] = {}
    # Prefer the entry that is itself the parent (fentanyl over one of its salts entered apart).
    for s in sorted(candidates, key=lambda s: (s.parent_id is not None, s.pk)):
        for key in (s.search_key_en, s.search_key_zh, *(n.search_key for n in s.names.all())):
            if key in names:
                by_name.setdefault(key, s)
        if s.cas:
            by_cas.setdefault(s.cas, s)
        if s.inchikey:
            by_exact.setdefault(s.inchikey, s)
        if s.parent_key:
            by_parent.setdefault(s.parent_key, s)
        if s.skeleton_key:
            by_skeleton.setdefault(s.skeleton_key, s)

    tables = {
        "name": by_name,
        "cas": by_cas,
        "structure": by_exact,
        "salt": by_parent,
        "stereoisomer": by_skeleton,
    }
    for item in items:
        r = item.result
        if r.status == INVALID or not item.examined:
            continue
        found, how = _find(item, tables)
        if found is not None:
            r.reason = ""  # a known name that merely failed to parse as SMILES
        r.substance, r.matched_by = found, how if found else ""
        if found is not None and item.mol is None and found.smiles:
            # A name or number that resolved to a substance with a structure: test the
            # structure against the classes too.
            try:
                item.mol = chemistry.standardize(found.smiles)
                r.structure = chemistry.canonical_smiles(item.mol)
            except chemistry.ChemistryError:
                item.mol = None


def _find(item: _Item, tables: dict[str, dict[str, Substance]]) -> tuple[Substance | None, str]:
    """The substance an input stands for, and how it was recognized."""
    r = item.result
    if r.detected_as == "name":
        found = tables["name"].get(search_key(r.input))
        if found is not None or item.mol is None:
            return found, "name"
        r.detected_as = "smiles"  # an unknown bare word that is also a valid SMILES
    if r.detected_as == "cas":
        return tables["cas"].get(normalize_cas(r.input)), "cas"
    exact, parent, skeleton = item.keys
    if r.detected_as == "inchikey":
        found = tables["structure"].get(exact) or tables["salt"].get(exact)
        if found is not None:
            return found, "inchikey"
        return tables["stereoisomer"].get(skeleton), "stereoisomer"
    for how, key in (("structure", exact), ("salt", parent), ("stereoisomer", skeleton)):
        if key and key in tables[how]:
            return tables[how][key], how
    return None, ""


def _listings_in_force(
    on: datetime.date, jurisdiction: str | None, substance_ids: Sequence[int] | None = None
) -> tuple[dict[int, list[Listing]], dict[int, list[Listing]]]:
    listings = (
        Listing.objects.in_force(on=on)
        .select_related("schedule__jurisdiction", "listed_by")
        .order_by("schedule__sort_order", "effective_from")
    )
    if jurisdiction:
        listings = listings.in_jurisdiction(jurisdiction)
    named = listings.filter(substance__isnull=False)
    if substance_ids is not None:
        # Only the named listings of the substances asked about: with a hundred thousand
        # substances listed, reading them all costs seconds. Asked apart from the class
        # listings, so that each read follows its own index (an OR of the two scans them all).
        named = named.filter(substance_id__in=substance_ids)
    by_substance: dict[int, list[Listing]] = defaultdict(list)
    by_class: dict[int, list[Listing]] = defaultdict(list)
    for listing in named:
        by_substance[listing.substance_id].append(listing)
    # Both "has a class" and "among the classes": PostgreSQL needs the first to take the class
    # listings' own (partial) index, SQLite the second when it has no statistics for it yet;
    # with either alone, the other scans the listings in force (130 ms at a million).
    class_listings = listings.filter(
        substance_class__isnull=False, substance_class__in=SubstanceClass.objects.values("pk")
    )
    for listing in class_listings:
        by_class[listing.substance_class_id].append(listing)
    return by_substance, by_class


def _classes_in_force(class_listings: dict[int, list[Listing]]):
    classes = SubstanceClass.objects.filter(pk__in=class_listings).prefetch_related("rules")
    compiled = []
    for cls in classes.order_by("uid"):
        specs = [
            matching.RuleSpec(r.label, r.kind, r.smarts, r.explanation) for r in cls.rules.all()
        ]
        try:
            compiled.append((cls, matching.compile_class(cls.uid, specs)))
        except chemistry.ChemistryError:
            continue  # a broken rule is refused on save; a stored one is skipped, not fatal
    return compiled


def check_items(
    items: Sequence[Any],
    *,
    on: datetime.date | None = None,
    jurisdiction: str | None = None,
    time_budget: float | None = None,
) -> list[CheckResult]:
    """The verdict on each input, in input order. See the module docstring.

    ``time_budget`` replaces `REQUEST_TIME_BUDGET_SECONDS` for the whole call: a check job,
    which no client waits on, passes infinity and keeps only the per-item budget.
    """
    on = on or timezone.localdate()
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} items per check")
    budget = REQUEST_TIME_BUDGET_SECONDS if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    read = [_read(text) if time.monotonic() < deadline else _unread(text) for text in items]
    _key_structures(read)
    _resolve(read)
    wanted = {
        pk
        for item in read
        if item.result.substance is not None
        for pk in (item.result.substance.pk, item.result.substance.parent_id)
        if pk
    }
    substance_listings, class_listings = _listings_in_force(on, jurisdiction, sorted(wanted))
    classes = _classes_in_force(class_listings)
    for item in read:
        r = item.result
        if r.status == INVALID or not item.examined:
            continue
        subject = r.substance
        if subject is not None:
            # A salt or isomer entered on its own also falls under its parent's listings.
            ids = [subject.pk] + ([subject.parent_id] if subject.parent_id else [])
            for pk in ids:
                for listing in substance_listings.get(pk, ()):
                    basis = {
                        "basis": "listing",
                        "matched_by": r.matched_by,
                        **_listing_basis(listing),
                    }
                    if pk != subject.pk:
                        basis["via_parent"] = subject.parent.uid
                    r.matches.append(basis)
        rules_failed = unfinished = False
        if item.mol is not None and classes:
            try:
                found = matching.match_classes(
                    item.mol,
                    [c for _, c in classes],
                    deadline=min(deadline, time.monotonic() + ITEM_TIME_BUDGET_SECONDS),
                )
            except chemistry.MatchTimeout as exc:
                r.reason = _("the class rules could not all be applied in time: %(reason)s") % {
                    "reason": exc.reason
                }
                rules_failed = unfinished = True
                found = []
            except chemistry.ChemistryError as exc:
                r.reason = _("class rules could not be applied: %(reason)s") % {
                    "reason": exc.reason
                }
                rules_failed, found = True, []
            by_uid = {cls.uid: cls for cls, _ in classes}
            for match in found:
                cls = by_uid[match.class_uid]
                for listing in class_listings[cls.pk]:
                    r.matches.append(
                        {
                            "basis": "class",
                            "class": {
                                "uid": cls.uid,
                                "name_en": cls.name_en,
                                "name_zh": cls.name_zh,
                            },
                            "rule": match.rule_label,
                            "explanation": match.explanation,
                            "atoms": list(match.atoms),
                            **_listing_basis(listing),
                        }
                    )
        if r.matches:
            r.status, r.reason = CONTROLLED, r.reason if rules_failed else ""
        elif unfinished:
            r.status = UNKNOWN  # no class can be ruled out
        elif subject is not None or item.mol is not None:
            r.status = NOT_CONTROLLED
            if not r.reason and jurisdiction:
                r.reason = _("no listing or class in force on %(date)s in %(jurisdiction)s") % {
                    "date": on.isoformat(),
                    "jurisdiction": jurisdiction.upper(),
                }
            elif not r.reason:
                r.reason = _("no listing or class in force on %(date)s") % {"date": on.isoformat()}
        else:
            r.status = UNKNOWN
            unknown = {
                "cas": _("the registry does not know this CAS number and has no structure to test"),
                "inchikey": _(
                    "the registry does not know this InChIKey and has no structure to test"
                ),
            }.get(
                r.detected_as,
                _("the registry does not know this name and has no structure to test"),
            )
            if r.reason:
                unknown = _("%(unknown)s (not a structure either: %(reason)s)") % {
                    "unknown": unknown,
                    "reason": r.reason,
                }
            r.reason = unknown
    return [item.result for item in read]
