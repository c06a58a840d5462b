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

A verdict carries what a face needs to show it: the standardized parent and the atoms of its
first class match (`CheckResult.drawing`), so no face matches the rules again. The same rules
answer the reverse question, which registry substances a class covers (`class_members`).
"""

import contextvars
import dataclasses
import datetime
import functools
import hashlib
import os
import re
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import analogues
from registry import jurisdictions as per_jurisdiction
from registry.cache import KEPT_AHEAD_SECONDS, derived
from registry.coverage import (
    ALIKE_PREPARATION,
    COMPOUND_ENTRY,
    COMPOUND_PREPARATION,
    PREPARATION_INGREDIENT,
    SINGLE_INGREDIENT,
    RelationGraph,
    Route,
    Step,
    conditional_words,
    coverage_words,
    record_name,
)
from registry.history import mark_runs
from registry.models import (
    Change,
    Instrument,
    Jurisdiction,
    Listing,
    Schedule,
    chinese_language,
    citation,
)
from registry.verdicts import (
    AnalogueRef,
    Basis,
    ClassBasis,
    ClassRef,
    Component,
    ListingBasis,
    ListingRef,
    RouteRef,
    RouteStep,
    ScheduleRef,
    SubstanceRef,
    described,
    handed_over,
    is_conditional,
    to_json,
)
from substances import chemistry, matching
from substances.models import Name, Relation, Substance, SubstanceClass
from substances.normalize import INVISIBLE_RE, normalize_cas, salt_free_key, search_key
from substances.querysets import class_names_matching
from substances.search import inn_spellings
from substances.validators import CAS_RE, cas_check_digit

MAX_ITEMS = 1000
# Names offered for a name the registry does not know (`CheckResult.close_names`): so many for
# each, for so many unknown names of one call (a search each, a few milliseconds), and none
# for a key shorter than this (one or two letters begin too many names to help).
CLOSE_NAMES = 5
CLOSE_NAMES_ITEMS = 20
CLOSE_NAMES_MIN_CHARS = 3

REQUEST_TIME_BUDGET_SECONDS = 8.0
"""Time one check may spend on its items, reading included: well inside a worker's timeout."""
ITEM_TIME_BUDGET_SECONDS = 0.5
"""Time the class rules may take on one structure (real compounds take milliseconds)."""

# One token of the characters SMILES is written with; anything else is read as a name.
# A SMILES, with CXSMILES extensions after a space ("... |&1:20,26|", a relative configuration).
_STRUCTURE_CHARS = re.compile(r"^[A-Za-z0-9@+\-\[\]()=#$:/\\.%*]+(?:[ \t]+\|[^|\n]*\|)?$")

CONTROLLED = "controlled"
NOT_CONTROLLED = "not_controlled"
UNKNOWN = "unknown"
INVALID = "invalid"
UNCERTAIN = "uncertain"
"""A listing reaches the compound, but the date asked about falls in the window in which the act
that started or ended it took effect, and the day is not known (only the year or month, or a
not-before or not-after bound): the reason says which act and what is known of its date."""


def _substance_ref(result: "CheckResult") -> SubstanceRef | None:
    if result.substance is None:
        return None
    return SubstanceRef.of(result.substance, result.matched_by)


STATUSES = (CONTROLLED, NOT_CONTROLLED, UNCERTAIN, UNKNOWN, INVALID)


@dataclass
class CheckResult:
    """The verdict on one input: whether it is controlled on the date asked about, and on what
    bases (`matches`: one typed value per basis, see `registry.verdicts`).

    `structure` is the standardized parent the class rules were applied to, as SMILES, so that
    a class match's `atoms` can be highlighted on it. `components` lists the parts of a
    structure of several parts (a salt, a solvate, a mixture): each is judged on its own unless
    it is a known counter-ion or solvent (reported, not judged), and each match of a component
    names it (`component`). Serialized by `registry.verdicts.to_json`, which every face uses.
    """

    input: str = described("The input as given.")
    detected_as: str = described(
        "How the input was read.",
        enum=("name", "cas", "inchikey", "smiles", "molfile", "empty"),
    )
    status: str = described(
        "The verdict. `uncertain`: a listing reaches the compound but the date asked about falls "
        "in the window of an act whose day is not known; `unknown`: the input could not be "
        "judged (not found and no structure, or rules that could not be applied in time); "
        "`invalid`: the input could not be read.",
        default=UNKNOWN,
        enum=STATUSES,
    )
    reason: str = described(
        "Why, when the status needs a reason (empty for a plain verdict).", default=""
    )
    substance: Substance | None = described(
        "The registry substance the input resolved to, and how (null when none).",
        default=None,
        schema=SubstanceRef | None,
        convert=_substance_ref,
    )
    # How the input resolved to `substance`: structure (the same compound), salt (same parent
    # after removing counter-ions), stereoisomer (same constitution), name, cas or inchikey.
    matched_by: str = described("(in `substance`)", default="", serialize=False)
    structure: str = described(
        "The standardized parent the class rules were applied to, as SMILES (empty without a "
        "structure).",
        default="",
    )
    matches: list[Basis] = described(
        "Every basis of control: a named listing or a whole-class listing, each with its "
        "listing; a basis whose act's day is not known carries `date_uncertain`.",
        default_factory=list,
    )
    components: list[Component] = described(
        "For a structure drawn in several parts: each part, its role and its verdict.",
        default_factory=list,
    )
    since: dict[str, str] = described(
        "Per jurisdiction code: the first day (YYYY-MM-DD) of the unbroken control that "
        "includes the date asked about, across reschedulings, reorganisations and class "
        "controls (each basis keeps its own listing's start).",
        default_factory=dict,
    )
    since_at_latest: tuple[str, ...] = described(
        "The codes whose `since` is the day by which an act had listed it at the latest (an act "
        "not identified, known from a document of that day, or one whose day is not known "
        "precisely): control may have begun earlier.",
        default=(),
        omit_empty=True,
    )
    unrecorded: tuple[str, ...] = described(
        "The codes of the jurisdictions asked about whose lists the registry holds only from a "
        "day after the date asked about (their `records_from`), and in which no listing it holds "
        "answers: the verdict there is `unknown`, since the earlier law is not recorded.",
        default=(),
        omit_empty=True,
    )
    unjudged: tuple[str, ...] = described(
        "The codes of the jurisdictions asked about where the check could not finish judging the "
        "input (its class rules could not all be applied, in time or at all, or the check's time "
        "ran out before its esters, ethers and isomers were looked for) and no basis answers: "
        "the verdict there is `unknown`, with the reason in `reasons`.",
        default=(),
        omit_empty=True,
    )
    preparation_open: tuple[str, ...] = described(
        "The codes of the jurisdictions where the input is a preparation the registry does not "
        "record as controlled there, though an ingredient of it is controlled there: the "
        "verdict there is `uncertain` (a preparation is not its ingredient, and whether that "
        "law reaches this preparation is not recorded).",
        default=(),
        omit_empty=True,
    )
    members_open: dict[str, tuple[str, ...]] = described(
        "For an entry for a group (a record others are recorded as members of): per "
        "jurisdiction code where no listing answers for the entry itself, but the lists there "
        "control some of its members, or may: the codes of those members' lists. The verdict "
        "there is `uncertain` (which member is meant decides), and `reasons` names the members.",
        default_factory=dict,
        omit_empty=True,
    )
    not_compared: dict[str, tuple[str, ...]] = described(
        "For a structure that is no registry record (nor a salt of one): per jurisdiction code "
        "where no basis reaches it, the uids of the entries listed there on the day that no "
        "structure is compared with (a compound the registry holds no structure for, such as a "
        "new entry whose structure no source read confirms, or an element with no one "
        "drawing): `not_controlled` there holds as far as the registry's structures reach; "
        "`reasons` says so in words.",
        default_factory=dict,
        omit_empty=True,
    )
    close_names: list[dict[str, str]] = described(
        "For a name the registry does not know (`unknown`), when the check is asked for "
        f"suggestions (the site, the API): up to {CLOSE_NAMES} records whose names begin with "
        "it, contain it or are spelled like it, best first, then the classes whose names "
        "contain it, each as `kind` (`substance` or `class`), `uid`, `name` (the name found), "
        "`name_en` and `name_zh`. Offered, not matched: the verdict stays `unknown` (a "
        "misspelling is not a name of the record; esketamine is not ketamine; a class is "
        "checked by structure, not by its name).",
        default_factory=list,
        omit_empty=True,
    )
    analogue_of: dict[str, AnalogueRef] = described(
        "For a structure the registry holds no record of, per jurisdiction code where no list "
        "reaches it, and the jurisdiction has a law "
        "that treats a substance close to a listed one as listed (the US Federal Analogue Act, "
        "21 U.S.C. 813): the listed substance its structure is closest to, where it is close. "
        "Told, never judged: the verdict there stays what the lists make it (`not_controlled`), "
        "and the reason there says the law; whether the "
        "substance is an analogue in the law's sense (substantially similar in structure and "
        "effect, intended for human consumption) is for a court.",
        default_factory=dict,
        omit_empty=True,
    )
    reasons: dict[str, str] = described(
        "Per jurisdiction code where nothing answers for the input with certainty: why it is "
        "not controlled there though a listing there bears on it (a listing that reaches it "
        "through something it contains, a form of it or a group it belongs to, but does not "
        "cover it, as when the list does not cover materials; an ingredient's entry that covers "
        "only single-ingredient preparations; a class listed there whose rules take the "
        "structure in and one of whose exclusions takes it out again; a listed substance its "
        "structure is close to, under an analogue law: `analogue_of`), or why its answer there "
        "is `uncertain`: a "
        "preparation's (`preparation_open`), or one reached only by bases in doubt there (an act "
        "whose day is not known precisely, a class's condition a structure cannot show, a form "
        "or identity in doubt).",
        default_factory=dict,
        omit_empty=True,
    )
    # The standardized parent itself (`structure` is its SMILES), and the atoms of it that the
    # first class match covers: what a drawing of the verdict highlights.
    parent: Any = described("", default=None, repr=False, compare=False, serialize=False)
    highlight: tuple[int, ...] = described("", default=(), serialize=False)
    # True when time ran out on it: the class rules ran past the item's budget on it (or on a
    # part of it), or the check's time was spent before it was read or before its esters or
    # isomers were looked for; the verdict may be weaker than more time would give. A caller
    # that no one waits on may look again with more time (registry.jobs.screen).
    out_of_time: bool = described("", default=False, serialize=False)

    def drawing(self, *, width: int = 340, height: int = 250) -> str:
        """The checked structure as an SVG drawing, the atoms of its first class match
        highlighted; "" when there is no structure or it cannot be drawn."""
        if not self.structure:
            return ""
        try:
            return chemistry.depict_svg(
                self.parent if self.parent is not None else self.structure,
                self.highlight if self.parent is not None else (),
                width=width,
                height=height,
            )
        except chemistry.ChemistryError:
            return ""

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON (`registry.verdicts.to_json`)."""
        return to_json(self)


@dataclass
class _Item:
    result: CheckResult
    mol: Any = None  # the standardized parent, when there is a structure
    raw: Any = None  # the structure as given
    keys: tuple[str, str, str] = ("", "", "")  # exact InChIKey, parent key, skeleton key
    # For an isotope-labelled structure: the InChIKey of its parent without the labels.
    unlabelled: str = ""
    # An InChIKey no record has: it names one of the records sharing its first block, or
    # another stereoisomer or labelled form of them, which one is not known.
    key_only: bool = False
    examined: bool = True  # False when the check's time ran out before it was read
    cut_short: bool = False  # True when it ran out before its esters or isomers were looked for
    whole: "_Item | None" = None  # for a component of a structure of several: the input
    reaching: list[Listing] = field(default_factory=list)  # every listing that ever reached it
    # Every record the input matched, with how and what a listing must cover to reach it
    # (salts for a salt match, stereoisomers for an isomer): all are weighed, none hides another.
    candidates: list[tuple[Substance, str, frozenset[str]]] = field(default_factory=list)
    # The candidates (pks) reached only in a reading that is not settled, and which: by
    # cutting an acetal carbon's bond (a glycoside, `chemistry.ACETALS`), an ether of the
    # record to a chemist; or an enol's ester or ether (`chemistry.ENOLS`), one of a tautomer.
    unsettled_of: dict[int, str] = field(default_factory=dict)
    # The candidates (pks) it may be a positional isomer of (see `_positional_isomers`), and the
    # jurisdictions where its own record has an entry, which no such reading overrides.
    isomer_of: set[int] = field(default_factory=set)
    positional_governed: set[int] = field(default_factory=set)
    # The codes of the jurisdictions where the input is a record with an entry of its own on
    # the day (in force or in doubt): a whole drawn in parts is governed there by that entry,
    # not by its parts' (see `_merge_components`).
    own_entries: set[str] = field(default_factory=set)


def _named_basis(
    route: Route, listing: Listing, doubt: str = "", *, covered: bool = True, certain: bool = False
) -> ListingBasis:
    """The basis of a named listing reaching the input by `route`. A `certain` one says since
    when the list has held the input without a break (`_run_from`); one in doubt, since when
    its entry has been in force."""
    return ListingBasis(
        matched_by=route.matched_by,
        substance=route.record.uid,
        route=RouteRef.of(route),
        explanation=route.explanation(covered=covered, listing=listing),
        listed=ListingRef.of(
            listing, run_from=_run_from(route, listing) if certain else listing.effective_from
        ),
        date_uncertain=doubt,
    )


def _run_from(route: Route, listing: Listing) -> datetime.date:
    """The first day of the run on its list (`Listing.run_before`, see
    `registry.history.mark_runs`) of the entries that each reached the input by `route` without
    a condition: testosterone has been on US schedule III since 1991-02-27, but an ester of it
    only since 2005-01-20, the 1990 definition reaching esters "if [they promote] muscle
    growth"."""
    start = listing
    while (before := start.run_before) is not None and route.reaches(before):
        start = before
    return start.effective_from


def _date_doubt(listing: Listing, on: datetime.date) -> str:
    """Why it is not known whether `listing` was in force on `on` ("" when it is known): the
    day falls in the window of an act whose date of entry into force is imprecise."""
    doubts = []
    for instrument, day in (
        (listing.listed_by, listing.effective_from),
        (listing.ended_by, listing.effective_to),
    ):
        if instrument is None or day is None or day != instrument.effective_on:
            continue  # an item date the act states, or no act: the day is the listing's own
        if not instrument.uncertain_on(on):
            continue
        act = citation(instrument.reference, instrument.title_en, instrument.title_zh)
        if instrument.evidence and instrument.effective_bound:
            doubts.append(
                _(
                    "the act that listed it is not identified: %(act)s shows it listed on "
                    "%(on)s, and it may have been from %(bound)s"
                )
                % {"act": act, "on": instrument.effective_on, "bound": instrument.effective_bound}
            )
        elif instrument.evidence:
            doubts.append(
                _(
                    "the act that listed it is not identified: %(act)s shows it listed on "
                    "%(on)s, since a day not known"
                )
                % {"act": act, "on": instrument.effective_on}
            )
        else:
            doubts.append(
                _("%(act)s took effect %(when)s")
                % {"act": act, "when": instrument.precision_text()}
            )
    doubts.extend(_expiry_doubt(listing, on))
    if not doubts:
        return ""
    ended = listing.effective_to is not None and listing.effective_to <= on
    if ended and not (listing.ended_by and listing.ended_by.uncertain_on(on)):
        return ""
    return _("; ").join(doubts)


def _expiry_doubt(listing: Listing, on: datetime.date) -> list[str]:
    """Why a listing made by a temporary order may not be in force on `on`: the order ran out
    and what continued it, if anything, is not recorded, until a later act or document shows it
    in force (`Listing.lapse`)."""
    lapse = listing.lapse()
    if lapse is None:
        return []
    until, shown = lapse
    if on < until or (shown is not None and on >= shown):
        return []
    if shown is None:
        return [
            _(
                "the temporary order that listed it ran until %(until)s, and no act continuing "
                "it is recorded"
            )
            % {"until": until.isoformat()}
        ]
    return [
        _(
            "the temporary order that listed it ran until %(until)s; no act continuing it is "
            "recorded before %(shown)s, when it is shown in force again"
        )
        % {"until": until.isoformat(), "shown": shown.isoformat()}
    ]


# A CAS number as typed: digits of any script, alone or in the three groups of a CAS number
# (2-7, 2, 1) parted by a space or a dash of any kind. Not any run of digits and dashes: an EC
# number (289-812-6) or a date (2024-01-15) is no CAS number written another way.
_CAS_SEPARATOR = r"[\s\-‐‑‒–—―−－]"
_CAS_SHAPED = re.compile(rf"\d+|\d{{2,8}}{_CAS_SEPARATOR}\d{{2}}{_CAS_SEPARATOR}\d")


def _read(text: Any) -> _Item:
    """Decide what the input is and, for structures, parse and key it. Never raises."""
    if not isinstance(text, str):
        return _Item(CheckResult(str(text), "empty", INVALID, _("an item must be a string")))
    stripped = INVISIBLE_RE.sub("", text).strip()
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
        return _parse(result, INVISIBLE_RE.sub("", text))
    # An InChIKey typed in lower case or full-width letters is still the key; so is a CAS
    # number with full-width digits, dashes of any kind or spaces ("４３７－３８－７", "437 38 7"),
    # as the search box and the API's cas filter read them.
    folded = unicodedata.normalize("NFKC", stripped).upper()
    if chemistry.is_inchikey(folded):
        result.detected_as = "inchikey"
        return _Item(result, keys=(folded, folded, folded.split("-")[0]))
    if CAS_RE.match(stripped) or (_CAS_SHAPED.fullmatch(stripped) and normalize_cas(stripped)):
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
    if stripped.isalpha() and not chemistry.looks_like_smiles(stripped):
        # "CBN" is cannabinol's abbreviation as well as a boron SMILES: a bare word with an
        # atom outside the organic subset is a name only, as in the search box.
        return _Item(result)
    parsed = _parse(CheckResult(text, "smiles"), stripped)
    if parsed.result.status == INVALID:
        # Not a structure after all: keep it as a name, and say why if the name is unknown.
        result.reason = parsed.result.reason
        return _Item(result)
    if stripped.isalpha():
        # A bare word such as "CBN" is both a name and a valid SMILES: the name is looked up
        # first, and the structure is the fallback.
        result.structure, result.parent = parsed.result.structure, parsed.result.parent
        return _Item(result, mol=parsed.mol, raw=parsed.raw)
    return parsed


def _cut_short_reason() -> str:
    return _(
        "not examined in full: the check's time budget was spent before its esters, ethers and "
        "isomers were looked for; send fewer items at a time"
    )


def _time_spent_reason() -> str:
    return _("not examined: the check's time budget was spent; send fewer items at a time")


def _unread(text: Any) -> _Item:
    """An item the check had no time left to read."""
    return _Item(
        CheckResult(str(text), "empty", UNKNOWN, _time_spent_reason(), out_of_time=True),
        examined=False,
    )


def _cut_short(items: list[_Item]) -> None:
    """Items not yet looked at as esters, ethers or isomers when the check's time ran out: they
    are judged on the rest, but not found `not_controlled`, since what was not looked at might
    have controlled them (`unknown`, with the reason). A part's answer is merged into its
    whole's as any part's is."""
    for item in items:
        item.cut_short = True
        item.result.out_of_time = True
        if item.whole is not None:
            item.whole.result.out_of_time = True


def _parse(result: CheckResult, text: str) -> _Item:
    try:
        raw = chemistry.parse_input(text)
        mol = chemistry.standardize(raw)
        structure = chemistry.canonical_smiles(mol)
    except chemistry.ChemistryError as exc:
        result.status, result.reason = INVALID, exc.reason
        return _Item(result)
    result.structure, result.parent = structure, mol
    return _Item(result, mol=mol, raw=raw)


