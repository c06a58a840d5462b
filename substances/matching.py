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
"""

from __future__ import annotations

import functools
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
    "RuleResult",
    "RuleSpec",
    "check_rule",
    "compile_class",
    "evaluate_class",
    "match_classes",
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
    """A `RuleSpec` with its SMARTS compiled."""

    spec: RuleSpec
    query: chemistry.Query


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


@dataclass(frozen=True)
class RuleResult:
    """One rule applied to one structure: the atoms it matched, or None."""

    label: str
    kind: str
    atoms: tuple[int, ...] | None


def check_rule(
    spec: RuleSpec, *, time_limit: float = chemistry.STRESS_TIME_LIMIT_SECONDS
) -> str | None:
    """Why a rule cannot be used (bad kind, bad or oversized SMARTS), or None if it can.

    Meant for curator-facing validation, e.g. a model's ``clean()``: besides the SMARTS itself,
    the pattern must pass `chemistry.stress_test` within ``time_limit`` on every worst-case
    molecule: every search runs under a time guard, but a check on which a rule's search is cut
    short can only answer "unknown".
    """
    if spec.kind not in RULE_KINDS:
        return f"unknown rule kind {spec.kind!r}; expected one of {', '.join(RULE_KINDS)}"
    try:
        chemistry.stress_test(chemistry.compile_smarts(spec.smarts), time_limit=time_limit)
    except chemistry.ChemistryError as exc:
        return exc.reason
    return None


@functools.lru_cache(maxsize=512)
def _compile(uid: str, rules: tuple[RuleSpec, ...]) -> CompiledClass:
    compiled = []
    for spec in rules:
        # Held to the search's own budget rather than the stricter one of a save: a rule that
        # passed when it was saved must not be dropped because this machine is busy now.
        problem = check_rule(spec, time_limit=chemistry.MATCH_TIME_LIMIT_SECONDS)
        if problem:
            raise chemistry.ChemistryError(f"class {uid}, rule {spec.label!r}: {problem}")
        compiled.append(CompiledRule(spec=spec, query=chemistry.compile_smarts(spec.smarts)))
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
) -> tuple[int, ...] | None:
    try:
        return chemistry.find_match(mol, rule.query, screen=screen, deadline=deadline)
    except chemistry.MatchTimeout as exc:
        raise chemistry.MatchTimeout(
            f"class {uid}, rule {rule.spec.label!r}: {exc.reason}"
        ) from exc


def _membership(
    mol: chemistry.Mol,
    cls: CompiledClass,
    screen: object,
    deadline: float | None = None,
) -> ClassMatch | None:
    def first(rule: CompiledRule) -> tuple[int, ...] | None:
        return _first_match(mol, rule, cls.uid, screen, deadline)

    for rule in cls.includes:
        atoms = first(rule)
        if atoms is None:
            continue
        if any(first(other) is None for other in cls.requires):
            return None
        if any(first(other) is not None for other in cls.excludes):
            return None
        return ClassMatch(
            class_uid=cls.uid,
            rule_label=rule.spec.label,
            kind=rule.spec.kind,
            atoms=atoms,
            explanation=rule.spec.explanation,
        )
    return None


def match_classes(
    mol: chemistry.Mol | str, classes: Iterable[CompiledClass], *, deadline: float | None = None
) -> list[ClassMatch]:
    """The classes a structure belongs to, in the order the classes are given.

    ``mol`` is a molecule or structure text; it is standardized first (a salt is judged by its
    parent), so reported atoms refer to ``chemistry.standardize(mol)``. Raises
    `chemistry.ChemistryError` for unreadable text and `chemistry.MatchTimeout` (a subclass) if
    a rule's search exceeds its time budget or ``deadline`` (a `time.monotonic` value) passes;
    the caller turns either into a verdict.
    """
    parent = chemistry.standardize(mol)
    # On an ordinary molecule each rule's anchor (see `chemistry.compile_smarts`) rules most
    # searches out in a few microseconds, where a screening fingerprint would cost more than the
    # searches it saves; the others are screened.
    screen = None if chemistry.is_ordinary(parent) else chemistry.screen_of(parent)
    if deadline is None:
        deadline = time.monotonic() + chemistry.MATCH_TIME_LIMIT_SECONDS
    found = []
    # One deadline for all the molecule's searches, registered with the guard once.
    with chemistry.search_budget(deadline):
        for cls in classes:
            match = _membership(parent, cls, screen, deadline)
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
