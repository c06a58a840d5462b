"""Class membership: does a structure fall under a whole-class control?

A class control (China's fentanyl-related substances, synthetic cannabinoids, nitazenes) is
defined in law by structural conditions. The registry stores each class's machine-readable
reading of that law as *data*: an ordered list of rules, each a (kind, SMARTS, explanation)
triple with a short label, edited by curators (see ``fixtures/classes.yaml``). This module turns
those rules into compiled queries and applies them. It knows nothing about Django models (the
caller passes plain `RuleSpec` values) and nothing about RDKit (it asks `substances.chemistry`).

Rule semantics. A structure is a member of a class when, on its standardized parent:

- at least one ``include`` rule matches (each include rule is one accepted scaffold, e.g. "indazole
  with N1-R1 and C3-C(=O)-Z-R3"); the first matching include rule, in the stored order, is the one
  reported, with the atoms it matched;
- every ``require`` rule matches (a condition that all members share, e.g. "has no metal"); a class
  may have none;
- no ``exclude`` rule matches (a carve-out, e.g. "not a quaternary ammonium").

A class with no include rule matches nothing. Stereochemistry is ignored, as in the legal texts.

Group conditions. A rule's text is its SMARTS pattern, then optionally condition lines on the
groups hanging on labelled query atoms (``[...:1]``) or on the whole molecule, e.g.
``group 1 (R1): carbons 3-8 | heterocycle; linker 0-2`` or ``molecule: mass <= 500``: carbon
ranges (on the carbon skeleton or the ring system), ring or chain, linker length, saturation,
allowed elements, heteroatoms, mass. A rule with conditions matches when some occurrence of its
pattern meets them all; the groups found are added to the explanation. The language is
documented with examples in docs/class-rules.md.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from substances import chemistry

__all__ = [
    "RULE_FIELDS",
    "RULE_KINDS",
    "ClassMatch",
    "CompiledClass",
    "CompiledRule",
    "GroupFound",
    "LeftOut",
    "RuleResult",
    "RuleSpec",
    "check_rule",
    "compile_class",
    "evaluate_class",
    "match_classes",
    "read_condition",
]

INCLUDE = "include"
REQUIRE = "require"
EXCLUDE = "exclude"
RULE_KINDS = (INCLUDE, REQUIRE, EXCLUDE)
"""The rule kinds, see the module docstring for their meaning (stored as ClassRule.Kind, which
the database holds to these)."""


@dataclass(frozen=True)
class RuleSpec:
    """One stored rule of a class definition, as plain data.

    ``label`` names the rule for people ("indazole-3-carbonyl, N1-R1"); ``kind`` is one of
    `RULE_KINDS`; ``smarts`` is the pattern; ``explanation`` says which words of the legal text
    the rule encodes and how they were read.
    """

    label: str
    kind: str
    smarts: str
    explanation: str = ""


RULE_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(RuleSpec))
"""A rule's fields, in their order: the keys of a rule in a class's representation."""


@dataclass(frozen=True, eq=False)
class CompiledRule:
    """A `RuleSpec` with its SMARTS compiled and its condition lines parsed (``maps``: the
    position in the pattern of each query atom with a map number)."""

    spec: RuleSpec
    query: chemistry.Query
    conditions: tuple[GroupRule, ...] = ()
    maps: dict[int, int] | None = None


@dataclass(frozen=True, eq=False)
class CompiledClass:
    """A class definition ready for matching: its uid and its compiled rules, in stored order."""

    uid: str
    rules: tuple[CompiledRule, ...]

    @property
    def includes(self) -> tuple[CompiledRule, ...]:
        return tuple(rule for rule in self.rules if rule.spec.kind == INCLUDE)

    @property
    def requires(self) -> tuple[CompiledRule, ...]:
        return tuple(rule for rule in self.rules if rule.spec.kind == REQUIRE)

    @property
    def excludes(self) -> tuple[CompiledRule, ...]:
        return tuple(rule for rule in self.rules if rule.spec.kind == EXCLUDE)


@dataclass(frozen=True)
class ClassMatch:
    """A structure's membership of one class, and why.

    ``rule_label``, ``kind`` and ``explanation`` are those of the include rule that matched;
    ``atoms`` are the indices, in the standardized parent, of the atoms that rule matched
    (usable with `chemistry.depict_svg` on ``chemistry.standardize(structure)``).
    """

    class_uid: str
    rule_label: str
    kind: str
    atoms: tuple[int, ...]
    explanation: str
    groups: tuple[GroupFound, ...] = ()


@dataclass(frozen=True)
class LeftOut:
    """A class a structure is not a member of only by an exclusion: the include rule that
    matched it (``rule_label``) and the first exclude rule that took it out again
    (``exclusion_label``)."""

    class_uid: str
    rule_label: str
    exclusion_label: str


@dataclass(frozen=True)
class GroupFound:
    """What one condition line of the matched rule found: the group hanging on its labelled atom
    (``carbons``, ``ring_carbons``, ``heterocycle``; all None/False for a line on the whole
    molecule, whose ``mass`` is given), and the line's ``condition`` as written. The English
    explanation says the same in words; a face writing another language reads these."""

    name: str
    condition: str
    carbons: int | None = None
    ring_carbons: int | None = None
    heterocycle: bool = False
    mass: float | None = None

    def describe(self) -> str:
        if self.carbons is None:
            return f"{self.mass:g} g/mol"
        parts = [f"{self.carbons} C in its carbon skeleton"]
        if self.ring_carbons is not None:
            parts.append(f"attached through a ring system of {self.ring_carbons} C")
        if self.heterocycle:
            parts.append("a heterocycle")
        return ", ".join(parts)


@dataclass(frozen=True)
class RuleResult:
    """One rule applied to one structure: the atoms it matched, or None."""

    label: str
    kind: str
    atoms: tuple[int, ...] | None


def check_rule(
    spec: RuleSpec, *, time_limit: float = chemistry.STRESS_TIME_LIMIT_SECONDS, stress: bool = True
) -> str | None:
    """Why a rule cannot be used (bad kind, bad or oversized SMARTS), or None if it can.

    Meant for curator-facing validation, e.g. a model's ``clean()``: besides the SMARTS itself,
    the pattern must pass `chemistry.stress_test` within ``time_limit`` on every worst-case
    molecule: every search runs under a time guard, but a check on which a rule's search is cut
    short can only answer "unknown". Without ``stress``, the text alone is checked (pattern and
    group conditions), e.g. when fixtures are read.
    """
    if spec.kind not in RULE_KINDS:
        return f"unknown rule kind {spec.kind!r}; expected one of {', '.join(RULE_KINDS)}"
    try:
        query = chemistry.compile_smarts(spec.smarts)
        conditions = parse_conditions(spec.smarts)
    except chemistry.ChemistryError as exc:
        return exc.reason
    except ValueError as exc:
        return f"group conditions: {exc}"
    maps = chemistry.query_atom_maps(query)
    for line in conditions:
        if line.group is not None and line.group not in maps:
            return f"group conditions: no query atom is labelled :{line.group} in the pattern"
    if not stress:
        return None
    try:
        chemistry.stress_test(query, time_limit=time_limit)
    except chemistry.ChemistryError as exc:
        return exc.reason
    return None


# --------------------------------------------------------------------------------------------
# Group conditions: what the parts of a pattern matched must be like
# --------------------------------------------------------------------------------------------

_LINE_RE = re.compile(r"^(?:group\s+(\d+)(?:\s*\(([^)]{1,40})\))?|(molecule))\s*:\s*(.+)$")
_RANGE_RE = re.compile(r"^(\d+)?\s*(-)?\s*(\d+)?$")
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_FLAGS = (
    "chain",
    "ring",
    "acyclic",
    "aromatic",
    "saturated",
    "no triple bond",
    "heterocycle",
    "no heterocycle",
)
_SYMBOL_RE = re.compile(r"^[A-Z][a-z]?$")


@dataclass(frozen=True)
class Condition:
    """One condition on a group (or the molecule): ``what`` is one of ``carbons``,
    ``ring carbons``, ``heteroatoms``, ``linker``, ``mass`` (a range, bounds inclusive, None if
    open), ``elements`` (the allowed element symbols) or a flag of `_FLAGS`."""

    what: str
    low: float | None = None
    high: float | None = None
    symbols: frozenset[str] = frozenset()

    def holds(self, group: chemistry.Group | None, mass: float) -> bool:
        if self.what == "mass":
            value = group.mass if group is not None else mass
            return _within(value, self.low, self.high)
        if group is None:
            return False
        if self.what == "carbons":
            return _within(group.carbons, self.low, self.high)
        if self.what == "ring carbons":
            return group.ring_carbons is not None and _within(
                group.ring_carbons, self.low, self.high
            )
        if self.what == "heteroatoms":
            return _within(group.heteroatoms, self.low, self.high)
        if self.what == "linker":
            return group.linker is not None and _within(group.linker, self.low, self.high)
        if self.what == "elements":
            return group.elements <= self.symbols | {"H"}
        return {
            "chain": group.ring_carbons is None,
            "ring": group.ring_carbons is not None,
            "acyclic": not group.has_ring,
            "aromatic": group.aromatic,
            "saturated": group.saturated,
            "no triple bond": not group.triple_bond,
            "heterocycle": group.heterocycle,
            "no heterocycle": not group.heterocycle,
        }[self.what]


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


@dataclass(frozen=True)
class GroupRule:
    """One condition line of a rule: on the group hanging on the query atom with map number
    ``group`` (None: on the whole molecule), called ``name`` in explanations; it holds when every
    condition of one of the ``alternatives`` holds."""

    group: int | None
    name: str
    alternatives: tuple[tuple[Condition, ...], ...]
    text: str


def _condition(text: str) -> Condition:
    text = " ".join(text.split())
    if text in _FLAGS:
        return Condition(text)
    for what in ("ring carbons", "carbons", "heteroatoms", "linker", "mass", "elements"):
        if text.startswith(what + " ") or text.startswith(what + "<"):
            rest = text[len(what) :].strip()
            break
    else:
        raise ValueError(f"unknown condition {text!r}")
    if what == "elements":
        symbols = frozenset(part.strip() for part in re.split(r"[,\s]+", rest) if part.strip())
        if not symbols or not all(_SYMBOL_RE.match(symbol) for symbol in symbols):
            raise ValueError(f"elements: expected element symbols, got {rest!r}")
        return Condition(what, symbols=symbols)
    if rest.startswith("<="):
        number = rest[2:].strip()
        if not _NUMBER_RE.match(number):
            raise ValueError(f"{what}: expected a number after <=, got {number!r}")
        return Condition(what, high=float(number))
    found = _RANGE_RE.match(rest)
    if not found or not (found.group(1) or found.group(3)):
        raise ValueError(f"{what}: expected a range such as 3-8, 3- or 8, got {rest!r}")
    low, dash, high = found.groups()
    low_value = float(low) if low else None
    high_value = float(high) if high else (None if dash else low_value)
    if low_value is not None and high_value is not None and low_value > high_value:
        raise ValueError(f"{what}: empty range {rest!r}")
    return Condition(what, low=low_value, high=high_value)


def read_condition(body: str) -> tuple[tuple[Condition, ...], ...]:
    """A condition line's body ("carbons 3-8 | heterocycle; linker 0-2") as its alternatives,
    each a tuple of conditions that must all hold. Raises ValueError as `parse_conditions`."""
    alternatives = tuple(
        tuple(_condition(part) for part in alternative.split(";") if part.strip())
        for alternative in body.split("|")
    )
    if not all(alternatives):
        raise ValueError("an empty alternative")
    return alternatives


def parse_conditions(text: str) -> tuple[GroupRule, ...]:
    """The condition lines of a rule's text (every line after the pattern), parsed.

    Raises ValueError naming the line that cannot be read. See the module docstring and
    docs/class-rules.md for the language.
    """
    rules = []
    for number, line in enumerate(text.strip().splitlines()[1:], start=2):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        found = _LINE_RE.match(line)
        if not found:
            raise ValueError(
                f"line {number}: expected 'group N: ...' or 'molecule: ...', got {line!r}"
            )
        group, name, _molecule, body = found.groups()
        try:
            alternatives = read_condition(body)
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from exc
        rules.append(
            GroupRule(
                group=int(group) if group else None,
                name=(name or (f"group {group}" if group else "molecule")).strip(),
                alternatives=alternatives,
                text=line,
            )
        )
    return tuple(rules)


def _satisfied(
    mol: chemistry.Mol, rule: CompiledRule, match: tuple[int, ...], mass: float
) -> tuple[GroupFound, ...] | None:
    """None when some condition line fails on this match; else what the groups were."""
    found = []
    for line in rule.conditions:
        group = None
        if line.group is not None:
            group = chemistry.group_at(mol, match[rule.maps[line.group]], match)
        if not any(all(c.holds(group, mass) for c in alt) for alt in line.alternatives):
            return None
        condition = line.text.split(":", 1)[1].strip()
        if group is None:
            found.append(GroupFound(line.name, condition, mass=mass))
        else:
            found.append(
                GroupFound(
                    line.name, condition, group.carbons, group.ring_carbons, group.heterocycle
                )
            )
    return tuple(found)


@functools.lru_cache(maxsize=512)
def _compile(uid: str, rules: tuple[RuleSpec, ...]) -> CompiledClass:
    compiled = []
    for spec in rules:
        # Held to the search's own budget rather than the stricter one of a save: a rule that
        # passed when it was saved must not be dropped because this machine is busy now.
        problem = check_rule(spec, time_limit=chemistry.MATCH_TIME_LIMIT_SECONDS)
        if problem:
            raise chemistry.ChemistryError(f"class {uid}, rule {spec.label!r}: {problem}")
        query = chemistry.compile_smarts(spec.smarts)
        compiled.append(
            CompiledRule(
                spec=spec,
                query=query,
                conditions=parse_conditions(spec.smarts),
                maps=chemistry.query_atom_maps(query),
            )
        )
    return CompiledClass(uid=uid, rules=tuple(compiled))


def compile_class(uid: str, rules: Sequence[RuleSpec]) -> CompiledClass:
    """Compile a class's rules, once: later calls with the same uid and rules hit a cache.

    The cache key is the uid and the rules' full content, so editing any rule (label, kind,
    SMARTS or explanation) compiles afresh. Raises `chemistry.ChemistryError` naming the class
    and rule if a rule is unusable.
    """
    return _compile(uid, tuple(rules))


def _first_match(
    mol: chemistry.Mol,
    rule: CompiledRule,
    uid: str,
    screen: object = None,
    deadline: float | None = None,
    elements: dict[str, int] | None = None,
) -> tuple[int, ...] | None:
    found = _first_occurrence(mol, rule, uid, screen, deadline, elements)
    return None if found is None else found[0]


def _first_occurrence(
    mol: chemistry.Mol,
    rule: CompiledRule,
    uid: str,
    screen: object = None,
    deadline: float | None = None,
    elements: dict[str, int] | None = None,
) -> tuple[tuple[int, ...], tuple[GroupFound, ...]] | None:
    """The rule's first match whose groups meet its conditions, with what the groups were (none
    for a rule without conditions), or None."""
    try:
        atoms = chemistry.find_match(
            mol, rule.query, screen=screen, deadline=deadline, elements=elements
        )
        if atoms is None:
            return None
        if not rule.conditions:
            return atoms, ()
        # Each occurrence labels the groups its own way: the first whose groups meet the
        # conditions is the match.
        mass = chemistry.molecular_mass(mol)
        for match in chemistry.find_matches(mol, rule.query):
            groups = _satisfied(mol, rule, match, mass)
            if groups is not None:
                return match, groups
        return None
    except chemistry.MatchTimeout as exc:
        raise chemistry.MatchTimeout(
            f"class {uid}, rule {rule.spec.label!r}: {exc.reason}"
        ) from exc


def _membership(
    mol: chemistry.Mol,
    cls: CompiledClass,
    screen: object,
    deadline: float | None = None,
    elements: dict[str, int] | None = None,
    left_out: list[LeftOut] | None = None,
) -> ClassMatch | None:
    def first(rule: CompiledRule) -> tuple[int, ...] | None:
        return _first_match(mol, rule, cls.uid, screen, deadline, elements)

    for rule in cls.includes:
        found = _first_occurrence(mol, rule, cls.uid, screen, deadline, elements)
        if found is None:
            continue
        if any(first(other) is None for other in cls.requires):
            return None
        exclusion = next((other for other in cls.excludes if first(other) is not None), None)
        if exclusion is not None:
            if left_out is not None:
                left_out.append(LeftOut(cls.uid, rule.spec.label, exclusion.spec.label))
            return None
        atoms, groups = found
        explanation = rule.spec.explanation
        if rule.conditions:
            # The groups as found when the match was tested.
            notes = "; ".join(f"{g.name}: {g.describe()} ({g.condition})" for g in groups)
            explanation = f"{explanation.rstrip()} Groups matched: {notes}.".strip()
        return ClassMatch(
            class_uid=cls.uid,
            rule_label=rule.spec.label,
            kind=rule.spec.kind,
            atoms=atoms,
            explanation=explanation,
            groups=groups,
        )
    return None


def match_classes(
    mol: chemistry.Mol | str,
    classes: Iterable[CompiledClass],
    *,
    deadline: float | None = None,
    left_out: list[LeftOut] | None = None,
) -> list[ClassMatch]:
    """The classes a structure belongs to, in the order the classes are given.

    ``mol`` is a molecule or structure text; it is standardized first (a salt is judged by its
    parent), so reported atoms refer to ``chemistry.standardize(mol)``. Given a list as
    ``left_out``, each class whose include rule matched but one of whose exclude rules did too is
    added to it (`LeftOut`): the check says why such a structure is not a member. Raises
    `chemistry.ChemistryError` for unreadable text and `chemistry.MatchTimeout` (a subclass) if
    a rule's search exceeds its time budget or ``deadline`` (a `time.monotonic` value) passes;
    the caller turns either into a verdict.
    """
    parent = chemistry.standardize(mol)
    # On an ordinary molecule each rule's anchor (see `chemistry.compile_smarts`) rules most
    # searches out in a few microseconds, where a screening fingerprint would cost more than the
    # searches it saves; the others are screened.
    screen = None if chemistry.is_ordinary(parent) else chemistry.screen_of(parent)
    # A rule needing more atoms of an element than the molecule has is ruled out by the
    # formula, without a search (most rules, on most molecules).
    elements = chemistry.element_counts(parent)
    if deadline is None:
        deadline = time.monotonic() + chemistry.MATCH_TIME_LIMIT_SECONDS
    found = []
    # One deadline for all the molecule's searches, registered with the guard once.
    with chemistry.search_budget(deadline):
        for cls in classes:
            match = _membership(parent, cls, screen, deadline, elements, left_out)
            if match is not None:
                found.append(match)
    return found


def evaluate_class(mol: chemistry.Mol | str, cls: CompiledClass) -> list[RuleResult]:
    """Every rule of one class applied to a structure: for curators checking a definition."""
    parent = chemistry.standardize(mol)
    return [
        RuleResult(
            label=rule.spec.label, kind=rule.spec.kind, atoms=_first_match(parent, rule, cls.uid)
        )
        for rule in cls.rules
    ]