def _key_structures(items: list[_Item]) -> None:
    """InChIKeys for the structures that could be a registry substance.

    InChI is the costliest step of a check, and only a structure whose parent has the formula,
    the graph size and the graph key of some registry substance's parent can be that substance,
    a salt, a stereoisomer or a tautomer of it; the others (most compounds screened) need no
    key. Each gate is cheaper than the next, and a parent that is exactly a registry
    substance's (the same canonical SMILES) has that substance's key without InChI.
    """
    gates = _registry_gates()
    for item in items:
        if item.mol is None or item.keys != ("", "", "") or item.result.status == INVALID:
            continue
        # Read from a molfile, a molecule keeps its coordinates, which InChI reads for its
        # stereo: only a molecule without them is known by its SMILES alone.
        known = None if item.mol.GetNumConformers() else gates.keys.get(item.result.structure)
        if known is None and not gates.admit(item.mol):
            continue
        parent = known or chemistry.inchikey(item.mol)
        # Most inputs are their own parent; only a salt or a charged form needs a second key.
        # (standardize hands back the very molecule it was given when there is nothing to do)
        same = (
            item.raw is None
            or item.raw is item.mol
            or chemistry.canonical_smiles(item.raw) == item.result.structure
        )
        exact = parent if same else chemistry.inchikey(item.raw)
        item.keys = (exact, parent, parent.split("-")[0] if parent else "")
        plain = chemistry.without_isotope_labels(item.mol)
        if plain is not None:
            item.unlabelled = chemistry.inchikey(plain)


@dataclass(frozen=True)
class _Gates:
    """What the registry substances' parents are, for telling quickly which structures may be
    one of them: their formulas, their formulas with their graph sizes, their graph keys, and
    the InChIKey of each parent that is a substance's own structure, by its canonical SMILES."""

    formulas: frozenset[str]
    sizes: frozenset[tuple[str, int]]
    graphs: frozenset[str]
    keys: dict[str, str]
    # The formulas of the parents that hold a hydroxyl group: only such a parent can be what
    # an ester or an ether is of (a cut leaves a hydroxyl where the bond was).
    hydroxylated: frozenset[str] = frozenset()
    # And those that hold a ketone: what an enol ester or ether is of (`chemistry.ENOLS`).
    ketones: frozenset[str] = frozenset()

    def hydrolysable(self, formula: str) -> bool:
        """Whether a part cut from an ester or an ether may be a registry substance's parent."""
        return formula in self.hydroxylated or formula in self.ketones

    def admit(self, mol) -> bool:
        """Whether a standardized structure may be a registry substance's parent, asked from
        the cheapest gate to the dearest (the formula, its graph size, its graph key)."""
        formula = chemistry.formula(mol)
        return (
            formula in self.formulas
            and (formula, chemistry.graph_size(mol)) in self.sizes
            and chemistry.graph_key(mol) in self.graphs
        )


_GATES: dict[str, _Gates] = {}

# The registry's version, read once per call of `check_items` (its steps each key a table by
# it): None outside a call, "" in one until it is read.
_CALL_VERSION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "check_version", default=None
)


def _version() -> str:
    """The registry's version: within `check_items`, read once for the whole call."""
    version = _CALL_VERSION.get()
    if version:
        return version
    read = Change.objects.version()
    if version == "":
        _CALL_VERSION.set(read)
    return read


def _registry_gates() -> _Gates:
    """The gates of the registry as it is now, recomputed when it changes (the feed's head
    moves)."""
    version = _version()
    if version not in _GATES:
        formulas, sizes, graphs, keys, hydroxylated, ketones = set(), set(), set(), {}, set(), set()
        rows = Substance.objects.exclude(smiles="").values_list(
            "smiles", "canonical_smiles", "inchikey", "parent_key"
        )
        for smiles, canonical, own_key, parent_key in rows:
            try:
                raw = chemistry.parse_structure(smiles)
                parent = chemistry.standardize(raw)
            except chemistry.ChemistryError:
                continue
            formula = chemistry.formula(parent)
            formulas.add(formula)
            if chemistry.has_hydroxyl(parent):
                hydroxylated.add(formula)
            if chemistry.has_ketone(parent):
                ketones.add(formula)
            sizes.add((formula, chemistry.graph_size(parent)))
            graphs.add(chemistry.graph_key(parent))
            if parent is raw and canonical and own_key and own_key == parent_key:
                # Its own parent (nothing to standardize): the structure's stored key is the
                # parent's, and its canonical SMILES the parent's.
                keys[canonical] = parent_key
        _GATES.clear()
        _GATES[version] = _Gates(
            frozenset(formulas),
            frozenset(sizes),
            frozenset(graphs),
            keys,
            frozenset(hydroxylated),
            frozenset(ketones),
        )
    return _GATES[version]


_POSITIONAL: dict[str, dict[str, list[tuple[int, tuple, str]]]] = {}
_POSITIONAL_LOCK = threading.Lock()
POSITIONAL_WAIT_SECONDS = 10
"""How long a thread waits for another to work out the positional table before it works it out
itself (the other may be held up by the shared cache)."""


def _new_positional_lock() -> None:
    """A process made by fork (the check jobs' local pool) starts with the lock free: a thread
    of the parent that held it at the fork does not exist in the child, which would otherwise
    wait on it for ever."""
    global _POSITIONAL_LOCK
    _POSITIONAL_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_positional_lock)


@functools.lru_cache(maxsize=4096)
def _worked_out_signature(smiles: str) -> tuple:
    """`chemistry.isomer_signature` of a stored structure, () when it cannot be read."""
    try:
        return chemistry.isomer_signature(chemistry.standardize(smiles))
    except chemistry.ChemistryError:
        return ()


def _signature_key(smiles: str) -> str:
    return f"check:isomer-signature:{hashlib.sha256(smiles.encode()).hexdigest()[:32]}"


def _signatures(structures: Iterable[str]) -> dict[str, tuple]:
    """Per stored structure, its `chemistry.isomer_signature` (() when it cannot be read); see
    `_kept_signatures`."""
    return _kept_signatures(structures)[0]


def _kept_signatures(
    structures: Iterable[str], *, refresh: bool = False
) -> tuple[dict[str, tuple], int]:
    """Per stored structure, its `chemistry.isomer_signature` (() when it cannot be read), and
    how many were not kept yet.

    Kept in the shared cache by structure, which is all it depends on, so it outlives writes:
    once `keep_isomer_signatures` has run (the release step, registry.warming), a substance page
    that asks whether the record is a positional isomer of an entry's (`positional_isomer_of`)
    needs no chemistry. What is not kept yet is worked out and kept."""
    keys = {smiles: _signature_key(smiles) for smiles in set(structures)}
    kept = cache.get_many(list(keys.values())) if keys else {}
    found = {smiles: tuple(kept[key]) for smiles, key in keys.items() if key in kept}
    made = {keys[smiles]: _worked_out_signature(smiles) for smiles in keys.keys() - found.keys()}
    if made or refresh:
        cache.set_many((kept if refresh else {}) | made, KEPT_AHEAD_SECONDS)
    return found | {smiles: made[key] for smiles, key in keys.items() if key in made}, len(made)


def _positional_table(version: str | None = None) -> dict[str, list[tuple[int, tuple, str]]]:
    """The records with an entry that covers positional isomers (21 CFR 1308.11(d): "isomer"
    there includes position isomers), by formula: (pk, `chemistry.isomer_signature`, skeleton
    key). Recomputed when the registry changes (`version`: its token, when the caller has it).

    One thread of a worker works it out while the others wait for it (at most
    `POSITIONAL_WAIT_SECONDS`): eight threads that each read the entries at once, on a worker's
    first substance pages or after a write, held eight times the rows at the same moment, and
    the worker kept that memory."""
    version = version or _version()
    table = _POSITIONAL.get(version)
    if table is None:
        lock = _POSITIONAL_LOCK
        locked = lock.acquire(timeout=POSITIONAL_WAIT_SECONDS)
        try:
            table = _POSITIONAL.get(version)
            if table is None:
                table = _worked_out_positional_table()
                _POSITIONAL.clear()
                _POSITIONAL[version] = table
        finally:
            if locked:
                lock.release()
    return table


def _worked_out_positional_table() -> dict[str, list[tuple[int, tuple, str]]]:
    """`_positional_table` read afresh: only the entries that may cover positional isomers
    (their own coverage said, or their list's says it), and of their records only what the
    table holds."""
    wide = [
        pk
        for pk, coverage in Schedule.objects.values_list("pk", "coverage")
        if "positional_isomers" in Listing.covers_of(None, coverage)
    ]
    rows = (
        Listing.objects.filter(substance__isnull=False)
        .exclude(substance__smiles="")
        .filter(Q(coverage__isnull=False) | Q(schedule__in=wide))
        .values_list(
            "coverage",
            "schedule__coverage",
            "substance_id",
            "substance__smiles",
            "substance__skeleton_key",
        )
    )
    records = {
        pk: (smiles, skeleton)
        for coverage, list_coverage, pk, smiles, skeleton in rows
        if "positional_isomers" in Listing.covers_of(coverage, list_coverage)
    }
    signatures = _signatures(smiles for smiles, _skeleton in records.values())
    table: dict[str, list[tuple[int, tuple, str]]] = defaultdict(list)
    for pk, (smiles, skeleton) in sorted(records.items()):
        if signature := signatures[smiles]:
            table[signature[0]].append((pk, signature, skeleton))
    return dict(table)


def _isomers_among(rows, signature: tuple, skeleton: str, leave_out: set[int]) -> list[int]:
    """The records of `rows` (see `_positional_table`) a structure of this signature may be a
    positional isomer of: the same signature, another constitution."""
    return [
        pk
        for pk, theirs, their_skeleton in rows
        if theirs == signature and their_skeleton != skeleton and pk not in leave_out
    ]


def positional_isomer_of(
    substance: Substance, on: datetime.date, *, version: str | None = None
) -> list[tuple[Listing, Substance]]:
    """The entries in force on `on` that may reach a record as a positional isomer of theirs
    (as the check weighs it: see `_positional_isomers`), with the record each entry names;
    none in a jurisdiction where the record has an entry of its own (the act naming it says
    since when it is controlled). No chemistry unless its formula is one of those entries'."""
    if not substance.smiles:
        return []
    rows = _positional_table(version).get(substance.formula)
    if not rows:
        return []
    signature = _signatures([substance.smiles])[substance.smiles]
    if not signature:
        return []
    pks = _isomers_among(rows, signature, substance.skeleton_key, {substance.pk})
    if not pks:
        return []
    own = set(
        Listing.objects.filter(substance=substance).values_list(
            "schedule__jurisdiction_id", flat=True
        )
    )
    found = (
        Listing.objects.in_force(on=on)
        .filter(substance_id__in=pks)
        .select_related("schedule__jurisdiction", "substance")
        .order_by("schedule__sort_order", "substance__name_en")
    )
    return [
        (listing, listing.substance)
        for listing in found
        if "positional_isomers" in listing.covers and listing.schedule.jurisdiction_id not in own
    ]


_DERIVED = ("stereoisomer", "positional_isomer", "ester", "ether")
"""How an input matches a record that is not itself (`_find`, `_esters_and_ethers`)."""


def _positional_isomers(items: list[_Item], deadline: float = float("inf")) -> None:
    """A structure with the formula, ring systems and functional groups of a record whose entry
    covers positional isomers, but not its constitution, may be one of its positional isomers
    (`chemistry.isomer_signature`). It is added as a candidate (`positional_isomer`, needing
    `positional_isomers`) and marked in `_Item.isomer_of`: the definition asks more than the
    registry reads (no functionality created or destroyed), so such a basis is in doubt."""
    asked = [
        item
        for item in items
        if item.mol is not None and item.examined and item.result.status != INVALID
    ]
    if not asked:
        return
    table = _positional_table()
    if not table:
        return
    wanted: dict[int, list[int]] = {}
    for n, item in enumerate(asked):
        if time.monotonic() > deadline:
            _cut_short(asked[n:])
            break
        try:
            formula = chemistry.formula(item.mol)
            rows = table.get(formula)
            if not rows:
                continue
            signature = chemistry.isomer_signature(item.mol)
        except chemistry.ChemistryError:
            continue
        skeleton = item.keys[2] or chemistry.skeleton_key(item.mol)
        known = {s.pk for s, _how, _needs in item.candidates}
        pks = _isomers_among(rows, signature, skeleton, known)
        if pks:
            wanted[id(item)] = pks
    if not wanted:
        return
    records = Substance.objects.in_bulk({pk for pks in wanted.values() for pk in pks})
    # Where the input is itself a record with an entry of its own in a jurisdiction, the act
    # naming it says since when it is controlled there (3-MMC, "since" mephedrone's permanent
    # control): it is no positional isomer of another entry in that jurisdiction.
    itself = {
        id(item): {s.pk for s, how, _needs in item.candidates if how not in _DERIVED}
        for item in asked
        if id(item) in wanted
    }
    own: dict[int, set[int]] = defaultdict(set)
    for pk, jurisdiction in Listing.objects.filter(
        substance_id__in={pk for pks in itself.values() for pk in pks}
    ).values_list("substance_id", "schedule__jurisdiction_id"):
        own[pk].add(jurisdiction)
    for item in asked:
        item.positional_governed = {j for pk in itself.get(id(item), ()) for j in own.get(pk, ())}
        for pk in wanted.get(id(item), ()):
            item.candidates.append(
                (records[pk], "positional_isomer", frozenset({"positional_isomers"}))
            )
            item.isomer_of.add(pk)
        if item.result.substance is None and item.isomer_of:
            item.result.substance = item.candidates[0][0]
            item.result.matched_by = "positional_isomer"


def _resolve(items: list[_Item], on: datetime.date | None = None) -> None:
    """Find the registry substance of each item, in a few queries for the whole batch.

    A CAS number finds the record that has it as its own or as another number (a racemate's,
    a stereoisomer's, a group member's: names of kind `cas`). A name whose meaning changed is
    resolved by its meaning on `on`: while a dated name is valid, it means only the records
    whose dated names are valid that day.
    """
    on = on or timezone.localdate()
    names = {search_key(i.result.input) for i in items if i.result.detected_as == "name"}
    # A salt's name ("ketamine hydrochloride", 盐酸氯胺酮) also finds its parent's record, and a
    # name spelled the English way its INN spelling's (dexamphetamine, dexamfetamine).
    names |= {salt_free_key(i.result.input) for i in items if i.result.detected_as == "name"}
    names |= {
        spelled
        for i in items
        if i.result.detected_as == "name"
        for spelled in inn_spellings(search_key(i.result.input))
    }
    names.discard("")
    cas_numbers = {
        normalize_cas(i.result.input)
        for i in items
        if i.result.detected_as == "cas" and i.result.status != INVALID
    }
    keys = [i.keys for i in items if any(i.keys)]
    unlabelled = {i.unlabelled for i in items if i.unlabelled}
    exact = {k[0] for k in keys if k[0]} | unlabelled
    parents = {k[1] for k in keys if k[1]} | unlabelled
    skeletons = {k[2] for k in keys if k[2]}

    condition = textual = Q(pk__in=[])
    if names:
        textual |= Q(pk__in=Substance.objects.named(names).values("pk"))
    if cas_numbers:
        textual |= Q(pk__in=Substance.objects.with_cas(*cas_numbers).values("pk"))
    if names or cas_numbers:
        # With the records found by name or number, every record of the same compound (a
        # duplicate, a salt entered apart): an unlisted one must not hide a listed one.
        same = Substance.objects.filter(textual).exclude(parent_key="").values("parent_key")
        condition |= textual | Q(parent_key__in=same)
    if exact:
        condition |= Q(inchikey__in=exact)
    if parents:
        condition |= Q(parent_key__in=parents)
    if skeletons:
        condition |= Q(skeleton_key__in=skeletons)
    candidates = Substance.objects.filter(condition).annotate(
        has_listing=Exists(Listing.objects.filter(substance=OuterRef("pk")))
    )
    # The other names (CAS numbers, dated names) serve only the names and numbers asked about:
    # a batch of structures does without them.
    textual_inputs = bool(names or cas_numbers)
    candidates = list(candidates.prefetch_related("names") if textual_inputs else candidates)

    tables: dict[str, dict[str, list[Substance]]] = {
        how: defaultdict(list) for how in ("name", "cas", "structure", "salt", "stereoisomer")
    }
    dated: dict[str, set[int]] = defaultdict(set)  # key -> records whose dated name is valid
    for s in sorted(candidates, key=lambda s: s.pk):
        keys = {s.search_key_en, s.search_key_zh}
        for n in s.names.all() if textual_inputs else ():
            if n.kind == Name.Kind.CAS:
                tables["cas"][n.name].append(s)
            if n.valid_from is None and n.valid_to is None:
                keys.add(n.search_key)
            elif n.valid_on(on):
                keys.add(n.search_key)
                dated[n.search_key].add(s.pk)
        for key in keys:
            if key in names:
                tables["name"][key].append(s)
        if s.cas:
            tables["cas"][s.cas].append(s)
        if s.inchikey:
            tables["structure"][s.inchikey].append(s)
        if s.parent_key:
            tables["salt"][s.parent_key].append(s)
        if s.skeleton_key:
            tables["stereoisomer"][s.skeleton_key].append(s)
    for key, pks in dated.items():
        if key in tables["name"]:
            tables["name"][key] = [s for s in tables["name"][key] if s.pk in pks]

    for item in items:
        r = item.result
        if r.status == INVALID or not item.examined:
            continue
        item.candidates = _find(item, tables)
        found = item.candidates[0][0] if item.candidates else None
        if found is not None:
            r.reason = ""  # a known name that merely failed to parse as SMILES
        r.substance, r.matched_by = found, item.candidates[0][1] if found else ""
        if found is not None and item.mol is None and found.smiles:
            # A name or number that resolved to a substance with a structure: test the
            # structure against the classes too.
            try:
                item.mol = chemistry.standardize(found.smiles)
                r.structure = chemistry.canonical_smiles(item.mol)
            except chemistry.ChemistryError:
                item.mol = None


def _esters_and_ethers(items: list[_Item], deadline: float = float("inf")) -> None:
    """A structure that is no record (nor a salt or isomer of one) may be an ester or an ether
    of one: a list that covers esters and ethers (the 1961 Convention's Schedule I, China's
    narcotic drugs, the US opiates) reaches it through that record, as far as it covers them.

    Only a compound the registry does not hold is read so: one it holds is governed by its own
    entries, as the 1961 Convention has it ("the esters and ethers, unless appearing in another
    Schedule": codeine, an ether of morphine, is in Schedule II by name, not in Schedule I as an
    ether). The parents come from `chemistry.hydrolysis_parents`; only those passing the same
    gates as an input (`_Gates`) are keyed and looked up, in one query for the batch, within
    the check's time (`deadline`).
    """
    asked = [
        item
        for item in items
        if item.mol is not None
        and item.examined
        and not item.candidates
        and item.result.status != INVALID
        and item.result.detected_as in ("smiles", "molfile")
    ]
    if not asked:
        return
    gates = _registry_gates()
    # Per item: what it needs covered, the parent's keys, the reading not settled, its SMILES.
    derived: dict[int, list[tuple[frozenset[str], tuple[str, str], str, str]]] = {}
    for n, item in enumerate(asked):
        if time.monotonic() > deadline:
            _cut_short(asked[n:])  # the check's time is spent: no verdict on the rest
            break
        try:
            parents = chemistry.hydrolysis_parents(item.mol, formulas=gates.hydrolysable)
        except chemistry.ChemistryError:
            continue
        for needs, parent in parents:
            if not gates.admit(parent):
                continue
            # A labelled ester is an ester of the compound its part labels.
            key = chemistry.inchikey(chemistry.without_isotope_labels(parent) or parent)
            # Reached in a reading not settled (see `_Item.unsettled_of`): a glycoside as an
            # ether, an enol's ester or ether as one of its ketone.
            unsettled = ""
            if chemistry.ACETALS in needs:
                unsettled = chemistry.ACETALS
                needs = (needs - {chemistry.ACETALS}) | {"ethers"}
            elif chemistry.ENOLS in needs:
                unsettled = chemistry.ENOLS
                needs = needs - {chemistry.ENOLS}
            if key:
                derived.setdefault(id(item), []).append(
                    (needs, (key, key.split("-")[0]), unsettled, chemistry.canonical_smiles(parent))
                )
    if not derived:
        return
    keys = [k for found in derived.values() for _needs, k, _unsettled, _smiles in found]
    records = Substance.objects.filter(
        Q(inchikey__in={k[0] for k in keys})
        | Q(parent_key__in={k[0] for k in keys})
        | Q(skeleton_key__in={k[1] for k in keys})
    ).exclude(kind=Substance.Kind.PREPARATION)
    by_key: dict[str, list[Substance]] = defaultdict(list)
    by_skeleton: dict[str, list[Substance]] = defaultdict(list)
    for record in sorted(records, key=lambda s: s.pk):
        for key in {record.inchikey, record.parent_key} - {""}:
            by_key[key].append(record)
        if record.skeleton_key:
            by_skeleton[record.skeleton_key].append(record)
    for item in asked:
        found: list[tuple[Substance, str, frozenset[str]]] = []
        seen: set[int] = set()
        stereo_input = _has_stereo(item.result.structure)
        for needs, (exact, skeleton), unsettled, smiles in derived.get(id(item), ()):
            how = "ester" if "esters" in needs else "ether"
            for record in by_key.get(exact, ()):
                if record.pk not in seen:
                    seen.add(record.pk)
                    found.append((record, how, needs))
                    if unsettled:
                        item.unsettled_of[record.pk] = unsettled
            for record in by_skeleton.get(skeleton, ()):
                # Of another configuration (or of none drawn): an ester or ether of a
                # stereoisomer, weighed as `_find` weighs a stereoisomer (its exceptions do not
                # hold, and its listing must cover stereoisomers where both draw one).
                if record.pk not in seen:
                    seen.add(record.pk)
                    stereo = stereo_input and _has_stereo(record.smiles)
                    more = chemistry.stereo_need(smiles, record.smiles) if stereo else set()
                    found.append((record, "stereoisomer", needs | more))
                    if unsettled:
                        item.unsettled_of[record.pk] = unsettled
        if found:
            item.candidates = found
            # Said as what the input is of the record: an ester (or ether) of it, also where
            # the record is of another configuration (the route keeps "stereoisomer").
            record, _how, needs = found[0]
            item.result.substance = record
            item.result.matched_by = "ester" if "esters" in needs else "ether"


def _ingredients(graph: RelationGraph, preparation: Substance) -> list[tuple[int, str]]:
    """The ingredients a preparation record names (`contains`), as (pk, name in the language
    in use)."""
    return [
        (r.target_id, record_name(r.target))
        for r in graph.by_subject.get(preparation.pk, ())
        if r.kind == Relation.Kind.CONTAINS
    ]


def _preparations_alike(
    ingredients: dict[int, list[tuple[int, str]]],
) -> dict[int, list[tuple[int, str]]]:
    """Per preparation record (by pk, with its ingredients): the other preparation records of
    its kind, as (record pk, name in the language in use): those with the same ingredients, and
    the compound ones named by some of its ingredients (China's diphenoxylate compound
    preparations, for diphenoxylate with atropine, and the other way round). Two queries, none
    without ingredients. A preparation with another active ingredient is not of a
    single-ingredient one's kind (buprenorphine with naloxone is no buprenorphine patch), nor a
    single-ingredient one of a compound one's."""
    wanted = {pk for pairs in ingredients.values() for pk, _name in pairs}
    if not wanted:
        return {}
    candidates = Relation.objects.filter(
        kind=Relation.Kind.CONTAINS,
        target_id__in=wanted,
        subject__kind=Substance.Kind.PREPARATION,
    ).values("subject_id")
    contents: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    said: dict[int, str] = {}  # what each says of its ingredients (`Substance.ingredients`)
    for relation in Relation.objects.filter(
        kind=Relation.Kind.CONTAINS, subject_id__in=candidates
    ).select_related("subject"):
        contents[relation.subject_id].add(relation.target_id)
        names[relation.subject_id] = record_name(relation.subject)
        said[relation.subject_id] = relation.subject.ingredients
    said.update(Substance.objects.filter(pk__in=ingredients).values_list("pk", "ingredients"))

    def alike(preparation: int, mine: set[int], other: int) -> bool:
        kinds = {said.get(preparation, ""), said.get(other, "")}
        if kinds == {Substance.Ingredients.SINGLE, Substance.Ingredients.COMPOUND}:
            return False
        if contents[other] == mine:
            return True
        # A compound one may hold ingredients it does not name: the other's, as China's
        # diphenoxylate compound preparations may be diphenoxylate with atropine.
        # An entry that names some of the ingredients and admits others (compound, or either:
        # the 1961 Convention's Schedule III, "compounded with one or more other ingredients")
        # may be a preparation of more (paracetamol and codeine tablets, a codeine item).
        compound = Substance.Ingredients.COMPOUND
        admits = (compound, Substance.Ingredients.EITHER)
        return (said.get(other) in admits and contents[other] < mine) or (
            said.get(preparation) == compound and mine < contents[other]
        )

    return {
        preparation: [
            (other, names[other])
            for other in sorted(contents)
            if other != preparation and alike(preparation, {pk for pk, _name in pairs}, other)
        ]
        for preparation, pairs in ingredients.items()
    }


def _records_and_groups(
    pks: set[int],
) -> tuple[dict[int, Substance], dict[int, list[tuple[Substance, ...]]]]:
    """The records of `pks`, and per record the chains of group entries that name it
    (`member_of`, two levels: a US schedule V entry within the 1961 Convention's Schedule III
    codeine item, which is an item of the entry for the codeine group's preparations)."""
    if not pks:
        return {}, {}
    paths: dict[int, list[tuple[Substance, ...]]] = defaultdict(list)
    first: dict[int, list[Substance]] = defaultdict(list)
    for relation in Relation.objects.filter(
        subject_id__in=pks, kind=Relation.Kind.MEMBER_OF
    ).select_related("target"):
        first[relation.subject_id].append(relation.target)
    above: dict[int, list[Substance]] = defaultdict(list)
    if level := {g.pk for groups in first.values() for g in groups}:
        for relation in Relation.objects.filter(
            subject_id__in=level, kind=Relation.Kind.MEMBER_OF
        ).select_related("target"):
            above[relation.subject_id].append(relation.target)
    for pk, groups in first.items():
        for group in groups:
            paths[pk].append((group,))
            paths[pk].extend(
                (group, top) for top in above.get(group.pk, ()) if top.pk not in (pk, group.pk)
            )
    return Substance.objects.in_bulk(pks), dict(paths)


def _preparation_step(route: RouteRef) -> RouteStep | None:
    """The step of a route from a preparation to its ingredient, if it has one."""
    return next(
        (s for s in route.steps if s.relation in (SINGLE_INGREDIENT, PREPARATION_INGREDIENT)),
        None,
    )


def _step_name(step: RouteStep) -> str:
    """The name of the record a step reaches, in the language in use (as `record_name`)."""
    return (step.name_zh or step.name_en) if chinese_language() else step.name_en


def _listed_in(pks: Iterable[int]) -> dict[int, set[str]]:
    """Per record: the codes of the jurisdictions where it is listed, or an entry it is an
    item of (`member_of`) is, on any day. Two queries."""
    pks = list(pks)
    out: dict[int, set[str]] = defaultdict(set)
    for pk, code in Listing.objects.filter(substance_id__in=pks).values_list(
        "substance_id", "schedule__jurisdiction__code"
    ):
        out[pk].add(code)
    for pk, code in Relation.objects.filter(
        subject_id__in=pks, kind=Relation.Kind.MEMBER_OF, target__listings__isnull=False
    ).values_list("subject_id", "target__listings__schedule__jurisdiction__code"):
        out[pk].add(code)
    return out


def _own_entry(code: str, chain: Sequence[Substance], listed_in: dict[int, set[str]]) -> Substance:
    """The record a doubt names for a chain of records from another preparation to the group
    entry listed in jurisdiction `code`: the first that is not another jurisdiction's entry,
    listed there or an item of an entry listed there (the 1961 Schedule III item a US schedule
    V entry is within, not the US entry; the item itself, not the group entry it is an item
    of). `listed_in` as `_listed_in` gives it."""
    return next((r for r in chain if not listed_in.get(r.pk, set()) - {code}), chain[-1])


def _settled_named(matches: Sequence[Basis]) -> list[ListingBasis]:
    """The bases of named listings that a doubt of entries may yet qualify: of the input itself
    (not a component's), certainly in force, on no condition, and not already one entry or
    another."""
    return [
        m
        for m in matches
        if isinstance(m, ListingBasis)
        and not m.component
        and not m.entry_uncertain
        and not m.date_uncertain
        and not is_conditional(m)
    ]


def _strength_doubt(
    r: CheckResult,
    subject: Substance,
    alike: Sequence[Substance],
    groups: dict[int, list[tuple[Substance, ...]]],
    listings_of: Callable[[int], Sequence[tuple[Listing, str]]],
    listed_in: Callable[[], dict[int, set[str]]],
) -> None:
    """A preparation reached by its ingredient's entry (a list that covers its preparations) may
    be one of the preparations of the same ingredients the list names on entries of their own,
    within limits of strength or composition the record does not state: a codeine syrup is in
    the 1961 Convention's Schedule II as a preparation of codeine (article 2(3)), or in its
    Schedule III within the limits there (article 2(4)). Where such an entry is in force, or in
    doubt on the day (its listing's day not known precisely), the ingredient's entry and each
    such entry answer in doubt (`ListingBasis.entry_uncertain`): together they make the
    preparation controlled, on one of their lists. `listings_of` gives a record's listings on
    the day, each with why its day is in doubt ("" when it is not); `listed_in`, read once
    for the call, where the records of the groups' chains are listed (`_listed_in`)."""
    through = [m for m in _settled_named(r.matches) if _preparation_step(m.route) is not None]
    held = {m.listed.listing for m in r.matches}
    replaced: dict[int, ListingBasis] = {}
    added: list[ListingBasis] = []
    for code in dict.fromkeys(m.listed.schedule.jurisdiction for m in through):
        mine = [m for m in through if m.listed.schedule.jurisdiction == code]
        lists = {m.listed.schedule.code for m in mine}
        offered: list[tuple[Route, Listing, str, Substance]] = []
        for other in alike:
            named = Step(ALIKE_PREPARATION, "", other)
            for chain in [(other,)] + [
                (other, *groups_of) for groups_of in groups.get(other.pk, ())
            ]:
                # Only another list makes a doubt: an entry on the same list as the
                # ingredient's (US schedule II's hydrocodone combination products, since 2014)
                # leaves the answer as it is.
                found = [
                    (li, doubt)
                    for li, doubt in listings_of(chain[-1].pk)
                    if li.schedule.jurisdiction.code == code
                    and li.uid not in held
                    and li.schedule.code not in lists
                    # an entry whose limits no preparation of the subject's kind is within
                    # (a pharmacopoeial opium tincture, 1 per cent of morphine, and the 1961
                    # Schedule III item's 0.2): its listing excepts the subject
                    and subject.uid not in ((li.attributes or {}).get("excepted") or ())
                ]
                if not found:
                    continue
                steps = (named, *(Step(Relation.Kind.MEMBER_OF, "", g) for g in chain[1:]))
                route = Route(subject, mine[0].route.matched_by, steps, frozenset())
                entry = other if len(chain) == 1 else _own_entry(code, chain, listed_in())
                offered.extend((route, li, doubt, entry) for li, doubt in found)
        if not offered:
            continue
        why = _(
            "%(entries)s governs %(subject)s if it is such a preparation (within that entry's "
            "limits), and the entry for %(ingredients)s otherwise: which it is the registry "
            "does not record"
        ) % {
            "entries": _(" or ").join(
                dict.fromkeys(record_name(entry) for _rt, _li, _d, entry in offered)
            ),
            "subject": record_name(subject),
            "ingredients": _(", ").join(
                dict.fromkeys(_step_name(_preparation_step(m.route)) for m in mine)
            ),
        }
        for m in mine:
            replaced[id(m)] = dataclasses.replace(m, entry_uncertain=why)
        for route, li, doubt, _entry in offered:
            if li.uid not in held:
                held.add(li.uid)
                basis = _named_basis(route, li, doubt)
                added.append(dataclasses.replace(basis, entry_uncertain=why))
    if replaced or added:
        r.matches = [replaced.get(id(m), m) for m in r.matches] + added


def _entry_doubt(r: CheckResult, subject: Substance) -> None:
    """A compound and an entry naming it in one form or setting on another list of the same
    jurisdiction (the US: dextropropoxyphene, schedule IV, and "Dextropropoxyphene, bulk
    (non-dosage forms)", schedule II; cannabis, schedule I, and marijuana in an FDA-approved
    product or under a state medical marijuana license, schedule III): which governs depends on
    what a name does not say. Those bases answer in doubt (`ListingBasis.entry_uncertain`):
    together they make it controlled, on one of their lists."""
    certain = _settled_named(r.matches)
    replaced: dict[int, ListingBasis] = {}
    for code in dict.fromkeys(m.listed.schedule.jurisdiction for m in certain):
        here = [m for m in certain if m.listed.schedule.jurisdiction == code]
        steps = {
            id(m): next((s for s in m.route.steps if s.relation == COMPOUND_ENTRY), None)
            for m in here
        }
        own = [m for m in here if steps[id(m)] is None]
        own_lists = {m.listed.schedule.code for m in own}
        entries = [
            m for m in here if steps[id(m)] is not None and m.listed.schedule.code not in own_lists
        ]
        if not entries or len({m.listed.schedule.code for m in [*own, *entries]}) < 2:
            continue
        names = _(" or ").join(
            dict.fromkeys(_("“%(name)s”") % {"name": _step_name(steps[id(m)])} for m in entries)
        )
        if own:
            why = _(
                "the entry %(entries)s governs %(subject)s in the form or setting it names, and "
                "the entry for %(subject)s otherwise: which applies the registry does not record"
            ) % {"entries": names, "subject": record_name(subject)}
        else:
            why = _(
                "the entries %(entries)s each govern %(subject)s in the form or setting it "
                "names: which applies the registry does not record"
            ) % {"entries": names, "subject": record_name(subject)}
        for m in [*own, *entries]:
            replaced[id(m)] = dataclasses.replace(m, entry_uncertain=why)
    if replaced:
        r.matches = [replaced.get(id(m), m) for m in r.matches]


# How a listing bears on a preparation that has none of its own there (see _opening).
SILENT, ALIKE, NAMED, SINGLE, EITHER = "silent", "alike", "named", "single", "either"


def _opening(
    ingredients: Sequence[tuple[int, str]],
    alike: Sequence[tuple[int, str]],
    listings_of: Any,
    either: bool = False,
) -> Iterable[tuple[Listing, str, str, str]]:
    """The listings that bear on a preparation where nothing else answers for it: (listing,
    how, the ingredients' names, the other preparation's name).

    Where the ingredient's entry says nothing of preparations, the answer is open (SILENT). A
    list whose entry for an ingredient says which preparations it covers (China's: the single-
    ingredient ones) has answered for the others: not covered (SINGLE), unless the list names
    another preparation of the same ingredients (China's codeine-containing compound oral
    liquids, for a codeine combination product): whether this one is of that kind is not
    recorded, so the answer is open (ALIKE). So it is where the ingredient's entry names
    compound preparations too, in words the registry keeps as the listing's
    `compound_preparations` attribute (China's opium entry: "包括复方樟脑酊、阿桔片") (NAMED).
    A preparation whose own entry admits one active ingredient or more (`either`: the 1961
    Convention's Schedule III, "compounded with one or more other ingredients", inert or not)
    may be a single-ingredient one: open too (EITHER)."""
    for pk, name in ingredients:
        for listing in listings_of(pk):
            named = (listing.attributes or {}).get("compound_preparations", "")
            if "compound_preparations" in listing.covers:
                continue  # it reaches every preparation of its entry (coverage.Route)
            if "preparations" not in listing.covers:
                yield listing, SILENT, name, ""
            else:
                yield listing, NAMED if named else EITHER if either else SINGLE, name, named
    names = ", ".join(name for _pk, name in ingredients)
    for other, other_name in alike:
        for listing in listings_of(other):
            yield listing, ALIKE, names, other_name


def _preparation_reasons(
    openings: Iterable[tuple[Listing, str, str, str]], code_of: Any, on: datetime.date
) -> tuple[dict[str, str], dict[str, str]]:
    """Per jurisdiction code, why a preparation's answer is open there, and why (where it is not
    open) its ingredient's entry there leaves it out; see `_opening`."""
    by_code: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for listing, how, names, other in openings:
        by_code[code_of(listing)][how].setdefault(names, other)
    open_, closed = {}, {}
    for code, hows in sorted(by_code.items()):
        if hows[SILENT]:
            open_[code] = _(
                "a preparation of %(ingredients)s, which %(where)s controls on %(date)s: whether "
                "its law reaches this preparation is not recorded"
            ) % {"ingredients": ", ".join(hows[SILENT]), "where": code, "date": on.isoformat()}
        elif hows[ALIKE]:
            open_[code] = _("; ").join(
                _(
                    "a preparation of %(ingredients)s, as is %(other)s, which %(where)s lists on "
                    "%(date)s: whether this one is of that kind is not recorded"
                )
                % {"ingredients": names, "other": other, "where": code, "date": on.isoformat()}
                for names, other in hows[ALIKE].items()
            )
        elif hows[NAMED]:
            open_[code] = _("; ").join(
                _(
                    "a preparation of %(ingredients)s, whose entry in %(where)s covers its "
                    "single-ingredient preparations and names compound ones (%(words)s): whether "
                    "this one is among them is not recorded"
                )
                % {"ingredients": name, "where": code, "words": words}
                for name, words in hows[NAMED].items()
            )
        elif hows[EITHER]:
            open_[code] = _(
                "a preparation of %(ingredients)s, whose entry in %(where)s covers its "
                "single-ingredient preparations: whether this one has another active ingredient "
                "its own entry does not say"
            ) % {"ingredients": ", ".join(hows[EITHER]), "where": code}
        elif hows[SINGLE]:
            closed[code] = _(
                "a preparation of %(ingredients)s, whose entry in %(where)s covers only its "
                "single-ingredient preparations"
            ) % {"ingredients": ", ".join(hows[SINGLE]), "where": code}
    return open_, closed


def _has_stereo(smiles: str) -> bool:
    return "@" in smiles or "/" in smiles or "\\" in smiles


def _find(item: _Item, tables: dict[str, dict[str, list[Substance]]]):
    """Every record an input stands for: (record, how it was recognized, coverage needed).

    The best match comes first. A record found by name or number brings the records of the same
    structure along (as the same compound, or as its salt); a structure brings every record of
    the same compound, its salts and its stereoisomers. A stereoisomer match needs a listing
    that covers stereoisomers, unless the input or the record draws no configuration (then the
    input is read as the compound the entry names).
    """
    r = item.result
    out: list[tuple[Substance, str, frozenset[str]]] = []
    seen: set[int] = set()

    def add(records, how, needs=frozenset()):
        for s in records:
            if how in ("salt", "stereoisomer") and s.kind == Substance.Kind.PREPARATION:
                # A preparation is what it is: a compound sharing its main ingredient's
                # structure is no salt or isomer of it (and it is none of theirs).
                continue
            if s.pk not in seen:
                seen.add(s.pk)
                out.append((s, how, frozenset(needs)))

    if r.detected_as == "name":
        key = search_key(r.input)
        # A record whose own name it is comes first (it is the one reported), then those that
        # hold it as another name ("Tetrahydrocannabinols": the US entry of that name, then the
        # 1971 Convention's group, which the plural also names).
        found = sorted(
            tables["name"].get(key, []), key=lambda s: key not in (s.search_key_en, s.search_key_zh)
        )
        for spelled in [] if found else inn_spellings(search_key(r.input)):
            # The same name in its other spelling (the registry keeps the INN's).
            found = tables["name"].get(spelled, [])
            if found:
                break
        if not found and salt_free_key(r.input):
            # Named as a salt of a known substance: covered as far as its listings cover salts.
            parents = tables["name"].get(salt_free_key(r.input), [])
            add(parents, "salt", {"salts"})
            for s in parents:
                if s.parent_key:
                    add(tables["salt"].get(s.parent_key, []), "salt", {"salts"})
            if parents:
                return out
        if not found and item.mol is not None:
            r.detected_as = "smiles"  # an unknown bare word that is also a valid SMILES
        else:
            add(found, "name")
            _add_same_structure(found, tables, add)
            return out
    if r.detected_as == "cas":
        found = tables["cas"].get(normalize_cas(r.input), [])
        add(found, "cas")
        _add_same_structure(found, tables, add)
        return out
    exact, parent, skeleton = item.keys
    if r.detected_as == "inchikey":
        item.key_only = not (tables["structure"].get(exact) or tables["salt"].get(exact))
        add(tables["structure"].get(exact, []), "inchikey")
        add(tables["salt"].get(exact, []), "inchikey")
        for s in tables["stereoisomer"].get(skeleton, []):
            # Which stereoisomer a key names is not known, unless the record is drawn without
            # configuration, or by a relative one whose enantiomers' keys it is (nabilone's).
            known = not _has_stereo(s.smiles) or exact in chemistry.enantiomer_keys(s.smiles)
            add([s], "stereoisomer", () if known else {"stereoisomers"})
        return out
    add(tables["structure"].get(exact, []) if exact else [], "structure")
    solvated = parent and exact != parent and item.raw is not None and item.mol is not None
    if solvated and chemistry.solvated_only(item.raw, item.mol):
        # With water or a solvent beside it (or itself twice), it is the compound itself.
        add(tables["structure"].get(parent, []), "structure")
    add(tables["salt"].get(parent, []) if parent else [], "salt", {"salts"})
    if item.unlabelled:
        # An isotope-labelled form (fentanyl-d5, an analytical standard) is the compound it
        # labels, not a stereoisomer of it; drawn as a salt, it needs salts covered.
        salt = {"salts"} if exact != parent else set()
        add(tables["structure"].get(item.unlabelled, []), "isotopologue", salt)
        add(tables["salt"].get(item.unlabelled, []), "salt", {"salts"})
    stereo_input = _has_stereo(r.structure)
    for s in tables["stereoisomer"].get(skeleton, []) if skeleton else []:
        # The input's parent against the record's: a mirror image needs optical isomers
        # covered, another configuration stereoisomers (`chemistry.stereo_need`: nothing for
        # an enantiomer of a racemate a record draws by its relative configuration).
        both = stereo_input and _has_stereo(s.smiles)
        needs = chemistry.stereo_need(r.structure, s.smiles) if both else ()
        add([s], "stereoisomer", needs)
    return out


def _add_same_structure(found, tables, add) -> None:
    for s in found:
        if s.kind == Substance.Kind.PREPARATION:
            continue
        if s.inchikey:
            add(tables["structure"].get(s.inchikey, []), "structure")
        if s.parent_key:
            add(tables["salt"].get(s.parent_key, []), "salt", {"salts"})


def _listings_in_force(
    on: datetime.date, jurisdiction: str | None, substance_ids: Sequence[int] | None = None
) -> tuple[dict[int, list[Listing]], dict[int, list[Listing]]]:
    """The named listings (of the substances asked about) and the class listings in force."""
    history = _listings_up_to(on, jurisdiction, substance_ids)
    return history.in_force(history.by_substance, on), history.in_force(history.by_class, on)


@dataclass
class _History:
    """Every listing that started on or before the date asked about: the ones in force, and the
    earlier ones that tell since when a compound has been controlled without a break."""

    by_substance: dict[int, list[Listing]]
    by_class: dict[int, list[Listing]]

    @staticmethod
    def in_force(listings: dict[int, list[Listing]], on: datetime.date):
        """The listings certainly in force on `on` (the date is outside any imprecise window)."""
        out: dict[int, list[Listing]] = defaultdict(list)
        for key, items in listings.items():
            for listing in items:
                if (
                    listing.effective_from <= on
                    and (listing.effective_to is None or listing.effective_to > on)
                    and not _date_doubt(listing, on)
                ):
                    out[key].append(listing)
        return out

    @staticmethod
    def in_doubt(listings: dict[int, list[Listing]], on: datetime.date):
        """The listings that may or may not have been in force on `on`, with the reason."""
        out: dict[int, list[tuple[Listing, str]]] = defaultdict(list)
        for key, items in listings.items():
            for listing in items:
                doubt = _date_doubt(listing, on)
                if doubt:
                    out[key].append((listing, doubt))
        return out


def _listings_up_to(
    on: datetime.date, jurisdiction: str | None, substance_ids: Sequence[int] | None = None
) -> _History:
    # Besides the listings started by then, those whose act took effect "by a date at the
    # latest" that is still to come: on `on` they may already have been in force. (Read in the
    # same query: the act is joined for its reference anyway.)
    started = Q(effective_from__lte=on) | (
        Q(
            listed_by__effective_precision=Instrument.Precision.NOT_AFTER,
            listed_by__effective_on__gt=on,
        )
        & (Q(listed_by__effective_bound__isnull=True) | Q(listed_by__effective_bound__lte=on))
    )
    listings = (
        Listing.objects.filter(started)
        .select_related("schedule__jurisdiction", "listed_by", "ended_by")
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
    # Each listing's run on its list (a restated entry continues the one it ended), for the
    # answer to say since when the list has held the compound, as the pages do.
    for held in (*by_substance.values(), *by_class.values()):
        mark_runs(sorted(held, key=lambda li: (li.effective_from, li.schedule.sort_order, li.pk)))
    return _History(by_substance, by_class)


def _since(listings: Sequence[Listing], on: datetime.date) -> dict[str, str]:
    """Per jurisdiction, the first day of the unbroken run of control that contains `on`.

    The periods of every listing that reaches the compound (its own, its forms', its groups',
    its classes') are joined where one ends the day another starts or they overlap, so a
    rescheduling, the 2025 reorganisation or a class control that came first does not restart
    the count.
    """
    return _since_periods(
        (
            (li.schedule.jurisdiction.code, start, end)
            for li in listings
            for start, end in _certain_spans(li)
        ),
        on,
    )


def _certain_spans(listing: Listing) -> list[tuple[datetime.date, datetime.date | None]]:
    """The listing's period, less the days it is in doubt because its temporary order ran out
    (`Listing.lapse`, see `_expiry_doubt`): a run of control breaks there."""
    start, end = listing.effective_from, listing.effective_to
    lapse = listing.lapse()
    if lapse is None:
        return [(start, end)]
    until, shown = lapse
    spans = [(start, until if end is None else min(until, end))]
    if shown is not None and (end is None or shown < end):
        spans.append((shown, end))
    return [(a, b) for a, b in spans if b is None or a < b]


def _since_and_bounds(
    listings: Sequence[Listing], on: datetime.date
) -> tuple[dict[str, str], tuple[str, ...]]:
    """`_since`, and the codes whose run starts with a listing dated by an act's latest day
    ('not-after': evidence of an act not identified, or a window whose last day it is): there
    the control may have begun earlier than `since` says."""
    since = _since(listings, on)
    at_latest = set()
    for listing in listings:
        code = listing.schedule.jurisdiction.code
        act = listing.listed_by
        if (
            since.get(code) == listing.effective_from.isoformat()
            and act is not None
            and act.effective_precision == Instrument.Precision.NOT_AFTER
            and act.effective_on == listing.effective_from
        ):
            at_latest.add(code)
    return since, tuple(sorted(at_latest))


Period = tuple[str, datetime.date, datetime.date | None]
"""A listing's period as `_since` reads it: (jurisdiction code, effective_from, effective_to)."""


def _since_periods(listed: Iterable[Period], on: datetime.date) -> dict[str, str]:
    """`_since` on bare periods (for many substances at once, without building listings)."""
    periods: dict[str, list[tuple[datetime.date, datetime.date | None]]] = defaultdict(list)
    for code, start, end in listed:
        periods[code].append((start, end))
    out = {}
    for code, spans in periods.items():
        spans.sort(key=lambda span: span[0])
        runs: list[list[datetime.date | None]] = []
        for span_start, span_end in spans:
            if runs and (runs[-1][1] is None or span_start <= runs[-1][1]):
                if runs[-1][1] is not None and (span_end is None or span_end > runs[-1][1]):
                    runs[-1][1] = span_end
            else:
                runs.append([span_start, span_end])  # a break: a new run starts
        # `on` may fall in an earlier run than the last: a listing whose temporary order ran
        # out before a later act shows it again has two spans, both of the listing in force.
        for start, end in runs:
            if start <= on and (end is None or end > on):
                out[code] = start.isoformat()
    return out


def _classes_in_force(class_listings: dict[int, list[Listing]]):
    """The classes in force, compiled, and the uids of those whose stored rules do not compile
    (refused on save, but a stored one must not pass for "not in the class")."""
    classes = SubstanceClass.objects.filter(pk__in=class_listings).prefetch_related("rules")
    compiled, broken = [], []
    for cls in classes.order_by("uid"):
        specs = [rule.spec for rule in cls.rules.all()]
        try:
            compiled.append((cls, matching.compile_class(cls.uid, specs)))
        except chemistry.ChemistryError:
            broken.append(cls.uid)
    return compiled, broken


def _class_entry_claims(
    cls: SubstanceClass, listing: Listing, own_lists: set[str], records: set[str]
) -> tuple[bool, str]:
    """Whether a class entry claims a compound whose structure meets the class's rules, and if
    not, why (empty when nothing need be said), as the entry's attributes record the act:

    - `named_listings_prevail`: the lists whose named entries keep a compound under its own
      listing (China, 2019: fentanyls already on the narcotic or psychotropic catalogues or the
      Supplementary List "依原有目录予以管制"); while such a listing names it, the class entry
      does not also claim it;
    - `excepted`: the members taken out of the entry (China: a member found to have a
      legitimate use is adjusted under article 3, paragraph 2 of the Measures for Listing).
    """
    attributes = listing.attributes or {}
    if own_lists & set(attributes.get("named_listings_prevail") or ()):
        return False, ""
    taken_out = records & set(attributes.get("excepted") or ())
    if taken_out:
        return False, _("taken out of %(class)s (%(listing)s): %(note)s") % {
            "class": cls.name_en,
            "listing": listing.uid,
            "note": attributes.get("exceptions_note_en", ""),
        }
    return True, ""


def why_not_claimed(
    cls: SubstanceClass, in_force: Sequence[Listing], substance: Substance, own_lists: set[str]
) -> str:
    """Why none of a class's entries in force claims a registry substance whose structure
    meets its rules, as the check weighs them (`_class_entry_claims`): "own-list" when it is
    named on a list an entry defers to, "excepted" when it is taken out of the entry; "" when
    an entry claims it, or when no entry is in force (nothing to say)."""
    if not in_force or any(
        _class_entry_claims(cls, listing, own_lists, {substance.uid})[0] for listing in in_force
    ):
        return ""
    excepted = {uid for li in in_force for uid in li.attributes.get("excepted") or ()}
    return "excepted" if substance.uid in excepted else "own-list"


_FLAG_WORDS = {
    "chain": gettext_lazy("attached through an acyclic atom"),
    "ring": gettext_lazy("attached through a ring atom"),
    "acyclic": gettext_lazy("no ring"),
    "aromatic": gettext_lazy("attached through an aromatic atom"),
    "saturated": gettext_lazy("single bonds only"),
    "no triple bond": gettext_lazy("no triple bond"),
    "heterocycle": gettext_lazy("a heterocycle"),
    "no heterocycle": gettext_lazy("no heterocycle"),
}
_MEASURE_WORDS = {
    "carbons": gettext_lazy("%(range)s C in its carbon skeleton"),
    "ring carbons": gettext_lazy("attached through a ring system of %(range)s C"),
    "heteroatoms": gettext_lazy("%(range)s heteroatoms"),
    "linker": gettext_lazy("%(range)s acyclic atoms before its first ring"),
    "mass": gettext_lazy("%(range)s g/mol"),
}


def _range_words(low: float | None, high: float | None) -> str:
    def number(value: float) -> str:
        return f"{value:g}"

    if low is not None and high is not None:
        return number(low) if low == high else f"{number(low)}-{number(high)}"
    if low is not None:
        return _("at least %(n)s") % {"n": number(low)}
    return _("at most %(n)s") % {"n": number(high)}


def condition_words(body: str) -> str:
    """A condition line of the rule language ("carbons 3-8 | heterocycle") in words of the
    language in use; the text as written if it cannot be read."""
    try:
        alternatives = matching.read_condition(body)
    except ValueError:
        return body
    said = []
    for alternative in alternatives:
        parts = []
        for condition in alternative:
            if condition.what == "elements":
                parts.append(
                    _("no element but %(symbols)s")
                    % {"symbols": ", ".join(sorted(condition.symbols | {"H"}))}
                )
            elif condition.what in _MEASURE_WORDS:
                words = _range_words(condition.low, condition.high)
                parts.append(str(_MEASURE_WORDS[condition.what]) % {"range": words})
            else:
                parts.append(str(_FLAG_WORDS.get(condition.what, condition.what)))
        said.append(_(", and ").join(parts))
    return _("; or ").join(said)


def _group_in_chinese(group: matching.GroupFound) -> str:
    if group.carbons is None:
        found = _("%(mass)s g/mol") % {"mass": f"{group.mass:g}"}
    else:
        found = _("%(n)s C in its carbon skeleton") % {"n": group.carbons}
        if group.ring_carbons is not None:
            found += _(", attached through a ring system of %(n)s C") % {"n": group.ring_carbons}
        if group.heterocycle:
            found += _(", a heterocycle")
    return _("%(group)s: %(found)s (condition: %(condition)s)") % {
        "group": group.name,
        "found": found,
        "condition": condition_words(group.condition),
    }


def _in_chinese(cls: SubstanceClass, match: matching.ClassMatch) -> dict[str, str]:
    """The matched rule's Chinese label and explanation (`rule_zh`, `explanation_zh`), with the
    groups the rule's conditions found said in Chinese; empty where the class has no Chinese
    text for the rule (a face then shows the English)."""
    rule = next((r for r in cls.rules.all() if r.label == match.rule_label), None)
    label, explanation = (rule.label_zh, rule.explanation_zh) if rule else ("", "")
    if explanation and match.groups:
        with translation.override("zh-hans"):
            notes = _("; ").join(_group_in_chinese(g) for g in match.groups)
            explanation = explanation.rstrip() + _(" Groups matched: %(notes)s.") % {"notes": notes}
    return {"rule_zh": label, "explanation_zh": explanation.strip()}


def check_items(
    items: Sequence[Any],
    *,
    on: datetime.date | None = None,
    jurisdiction: str | None = None,
    time_budget: float | None = None,
    item_time_budget: float | None = None,
    suggest: bool = False,
) -> list[CheckResult]:
    """The verdict on each input, in input order. See the module docstring.

    With ``suggest``, a name the registry does not know is given the names close to it
    (`CheckResult.close_names`), for the first `CLOSE_NAMES_ITEMS` such names: a person reading
    the answer (the site, the API) is helped by them; a job's rows are not.

    ``time_budget`` replaces `REQUEST_TIME_BUDGET_SECONDS` for the whole call: a check job,
    which no client waits on, passes infinity and keeps only the per-item budget.
    ``item_time_budget`` replaces `ITEM_TIME_BUDGET_SECONDS`: a job's second look at an item
    that ran out of time.
    """
    on = on or timezone.localdate()
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} items per check")
    outside = _CALL_VERSION.set("")
    try:
        results = _check_items(items, on, jurisdiction, time_budget, item_time_budget)
    finally:
        _CALL_VERSION.reset(outside)
    if suggest:
        _offer_close_names(results, on, jurisdiction)
    return results


def _offer_close_names(
    results: Sequence[CheckResult], on: datetime.date, jurisdiction: str | None
) -> None:
    """Give each name the registry does not know the records whose names are close to it
    (`CheckResult.close_names`), and say them in its reason: the search's hits (a name it
    begins, one it is inside, a close spelling), else the search's suggestions; for the first
    `CLOSE_NAMES_ITEMS` such names. Every one is told the classes in force on `on` (in the
    jurisdiction asked about) whose names contain it: they are few, and compared here."""
    unknown = [
        r
        for r in results
        if r.status == UNKNOWN
        and r.detected_as == "name"
        and len(search_key(r.input)) >= CLOSE_NAMES_MIN_CHARS
    ]
    in_force = Listing.objects.in_force(on=on).filter(substance_class__isnull=False)
    if jurisdiction:
        in_force = in_force.filter(schedule__jurisdiction__code=jurisdiction)
    classes = (
        {
            c.pk: c
            for c in SubstanceClass.objects.filter(
                pk__in=in_force.values("substance_class_id")
            ).order_by("name_en")
        }
        if unknown
        else {}
    )
    rows = [(pk, c.name_en, c.name_zh) for pk, c in classes.items()]
    for r in unknown[:CLOSE_NAMES_ITEMS]:
        outcome = Substance.objects.ranked_search(r.input, limit=CLOSE_NAMES)
        found = [(hit.substance_id, hit.matched) for hit in outcome.hits]
        for text in [] if found else outcome.suggestions[:CLOSE_NAMES]:
            # A suggestion is a name: the record it names (`named`, the search's exact tier).
            pk = Substance.objects.named([search_key(text)]).order_by("pk").values("pk").first()
            found += [(pk["pk"], text)] if pk else []
        records = Substance.objects.in_bulk({pk for pk, _name in found})
        said = []
        for pk, name in found:
            s = records.get(pk)
            if s is None or any(offered["uid"] == s.uid for offered in r.close_names):
                continue
            r.close_names.append(
                {
                    "kind": "substance",
                    "uid": s.uid,
                    "name": name,
                    "name_en": s.name_en,
                    "name_zh": s.name_zh,
                }
            )
            # Said by the record's name in the language in use, and by the name found where
            # that is another of its names ("ecstasy (MDMA)").
            own = record_name(s)
            if search_key(name) in (s.search_key_en, s.search_key_zh):
                said.append(own)
            else:
                said.append(f"{name}（{own}）" if chinese_language() else f"{name} ({own})")
        del r.close_names[CLOSE_NAMES:]
        if said:
            r.reason = _("%(unknown)s; names close to it: %(names)s") % {
                "unknown": r.reason,
                "names": ("、" if chinese_language() else ", ").join(said[:CLOSE_NAMES]),
            }
    for r in unknown:
        # A class's name ("芬太尼类物质") is no substance's: the class is checked by structure.
        named = [classes[pk] for pk in class_names_matching(r.input, rows)][:CLOSE_NAMES]
        for c in named:
            r.close_names.append(
                {
                    "kind": "class",
                    "uid": c.uid,
                    "name": c.name_zh if chinese_language() and c.name_zh else c.name_en,
                    "name_en": c.name_en,
                    "name_zh": c.name_zh,
                }
            )
        if named:
            names = ("、" if chinese_language() else ", ").join(
                (c.name_zh or c.name_en) if chinese_language() else c.name_en for c in named
            )
            r.reason = _(
                "%(unknown)s; it names a class (%(names)s), which a name cannot be checked "
                "against: give the structure"
            ) % {"unknown": r.reason, "names": names}


def _check_items(
    items: Sequence[Any],
    on: datetime.date,
    jurisdiction: str | None,
    time_budget: float | None,
    item_time_budget: float | None = None,
    members: bool = True,
) -> list[CheckResult]:
    """See `check_items`. Without `members`, an entry for a group is not answered from its
    members (`_members_open`): the check of the members themselves."""
    budget = REQUEST_TIME_BUDGET_SECONDS if time_budget is None else time_budget
    per_item = ITEM_TIME_BUDGET_SECONDS if item_time_budget is None else item_time_budget
    deadline = time.monotonic() + budget
    inputs = [_read(text) if time.monotonic() < deadline else _unread(text) for text in items]
    read = inputs + _components_of(inputs)
    _key_structures(read)
    _resolve(read, on)
    _esters_and_ethers(read, deadline)
    _positional_isomers(read, deadline)
    graph = RelationGraph.around(s for item in read for s, _how, _needs in item.candidates)
    routes = {id(item): graph.routes(item.candidates) for item in read}
    wanted = {route.record.pk for rs in routes.values() for route in rs}
    ingredients = {
        item.result.substance.pk: _ingredients(graph, item.result.substance)
        for item in read
        if item.result.substance is not None
        and item.result.substance.kind == Substance.Kind.PREPARATION
    }
    wanted |= {pk for pks in ingredients.values() for pk, _name in pks}
    alike = _preparations_alike(ingredients)
    wanted |= {pk for pairs in alike.values() for pk, _ingredient in pairs}
    alike_records, alike_groups = _records_and_groups(
        {pk for pairs in alike.values() for pk, _ingredient in pairs}
    )
    wanted |= {g.pk for chains in alike_groups.values() for chain in chains for g in chain}
    chains_listed_in = functools.cache(
        lambda: _listed_in(
            {*alike_records, *(g.pk for ch in alike_groups.values() for c in ch for g in c)}
        )
    )
    history = _listings_up_to(on, jurisdiction, sorted(wanted))
    substance_listings = history.in_force(history.by_substance, on)
    class_listings = history.in_force(history.by_class, on)
    substance_doubts = history.in_doubt(history.by_substance, on)
    class_doubts = history.in_doubt(history.by_class, on)
    classes, broken = _classes_in_force({**class_doubts, **class_listings})
    class_codes = {li.schedule.jurisdiction.code for lis in class_listings.values() for li in lis}
    class_codes |= {li.schedule.jurisdiction.code for lis in class_doubts.values() for li, _ in lis}
    unrecorded = _unrecorded(on, jurisdiction)

    @functools.cache
    def undrawn() -> tuple[_Undrawn, ...]:
        """The compounds listed on the day that no structure can be compared with (read when a
        structure that is no record is judged; kept per registry version and day)."""
        return _undrawn_in_force(on, jurisdiction)

    @functools.cache
    def asked() -> tuple[Jurisdiction, ...]:
        """The jurisdictions asked about (read once, when an item needs them)."""
        held = Jurisdiction.objects.order_by("code")
        if jurisdiction:
            held = held.filter(code__iexact=jurisdiction)
        return tuple(held)

    def asked_codes() -> tuple[str, ...]:
        return tuple(j.code for j in asked())

    @functools.cache
    def analogue_basis() -> analogues.Basis:
        """The analogue laws in force on the day in the jurisdictions asked about, and what
        they measure against (read once, when an item needs them)."""
        return analogues.basis(on, analogues.analogue_laws(on, asked()), _version())

    # The jurisdictions' codes by pk, read when a preparation is asked about or a listing that
    # reaches an input does not cover it.
    codes = dict(Jurisdiction.objects.values_list("pk", "code")) if ingredients else {}
    chinese: dict[tuple[Any, ...], dict[str, str]] = {}
    for item in read:
        r = item.result
        if r.status == INVALID or not item.examined:
            continue
        subject = r.substance
        seen_listings: set[int] = set()
        doubtful: list[Basis] = []  # listings that may have been in force, or not
        # class entries whose definition also asks what a structure cannot show
        conditional: list[Basis] = []
        # for an InChIKey no record has, when the records it may be include an excepted one:
        # in doubt where not every one of them is on a list of its own
        unsure = _identity_in_doubt(item, graph)
        every_one_listed = (
            set.intersection(
                *(
                    {li.schedule.jurisdiction_id for li in substance_listings.get(s.pk, ())}
                    for s, _how, _needs in item.candidates
                )
            )
            if unsure
            else set()
        )
        missed: list[tuple[Route, Listing]] = []  # listings a route reaches but does not cover
        own_lists: set[str] = set()  # the lists that name the compound (certainly in force)
        records = {route.start.uid for route in routes[id(item)]}
        # Where the input has an entry of its own on the day (in force or in doubt), it is
        # governed by it ("unless listed in another schedule"): no other entry reaches it there
        # as an isomer, neither a specific isomer's nor the unspecified compound's (LAAM, in US
        # schedule II, is not in schedule I as an isomer of acetylmethadol). Elsewhere, and
        # before its own entry, the entries that cover isomers do.
        itself = {
            route.record.pk
            for route in routes[id(item)]
            if route.matched_by not in ("stereoisomer", "positional_isomer") and not route.steps
        }
        own_listings = [
            listing
            for pk in itself
            for listing in [
                *substance_listings.get(pk, ()),
                *(li for li, _doubt in substance_doubts.get(pk, ())),
            ]
        ]
        own_jurisdictions = {listing.schedule.jurisdiction_id for listing in own_listings}
        item.own_entries = {listing.schedule.jurisdiction.code for listing in own_listings}
        # A preparation named by a group entry (an item of the 1961 Convention's Schedule III
        # entry for the preparations of the codeine group) is governed by that entry's listing
        # as by its own: its ingredient's entry does not reach it there.
        named_by = [route.record.pk for route in routes[id(item)] if route.names_as_member]
        grouped = {
            listing.schedule.jurisdiction_id
            for pk in named_by
            for listing in [
                *substance_listings.get(pk, ()),
                *(li for li, _doubt in substance_doubts.get(pk, ())),
            ]
        }
        # Where a preparation's own entry (or the group entry naming it) is in force from a day
        # not known precisely, its ingredient's entry reached it before that day: on a day in
        # the window, one or the other governs it (Dover's powder: the 1961 Convention's
        # Schedule III, or opium's Schedule I as its preparation, article 2(3)).
        certainly_own = {
            listing.schedule.jurisdiction_id
            for pk in [*itself, *named_by]
            for listing in substance_listings.get(pk, ())
        }
        for route in routes[id(item)]:
            isomer = route.matched_by in ("stereoisomer", "positional_isomer")
            # An entry for the compound (in bulk, under another name) is governed by its own
            # listings too: bulk dextropropoxyphene is in US schedule II by its entry, not in
            # schedule IV with the dosage forms; where the entry has none, the compound's reach it.
            governed = own_jurisdictions if isomer or route.yields_to_own_entry else set()
            pending: set[int] = set()
            if route.through_preparation:
                pending = (own_jurisdictions | grouped) - certainly_own
                governed = (own_jurisdictions | grouped) - pending
                if (inner := route.ingredient_with_forms) is not None:
                    governed = governed | {
                        listing.schedule.jurisdiction_id
                        for listing in [
                            *substance_listings.get(inner.pk, ()),
                            *(li for li, _doubt in substance_doubts.get(inner.pk, ())),
                        ]
                    }
            if route.matched_by == "positional_isomer":
                governed = governed | item.positional_governed
            form = _unsettled_doubt(route, item.unsettled_of.get(route.start.pk, ""))
            if route.matched_by == "positional_isomer":
                form = _positional_doubt(route)
            if not form:  # a reading not settled starts no run of control
                item.reaching.extend(
                    listing
                    for listing in history.by_substance.get(route.record.pk, ())
                    if route.reaches(listing)
                )
            # Every record the input matched, and every relation from it, is weighed: a
            # listing counts when it covers what the route needs (salts, isomers, ...).
            for listing in substance_listings.get(route.record.pk, ()):
                if listing.schedule.jurisdiction_id in governed:
                    continue
                if not route.reaches(listing):
                    if route.reaches_on_condition(listing) and listing.pk not in seen_listings:
                        seen_listings.add(listing.pk)
                        # Not "the entry covers esters": it does only on its condition.
                        basis = _named_basis(route, listing, covered=False)
                        doubt = _conditional_coverage_doubt(route, listing)
                        basis = dataclasses.replace(basis, form_uncertain=doubt)
                        if unsure and listing.schedule.jurisdiction_id not in every_one_listed:
                            # An InChIKey of a stereoisomer not known: which one, in doubt too.
                            basis = dataclasses.replace(basis, identity_uncertain=unsure)
                        conditional.append(basis)
                        continue
                    if not route.through_compound_preparation:
                        missed.append((route, listing))
                    continue
                if listing.pk in seen_listings:
                    continue
                seen_listings.add(listing.pk)
                if unsure and listing.schedule.jurisdiction_id not in every_one_listed:
                    basis = _named_basis(route, listing)
                    conditional.append(dataclasses.replace(basis, identity_uncertain=unsure))
                    continue
                if form:
                    basis = _named_basis(route, listing)
                    conditional.append(dataclasses.replace(basis, form_uncertain=form))
                    continue
                own_lists.add(listing.schedule.uid)
                basis = _named_basis(route, listing, certain=True)
                if listing.schedule.jurisdiction_id in pending:
                    why = _(
                        "%(subject)s is governed by its own entry from a day not known precisely, "
                        "and by the entry for %(ingredient)s before that day: which applied on "
                        "%(date)s the registry cannot tell"
                    ) % {
                        "subject": record_name(route.start),
                        "ingredient": record_name(route.record),
                        "date": on.isoformat(),
                    }
                    basis = dataclasses.replace(basis, entry_uncertain=why)
                r.matches.append(basis)
            for listing, doubt in substance_doubts.get(route.record.pk, ()):
                if listing.schedule.jurisdiction_id in governed:
                    continue
                if route.reaches(listing) and listing.pk not in seen_listings:
                    seen_listings.add(listing.pk)
                    basis = _named_basis(route, listing, doubt)
                    doubtful.append(dataclasses.replace(basis, form_uncertain=form))
        if doubtful and handed_over(doubtful):
            # Moved between lists on a day not known: named on one of them, whichever day it
            # was, so a class entry that defers to named entries defers to these too.
            own_lists.update(
                b.listed.schedule.uid
                for b in doubtful
                if isinstance(b, ListingBasis) and not b.form_uncertain
            )
        rules_failed, unfinished = False, item.cut_short
        unjudged_because = _cut_short_reason() if item.cut_short else ""
        # Where a class rule not applied could have answered: every jurisdiction when the look
        # for esters and isomers was cut short, else those with a class in force or in doubt.
        unjudged_in = None if item.cut_short else class_codes
        if item.mol is not None and broken:
            # A class in force whose stored rules cannot be compiled cannot be ruled out.
            r.reason = _("the rules of %(classes)s could not be applied") % {
                "classes": ", ".join(broken)
            }
            unjudged_because = r.reason
            rules_failed = True
        # Where a class in force takes the structure in by a rule and out again by an exclusion
        # (a progestin, out of the US anabolic steroids), why it is not a member, by code.
        left: dict[str, str] = {}
        if item.mol is not None and classes:
            # Judged without isotope labels, as without stereochemistry: fentanyl-d5 is
            # fentanyl, not another fentanyl-related substance. Atoms are told in the drawing.
            judged = chemistry.without_isotope_labels(item.mol) or item.mol
            left_out: list[matching.LeftOut] = []
            try:
                found = [
                    dataclasses.replace(m, atoms=chemistry.drawn_indices(judged, m.atoms))
                    for m in matching.match_classes(
                        judged,
                        [c for _, c in classes],
                        deadline=min(deadline, time.monotonic() + per_item),
                        left_out=left_out,
                    )
                ]
                left = _left_out_reasons(left_out, classes, class_listings, class_doubts)
            except chemistry.MatchTimeout as exc:
                r.reason = _("the class rules could not all be applied in time: %(reason)s") % {
                    "reason": exc.reason
                }
                unjudged_because = r.reason
                rules_failed = unfinished = True
                found = []
                r.out_of_time = True
                if item.whole is not None:
                    item.whole.result.out_of_time = True
            except chemistry.ChemistryError as exc:
                r.reason = _("class rules could not be applied: %(reason)s") % {
                    "reason": exc.reason
                }
                unjudged_because = r.reason
                rules_failed, found = True, []
            by_uid = {cls.uid: cls for cls, _ in classes}
            if found:
                r.highlight = tuple(found[0].atoms)
            for match in found:
                cls = by_uid[match.class_uid]
                # The Chinese words of a rule and of the groups it found, once per batch.
                said = (cls.pk, match.rule_label, match.groups)
                if said not in chinese:
                    chinese[said] = _in_chinese(cls, match)
                if not cls.condition:  # a condition not shown starts no run of control
                    item.reaching.extend(history.by_class.get(cls.pk, ()))
                certain = [(li, "") for li in class_listings.get(cls.pk, ())]
                for listing, doubt in certain + class_doubts.get(cls.pk, []):
                    claimed, why = _class_entry_claims(cls, listing, own_lists, records)
                    if not claimed:
                        if why and not r.reason:
                            r.reason = why
                        continue
                    words = dict(chinese[said])  # the batch's copy stays as it is
                    note = listing.attributes.get("exceptions_note_en", "")
                    note_zh = listing.attributes.get("exceptions_note_zh", "")
                    if note_zh and words["explanation_zh"]:
                        words["explanation_zh"] += " " + note_zh
                    basis = ClassBasis(
                        substance_class=ClassRef(cls.uid, cls.name_en, cls.name_zh),
                        rule=match.rule_label,
                        explanation=f"{match.explanation} {note}".strip(),
                        **words,
                        atoms=tuple(match.atoms),
                        listed=ListingRef.of(listing),
                        date_uncertain=doubt,
                        condition=cls.condition,
                        condition_zh=cls.condition_zh,
                    )
                    if cls.condition:
                        conditional.append(basis)
                    else:
                        (doubtful if doubt else r.matches).append(basis)
        if not (unfinished or rules_failed) and (subject is not None or item.mol is not None):
            r.unrecorded = _unanswered(unrecorded, [*r.matches, *doubtful, *conditional])
        if subject is not None and subject.pk in ingredients:
            answered = {
                m.listed.schedule.jurisdiction for m in [*r.matches, *doubtful, *conditional]
            }
            opened, closed = _preparation_reasons(
                _opening(
                    ingredients[subject.pk],
                    alike.get(subject.pk, ()),
                    lambda pk: [
                        *substance_listings.get(pk, ()),
                        *(li for li, _doubt in substance_doubts.get(pk, ())),
                    ],
                    either=subject.ingredients == Substance.Ingredients.EITHER,
                ),
                lambda listing, codes=codes: codes[listing.schedule.jurisdiction_id],
                on,
            )
            opened = {code: why for code, why in opened.items() if code not in answered}
            r.preparation_open = tuple(opened)
            r.reasons = {
                **{code: why for code, why in closed.items() if code not in answered},
                **opened,
            }
        if subject is not None and alike.get(subject.pk) and r.matches:
            _strength_doubt(
                r,
                subject,
                [alike_records[pk] for pk, _name in alike[subject.pk]],
                alike_groups,
                lambda pk: [
                    *((li, "") for li in substance_listings.get(pk, ())),
                    *substance_doubts.get(pk, ()),
                ],
                chains_listed_in,
            )
        if subject is not None and r.matches:
            _entry_doubt(r, subject)
        if missed and not (unfinished or rules_failed):
            codes = codes or dict(Jurisdiction.objects.values_list("pk", "code"))
            answered = {
                m.listed.schedule.jurisdiction for m in [*r.matches, *doubtful, *conditional]
            }
            r.reasons = {**_not_covered(missed, codes, answered), **r.reasons}
        if left:
            answered = {
                m.listed.schedule.jurisdiction for m in [*r.matches, *doubtful, *conditional]
            }
            r.reasons = {
                **{code: why for code, why in left.items() if code not in answered},
                **r.reasons,
            }
        if r.matches:
            r.status, r.reason = CONTROLLED, r.reason if rules_failed else ""
            r.since, r.since_at_latest = _since_and_bounds(item.reaching, on)
            # told apart by their date_uncertain and their condition
            r.matches.extend([*doubtful, *conditional])
        elif doubtful and handed_over(doubtful):
            r.status = CONTROLLED
            r.matches = [*doubtful, *conditional]
            r.since, r.since_at_latest = _since_and_bounds(item.reaching, on)
            r.reason = _(
                "controlled on %(date)s, but on which list is not known: it was moved between "
                "lists by an act whose day is not known precisely: %(why)s"
            ) % {
                "date": on.isoformat(),
                "why": _("; ").join(dict.fromkeys(m.date_uncertain for m in doubtful)),
            }
        elif doubtful or conditional:
            r.status = UNCERTAIN
            r.matches = [*doubtful, *conditional]
            r.reason = _in_doubt(doubtful, conditional, on)
        elif r.preparation_open:
            r.status = UNCERTAIN
            r.reason = _("; ").join(r.reasons[code] for code in r.preparation_open)
        elif unfinished or rules_failed:
            r.status = UNKNOWN  # no class can be ruled out
            if item.cut_short and not r.reason:
                r.reason = _cut_short_reason()
        elif r.unrecorded:
            r.status = UNKNOWN
            r.reason = _not_recorded(on, unrecorded)
        elif subject is not None or item.mol is not None:
            r.status = NOT_CONTROLLED
            if missed and not r.reason:
                r.reason = _("; ").join(_missed(route, listing) for route, listing in missed[:3])
            if r.reasons and not r.reason:
                r.reason = _("; ").join(dict.fromkeys(r.reasons.values()))
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
        if unjudged_because and r.status != INVALID:
            # Where no basis answers, a class or a form not looked at may have: not judged there.
            answered = {b.listed.schedule.jurisdiction for b in r.matches}
            r.unjudged = tuple(
                code
                for code in asked_codes()
                if code not in answered
                and code not in r.unrecorded
                and code not in r.preparation_open
                and (unjudged_in is None or code in unjudged_in)
            )
            r.reasons = {
                **r.reasons,
                **{code: unjudged_because for code in r.unjudged},
            }
        if item.mol is not None and r.status != INVALID:
            _tell_not_compared(r, undrawn)
        if r.status in (CONTROLLED, NOT_CONTROLLED, UNCERTAIN):
            _tell_analogues(r, item, asked_codes, analogue_basis)
    _merge_components(read, on, unrecorded, jurisdiction)
    for item in inputs:
        # Why, in each jurisdiction where it is uncertain through bases in doubt, as the
        # overall reason says it for all of them (the overall verdict may be another's).
        item.result.reasons = {
            **_doubts_by_jurisdiction(item.result.matches, on),
            **item.result.reasons,
        }
    if members:
        _members_open(inputs, on, jurisdiction, deadline, per_item)
    return [item.result for item in inputs]


# How an input was read when it is a structure (`CheckResult.detected_as`).
STRUCTURES = ("smiles", "molfile", "inchikey")


def _members_open(
    items: Sequence[_Item],
    on: datetime.date,
    jurisdiction: str | None,
    deadline: float,
    item_time_budget: float,
) -> None:
    """An entry for a group that a jurisdiction's lists do not name, some of whose recorded
    members they control, or may (China's ephedrine-type substances under the 1988
    Convention's Table I, which lists ephedrine, pseudoephedrine and norephedrine): `uncertain`
    there, not `not_controlled`, since which member is meant decides (`members_open`, and the
    members in `reasons`). Each member is checked as its own name is, in one check for the
    batch that does not look at the members' members. Where the check's time is spent before
    the members are checked, or a member's check is cut short, the entry is not judged there
    (`unjudged`) rather than found not controlled."""
    subjects: dict[int, list[CheckResult]] = defaultdict(list)
    for item in items:
        r = item.result
        if r.substance is None or r.status not in (CONTROLLED, NOT_CONTROLLED, UNCERTAIN, UNKNOWN):
            continue
        if r.detected_as in STRUCTURES and r.substance.kind == Substance.Kind.COMPOUND:
            # A structure is the compound, not the entry a record of it also is for a group
            # ("Morphine methobromide and other pentavalent nitrogen morphine derivatives").
            continue
        subjects[r.substance.pk].append(r)
    if not subjects:
        return
    members: dict[int, list[Substance]] = defaultdict(list)
    for relation in (
        Relation.objects.filter(target_id__in=subjects, kind=Relation.Kind.MEMBER_OF)
        .select_related("subject")
        .order_by("subject__name_en", "subject_id")
    ):
        members[relation.target_id].append(relation.subject)
    if not members:
        return
    among = Jurisdiction.objects.order_by("code")
    if jurisdiction:
        among = among.filter(code__iexact=jurisdiction)
    among = list(among)
    unique = list({m.pk: m for group in members.values() for m in group}.values())
    left = deadline - time.monotonic()
    checked = (
        _check_items([m.name_en for m in unique], on, jurisdiction, left, item_time_budget, False)
        if left > 0
        else []
    )
    standing: dict[int, dict[str, Any]] = {}
    cut_short: set[int] = {m.pk for m in unique} if left <= 0 else set()
    for member, result in zip(unique, checked, strict=False):
        if result.out_of_time:
            cut_short.add(member.pk)
        # checked by its name, the member itself (not another record of that name)
        if result.substance is not None and result.substance.pk == member.pk:
            standing[member.pk] = {
                v.jurisdiction: v for v in per_jurisdiction.verdicts_of(result, among)
            }
    order = functools.cache(lambda: dict(Schedule.objects.values_list("code", "sort_order")))
    for pk, results in subjects.items():
        group = members.get(pk, [])
        for r in results:
            answered = {
                *(m.listed.schedule.jurisdiction for m in r.matches),
                *r.preparation_open,
                *r.unrecorded,
                *r.unjudged,
            }
            opened: dict[str, str] = {}
            unjudged: list[str] = []
            for j in among:
                if j.code in answered or not group:
                    continue
                held = [
                    (m, standing[m.pk][j.code])
                    for m in group
                    if m.pk in standing and standing[m.pk][j.code].status in (CONTROLLED, UNCERTAIN)
                ]
                if held:
                    lists = {code for _m, v in held for code in v.schedules}
                    r.members_open[j.code] = tuple(
                        sorted(lists, key=lambda c: (order().get(c, 1 << 30), c))
                    )
                    opened[j.code] = _members_reason(j.code, on, held, len(group))
                elif any(m.pk in cut_short for m in group):
                    unjudged.append(j.code)
            if unjudged:
                r.out_of_time = True
                r.unjudged = (*r.unjudged, *unjudged)
                r.reasons = {**r.reasons, **{code: _members_unchecked() for code in unjudged}}
            r.reasons = {**r.reasons, **opened}
            if opened and r.status in (NOT_CONTROLLED, UNKNOWN):
                r.status, r.reason = UNCERTAIN, _("; ").join(opened.values())
            elif unjudged and r.status == NOT_CONTROLLED:
                r.status, r.reason = UNKNOWN, _members_unchecked()


def _members_unchecked() -> str:
    return _(
        "not examined in full: the check's time budget was spent before the members of this "
        "group entry were checked; send fewer items at a time"
    )


def _members_reason(
    code: str, on: datetime.date, held: Sequence[tuple[Substance, Any]], total: int
) -> str:
    """Why an entry for a group is open where some of its members are controlled: which."""
    said = []
    for member, verdict in held:
        lists = ("、" if chinese_language() else ", ").join(verdict.schedules)
        if verdict.status == CONTROLLED:
            said.append(_("%(name)s (%(lists)s)") % {"name": record_name(member), "lists": lists})
        elif lists:
            said.append(
                _("%(name)s (%(lists)s, in doubt)") % {"name": record_name(member), "lists": lists}
            )
        else:
            said.append(_("%(name)s (in doubt)") % {"name": record_name(member)})
    words = {
        "where": code,
        "date": on.isoformat(),
        "count": len(held),
        "total": total,
        "members": _("; ").join(said),
    }
    if total == 1:
        said_so = _(
            "a group entry that %(where)s does not list on %(date)s, though it controls, or may "
            "control, the one member the registry records: %(members)s; whether the entry "
            "reaches others, and which member is meant, the registry does not record"
        )
    elif len(held) == total:
        said_so = _(
            "a group entry that %(where)s does not list on %(date)s, though it controls, or may "
            "control, each of the %(total)s members the registry records: %(members)s; whether "
            "the entry reaches others, and which member is meant, the registry does not record"
        )
    else:
        said_so = _(
            "a group entry that %(where)s does not list on %(date)s, though it controls, or may "
            "control, %(count)s of the %(total)s members the registry records: %(members)s; "
            "which member is meant decides"
        )
    return said_so % words


def _unrecorded(on: datetime.date, jurisdiction: str | None) -> list[Jurisdiction]:
    """The jurisdictions asked about whose lists the registry does not hold in full on `on`."""
    held = Jurisdiction.objects.filter(records_from__gt=on)
    if jurisdiction:
        held = held.filter(code__iexact=jurisdiction)
    return list(held.order_by("code"))


@dataclass(frozen=True)
class _Undrawn:
    """A jurisdiction's entries that no structure is compared with (see `_undrawn_in_force`)."""

    code: str
    name: str
    name_zh: str
    records: tuple[tuple[str, str, str], ...]  # (uid, English name, Chinese name)


def _undrawn_in_force(on: datetime.date, jurisdiction: str | None) -> tuple[_Undrawn, ...]:
    """Per jurisdiction, the compounds listed there on `on` that no structure is compared with:
    those without a structure (a new entry whose structure no source read confirms: China's
    tegileridine; an element with no one drawing, red phosphorus) and without a relation
    through which a drawn record answers for them. Kept per registry version, day and
    jurisdiction asked about: one query the first time."""
    return derived(
        f"check:undrawn:{_version()}:{on.isoformat()}:{(jurisdiction or '').upper()}",
        lambda: _read_undrawn(on, jurisdiction),
    )


def _read_undrawn(on: datetime.date, jurisdiction: str | None) -> tuple[_Undrawn, ...]:
    related = Relation.objects.filter(
        Q(subject=OuterRef("substance")) | Q(target=OuterRef("substance"))
    )
    listed = (
        Listing.objects.in_force(on=on)
        .filter(substance__kind=Substance.Kind.COMPOUND, substance__smiles="")
        .exclude(Exists(related))
    )
    if jurisdiction:
        listed = listed.filter(schedule__jurisdiction__code__iexact=jurisdiction)
    rows = listed.values_list(
        "schedule__jurisdiction__code",
        "schedule__jurisdiction__name",
        "schedule__jurisdiction__name_zh",
        "substance__uid",
        "substance__name_en",
        "substance__name_zh",
    ).distinct()
    places: dict[str, tuple[str, str]] = {}
    records: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for code, name, name_zh, *record in rows:
        places[code] = (name, name_zh)
        records[code].add(tuple(record))
    return tuple(
        _Undrawn(code, *places[code], tuple(sorted(records[code]))) for code in sorted(places)
    )


# How a check result's `substance` stands to the input when the input is that record itself,
# or a salt, a labelled form or another configuration of it: nothing is left that was not
# compared (an entry listed without a structure that is a form of a record is related to it).
_ITSELF = frozenset(
    {"structure", "salt", "stereoisomer", "isotopologue", "name", "cas", "inchikey"}
)


def _tell_not_compared(r: CheckResult, undrawn: Callable[[], Sequence[_Undrawn]]) -> None:
    """Where no basis reaches a structure that is no registry record (an ester or a positional
    isomer of one is none), say which compounds listed there it was not compared with
    (`CheckResult.not_compared`): in that jurisdiction's reason, whatever the verdict, and in
    the verdict's own when it is `not_controlled`."""
    if r.substance is not None and r.matched_by in _ITSELF:
        return
    answered = {m.listed.schedule.jurisdiction for m in r.matches}
    open_ = [
        place
        for place in undrawn()
        if place.code not in answered
        and place.code not in r.unrecorded
        and place.code not in r.unjudged
    ]
    if not open_:
        return
    chinese = chinese_language()
    said = {}
    for place in open_:
        names = sorted((zh if chinese else "") or en for _uid, en, zh in place.records)
        said[place.code] = _(
            "not compared with %(names)s, listed in %(jurisdiction)s: the registry holds no "
            "structure for them"
        ) % {
            "names": ("、" if chinese else ", ").join(names),
            "jurisdiction": (place.name_zh if chinese else "") or place.name,
        }
    r.not_compared = {place.code: tuple(uid for uid, _en, _zh in place.records) for place in open_}
    r.reasons = {
        **r.reasons,
        **{
            code: _("; ").join(filter(None, (r.reasons.get(code), why)))
            for code, why in said.items()
        },
    }
    if r.status == NOT_CONTROLLED:
        r.reason = _("; ").join(filter(None, (r.reason, *said.values())))


def _identity_in_doubt(item: _Item, graph: RelationGraph) -> str:
    """For an InChIKey that no registry record has: why the compound it names is in doubt, when
    the records sharing its first block (its stereoisomers and labelled forms) include one an
    entry excepts; "" otherwise (any of them is as controlled as the others)."""
    if not item.key_only:
        return ""
    family = [record for record, _how, _needs in item.candidates]
    excepted = [
        record
        for record in family
        if any(r.kind == Relation.Kind.EXCEPTED_FROM for r in graph.by_subject.get(record.pk, ()))
    ]
    if not excepted:
        return ""
    return _(
        "no registry record has the InChIKey %(key)s: it names a stereoisomer or a labelled "
        "form of %(names)s, and which one is not known, while %(excepted)s is excepted"
    ) % {
        "key": item.result.input.strip(),
        "names": ", ".join(record_name(s) for s in family),
        "excepted": ", ".join(record_name(s) for s in excepted),
    }


def _positional_doubt(route: Route) -> str:
    """Why a listing reaching the input as a positional isomer of its record is in doubt."""
    return _(
        "may be a positional isomer of %(name)s (the same formula, ring systems and functional "
        "groups, placed otherwise), which its entry covers; whether no functionality is created "
        "or destroyed, as the definition also asks, is not judged here"
    ) % {"name": record_name(route.start)}


def _unsettled_doubt(route: Route, reading: str) -> str:
    """Why a listing reaching the input in a reading not settled is in doubt ("" for none):
    through an acetal carbon's bond (`chemistry.ACETALS`), or as an ester or an ether of an
    enol of the record's ketone (`chemistry.ENOLS`)."""
    if reading == chemistry.ACETALS:
        return _(
            "a glycoside (such as a glucuronide) or another acetal of %(name)s: an ether of it "
            'to a chemist, but whether an entry\'s "ethers" include an acetal is not settled'
        ) % {"name": record_name(route.start)}
    if reading == chemistry.ENOLS and "esters" in route.needs:
        return _(
            "an ester of an enol of %(name)s (a tautomer of its ketone), not of a hydroxyl it "
            'has: whether an entry\'s "esters" include one is not settled'
        ) % {"name": record_name(route.start)}
    if reading == chemistry.ENOLS:
        return _(
            "an ether of an enol of %(name)s (a tautomer of its ketone), not of a hydroxyl it "
            'has: whether an entry\'s "ethers" include one is not settled'
        ) % {"name": record_name(route.start)}
    return ""


def _conditional_coverage_doubt(route: Route, listing: Listing) -> str:
    """Why a listing that reaches the input only on a condition is in doubt: the condition the
    law sets (US anabolic steroids before 2005: "if it promotes muscle growth"), a fact no list
    records; or a reading the law leaves open (a diastereomer, under an entry that covers
    "optical isomers": `registry.models.coverage_reach`)."""
    attributes = listing.attributes or {}
    missing = route.uncovered(listing)
    listed = (listing.schedule.name_zh if chinese_language() else "") or listing.schedule.name
    what = route.explanation(covered=False)
    reasons = []
    conditional = missing & conditional_words(listing)
    if conditional:
        note = (
            attributes.get("conditional_coverage_note_zh") if chinese_language() else ""
        ) or attributes.get("conditional_coverage_note_en", "")
        reasons.append(
            _("%(list)s reaches %(needs)s only %(condition)s, a fact no list records")
            % {"list": listed, "needs": coverage_words(conditional), "condition": note}
        )
    if missing - conditional:
        reasons.append(
            _(
                "%(list)s covers optical isomers, and whether a stereoisomer that is not the "
                "mirror image of %(name)s (a diastereomer) is one, the law does not settle"
            )
            % {"list": listed, "name": record_name(route.record)}
        )
    return _("%(what)s: %(why)s") % {"what": what, "why": _("; ").join(reasons)}


def _in_doubt(doubtful: Sequence[Basis], conditional: Sequence[Basis], on: datetime.date) -> str:
    """Why bases in doubt leave an answer `uncertain`: an act whose day is not known precisely
    (`doubtful`); a class's condition a structure cannot show, or an identity or form in doubt
    (`conditional`)."""
    unshown = [b for b in conditional if isinstance(b, ClassBasis)]
    reasons = [_conditions_unshown(unshown)] if unshown else []
    reasons.extend(
        dict.fromkeys(
            b.identity_uncertain or b.form_uncertain
            for b in conditional
            if not isinstance(b, ClassBasis)
        )
    )
    if doubtful:
        reasons.insert(
            0,
            _("controlled or not on %(date)s: the date is not known precisely: %(why)s")
            % {
                "date": on.isoformat(),
                "why": _("; ").join(dict.fromkeys(m.date_uncertain for m in doubtful)),
            },
        )
    return _("; ").join(reasons)


def _doubts_by_jurisdiction(bases: Sequence[Basis], on: datetime.date) -> dict[str, str]:
    """Per jurisdiction whose every basis is in doubt (and is not a move from one of its lists
    to another, which leaves it controlled), why it is `uncertain` there (see `_in_doubt`)."""
    by_code: dict[str, list[Basis]] = defaultdict(list)
    for basis in bases:
        by_code[basis.listed.schedule.jurisdiction].append(basis)
    out = {}
    for code, found in by_code.items():
        if any(not b.date_uncertain and not is_conditional(b) for b in found):
            continue  # a certain basis: controlled there
        if handed_over(found):
            continue
        out[code] = _in_doubt(
            [b for b in found if b.date_uncertain], [b for b in found if is_conditional(b)], on
        )
    return out


def _conditions_unshown(bases: Sequence[ClassBasis]) -> str:
    """Why a structure within classes whose definitions also ask what a structure cannot show
    (the US cannabimimetic agents: CB1 receptor agonism, shown by assays) is `uncertain`: the
    classes and what each also requires, in the language in use."""
    chinese = chinese_language()
    said = dict.fromkeys(
        (
            (b.substance_class.name_zh or b.substance_class.name_en)
            if chinese
            else b.substance_class.name_en,
            (b.condition_zh or b.condition) if chinese else b.condition,
        )
        for b in bases
    )
    return _("; ").join(
        _(
            "the structure is within the definition of %(class)s, which also requires "
            "%(condition)s: a structure alone does not show this"
        )
        % {"class": name, "condition": condition}
        for name, condition in said
    )


def _tell_analogues(
    r: CheckResult,
    item: _Item,
    asked_codes: Callable[[], Sequence[str]],
    analogue_basis: Callable[[], analogues.Basis],
) -> None:
    """Where no list of a jurisdiction with an analogue law reaches a compound, and its
    structure is close to a substance on a list that law measures against, say so beside the
    verdict (`CheckResult.analogue_of`, the jurisdiction's reason; the overall reason when it is
    not controlled): the law, the substance, the list. The verdict stays what the lists make it;
    see registry.analogues."""
    # A structure the registry holds no record of: a record is held by name, and its lists
    # answer for it (naloxone, an approved drug the US schedules name only to leave out, would
    # be "close to oxymorphone").
    if r.substance is not None or item.mol is None:
        return
    mol = item.mol
    found_in = analogue_basis()
    answered = {m.listed.schedule.jurisdiction for m in r.matches}
    left = set(asked_codes()) - answered - set(r.unrecorded) - set(r.unjudged)
    left = (left - set(r.preparation_open)) & set(found_in.laws)
    if not left:
        return
    close = analogues.closest_listed(mol, found_in)
    said = []
    for code, found in sorted(close.items()):
        if code not in left:
            continue
        chinese = chinese_language()
        words = _(
            "its structure is close to %(substance)s (%(schedule)s; likeness %(likeness)s): under "
            "%(law)s; whether it is such an analogue the registry does not judge"
        ) % {
            "substance": record_name(found.substance),
            "schedule": found.schedule,
            "likeness": f"{found.likeness:.2f}",
            "law": (found.law.analogue_law_zh or found.law.analogue_law)
            if chinese
            else found.law.analogue_law,
        }
        r.reasons[code] = f"{r.reasons[code]}{_('; ')}{words}" if r.reasons.get(code) else words
        r.analogue_of[code] = found.ref()
        said.append(words)
    if said and r.status == NOT_CONTROLLED:
        r.reason = _("; ").join([r.reason, *said] if r.reason else said)


def _left_out_reasons(
    left_out: Sequence[matching.LeftOut],
    classes: Sequence[tuple[SubstanceClass, matching.CompiledClass]],
    class_listings: dict[int, list[Listing]],
    class_doubts: dict[int, list[tuple[Listing, str]]],
) -> dict[str, str]:
    """Why a structure is not a member of the classes that took it in by a rule and out again
    by an exclusion (`matching.LeftOut`), in the language in use, by the code of each
    jurisdiction where the class is listed on the day (in force or in doubt)."""
    by_uid = {cls.uid: cls for cls, _compiled in classes}
    reasons: dict[str, str] = {}
    for out in left_out:
        cls = by_uid[out.class_uid]
        rule = next((x for x in cls.rules.all() if x.label == out.exclusion_label), None)
        label = out.exclusion_label
        if chinese_language() and rule is not None and rule.label_zh:
            label = rule.label_zh
        why = _("within the rules of %(class)s, but left out by its rule “%(rule)s”") % {
            "class": record_name(cls),
            "rule": label,
        }
        listings = [
            *class_listings.get(cls.pk, ()),
            *(listing for listing, _doubt in class_doubts.get(cls.pk, ())),
        ]
        for listing in listings:
            code = listing.schedule.jurisdiction.code
            reasons[code] = f"{reasons[code]}; {why}" if code in reasons else why
    return reasons


def _unanswered(unrecorded: Sequence[Jurisdiction], matches: Sequence[Basis]) -> tuple[str, ...]:
    """The codes of `unrecorded` in which no basis reaches the compound, certain or in doubt
    (a basis in doubt answers `uncertain` there, which says more than `unknown`)."""
    answered = {m.listed.schedule.jurisdiction for m in matches}
    return tuple(j.code for j in unrecorded if j.code not in answered)


def _missed(route: Route, listing: Listing) -> str:
    """Why a listing that a route reaches does not answer for it: what it does not cover."""
    return _("%(what)s, but %(list)s does not cover %(needs)s") % {
        "what": route.explanation(covered=False),
        "list": (listing.schedule.name_zh if chinese_language() else "") or listing.schedule.name,
        "needs": coverage_words(route.uncovered_words(listing)),
    }


def _not_covered(
    missed: Sequence[tuple[Route, Listing]], codes: dict[Any, str], answered: set[str]
) -> dict[str, str]:
    """Per jurisdiction that nothing answers in: why the listings there that reach the input do
    not cover it (at most three reasons each)."""
    by_code: dict[str, list[str]] = defaultdict(list)
    for route, listing in missed:
        code = codes.get(listing.schedule.jurisdiction_id, "")
        if code and code not in answered:
            by_code[code].append(_missed(route, listing))
    return {
        code: _("; ").join(list(dict.fromkeys(why))[:3]) for code, why in sorted(by_code.items())
    }


def _not_recorded(on: datetime.date, unrecorded: Sequence[Jurisdiction]) -> str:
    return _(
        "no listing or class the registry holds is in force on %(date)s, but the registry "
        "holds the lists of %(held)s only from a later day: what was controlled there before "
        "is not recorded"
    ) % {
        "date": on.isoformat(),
        "held": ", ".join(
            _("%(code)s (from %(day)s)") % {"code": j.code, "day": j.records_from.isoformat()}
            for j in unrecorded
        ),
    }


def _components_of(items: list[_Item]) -> list[_Item]:
    """Items for the components of inputs drawn in several parts, each judged on its own.

    A salt with a known counter-ion is judged by its parent as before (one component); a drug
    paired with an unknown or larger partner, or a mixture of two drugs, is judged part by part,
    so that neither part can hide the other. The input itself then keeps only the match of its
    whole structure (a record of that exact mixture, such as a listed preparation).
    """
    parts: list[_Item] = []
    for item in items:
        if item.raw is None or item.result.status == INVALID or not item.examined:
            continue
        if item.result.detected_as == "smiles" and chemistry.part_count(item.raw) < 2:
            continue  # one part (a racemate written as a CXSMILES is two: `parse_input`)
        try:
            found = chemistry.components(item.raw)
        except chemistry.ChemistryError:
            continue
        judged = [smiles for smiles, counter_ion in found if not counter_ion]
        if len(found) < 2:
            continue
        item.result.components = [
            Component(smiles, "counter_ion_or_solvent" if ion else "judged")
            for smiles, ion in found
        ]
        if len(judged) < 2:
            continue  # one drug with its counter-ions: judged as its parent, as always
        for smiles in judged:
            part = _parse(CheckResult(smiles, "smiles"), smiles)
            part.whole = item
            parts.append(part)
        try:
            # The whole is found by its own key, and, drawn with water or as a salt, by the key
            # of its parts (a complex's record: `chemistry.complex_key`).
            item.keys = (chemistry.inchikey(item.raw), chemistry.complex_key(item.raw), "")
        except chemistry.ChemistryError:
            item.keys = ("", "", "")
        item.mol = None  # the parts meet the class rules, not the whole
    return parts


@dataclasses.dataclass
class _PreparationEntries:
    """The preparation records that name their ingredients (`contains`), with their listings
    in force on the date asked: read once per check, when a mixture has a controlled part."""

    contains: list[Relation]
    listings: dict[int, list[Listing]]
    # The entries a preparation record is an item of (`member_of`): US 21 CFR 1308.15(c) lists
    # "any of the following" narcotic drugs within limits, one entry whose items are recorded
    # apart, each naming its ingredient; an item is listed through the entry.
    groups: dict[int, list[Substance]] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, on: datetime.date, jurisdiction: str | None) -> "_PreparationEntries":
        contains = list(
            Relation.objects.filter(
                kind=Relation.Kind.CONTAINS, subject__kind=Substance.Kind.PREPARATION
            ).select_related("subject", "target")
        )
        subjects = {r.subject_id for r in contains}
        groups: dict[int, list[Substance]] = defaultdict(list)
        for relation in Relation.objects.filter(
            kind=Relation.Kind.MEMBER_OF, subject_id__in=subjects
        ).select_related("target"):
            groups[relation.subject_id].append(relation.target)
        listings = Listing.objects.in_force(on=on).filter(
            substance_id__in=subjects | {g.pk for held in groups.values() for g in held}
        )
        if jurisdiction:
            listings = listings.in_jurisdiction(jurisdiction)
        by_preparation: dict[int, list[Listing]] = defaultdict(list)
        for listing in listings.select_related("schedule__jurisdiction", "listed_by", "ended_by"):
            by_preparation[listing.substance_id].append(listing)
        return cls(contains, by_preparation, groups)

    @functools.cached_property
    def listed_in(self) -> dict[int, set[str]]:
        """Where the preparation records and their groups are listed, on any day
        (`_listed_in`): read once per check, when a doubt names an entry."""
        return _listed_in(
            {r.subject_id for r in self.contains}
            | {g.pk for held in self.groups.values() for g in held}
        )


def _compound_preparations(
    r: CheckResult, parts: list[_Item], entries_of: Callable[[], _PreparationEntries]
) -> None:
    """A mixture of a listed compound with other components may be a preparation that a list
    names on an entry of its own: 21 CFR 1308.13(c)(1) puts amobarbital with active medicinal
    ingredients listed in no schedule in schedule III, while amobarbital, and any mixture
    containing it that no other entry governs, is in schedule II (1308.12(e)). A structure
    does not show which the mixture is (what its other components are there for, how much of
    each), so where such an entry is in force the compound's own entry and the preparation's
    each answer in doubt (`ListingBasis.entry_uncertain`), and together they make the mixture
    controlled, on one of their lists.

    Only where no other component is on a list of drugs in that jurisdiction (the entries name
    preparations with ingredients in no schedule; a precursor is in none), and the whole
    structure is not a listed record there itself."""
    own = [
        m
        for m in r.matches
        if isinstance(m, ListingBasis)
        and m.component
        and not m.route.steps
        and not m.date_uncertain
        and not is_conditional(m)
        and not m.entry_uncertain
    ]
    if not own:
        return
    records = {p.result.substance.pk: p for p in parts if p.result.substance is not None}
    known = entries_of()
    listed = {m.substance for m in own}
    named = {rel.subject_id for rel in known.contains if rel.target.uid in listed}
    contains = [rel for rel in known.contains if rel.subject_id in named]
    ingredients: dict[int, set[int]] = defaultdict(set)
    for relation in contains:
        ingredients[relation.subject_id].add(relation.target_id)
    # A preparation entry names the ingredients a mixture must hold, all of them drawn here:
    # two or more (buprenorphine with naloxone), or one with others the entry leaves open
    # (`with_other_ingredients`), never a single-ingredient dosage form (a patch).
    preparations = {pk for pk, held in ingredients.items() if held <= records.keys()}
    if not preparations:
        return
    by_preparation = known.listings
    whole = {m.listed.schedule.jurisdiction for m in r.matches if not m.component}
    # Per basis of an ingredient's own entry: the preparation entries that may govern instead.
    instead: dict[int, list[tuple[Relation, Route, list[Listing]]]] = defaultdict(list)
    for relation in contains:
        if relation.subject_id not in preparations or relation.target_id not in records:
            continue
        ingredient = records[relation.target_id]
        for basis in own:
            if basis.component != ingredient.result.structure or (
                basis.substance != relation.target.uid
            ):
                continue
            code = basis.listed.schedule.jurisdiction
            # The other components on a drug schedule there (a precursor, such as ephedrine in a
            # codeine cough syrup, is in no schedule of drugs): then each answers by its entry.
            scheduled_other = any(
                m.listed.schedule.jurisdiction == code
                and m.listed.schedule.regime != Schedule.Regime.PRECURSOR
                for p in parts
                if p.result.substance is None
                or p.result.substance.pk not in ingredients[relation.subject_id]
                for m in p.result.matches
            )
            if code in whole or scheduled_other:
                continue  # the whole's own entry, or two controlled components: each answers
            named = Step(COMPOUND_PREPARATION, "", relation.subject)
            open_ended = len(ingredients[relation.subject_id]) == 1
            # The preparation's own entries, and those of the entries it is an item of.
            for steps, holder in (
                ((named,), relation.subject_id),
                *(
                    ((named, Step(Relation.Kind.MEMBER_OF, "", group)), group.pk)
                    for group in known.groups.get(relation.subject_id, ())
                ),
            ):
                route = Route(
                    start=relation.target,
                    matched_by=basis.route.matched_by,
                    steps=steps,
                    needs=frozenset(basis.route.needs),
                )
                entries = [
                    li
                    for li in by_preparation.get(holder, ())
                    if li.schedule.jurisdiction.code == code
                    and route.reaches(li)
                    and (not open_ended or (li.attributes or {}).get("with_other_ingredients"))
                ]
                if entries:
                    instead[id(basis)].append((relation, route, entries))
    if not instead:
        return
    replaced: dict[int, ListingBasis] = {}
    added: list[ListingBasis] = []
    for basis in own:
        if id(basis) not in instead:
            continue
        found = instead[id(basis)]
        why = _(
            "%(entries)s governs a mixture of %(ingredient)s with other components if the "
            "mixture is such a preparation, and the entry for %(ingredient)s otherwise: a "
            "structure does not show which it is"
        ) % {
            # Each by the entry of the jurisdiction that holds it (the 1961 Schedule III item a
            # US schedule V entry is within), not another jurisdiction's record.
            "entries": _(" or ").join(
                dict.fromkeys(
                    record_name(
                        _own_entry(
                            basis.listed.schedule.jurisdiction,
                            (rel.subject, *(step.substance for step in rt.steps[1:])),
                            known.listed_in,
                        )
                    )
                    for rel, rt, _e in found
                )
            ),
            "ingredient": record_name(found[0][0].target),
        }
        replaced[id(basis)] = dataclasses.replace(basis, entry_uncertain=why)
        # An entry reached twice (named for the mixture, and as the entry an item of it belongs
        # to) answers once, by the first way.
        offered = {m.listed.listing for m in added}
        for _relation, route, entries in found:
            for li in entries:
                if li.uid not in offered:
                    offered.add(li.uid)
                    added.append(
                        dataclasses.replace(
                            _named_basis(route, li), component=basis.component, entry_uncertain=why
                        )
                    )
    r.matches = [replaced.get(id(m), m) for m in r.matches] + added


def _answering(result: CheckResult, kept: Sequence[Basis], governed: set[str]) -> str:
    """What a part of a whole drawn in parts answers for the whole, given its bases outside the
    jurisdictions where the whole is governed by its own entry (`kept`): its own status, unless
    a basis left out there is what made it controlled or in doubt."""
    if len(kept) == len(result.matches) and not set(result.preparation_open) & governed:
        return result.status
    if result.status not in (CONTROLLED, UNCERTAIN):
        return result.status
    if any(not m.date_uncertain and not is_conditional(m) for m in kept) or (
        kept and handed_over(kept)
    ):
        return CONTROLLED
    open_elsewhere = set(result.preparation_open) - governed
    return UNCERTAIN if kept or open_elsewhere else NOT_CONTROLLED


def _merge_components(
    read: list[_Item],
    on: datetime.date,
    unrecorded: Sequence[Jurisdiction],
    jurisdiction: str | None = None,
) -> None:
    """Each input drawn in parts is controlled when any part is, and says which; where the
    whole is a record with an entry of its own, by that entry (see `_Item.own_entries`)."""
    entries_of = functools.cache(lambda: _PreparationEntries.read(on, jurisdiction))
    by_whole: dict[int, list[_Item]] = defaultdict(list)
    for item in read:
        if item.whole is not None:
            by_whole[id(item.whole)].append(item)
    for item in read:
        parts = by_whole.get(id(item))
        if not parts:
            for component in item.result.components:
                if component.role == "judged":
                    component.status = item.result.status
            continue
        r = item.result
        # Where the whole drawn is a record with an entry of its own, in force or in doubt on
        # the day, that entry governs it there, as an entry of its own governs an isomer: its
        # parts' entries do not answer for it. Dichloralphenazone, a complex of phenazone with
        # two chloral hydrate, is in US schedule IV by name from 2001; before, chloral hydrate's
        # entry reached it only on a reading its own listing records as a doubt. Elsewhere each
        # part answers as a part. A part keeps its own status (`statuses`, shown for it); what
        # it says for the whole is `answering`.
        governed = item.own_entries
        statuses, answering = {}, {}
        for part in parts:
            kept = [
                m for m in part.result.matches if m.listed.schedule.jurisdiction not in governed
            ]
            statuses[part.result.structure] = part.result.status
            answering[part.result.structure] = _answering(part.result, kept, governed)
            if part.result.structure == r.structure and part.result.highlight and not r.highlight:
                # The input's parent is this part: its drawing shows the part's class match.
                r.parent, r.highlight = part.result.parent, part.result.highlight
            for match in kept:
                r.matches.append(dataclasses.replace(match, component=part.result.structure))
        _compound_preparations(r, parts, entries_of)
        for component in r.components:
            if component.role == "judged":
                component.status = statuses.get(component.structure, UNKNOWN)
        # Why a part is not controlled where nothing answers for the whole: the whole's too.
        answered = {m.listed.schedule.jurisdiction for m in r.matches}
        why: dict[str, list[str]] = defaultdict(list)
        for part in parts:
            for code, reason in part.result.reasons.items():
                if code not in answered:
                    why[code].append(reason)
        r.reasons = {
            **{code: _("; ").join(dict.fromkeys(reasons)) for code, reasons in why.items()},
            **r.reasons,
        }
        # The entries a part was not compared with, where nothing answers for the whole.
        left_out = {
            code: uids
            for part in parts
            for code, uids in part.result.not_compared.items()
            if code not in answered
        }
        r.not_compared = {
            code: uids
            for code, uids in sorted({**left_out, **r.not_compared}.items())
            if code not in answered
        }
        # The listed substances a part is close to, under an analogue law: the closest of all.
        close = [
            (found.likeness, code, found)
            for part in parts
            for code, found in part.result.analogue_of.items()
            if code not in answered
        ]
        for _likeness, code, found in sorted(close, key=lambda c: (c[0], c[2].substance)):
            r.analogue_of[code] = found
        r.analogue_of = {c: f for c, f in sorted(r.analogue_of.items()) if c not in answered}
        if any(p.result.unjudged for p in parts):
            answered_by_whole = {m.listed.schedule.jurisdiction for m in r.matches}
            r.unjudged = tuple(
                sorted({code for p in parts for code in p.result.unjudged} - answered_by_whole)
            )
        if any(p.result.unrecorded for p in parts):
            r.unrecorded = _unanswered(
                [j for j in unrecorded if any(j.code in p.result.unrecorded for p in parts)],
                r.matches,
            )
        controlled = [s for s, status in answering.items() if status == CONTROLLED]
        in_doubt = False
        if controlled:
            r.status = CONTROLLED
            r.reason = _("controlled through its component %(parts)s") % {
                "parts": ", ".join(controlled)
            }
        elif any(
            not m.component and not m.date_uncertain and not is_conditional(m) for m in r.matches
        ):
            # The mixture itself is a listed record. Not a part's basis in doubt for what the
            # part is (a class's condition): that part, and so the whole, is uncertain.
            r.status, r.reason = CONTROLLED, ""
        elif UNCERTAIN in answering.values() or r.matches:
            r.status, in_doubt = UNCERTAIN, True
            r.reason = (
                _("; ").join(
                    dict.fromkeys(
                        p.result.reason for p in parts if answering[p.result.structure] == UNCERTAIN
                    )
                )
                or item.result.reason
            )
        if r.status == CONTROLLED:
            reaching = [
                listing
                for p in parts
                for listing in p.reaching
                if listing.schedule.jurisdiction.code not in governed
            ]
            r.since, r.since_at_latest = _since_and_bounds([*item.reaching, *reaching], on)
        elif any(status not in (NOT_CONTROLLED, UNCERTAIN) for status in answering.values()):
            r.status = UNKNOWN
            r.reason = _("a component could not be judged: %(parts)s") % {
                "parts": ", ".join(
                    f"{p.result.structure} ({p.result.reason})"
                    for p in parts
                    if answering[p.result.structure] != NOT_CONTROLLED
                )
            }
        elif not in_doubt:
            # A part in doubt, or a whole whose own entry is, leaves the whole in doubt: it was
            # judged, and a judgement in doubt is not a part that could not be judged.
            r.status = NOT_CONTROLLED
            r.reason = parts[0].result.reason


@dataclass
class Coverage:
    """A listing in force that reaches a substance through its relations, and why."""

    listing: Listing
    route: Route

    @property
    def explanation(self) -> str:
        return self.route.explanation(listing=self.listing)


def covered_through(
    substance: Substance, *, on: datetime.date, jurisdiction: str | None = None
) -> list[Coverage]:
    """The listings in force on `on` that reach `substance` through a relation, not directly:
    as a form of a listed compound, a member of a listed group, a single-ingredient preparation.
    """
    return reach_through(substance, on=on, jurisdiction=jurisdiction)[0]


def reach_through(
    substance: Substance, *, on: datetime.date, jurisdiction: str | None = None
) -> tuple[list[Coverage], dict[str, str]]:
    """What `covered_through` gives, and per jurisdiction code, why the listings in force there
    that a relation reaches but that do not cover `substance` leave it out (a list that does not
    cover materials containing what it lists), as the check says it."""
    graph = RelationGraph.around([substance])
    routes = [r for r in graph.routes([(substance, "name", frozenset())]) if r.steps]
    if not routes:
        return [], {}
    listings = Listing.objects.in_force(on=on).filter(
        substance_id__in={r.record.pk for r in routes}
    )
    if jurisdiction:
        listings = listings.in_jurisdiction(jurisdiction)
    listings = list(
        listings.select_related("schedule__jurisdiction", "listed_by").order_by(
            "schedule__sort_order", "effective_from"
        )
    )
    # An entry for a compound (in bulk, under another name), a material and a stereoisomer are
    # governed by their own listings where they have them (the check's rule): what they relate
    # to does not reach them there.
    own, grouped = set(), set()
    if any(route.yields_to_own_entry for route in routes):
        own = set(
            Listing.objects.in_force(on=on)
            .filter(substance=substance)
            .values_list("schedule__jurisdiction_id", flat=True)
        )
        # A preparation named by a group entry is governed by that entry's listing too.
        grouped = {
            listing.schedule.jurisdiction_id
            for route in routes
            if route.names_as_member
            for listing in listings
            if listing.substance_id == route.record.pk
        }
    out, seen, missed = [], set(), []
    for route in routes:
        governed = own if route.yields_to_own_entry else set()
        if route.through_preparation:
            governed = governed | grouped
            if (inner := route.ingredient_with_forms) is not None:
                governed = governed | {
                    listing.schedule.jurisdiction_id
                    for listing in listings
                    if listing.substance_id == inner.pk
                }
        for listing in listings:
            if listing.substance_id != route.record.pk or listing.pk in seen:
                continue
            if listing.schedule.jurisdiction_id in governed:
                continue
            if not route.reaches(listing):
                if not route.through_compound_preparation:
                    missed.append((route, listing))
                continue
            seen.add(listing.pk)
            out.append(Coverage(listing, route))
    codes = {li.schedule.jurisdiction_id: li.schedule.jurisdiction.code for li in listings}
    answered = {codes[c.listing.schedule.jurisdiction_id] for c in out}
    return out, _not_covered(missed, codes, answered)


def preparation_reasons(
    substance: Substance, *, on: datetime.date
) -> tuple[dict[str, str], dict[str, str]]:
    """For a preparation record, as the check reads it on `on` (listings in force and in doubt):
    per jurisdiction code, why its answer is open there (an ingredient's entry says nothing of
    preparations; another preparation of the same ingredients is listed), and why an
    ingredient's entry there leaves it out (it covers only single-ingredient preparations).
    There, unless something else answers for it, the check says `uncertain` and `not
    controlled` (see `check_items`). Empty for any other record."""
    if substance.kind != Substance.Kind.PREPARATION:
        return {}, {}
    graph = RelationGraph.around([substance])
    ingredients = _ingredients(graph, substance)
    if not ingredients:
        return {}, {}
    alike = _preparations_alike({substance.pk: ingredients}).get(substance.pk, [])
    history = _listings_up_to(
        on, None, sorted({pk for pk, _name in ingredients} | {pk for pk, _name in alike})
    )
    in_force = history.in_force(history.by_substance, on)
    in_doubt = history.in_doubt(history.by_substance, on)
    return _preparation_reasons(
        _opening(
            ingredients,
            alike,
            lambda pk: [*in_force.get(pk, ()), *(li for li, _doubt in in_doubt.get(pk, ()))],
            either=substance.ingredients == Substance.Ingredients.EITHER,
        ),
        lambda listing: listing.schedule.jurisdiction.code,
        on,
    )


def record_check(substance: Substance, *, on: datetime.date) -> CheckResult | None:
    """The check's answer for a record on `on`, asked by its English name as a reader would
    ask it (None where that name finds another record first): what a record's page says beside
    its own listings, for a preparation or a group entry, agrees with the check."""
    [result] = check_items([substance.name_en], on=on)
    if result.substance is None or result.substance.pk != substance.pk:
        return None
    return result


def members_reasons(result: CheckResult | None) -> dict[str, str]:
    """For an entry for a group: per jurisdiction code where nothing answers for the entry
    itself but some of its members are controlled there, or may be, which (see
    `_members_open`)."""
    if result is None:
        return {}
    return {code: result.reasons.get(code, "") for code in result.members_open}


def one_entry_or_another(result: CheckResult | None) -> dict[str, tuple[list[ScheduleRef], str]]:
    """Per jurisdiction code where a result is on one of several lists (a preparation within
    limits of strength its record does not state: `ListingBasis.entry_uncertain`), those lists
    (as the jurisdiction's verdict gives them) and why."""
    if result is None:
        return {}
    why: dict[str, str] = {}
    refs: dict[str, ScheduleRef] = {}
    for basis in result.matches:
        refs.setdefault(basis.listed.schedule.code, basis.listed.schedule)
        if getattr(basis, "entry_uncertain", "") and not basis.date_uncertain:
            why.setdefault(basis.listed.schedule.jurisdiction, basis.entry_uncertain)
    if not why:
        return {}
    return {
        verdict.jurisdiction: (
            [refs[code] for code in verdict.schedules],
            why[verdict.jurisdiction],
        )
        for verdict in per_jurisdiction.verdicts_of(result, per_jurisdiction.jurisdictions())
        if verdict.jurisdiction in why and verdict.status == CONTROLLED
    }


MEMBERSHIP_CACHE_SECONDS = 24 * 3600


def class_members(substance_class: SubstanceClass) -> list[int]:
    """Ids of the registry's substances whose structure falls under the class's rules.

    The class's own rules, as the check applies them, whether or not the class is in force.
    Whether a structure meets the rules depends on the structure and the rules alone, so the
    verdicts are cached per structure under the rules' content: after an edit only the
    structures not judged before are matched (standardizing a structure costs milliseconds).
    """
    specs = [rule.spec for rule in substance_class.rules.all()]
    if not specs:
        return []
    # Between two writes the members are read from the cache, without reading any structure.
    members_key, key = _class_member_keys(substance_class, specs)
    members = cache.get(members_key)
    if members is not None:
        return members
    verdicts: dict[str, bool] = cache.get(key) or {}
    rows = list(Substance.objects.exclude(smiles="").values_list("id", "smiles").order_by())
    fresh = False
    compiled = None  # compiled for the first structure not judged yet, if any
    for _pk, smiles in rows:
        if smiles in verdicts:
            continue
        if compiled is None:
            try:
                compiled = matching.compile_class(substance_class.uid, specs)
            except chemistry.ChemistryError:
                return []
        try:
            verdicts[smiles] = bool(matching.match_classes(smiles, [compiled]))
        except chemistry.ChemistryError:
            verdicts[smiles] = False
        fresh = True
    if fresh:
        cache.set(key, verdicts, MEMBERSHIP_CACHE_SECONDS)
    members = [pk for pk, smiles in rows if verdicts.get(smiles)]
    cache.set(members_key, members, MEMBERSHIP_CACHE_SECONDS)
    return members


def _class_member_keys(substance_class: SubstanceClass, specs: list) -> tuple[str, str]:
    """The keys of a class's members in this registry version, and of its verdicts by structure."""
    rules_key = hashlib.sha256(repr(specs).encode()).hexdigest()[:24]
    uid, version = substance_class.uid, Change.objects.version()
    return (
        f"check:class-members:{uid}:{rules_key}:{version}",
        f"check:class-verdicts:{uid}:{rules_key}",
    )


def keep_class_members(substance_class: SubstanceClass, *, refresh: bool = False) -> None:
    """Work out `class_members` where it is not kept; with `refresh`, keep it anew (see
    `registry.cache.KEPT_AHEAD_SECONDS`)."""
    class_members(substance_class)
    specs = [rule.spec for rule in substance_class.rules.all()]
    if refresh and specs:
        kept = cache.get_many(list(_class_member_keys(substance_class, specs)))
        cache.set_many(kept, KEPT_AHEAD_SECONDS)


# --- whole classes as lists of results show them ---------------------------------------------


@dataclass
class ClassControl:
    """A whole class and its control on a day: its listings in force then, and per jurisdiction
    the first day of the unbroken control that includes the day (the check's `since`, across
    the class's reschedulings such as the 2025 reorganisation)."""

    substance_class: SubstanceClass
    in_force: list[Listing]
    since: dict[str, str]

    @functools.cached_property
    def url(self) -> str:
        """The class's page (in the language active when first asked): a page of results
        links to it from every result it covers, resolved once."""
        return self.substance_class.get_absolute_url()


@dataclass
class Standing:
    """A registry substance's control on a day beyond its own named listings, as a list of
    search results shows it: the classes in force whose rules its structure meets, and per
    jurisdiction since when it has been controlled without a break, counted as the check counts
    (its named listings and those classes together: a compound named after its class was
    already controlled from the class's start; one controlled only as a class member, from the
    class's)."""

    classes: list[ClassControl] = field(default_factory=list)
    since: dict[str, str] = field(default_factory=dict)
    # The listings in force on the day that reach it through a relation (a salt of a listed
    # compound, a member of a listed group), as `covered_through` gives them.
    through: list[Coverage] = field(default_factory=list)
    # The classes in force whose rules its structure meets but whose definitions also ask what
    # a structure cannot show (the US cannabimimetic agents: CB1 agonism): members or not.
    possible: list[ClassControl] = field(default_factory=list)


def _class_state(on: datetime.date) -> tuple[dict[int, list[Listing]], dict[int, tuple]]:
    """Every class listing started by `on`, and each listed class with its rules as plain
    specs: read once per registry version and day (a handful of rows), then from the cache."""
    key = f"check:class-state:{Change.objects.version()}:{on.isoformat()}"
    # This process's last answer first: unpickling the listings costs more than the rest of a
    # page's class work. Safe, as the key changes with every write to the registry.
    state = _STATE_MEMO.get(key)
    if state is None:
        state = cache.get(key)
    if state is None:
        by_class = dict(_listings_up_to(on, None, substance_ids=()).by_class)
        classes = SubstanceClass.objects.filter(pk__in=list(by_class)).prefetch_related("rules")
        specs = {cls.pk: (cls, tuple(r.spec for r in cls.rules.all())) for cls in classes}
        state = (by_class, specs)
        cache.set(key, state, MEMBERSHIP_CACHE_SECONDS)
    if key not in _STATE_MEMO:
        _STATE_MEMO.clear()
        _STATE_MEMO[key] = state
    return state


_STATE_MEMO: dict[str, tuple] = {}
_MEMBERSHIP_MEMO: dict[str, tuple[str, ...]] = {}
MEMBERSHIP_MEMO_SIZE = 20_000
"""Structures whose class verdicts a process keeps at hand (beside the shared cache)."""


def _control(cls: SubstanceClass, listings: list[Listing], on: datetime.date) -> ClassControl:
    in_force = _History.in_force({cls.pk: listings}, on).get(cls.pk, [])
    return ClassControl(cls, in_force, _since(listings, on))


def class_controls(classes, *, on: datetime.date | None = None) -> list[ClassControl]:
    """The given classes (e.g. `SubstanceClass.objects.matching(text)`), each with its lists in
    force on `on` (today by default) and since when it has been controlled without a break;
    a class never listed by then has neither. Ordered by English name."""
    on = on or timezone.localdate()
    classes = sorted(classes, key=lambda c: (c.name_en, c.pk))
    if not classes:
        return []
    by_class, _specs = _class_state(on)
    return [_control(cls, by_class.get(cls.pk, []), on) for cls in classes]


def _membership_keys(smiles: Iterable[str], classes: list[tuple[str, tuple]]) -> dict[str, str]:
    rules_key = hashlib.sha256(repr(classes).encode()).hexdigest()
    return {
        s: f"check:memberships:{rules_key[:24]}:{hashlib.sha256(s.encode()).hexdigest()[:32]}"
        for s in smiles
    }


def _memberships(
    smiles: set[str], classes: list[tuple[str, tuple]], seconds: float = ITEM_TIME_BUDGET_SECONDS
):
    """Per structure, the uids of the classes whose rules it meets. Each verdict is cached
    under the structure and the rules (a page of results is judged once, then read back); a
    structure that cannot be read is in no class, one that cannot be judged in `seconds` is None
    (and not kept), and a class whose stored rules no longer compile covers nothing (the check
    itself says why). `classes` holds each class's uid and rule specs; they are compiled only
    if a verdict is missing, so that a page whose verdicts are all cached needs no chemistry."""
    keys = _membership_keys(smiles, classes)
    missing = [key for key in keys.values() if key not in _MEMBERSHIP_MEMO]
    cached = {key: _MEMBERSHIP_MEMO[key] for key in keys.values() if key in _MEMBERSHIP_MEMO}
    if missing:
        cached.update(cache.get_many(missing))
    if len(_MEMBERSHIP_MEMO) > MEMBERSHIP_MEMO_SIZE:
        _MEMBERSHIP_MEMO.clear()
    _MEMBERSHIP_MEMO.update(cached)
    found: dict[str, tuple[str, ...]] = {}
    fresh = {}
    compiled = None
    for text, key in keys.items():
        if key in cached:
            found[text] = cached[key]
            continue
        if compiled is None:
            compiled = []
            for uid, rules in classes:
                try:
                    compiled.append(matching.compile_class(uid, list(rules)))
                except chemistry.ChemistryError:
                    continue  # a stored rule that no longer compiles: the check says so
        try:
            matches = matching.match_classes(
                text,
                compiled,
                deadline=time.monotonic() + seconds,
            )
        except chemistry.MatchTimeout:
            found[text] = None  # not judged in time: not kept, and not taken for "in no class"
            continue
        except chemistry.ChemistryError:
            found[text] = fresh[key] = ()  # a structure that cannot be read is in no class
            continue
        found[text] = fresh[key] = tuple(m.class_uid for m in matches)
    if fresh:
        cache.set_many(fresh, MEMBERSHIP_CACHE_SECONDS)
        _MEMBERSHIP_MEMO.update(fresh)
    return found


def _every_class_rules() -> list[tuple[str, tuple]]:
    """Every class that has rules, listed or not, by uid: its uid and rule specs."""
    key = f"check:every-class-rules:{Change.objects.version()}"
    found = cache.get(key)
    if found is None:
        classes = SubstanceClass.objects.prefetch_related("rules").order_by("uid")
        found = [(c.uid, tuple(r.spec for r in c.rules.all())) for c in classes]
        found = [(uid, rules) for uid, rules in found if rules]
        cache.set(key, found, MEMBERSHIP_CACHE_SECONDS)
    return found


def substance_classes(substance: Substance, on: datetime.date) -> list[ClassBasis]:
    """The whole classes in force on `on` whose rules the substance's structure meets, as the
    check answers for its structure (a substance page shows them).

    Kept per registry version and day. A structure in one part that meets no class's rules at
    all (most of them; that verdict is kept by structure and rules, across writes) needs no
    check; one in several parts is left to the check, which judges the parts one by one.
    """
    if not substance.smiles:
        return []
    return derived(_substance_classes_key(substance, on), lambda: _classes_of([substance], on)[0])


def _substance_classes_key(substance: Substance, on: datetime.date) -> str:
    # (typed bases since "t2": a value kept before holds dicts, or a pair)
    return f"check:classes-of:t2:{Change.objects.version()}:{substance.pk}:{on}"


def _needing_the_check(substances: Sequence[Substance]) -> set[str]:
    """The structures of `substances` whose classes only the check can tell: in several parts,
    meeting some class's rules, or not judged in time (see `substance_classes`)."""
    single = {s.smiles for s in substances if s.smiles and "." not in s.smiles}
    verdicts = _memberships(single, _every_class_rules()) if single else {}
    return {s.smiles for s in substances if s.smiles and verdicts.get(s.smiles) != ()}


def _classes_of(substances: Sequence[Substance], on: datetime.date) -> list[list[ClassBasis]]:
    """`substance_classes` for many substances at once: one check for those that need it."""
    asked = sorted(_needing_the_check(substances))
    answers = dict(zip(asked, check_items(asked, on=on), strict=True)) if asked else {}
    return [
        [m for m in answers[s.smiles].matches if isinstance(m, ClassBasis)]
        if s.smiles in answers
        else []
        for s in substances
    ]


def keep_substance_classes(
    substances: Sequence[Substance], on: datetime.date, *, refresh: bool = False
) -> int:
    """Work out `substance_classes` for each of `substances` that needs the check for it (one
    whose structure meets some class's rules, or is in several parts) and is not kept yet, and
    keep it: how many were worked out. The others' pages need no chemistry: their class
    verdicts are kept by structure (`keep_class_verdicts`), which survives writes, where this
    is kept per registry version."""
    needing = _needing_the_check(substances)
    keys = {_substance_classes_key(s, on): s for s in substances if s.smiles in needing}
    kept = cache.get_many(list(keys))
    missing = [(key, s) for key, s in keys.items() if key not in kept]
    made = {}
    if missing:
        found = _classes_of([s for _, s in missing], on)
        made = {key: bases for (key, _), bases in zip(missing, found, strict=True)}
    cache.set_many((kept if refresh else {}) | made, KEPT_AHEAD_SECONDS)
    return len(missing)


def keep_isomer_signatures(substances: Sequence[Substance], *, refresh: bool = False) -> int:
    """Work out and keep the isomer signatures a substance page of `substances` would need to
    say whether it may be a positional isomer of an entry's (see `positional_isomer_of`): those
    of the records whose formula is an entry's that covers positional isomers (the entries'
    own records among them). How many structures had none kept."""
    formulas = _positional_table().keys()
    wanted = {s.smiles for s in substances if s.smiles and s.formula in formulas}
    return _kept_signatures(wanted, refresh=refresh)[1]


KEEPING_TIME_BUDGET_SECONDS = 5.0
"""How long `keep_class_verdicts` gives each structure: a job that works verdicts out ahead can
wait longer than a page (`ITEM_TIME_BUDGET_SECONDS`), and a verdict not reached in time is not
kept, so the page would work it out again."""


def keep_class_verdicts(
    structures: Sequence[str], on: datetime.date, *, refresh: bool = False
) -> int:
    """Judge each structure under every class's rules (`meets_no_class_rules`) and under the
    rules of the classes in force on `on` (`standings`), where not judged yet, and keep the
    verdicts: how many structures had one missing. With `refresh`, the verdicts kept already
    are kept anew (see `registry.cache.KEPT_AHEAD_SECONDS`)."""
    by_class, specs = _class_state(on)
    in_force = [(specs[pk][0].uid, specs[pk][1]) for pk in sorted(_History.in_force(by_class, on))]
    missing = 0
    for classes in (_every_class_rules(), in_force):
        keys = _membership_keys(set(structures), classes)
        kept = cache.get_many(list(keys.values()))
        todo = {text for text, key in keys.items() if key not in kept}
        made = {}
        if todo:
            missing = max(missing, len(todo))
            found = _memberships(todo, classes, seconds=KEEPING_TIME_BUDGET_SECONDS)
            # Also those this process still knew: the shared cache may have let them go.
            made = {keys[t]: found[t] for t in todo if found[t] is not None}
        cache.set_many((kept if refresh else {}) | made, KEPT_AHEAD_SECONDS)
    return missing


def meets_no_class_rules(smiles: str) -> bool:
    """True when the structure meets the rules of no class at all, listed or not, on any day:
    then no class covers it and the check need not be asked about its classes. False when it
    meets some class's rules, or when that could not be judged in time.

    From the class verdicts kept in the shared cache (see `_memberships`; they depend on the
    structure and the rules only, so they outlive writes to anything else): mostly without
    chemistry."""
    return _memberships({smiles}, _every_class_rules())[smiles] == ()


def standings(substances: Sequence[Substance], *, on: datetime.date) -> dict[int, Standing]:
    """Per substance (by id), the classes in force on `on` that cover it, the listings that
    reach it through its relations, and since when it has been controlled without a break
    (see `Standing`). For a page of results: a few queries (the registry's version, the
    relations around the page, the listings of the page and of what it relates to), whatever
    the number of classes."""
    by_class, specs = _class_state(on)
    in_force = _History.in_force(by_class, on)
    classes = [specs[pk] for pk in sorted(in_force)]
    members = _memberships(
        {s.smiles for s in substances if s.smiles}, [(cls.uid, rules) for cls, rules in classes]
    )
    named: dict[int, list[Period]] = defaultdict(list)
    own_lists: dict[int, set[str]] = defaultdict(set)  # the lists it is on by name, that day
    own_codes: dict[int, set[str]] = defaultdict(set)  # and their jurisdictions
    ids = [s.pk for s in substances]
    # The routes by which a listing of another record reaches each substance, as the check
    # follows them (form of, member of, single-ingredient preparation; exceptions hold).
    graph = RelationGraph.around(substances) if ids else None
    routes = {
        s.pk: [r for r in graph.routes([(s, "name", frozenset())]) if r.steps]
        for s in substances
        if graph is not None
    }
    related: dict[int, list[Listing]] = defaultdict(list)
    if wanted := {r.record.pk for rs in routes.values() for r in rs}:
        for listing in (
            Listing.objects.filter(substance_id__in=wanted, effective_from__lte=on)
            .select_related("schedule__jurisdiction", "substance", "listed_by")
            .order_by("schedule__sort_order", "effective_from")
        ):
            related[listing.substance_id].append(listing)
    if ids:
        rows = (
            Listing.objects.filter(substance_id__in=ids, effective_from__lte=on)
            .values_list(
                "substance_id",
                "schedule__jurisdiction__code",
                "effective_from",
                "effective_to",
                "schedule__uid",
            )
            .order_by()
        )
        for pk, code, start, end, schedule in rows:
            named[pk].append((code, start, end))
            if end is None or end > on:
                own_lists[pk].add(schedule)
                own_codes[pk].add(code)
    controls = {cls.pk: _control(cls, by_class[cls.pk], on) for cls, _rules in classes}
    out = {}
    for substance in substances:
        uids = set(members.get(substance.smiles) or ()) if substance.smiles else set()
        covering = [cls for cls, _rules in classes if cls.uid in uids]
        reaching = list(named.get(substance.pk, []))
        for cls in covering:
            if cls.condition:  # a condition not shown starts no run of control
                continue
            reaching.extend(
                (li.schedule.jurisdiction.code, li.effective_from, li.effective_to)
                for li in by_class[cls.pk]
            )
        through, seen = [], set()
        # A preparation named by a group entry is governed by that entry's listing too.
        grouped = {
            li.schedule.jurisdiction.code
            for route in routes.get(substance.pk, ())
            if route.names_as_member
            for li in related.get(route.record.pk, ())
            if li.effective_to is None or li.effective_to > on
        }
        for route in routes.get(substance.pk, ()):
            for li in related.get(route.record.pk, ()):
                if li.pk in seen or not route.reaches(li):
                    continue
                seen.add(li.pk)
                # Before its own entry, this one reached it: its control runs on unbroken (the
                # check's `since`), though it is not shown where the own entry governs now.
                reaching.append((li.schedule.jurisdiction.code, li.effective_from, li.effective_to))
                if route.yields_to_own_entry and li.schedule.jurisdiction.code in (
                    own_codes[substance.pk] | (grouped if route.through_preparation else set())
                ):
                    continue  # a record's own listing governs it there (the check's rule)
                # Shown unless it is on that list by name too (its own entry says it).
                if li.schedule.uid not in own_lists[substance.pk] and _History.in_force(
                    {0: [li]}, on
                ):
                    through.append(Coverage(li, route))
        # A class shown as covering it is one whose entry claims it, as the check weighs it
        # (a compound named on a list the entry defers to stays under that list's entry).
        named_on = own_lists[substance.pk] | {c.listing.schedule.uid for c in through}
        claimed = [
            cls
            for cls in covering
            if any(
                _class_entry_claims(cls, li, named_on, {substance.uid})[0]
                for li in in_force.get(cls.pk, ())
            )
        ]
        out[substance.pk] = Standing(
            classes=[controls[cls.pk] for cls in claimed if not cls.condition],
            possible=[controls[cls.pk] for cls in claimed if cls.condition],
            since=_since_periods(reaching, on),
            through=through,
        )
    return out
