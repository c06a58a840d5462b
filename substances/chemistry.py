"""Chemical structure handling for the registry: the only module that imports RDKit.

Everything in the project that needs to read, compare, identify or draw a structure asks this
module. It holds no state besides RDKit itself and imports no Django models, so it can be used
from services, views, management commands and tests alike.

Vocabulary used below:

- *structure text*: what a curator or a user typed or uploaded: a SMILES string or a molfile
  (MDL CTAB, V2000 or V3000, optionally the first record of an SD file).
- *standardized parent*: the one molecule a registry entry is about, after stripping counter-ions
  and solvent, neutralizing charges and cleaning up drawing conventions (see `standardize`). A
  salt (fentanyl citrate) and its free base (fentanyl) have the same parent.
- *keys*: short strings by which two structures are recognized as "the same substance" at a given
  level of detail (`parent_key`, `skeleton_key`).

Every public function refuses oversized input before doing expensive work, and every substructure
search runs under a time budget, so that no input, however pathological, can hang a worker.

RDKit is imported the first time this module needs it, not when it is imported: RDKit and the
numpy it brings are 65-70 MB of a web worker, and most requests (a name search, a record, a page
of the feed) never read a structure. Until then its modules are stand-ins that import it on
first use (`_import_rdkit`).
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import itertools
import re
import signal
import threading
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "ACETALS",
    "MATCH_TIME_LIMIT_SECONDS",
    "MAX_HEAVY_ATOMS",
    "MAX_INPUT_CHARS",
    "MAX_MOLBLOCK_CHARS",
    "MAX_QUERY_ATOMS",
    "MAX_SMARTS_CHARS",
    "ChemistryError",
    "Group",
    "Identity",
    "MatchTimeout",
    "Mol",
    "Query",
    "canonical_smiles",
    "compile_smarts",
    "depict_svg",
    "describe",
    "element_counts",
    "find_match",
    "find_matches",
    "formula",
    "graph_key",
    "graph_size",
    "group_at",
    "has_hydroxyl",
    "hydrolysis_parents",
    "inchikey",
    "is_inchikey",
    "is_molblock",
    "is_ordinary",
    "isomer_signature",
    "likeness",
    "likeness_fingerprint",
    "looks_like_smiles",
    "molecular_mass",
    "parent_key",
    "parse_molblock",
    "parse_smiles",
    "parse_structure",
    "query_atom_maps",
    "screen_of",
    "search_budget",
    "skeleton_key",
    "solvated_only",
    "standardize",
    "stress_test",
]

# --------------------------------------------------------------------------------------------
# RDKit, imported on first use
# --------------------------------------------------------------------------------------------

_RDKIT_MODULES = {
    "Chem": "rdkit.Chem",
    "DataStructs": "rdkit.DataStructs",
    "rdBase": "rdkit.rdBase",
    "Descriptors": "rdkit.Chem.Descriptors",
    "rdDepictor": "rdkit.Chem.rdDepictor",
    "rdMolDescriptors": "rdkit.Chem.rdMolDescriptors",
    "rdMolHash": "rdkit.Chem.rdMolHash",
    "rdFingerprintGenerator": "rdkit.Chem.rdFingerprintGenerator",
    "rdqueries": "rdkit.Chem.rdqueries",
    "rdMolDraw2D": "rdkit.Chem.Draw.rdMolDraw2D",
    "rdMolStandardize": "rdkit.Chem.MolStandardize.rdMolStandardize",
}
"""The RDKit modules this module uses, by the names it uses them under."""


class _NotImportedYet:
    """Stands for an RDKit module in this module's namespace until RDKit is imported: the first
    attribute asked of it imports RDKit, which replaces every stand-in by its module."""

    def __init__(self, alias: str):
        self._alias = alias

    def __getattr__(self, attribute: str):
        _import_rdkit()
        return getattr(globals()[self._alias], attribute)


Chem = _NotImportedYet("Chem")
DataStructs = _NotImportedYet("DataStructs")
rdBase = _NotImportedYet("rdBase")
Descriptors = _NotImportedYet("Descriptors")
rdDepictor = _NotImportedYet("rdDepictor")
rdMolDescriptors = _NotImportedYet("rdMolDescriptors")
rdMolHash = _NotImportedYet("rdMolHash")
rdFingerprintGenerator = _NotImportedYet("rdFingerprintGenerator")
rdqueries = _NotImportedYet("rdqueries")
rdMolDraw2D = _NotImportedYet("rdMolDraw2D")
rdMolStandardize = _NotImportedYet("rdMolStandardize")

_MADE_WITH_RDKIT: dict[str, Callable[[types.SimpleNamespace], object]] = {}
_rdkit_lock = threading.Lock()
_rdkit_imported = False


def _made_with_rdkit(name: str, make: Callable[[types.SimpleNamespace], object]) -> None:
    """Declare the module-level object `name`, made by `make(rdkit)` once RDKit is imported
    (`rdkit` holds the modules of `_RDKIT_MODULES` by their names). Until then it is None: only
    code that already holds a molecule or a query, so after the import, uses one."""
    _MADE_WITH_RDKIT[name] = make


def _import_rdkit() -> None:
    """Import RDKit and make the objects declared with `_made_with_rdkit`, once per process.

    The modules and the objects enter the namespace in one step, after all are made, so that a
    thread that finds a module in place also finds every object made with it.
    """
    global _rdkit_imported
    with _rdkit_lock:
        if _rdkit_imported:
            return
        rdkit = types.SimpleNamespace(
            **{alias: importlib.import_module(name) for alias, name in _RDKIT_MODULES.items()}
        )
        made = {name: make(rdkit) for name, make in _MADE_WITH_RDKIT.items()}
        globals().update(made | vars(rdkit))
        _rdkit_imported = True


Mol = None
"""The molecule type handed around by this module (an RDKit ``Chem.Mol``, once RDKit is
imported); treat it as opaque."""
_made_with_rdkit("Mol", lambda rdkit: rdkit.Chem.Mol)

MAX_INPUT_CHARS = 2000
"""Longest SMILES (or other one-line structure text) accepted, in characters."""

MAX_MOLBLOCK_CHARS = 200_000
"""Longest molfile / SD record accepted. A molfile spends about 70 characters per atom, so the
one-line limit would refuse ordinary drug molecules; the heavy-atom limit still applies."""

MAX_HEAVY_ATOMS = 200
"""Largest molecule accepted, in non-hydrogen atoms (all fragments together). Controlled
substances are small molecules; the largest listed ones have well under 100 heavy atoms."""

MAX_SMARTS_CHARS = 1000
"""Longest SMARTS pattern accepted."""

MAX_QUERY_ATOMS = 80
"""Largest SMARTS pattern accepted, in query atoms (recursive sub-patterns not counted)."""

MATCH_TIME_LIMIT_SECONDS = 0.5
"""Time budget of one substructure search. Real class rules on real molecules take microseconds;
the budget only stops searches that would otherwise run for hours (for example a large ring query
that cannot match in a big polycyclic molecule)."""

ORDINARY_MAX_ATOMS = 60
"""An *ordinary* molecule (`is_ordinary`) has at most this many heavy atoms ..."""

ORDINARY_MAX_DEGREE = 4
"""... atoms of at most this many neighbours ..."""

ORDINARY_MAX_RINGS = 8
"""... and at most this many rings (the cyclomatic number: bonds - atoms + pieces).

Nearly every real compound is ordinary. Every class rule is tried by `stress_test` before it is
accepted on worst cases inside these bounds, in every shape that makes searches expensive
(lattices, fused and bridged ring systems, macrocycles, dense branching) and in every element
that can build them (carbon, nitrogen, silicon, phosphorus, sulfur), so that checks of such
molecules are answered, not cut short. The bounds do not decide whether a search is guarded:
every search is (see `find_match`)."""

SCREEN_MAX_RINGS = 20
"""Most rings a molecule may have (besides `ORDINARY_MAX_DEGREE`) to be given a screening
fingerprint: the fingerprint enumerates small subgraphs and cannot be stopped, and on a dense
lattice (a hundred sulfur atoms of six neighbours each) it costs over a second. A molecule beyond
these bounds is searched without a screen."""

STRESS_TIME_LIMIT_SECONDS = 0.25
"""CPU time a new class rule's search may take on each worst-case molecule of `stress_test` when
a curator saves it. Real rules take under 10 ms; the margin to `MATCH_TIME_LIMIT_SECONDS`, which a
stored rule is held to when it is compiled for a check, keeps a rule accepted on a quiet machine
from being dropped on a busy one."""

_STANDARDIZED_PROP = "_registry_standardized"


class ChemistryError(ValueError):
    """A structure or pattern that cannot be used, with a human reason.

    ``reason`` is a short sentence fit to show to the person who typed the input, e.g.
    ``"unparseable SMILES: unclosed ring"`` or ``"too large: 240 heavy atoms, limit 200"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MatchTimeout(ChemistryError):
    """A substructure search gave up because it exceeded its time budget."""


# --------------------------------------------------------------------------------------------
# Detecting what kind of text a user typed
# --------------------------------------------------------------------------------------------

_INCHIKEY_RE = re.compile(r"^[A-Z]{14}-[A-Z]{8}[SN][A-Z]-[A-Z]$")
_CAS_RE = re.compile(r"^\d{2,7}-\d{2}-\d$")
_SMILES_CHARS_RE = re.compile(r"^[A-Za-z0-9@+\-\[\]()=#$:/\\.%*]+$")
# Atom symbols allowed outside brackets, longest first so that "Cl" wins over "C".
_BARE_WORD_TOKEN_RE = re.compile(r"Cl|Br|[CNOSFIPcnos]")
# Every token SMILES is written in, and a few more: the atoms RDKit reads without brackets, any
# bracket atom, ring closures (7, %12, %(123)), bonds, branches and the dot.
_SMILES_TOKEN_RE = re.compile(
    r"Cl|Br|[BCNOPSFI*]|[bcnops]|se|te|as|\[[^\[\]]*\]|%\(\d+\)|%\d\d|\d|[-=#$:/\\.()]"
)


def _spelt_in_smiles_tokens(text: str) -> bool:
    """Whether `text` is a sequence of SMILES tokens: a text that is not cannot be SMILES, and
    is told apart without RDKit (held to RDKit's parser in tests/test_chemistry.py)."""
    end = 0
    for token in _SMILES_TOKEN_RE.finditer(text):
        if token.start() != end:
            return False
        end = token.end()
    return end == len(text)


def is_inchikey(text: str) -> bool:
    """True when ``text`` has the shape of a standard or non-standard InChIKey.

    An InChIKey is 27 characters: a 14-letter hash of the connectivity, a 10-letter block (8 for
    stereo and isotopes, a standard flag ``S``/``N`` and the version ``A``) and one protonation
    letter, e.g. ``UUQMNUMQCIQDMZ-UHFFFAOYSA-N`` for fentanyl. The check is on shape only.
    """
    return bool(_INCHIKEY_RE.match(text.strip().upper())) if isinstance(text, str) else False


def is_molblock(text: str) -> bool:
    """True when ``text`` looks like an MDL molfile or SD record (V2000 or V3000 connection table).

    Recognized by its counts line (``V2000``/``V3000``) or its ``M  END`` terminator, which no
    SMILES, name or identifier can contain.
    """
    if not isinstance(text, str) or "\n" not in text:
        return False
    return "V2000" in text or "V3000" in text or "M  END" in text


def looks_like_smiles(text: str) -> bool:
    """True when ``text`` is most plausibly a SMILES string rather than a name or an identifier.

    Used to route what a user typed in a search box. The text must be one token of SMILES
    characters that RDKit can read. Because short names made of atom symbols are also valid SMILES
    ("CBN" is cannabinol's abbreviation and boron-containing SMILES), a bare word made only of
    letters counts as SMILES only if every letter belongs to the organic subset without boron
    (``C N O S F Cl Br I P`` and aromatic ``c n o s``). InChIKeys and CAS numbers are never SMILES.
    Callers should still try a name look-up first for bare words.
    """
    if not isinstance(text, str):
        return False
    whole = text.strip()
    # A CXSMILES: the SMILES, a space and its extensions between bars ("... |&1:20,26|").
    text = cx.group(1) if (cx := _CXSMILES_RE.fullmatch(whole)) else whole
    if not text or len(whole) > MAX_INPUT_CHARS or any(ch.isspace() for ch in text):
        return False
    if is_inchikey(text) or _CAS_RE.match(text) or not _SMILES_CHARS_RE.match(text):
        return False
    if text.isalpha() and _BARE_WORD_TOKEN_RE.sub("", text):
        return False
    if not _spelt_in_smiles_tokens(text):  # "5F-ADB", "4-fluoro": RDKit need not be asked
        return False
    try:
        parse_smiles(whole)
    except ChemistryError:
        return False
    return True


_CXSMILES_RE = re.compile(r"(\S+)[ \t]+(\|[^|\n]*\|)")
# The CXSMILES extensions read: enhanced-stereo groups only (`&n:`, `on:`, `a:` and their atom
# indices, comma-separated).
_CX_FIELD = r"(?:&\d+|o\d+|a):\d+(?:,\d+)*"
_CX_GROUPS_RE = re.compile(rf"\|({_CX_FIELD}(?:,{_CX_FIELD})*)\|")
_CX_GROUP_RE = re.compile(r"(&\d+|o\d+|a):(\d+(?:,\d+)*)")


def _cx_groups(text: str) -> list[tuple[str, list[int]]]:
    """The enhanced-stereo groups a CXSMILES gives, as (label, atom indices); a text with any
    other extension, or with a bar elsewhere, is refused rather than read in part (RDKit passes
    over what it cannot read)."""
    if "|" not in text:
        return []
    whole = _CXSMILES_RE.fullmatch(text)
    fields = _CX_GROUPS_RE.fullmatch(whole.group(2)) if whole else None
    if fields is None:
        raise ChemistryError(
            "only a SMILES with enhanced-stereo groups after a space is read as CXSMILES "
            "(such as |&1:3,5|, |o1:3|, |a:3|)"
        )
    return [
        (label, [int(index) for index in indices.split(",")])
        for label, indices in _CX_GROUP_RE.findall(fields.group(1))
    ]


def _check_cx_groups(raw: Mol, groups: list[tuple[str, list[int]]]) -> None:
    """Refuse a group whose atoms are not centres the SMILES draws, or an atom in two groups."""
    seen: set[int] = set()
    configured = (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)
    for label, indices in groups:
        for index in indices:
            if index >= raw.GetNumAtoms() or raw.GetAtomWithIdx(index).GetChiralTag() not in (
                configured
            ):
                raise ChemistryError(
                    f"CXSMILES group {label} names atom {index}, which is no centre drawn with a "
                    "configuration (atoms count from 0)"
                )
            if index in seen:
                raise ChemistryError(f"CXSMILES: atom {index} is in two groups")
            seen.add(index)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

_LOG_STAMP_RE = re.compile(r"^\[\d\d:\d\d:\d\d\] ?")
_POSITION_RE = re.compile(r"check for mistakes around position (\d+)")


def _log_lines(messages: str) -> list[str]:
    return [_LOG_STAMP_RE.sub("", line).strip() for line in messages.splitlines() if line.strip()]


def _reason_from_log(kind: str, messages: str) -> str:
    """Turn RDKit's parser log into one sentence: what went wrong and where."""
    lines = _log_lines(messages)
    position = None
    what = None
    for line in lines:
        if found := _POSITION_RE.search(line):
            position = int(found.group(1))
            continue
        text = re.sub(r"^(SMILES|SMARTS) Parse Error: ", "", line)
        text = re.sub(r" (while parsing|for input): .*$", "", text)
        if text.startswith("Failed parsing"):
            continue
        if what is None and text and not set(text) <= {"~", "^"}:
            what = text.rstrip(".")
    reason = f"unparseable {kind}"
    if what:
        reason += f": {what[0].lower()}{what[1:]}"
    if position is not None:
        reason += f" at position {position}"
    return reason


def _check_heavy_atoms(mol: Mol, *, wildcards: bool = True) -> None:
    """Refuse empty, oversized and incomplete structures (``wildcards``: look for * atoms)."""
    count = mol.GetNumHeavyAtoms()
    if count > MAX_HEAVY_ATOMS:
        raise ChemistryError(f"too large: {count} heavy atoms, limit {MAX_HEAVY_ATOMS}")
    if count == 0:
        raise ChemistryError("empty structure: no atoms")
    if wildcards and any(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms()):
        raise ChemistryError("not a complete structure: contains a wildcard atom (*)")


_SMILES_MASS_RE = re.compile(r"\[(\d+)([A-Z][a-z]?|[a-z]{1,2})")
_MOLFILE_ISO_RE = re.compile(r"^M  ISO(.*)$", re.MULTILINE)
_V3000_MASS_RE = re.compile(r"\bMASS=(-?\d+)")
_MOST_MASS = 65535  # RDKit keeps a mass in 16 bits: a larger one would wrap round


def _check_written_masses(text: str, *, molfile: bool) -> None:
    """Refuse a written mass the reader would wrap round or drop ([65549C] read as 13C; a
    molfile's mass of 0 or below), before RDKit reads it."""
    if molfile:
        masses = [int(m) for m in _V3000_MASS_RE.findall(text)]
        for line in _MOLFILE_ISO_RE.findall(text):
            fields = line.split()
            masses.extend(int(v) for v in fields[2::2] if v.lstrip("-").isdigit())
        bad = [m for m in masses if m <= 0 or m > _MOST_MASS]
        if bad:
            raise ChemistryError(f"no such isotope: mass {bad[0]}")
        return
    for mass, symbol in _SMILES_MASS_RE.findall(text):
        if int(mass) > _MOST_MASS:
            raise ChemistryError(f"no such isotope: mass {int(mass)} for {symbol.capitalize()}")


def _check_isotopes(mol: Mol) -> None:
    """Refuse a mass number no isotope of its element has ("[9999C]", "[1C]")."""
    table = Chem.GetPeriodicTable()
    for atom in mol.GetAtoms():
        mass = atom.GetIsotope()
        number = atom.GetAtomicNum()
        if mass and number and not table.GetMassForIsotope(number, mass):
            raise ChemistryError(
                f"no such isotope: mass {mass} for {atom.GetSymbol()} (atom {atom.GetIdx() + 1})"
            )


def _sanitize(mol: Mol, kind: str) -> Mol:
    try:
        with rdBase.BlockLogs():
            Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several exception types, all meaning "bad chemistry"
        message = str(exc).strip().rstrip(".")
        message = re.sub(r"\s+", " ", message)
        raise ChemistryError(f"invalid {kind}: {message[0].lower()}{message[1:]}") from exc
    return mol


def parse_smiles(text: str, *, relative: bool = False) -> Mol:
    """Read a SMILES string (CXSMILES extensions allowed) into a sanitized molecule.

    Centres a CXSMILES gives only a relative configuration (`&n`, a racemate of the
    configuration drawn; `on`, one of the two, not known which) are read as of no configuration
    (`_relative_read_as_none`): the identity of "(±)-trans-nabilone" is that of the compound
    whatever its configuration, as a standard InChI has it. With `relative`, they keep the
    configuration drawn, for `isomer_kind` to tell a diastereomer from the racemate's
    enantiomers.

    Refuses, with a `ChemistryError` whose reason says why: non-text, empty or over-long input
    (`MAX_INPUT_CHARS`), syntax errors (with the position RDKit reports), chemically impossible
    structures (valence, aromaticity), structures over `MAX_HEAVY_ATOMS` heavy atoms (checked
    before the expensive sanitization), and incomplete structures with wildcard atoms.
    Explicit hydrogens are removed where they carry no stereo information.
    """
    if not isinstance(text, str):
        raise ChemistryError("not a SMILES string")
    text = text.strip()
    if not text:
        raise ChemistryError("empty input")
    if len(text) > MAX_INPUT_CHARS:
        raise ChemistryError(f"too long: {len(text)} characters, limit {MAX_INPUT_CHARS}")
    _check_written_masses(text, molfile=False)
    groups = _cx_groups(text)
    params = Chem.SmilesParserParams()
    params.sanitize = False
    params.removeHs = False
    with rdBase.CaptureErrorLog() as capture:
        raw = Chem.MolFromSmiles(text, params)
    if raw is None:
        raise ChemistryError(_reason_from_log("SMILES", capture.messages))
    _check_heavy_atoms(raw, wildcards="*" in text)
    _check_isotopes(raw)
    _check_cx_groups(raw, groups)
    # Sanitize and drop explicit hydrogens on the molecule already read (as MolFromSmiles
    # would), rather than parsing the text a second time.
    mol = _sanitize(raw, "SMILES")
    if "[H" in text or "[2H" in text or "[3H" in text:
        with rdBase.BlockLogs():
            mol = Chem.RemoveHs(mol, sanitize=False)
            # Without sanitizing, RemoveHs leaves the atoms' hydrogen counts as they were: the
            # oxygen of "[H]O..." counted none, and the formula (a gate of the check) lacked it.
            mol.UpdatePropertyCache(strict=False)
        # RemoveHs without sanitizing drops the ring information that ring queries (R, x) need.
        Chem.FastFindRings(mol)
    if not relative:
        mol = _relative_read_as_none(mol)
    # Read without sanitizing, a molecule has its centres' tags but not its double bonds'
    # configuration, which is perceived from the bond directions here (as MolFromSmiles does):
    # without it (E)- and (Z)-ethchlorvynol had one InChIKey, neither the standard one.
    with rdBase.BlockLogs():
        Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
    return mol


def _relative_centres(mol: Mol) -> set[int]:
    """The centres a drawing gives only a relative configuration: those of its enhanced-stereo
    AND groups (a racemate of the configuration drawn) and OR groups (one of the two)."""
    relative = (Chem.StereoGroupType.STEREO_AND, Chem.StereoGroupType.STEREO_OR)
    return {
        atom.GetIdx()
        for group in mol.GetStereoGroups()
        if group.GetGroupType() in relative
        for atom in group.GetAtoms()
    }


def _relative_read_as_none(mol: Mol) -> Mol:
    """`mol` with the centres of a relative configuration (`_relative_centres`) unspecified and
    those groups dropped: the racemate is the compound drawn without configuration."""
    if not _relative_centres(mol):
        return mol
    absolute = Chem.StereoGroupType.STEREO_ABSOLUTE
    return _without_groups(
        mol,
        unspecified=[g for g in mol.GetStereoGroups() if g.GetGroupType() != absolute],
        kept=[g for g in mol.GetStereoGroups() if g.GetGroupType() == absolute],
    )


def _without_groups(mol: Mol, *, unspecified, kept=()) -> Mol:
    """A copy of `mol` whose `unspecified` stereo groups' centres have no configuration, with
    only the `kept` groups, its configuration perceived again."""
    copy = Chem.RWMol(mol)
    for group in unspecified:
        for index in _group_atoms(group):
            copy.GetAtomWithIdx(index).SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    copy.SetStereoGroups(
        [Chem.CreateStereoGroup(g.GetGroupType(), copy, list(_group_atoms(g))) for g in kept]
    )
    out = copy.GetMol()
    with rdBase.BlockLogs():
        Chem.AssignStereochemistry(out, cleanIt=True, force=True)
    return out


def parse_input(text: str) -> Mol:
    """Read a structure someone asks about (`parse_structure`), a relative configuration as
    what it says of the compound. One AND group of two or more centres (`&n`, a racemate of the
    configuration drawn) is the two enantiomers side by side, a mixture whose parts are each
    judged: "rac-cis-nabilone" is two diastereomers of the trans compound; racemethorphan drawn
    from its dextro form is dextro- and levomethorphan. Any other relative group (an OR group,
    one of the two not known which; a group of one centre, a racemate; a second AND group) is
    read as no configuration at its centres."""
    mol = parse_structure(text, relative=True)
    relative = [
        group
        for group in mol.GetStereoGroups()
        if group.GetGroupType() != Chem.StereoGroupType.STEREO_ABSOLUTE
    ]
    if not relative:
        return mol
    racemic = [
        group
        for group in relative
        if group.GetGroupType() == Chem.StereoGroupType.STEREO_AND and len(group.GetAtoms()) > 1
    ]
    pair = _group_atoms(racemic[0]) if len(racemic) == 1 else ()
    one = _without_groups(mol, unspecified=[g for g in relative if _group_atoms(g) != pair])
    if not pair:
        return one
    # The configuration from the tags alone: a molfile's coordinates and wedges would give the
    # mirror image the drawn one's.
    one = Chem.RWMol(one)
    one.RemoveAllConformers()
    both = Chem.CombineMols(one, _mirror(one, pair))
    with rdBase.BlockLogs():
        Chem.AssignStereochemistry(both, cleanIt=True, force=True)
    return both


def part_count(mol: Mol) -> int:
    """How many disconnected parts a structure has ("." in a SMILES, or the two enantiomers of
    a racemate `parse_input` reads)."""
    return len(Chem.GetMolFrags(mol))


def _mirror(mol: Mol, centres: Iterable[int] | None = None) -> Mol:
    """`mol` with the configuration of these centres (all by default) inverted."""
    mirror = Chem.Mol(mol)
    inverted = {
        Chem.ChiralType.CHI_TETRAHEDRAL_CW: Chem.ChiralType.CHI_TETRAHEDRAL_CCW,
        Chem.ChiralType.CHI_TETRAHEDRAL_CCW: Chem.ChiralType.CHI_TETRAHEDRAL_CW,
    }
    for atom in mirror.GetAtoms():
        if (centres is None or atom.GetIdx() in centres) and atom.GetChiralTag() in inverted:
            atom.SetChiralTag(inverted[atom.GetChiralTag()])
    return mirror


def _group_atoms(group) -> tuple[int, ...]:
    return tuple(atom.GetIdx() for atom in group.GetAtoms())


@functools.lru_cache(maxsize=1024)
def drawn_relative(text: str) -> bool:
    """Whether a drawing gives each of its configured centres only relatively (a CXSMILES whose
    `&n`/`on` groups hold every centre drawn, as "(±)-trans" or "(R*,R*)" names mean), and at
    least one: the compound is the racemate (or either enantiomer) of that configuration, not
    one enantiomer, and not its diastereomers."""
    if "|" not in text:
        return False
    try:
        mol = parse_structure(text, relative=True)
    except ChemistryError:
        return False
    drawn = {
        atom.GetIdx()
        for atom in mol.GetAtoms()
        if atom.GetChiralTag()
        in (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)
    }
    return bool(drawn) and drawn <= _relative_centres(mol)


@functools.lru_cache(maxsize=1024)
def enantiomer_keys(text: str) -> frozenset[str]:
    """The InChIKeys of the configuration a relative drawing (`drawn_relative`) gives and of
    its mirror image: the keys of the compound it names, either enantiomer ("" none else)."""
    if not drawn_relative(text):
        return frozenset()
    mol = parse_structure(text, relative=True)
    return frozenset(inchikey(one) for one in (mol, _mirror(mol)))


def parse_molblock(text: str, *, relative: bool = False) -> Mol:
    """Read an MDL molfile (V2000/V3000) or the first record of an SD file into a molecule.

    Stereo is taken from the wedge bonds or 3D coordinates; the same refusals as `parse_smiles`
    apply, with `MAX_MOLBLOCK_CHARS` as the length limit, and a relative configuration (V3000
    enhanced stereo) is read as `parse_smiles` reads it.
    """
    if not isinstance(text, str) or not text.strip():
        raise ChemistryError("empty input")
    if len(text) > MAX_MOLBLOCK_CHARS:
        raise ChemistryError(f"too long: {len(text)} characters, limit {MAX_MOLBLOCK_CHARS}")
    record = text.split("$$$$", 1)[0]
    _check_written_masses(record, molfile=True)
    try:
        with rdBase.CaptureErrorLog() as capture:
            raw = Chem.MolFromMolBlock(record, sanitize=False, removeHs=False)
    except Exception as exc:  # FileParseException and friends
        raise ChemistryError(f"unparseable molfile: {exc}".rstrip(".")) from exc
    if raw is None:
        lines = _log_lines(capture.messages)
        detail = f": {lines[0].rstrip('.')}" if lines else ""
        raise ChemistryError(f"unparseable molfile{detail}")
    _check_heavy_atoms(raw)
    _check_isotopes(raw)
    _sanitize(raw, "molfile")
    try:
        with rdBase.BlockLogs():
            mol = Chem.MolFromMolBlock(record)
    except Exception as exc:
        raise ChemistryError(f"unparseable molfile: {exc}".rstrip(".")) from exc
    if mol is None:
        raise ChemistryError("invalid molfile")
    return mol if relative else _relative_read_as_none(mol)


def parse_structure(text: str, *, relative: bool = False) -> Mol:
    """Read structure text, telling a molfile/SD record (see `is_molblock`) from a SMILES."""
    if isinstance(text, str) and is_molblock(text):
        return parse_molblock(text, relative=relative)
    return parse_smiles(text, relative=relative)


def _as_mol(mol_or_text: Mol | str) -> Mol:
    if isinstance(mol_or_text, Chem.Mol):
        return mol_or_text
    return parse_structure(mol_or_text)


# --------------------------------------------------------------------------------------------
# Standardization and identity
# --------------------------------------------------------------------------------------------

# Counter-ions and solvents of pharmaceutical salts and solvates, as canonical SMILES of their
# neutral forms: removed when something else is left, whatever their size (pamoic acid is bigger
# than many drugs). Inorganic fragments (no carbon) are removed by rule and need no entry here.
_COUNTER_IONS_SMILES = (
    "CC(=O)O",  # acetic acid
    "O=C(O)C(F)(F)F",  # trifluoroacetic acid
    "O=C(O)CC(O)(CC(=O)O)C(=O)O",  # citric acid
    "O=C(O)C(O)C(O)C(=O)O",  # tartaric acid
    "O=C(O)/C=C\\C(=O)O",  # maleic acid
    "O=C(O)/C=C/C(=O)O",  # fumaric acid
    "O=C(O)C=CC(=O)O",  # butenedioic acid, geometry unspecified
    "O=C(O)C(=O)O",  # oxalic acid
    "O=C(O)CCC(=O)O",  # succinic acid
    "O=C(O)CC(O)C(=O)O",  # malic acid
    "CC(O)C(=O)O",  # lactic acid
    "CS(=O)(=O)O",  # methanesulfonic acid
    "CCS(=O)(=O)O",  # ethanesulfonic acid
    "Cc1ccc(S(=O)(=O)O)cc1",  # p-toluenesulfonic acid
    "O=S(=O)(O)c1ccccc1",  # benzenesulfonic acid
    "O=C(O)c1ccccc1",  # benzoic acid
    "O=C(O)c1ccccc1O",  # salicylic acid
    "O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",  # pamoic acid
    "O=S(=O)(O)c1cccc2c(S(=O)(=O)O)cccc12",  # naphthalene-1,5-disulfonic acid
    "OCC(O)C(O)C(O)C(O)C(=O)O",  # gluconic acid
    "CCO",  # ethanol
    "CO",  # methanol
    "CC(C)O",  # isopropanol
    "CC(C)=O",  # acetone
    "ClCCl",  # dichloromethane
    "ClC(Cl)Cl",  # chloroform
    "CN(C)C=O",  # dimethylformamide
    "CS(C)=O",  # dimethyl sulfoxide
    "CCOCC",  # diethyl ether
    "C1CCOC1",  # tetrahydrofuran
    "CC#N",  # acetonitrile
)


# Solvents of crystallisation and of solution: with these beside it, a compound is itself (a
# hydrate, a solvate, a solution), not a salt of itself.
_SOLVENTS_SMILES = (
    "O",
    "CCO",
    "CO",
    "CC(C)O",
    "CC(C)=O",
    "ClCCl",
    "ClC(Cl)Cl",
    "CN(C)C=O",
    "CS(C)=O",
    "CCOCC",
    "C1CCOC1",
    "CC#N",
)
_SOLVENTS: frozenset[str] = frozenset()
_made_with_rdkit(
    "_SOLVENTS",
    lambda rdkit: frozenset(
        rdkit.Chem.MolToSmiles(rdkit.Chem.MolFromSmiles(smiles)) for smiles in _SOLVENTS_SMILES
    ),
)


def solvated_only(raw: Mol, parent: Mol) -> bool:
    """Whether a structure of several parts is its parent beside solvents or copies of itself
    only ("Cl.O": hydrochloric acid; fentanyl with water): the compound itself, not its salt."""
    fragments = Chem.GetMolFrags(raw, asMols=True, sanitizeFrags=False)
    if len(fragments) < 2:
        return False
    own = Chem.MolToSmiles(parent)
    for fragment in fragments:
        smiles = Chem.MolToSmiles(fragment)
        if smiles in _SOLVENTS or smiles == own:
            continue
        try:
            if Chem.MolToSmiles(standardize(fragment)) != own:
                return False
        except ChemistryError:
            return False
    return True


# One neutralizer for the process: building it parses its rule set every time.
_UNCHARGER = None
_made_with_rdkit("_UNCHARGER", lambda rdkit: rdkit.rdMolStandardize.Uncharger())


def _canonical_neutral(mol: Mol) -> str:
    with rdBase.BlockLogs():
        neutral = _UNCHARGER.uncharge(Chem.Mol(mol))
        return Chem.MolToSmiles(neutral)


_COUNTER_IONS: frozenset[str] = frozenset()
_made_with_rdkit(
    "_COUNTER_IONS",
    lambda rdkit: frozenset(
        rdkit.Chem.MolToSmiles(rdkit.Chem.MolFromSmiles(smiles)) for smiles in _COUNTER_IONS_SMILES
    ),
)


def _is_counter_ion(fragment: Mol) -> bool:
    if not any(atom.GetAtomicNum() == 6 for atom in fragment.GetAtoms()):
        return True
    return _canonical_neutral(fragment) in _COUNTER_IONS


def components(mol_or_text: Mol | str) -> list[tuple[str, bool]]:
    """The parts of a multi-part structure: (canonical SMILES, is a counter-ion or solvent).

    A salt, a solvate or a mixture is drawn as several disconnected fragments. Each one that is
    not a known counter-ion or solvent (see ``_COUNTER_IONS_SMILES``; inorganic fragments) is a
    component of its own that the check judges; a single-fragment structure has one component.
    Identical fragments (a 2:1 salt) are listed once.
    """
    mol = _as_mol(mol_or_text)
    with rdBase.BlockLogs():
        cleaned = rdMolStandardize.Cleanup(mol)
        fragments = Chem.GetMolFrags(cleaned, asMols=True, sanitizeFrags=True)
        out: dict[str, bool] = {}
        for fragment in fragments:
            out.setdefault(Chem.MolToSmiles(fragment), _is_counter_ion(fragment))
    return list(out.items())


def _fragment_size(fragment: Mol) -> tuple[int, float, str]:
    return (
        fragment.GetNumHeavyAtoms(),
        Descriptors.MolWt(fragment),
        Chem.MolToSmiles(fragment),
    )


# What makes a structure need the full standardization (see `_already_plain`): an atom that is
# any of these (joined into one atom query, `,` between them).
_NOT_PLAIN_ATOMS = (
    # other elements, explicit H atoms
    "!#6&!#7&!#8&!#9&!#15&!#16&!#17&!#35&!#53",
    # any charge, but for nitro groups and aromatic N-oxides already drawn the normal way
    "!+0&!$([N+](=O)[O-])&!$([O-][N+]=O)&!$([n+][O-])&!$([O-][n+])",
    # nitrogen above valence 3 (nitro, N-oxide, azide, diazo) unless drawn the normal way
    "#7&!v0&!v1&!v2&!v3&!$([N+](=O)[O-])&!$([n+][O-])",
    "#16&X3",  # sulfoxide-like sulfur
    "#15&X3&v5",  # P(=O)=O
)
_NOT_PLAIN = None
_made_with_rdkit(
    "_NOT_PLAIN", lambda rdkit: rdkit.Chem.MolFromSmarts(f"[{','.join(_NOT_PLAIN_ATOMS)}]")
)
# The same without its recursive parts (each `$(...)` is a search from every atom): it asks
# less, so a molecule it misses is plain; it misses most molecules, at a third of the cost, and
# the few it matches (a charge, a nitro group) are asked the full query.
_RECURSIVE_CONDITION_RE = re.compile(r"&!\$\((?:[^()]|\([^()]*\))*\)")
_MAYBE_NOT_PLAIN = None
_made_with_rdkit(
    "_MAYBE_NOT_PLAIN",
    lambda rdkit: rdkit.Chem.MolFromSmarts(
        f"[{','.join(_RECURSIVE_CONDITION_RE.sub('', atom) for atom in _NOT_PLAIN_ATOMS)}]"
    ),
)


def _already_plain(mol: Mol) -> bool:
    """True when standardizing cannot change the molecule, so the costly steps can be skipped.

    That is: one fragment, no charges (but for nitro groups and aromatic N-oxides already in their
    normal charge-separated form), no explicit hydrogen atoms or metals, and none of the groups
    RDKit's normalization rewrites (they all need an atom above its usual valence: nitro and
    N-oxide nitrogen drawn uncharged, azides and diazo groups, sulfoxide sulfur, P(=O)=O). Most
    structures people check are like this; tests prove the shortcut gives the same parent.
    """
    if len(Chem.GetMolFrags(mol)) != 1:
        return False
    return not mol.HasSubstructMatch(_MAYBE_NOT_PLAIN) or not mol.HasSubstructMatch(_NOT_PLAIN)


def standardize(mol_or_text: Mol | str) -> Mol:
    """The standardized parent of a structure: the molecule a registry entry is about.

    Steps, in order:

    1. clean-up of drawing conventions (RDKit MolStandardize ``Cleanup``: explicit hydrogens
       removed, bonds to metals broken, charge-separated groups such as nitro drawn one way);
    2. counter-ions and solvent removed: inorganic fragments and the common pharmaceutical acids
       and solvents (see ``_COUNTER_IONS_SMILES``), as long as something else is left; of what is
       left the largest fragment is kept (most heavy atoms, then highest mass, then canonical
       SMILES, so the choice is deterministic);
    3. charges neutralized where a proton can be added or removed (quaternary ammonium and N-oxides
       keep their charges, because they are different substances).

    Tautomers are deliberately *not* canonicalized here: the class rules are written against
    the structure as drawn (amides, lactams, aromatic heterocycles), RDKit's canonical tautomer can
    rewrite exactly those groups and is costly on large molecules, and the keys built on top of the
    parent use the standard InChI, which already treats mobile-hydrogen tautomers as one.

    Stereochemistry and isotopes are kept. The result is marked so that standardizing it again is
    a cheap no-op; atom indices of the result are what `find_match` reports and what
    `depict_svg` highlights.
    """
    mol = _as_mol(mol_or_text)
    if mol.HasProp(_STANDARDIZED_PROP):
        return mol
    if _already_plain(mol):
        # Nothing to clean, strip or neutralize (stereo was perceived when the text was read):
        # the molecule is its own parent, marked as such rather than copied.
        mol.SetBoolProp(_STANDARDIZED_PROP, True)
        return mol
    with rdBase.BlockLogs():
        cleaned = rdMolStandardize.Cleanup(mol)
        fragments = list(Chem.GetMolFrags(cleaned, asMols=True, sanitizeFrags=True))
        if len(fragments) == 1:
            parent = fragments[0]  # the common case: nothing to strip or choose between
        else:
            kept = [frag for frag in fragments if not _is_counter_ion(frag)] or fragments
            parent = max(kept, key=_fragment_size)
        parent = _UNCHARGER.uncharge(parent)
        Chem.SanitizeMol(parent)
        Chem.AssignStereochemistry(parent, cleanIt=True, force=True)
        if (
            len(fragments) == 1
            and Chem.GetFormalCharge(mol) == 0
            and rdMolDescriptors.CalcMolFormula(parent) != rdMolDescriptors.CalcMolFormula(mol)
        ):
            # A neutral structure of one part whose formula the clean-up changed: not a drawing
            # convention but another compound (mesocarb's mesoionic ring drawn N+/N-, read as a
            # ring with two more hydrogens). Kept as drawn: its InChI still finds the record.
            parent = Chem.Mol(mol)
            Chem.AssignStereochemistry(parent, cleanIt=True, force=True)
    parent.SetBoolProp(_STANDARDIZED_PROP, True)
    return parent


@dataclass(frozen=True)
class Identity:
    """The identifiers derived from one exact structure (as drawn, salts and solvates included).

    - ``canonical_smiles``: RDKit canonical isomeric SMILES, the registry's normal form;
    - ``inchi`` / ``inchikey``: standard InChI and its hashed key (empty if InChI refuses);
    - ``formula``: Hill formula of the whole structure, all fragments together;
    - ``molecular_weight``: average molecular mass in g/mol, rounded to 3 decimals.
    """

    canonical_smiles: str
    inchi: str
    inchikey: str
    formula: str
    molecular_weight: float


def _inchi_and_key(mol: Mol) -> tuple[str, str]:
    with rdBase.BlockLogs():
        inchi = Chem.MolToInchi(mol) or ""
        key = Chem.InchiToInchiKey(inchi) if inchi else ""
    return inchi, key or ""


def describe(mol_or_text: Mol | str) -> Identity:
    """The identifiers of exactly the structure given (not of its parent).

    Used when a Substance is saved, to derive its identifiers from its curated SMILES: a salt
    form keeps the identity of the salt; use `parent_key` to find the parent it belongs to.
    """
    mol = _as_mol(mol_or_text)
    inchi, key = _inchi_and_key(mol)
    return Identity(
        canonical_smiles=Chem.MolToSmiles(mol),
        inchi=inchi,
        inchikey=key,
        formula=rdMolDescriptors.CalcMolFormula(mol),
        molecular_weight=round(Descriptors.MolWt(mol), 3),
    )


def canonical_smiles(mol_or_text: Mol | str) -> str:
    """RDKit canonical isomeric SMILES of exactly the structure given (cheaper than InChI)."""
    return Chem.MolToSmiles(_as_mol(mol_or_text))


_LABELLED_ATOM = None  # an atom with an isotope label
_made_with_rdkit("_LABELLED_ATOM", lambda rdkit: rdkit.rdqueries.IsotopeGreaterQueryAtom(0))


def _element_graph(mol: Mol) -> Mol:
    """A copy of the molecule as `graph_key` reads it: no stereo, no isotope labels, and the
    hydrogen atoms that were labelled removed."""
    mol = Chem.Mol(mol)  # MolHash rewrites the molecule it is given
    Chem.RemoveStereochemistry(mol)
    # The labelled atoms are found in C++: a Python loop over every atom cost a third of the key.
    labelled = mol.GetAtomsMatchingQuery(_LABELLED_ATOM)
    for atom in labelled:
        atom.SetIsotope(0)
    if labelled:
        mol = Chem.RemoveHs(mol)  # deuterium written as atoms is now plain hydrogen
    return mol


def without_isotope_labels(mol: Mol) -> Mol | None:
    """A copy of the molecule with its isotope labels removed (deuterium drawn as atoms becomes
    plain hydrogen), its stereochemistry kept; None when no atom carries a label.

    A labelled compound (an analytical standard such as fentanyl-d5, or a 13C-labelled
    internal standard) is the compound it labels, not an isomer of it: the check reads it by
    this copy's key.
    """
    if not mol.GetAtomsMatchingQuery(_LABELLED_ATOM):
        return None
    mol = Chem.Mol(mol)
    for atom in mol.GetAtoms():
        atom.SetIntProp(_DRAWN_INDEX, atom.GetIdx())
    for atom in mol.GetAtomsMatchingQuery(_LABELLED_ATOM):
        atom.SetIsotope(0)
    return Chem.RemoveHs(mol)


_DRAWN_INDEX = "registry_drawn_index"


def drawn_indices(mol: Mol, atoms: Iterable[int]) -> tuple[int, ...]:
    """The indices, in the molecule it was made from, of atoms of a `without_isotope_labels`
    copy (the same indices for any other molecule)."""
    return tuple(
        atom.GetIntProp(_DRAWN_INDEX) if atom.HasProp(_DRAWN_INDEX) else atom.GetIdx()
        for atom in (mol.GetAtomWithIdx(i) for i in atoms)
    )


def graph_key(mol_or_text: Mol | str) -> str:
    """The heavy-atom graph with elements, without bond orders, hydrogens, stereo or isotopes.

    Much cheaper than InChI, and shared by a compound, its stereoisomers and its tautomers: a
    structure whose parent's graph key no registry substance has cannot be one of them.
    """
    return rdMolHash.MolHash(
        _element_graph(_as_mol(mol_or_text)), rdMolHash.HashFunction.ElementGraph
    )


def graph_size(mol_or_text: Mol | str) -> int:
    """The sum of the distances between every two atoms of `graph_key`'s graph (its Wiener
    index): two structures with the same graph key have the same size.

    A few microseconds where the key takes a hundred: with the formula, it tells most structures
    that merely share a formula with another (positional isomers, homologues) from it before the
    key is asked for.
    """
    mol = _as_mol(mol_or_text)
    if mol.GetNumAtoms() != mol.GetNumHeavyAtoms():
        mol = _element_graph(mol)  # hydrogen atoms drawn: the graph as the key reads it
    # (without them, the key's graph has exactly the molecule's atoms and bonds)
    return int(Chem.GetDistanceMatrix(mol).sum())


def inchikey(mol_or_text: Mol | str) -> str:
    """Standard InChIKey of exactly the structure given ("" if InChI cannot represent it)."""
    return _inchi_and_key(_as_mol(mol_or_text))[1]


def parent_key(mol_or_text: Mol | str) -> str:
    """Standard InChIKey of the standardized parent (see `standardize`).

    Two structures share a parent key when they are the same compound after removing
    counter-ions and solvent and neutralizing: fentanyl and fentanyl citrate or hydrochloride do;
    the two enantiomers of a chiral drug, or a compound and its deuterated form, do not (stereo and
    isotopes live in the key's second block). Mobile-hydrogen tautomers share a key (standard
    InChI). Empty string if InChI cannot represent the parent.
    """
    return inchikey(standardize(mol_or_text))


def skeleton_key(mol_or_text: Mol | str) -> str:
    """First block (14 letters) of `parent_key`: the constitution of the parent.

    It hashes formula and connectivity only, so all stereoisomers of a parent (enantiomers,
    diastereomers, cis/trans isomers, racemates) and its isotopologues share a skeleton key,
    and so do its salts. Used to find "a stereoisomer or salt of a listed substance". Empty
    string if InChI cannot represent the parent.
    """
    return parent_key(mol_or_text).split("-", 1)[0]


def record_keys(mol_or_text: Mol | str) -> tuple[str, str]:
    """The parent key and the skeleton key a registry record of this structure is found by.

    Those of its standardized parent (`parent_key`, `skeleton_key`), unless the structure is
    several compounds of different constitution, none of them a counter-ion or a solvent (see
    `components`): a complex or an adduct, such as dichloralphenazone (phenazone with two
    chloral hydrate) or chloral betaine (betaine with chloral hydrate). Such a compound is none
    of its parts, nor a salt of its largest one: phenazone drawn is not dichloralphenazone. The
    check reads a drawing of several such parts part by part, and as a whole by its own
    InChIKey; so the record of a complex is its own parent, and both keys are those of its own
    InChIKey. A record of stereoisomers of one compound drawn together (both 3-epimers of a
    steroid) keeps its parent's keys.
    """
    mol = _as_mol(mol_or_text)
    if own := complex_key(mol):
        return own, own.split("-", 1)[0]
    return parent_key(mol), skeleton_key(mol)


def complex_key(mol_or_text: Mol | str) -> str:
    """The InChIKey of a structure's parts that are not counter-ions or solvents, each as often
    as drawn, when they are two or more compounds of different constitution (a complex, an
    adduct, a mixture); "" otherwise. Dichloralphenazone drawn with water, or as a
    hydrochloride, is dichloralphenazone: the key is that of its phenazone and its two chloral
    hydrate, whatever else is drawn with them (`record_keys`, and the check's look-up of a whole
    drawn in parts)."""
    mol = _as_mol(mol_or_text)
    with rdBase.BlockLogs():
        try:
            cleaned = rdMolStandardize.Cleanup(mol)
            fragments = Chem.GetMolFrags(cleaned, asMols=True, sanitizeFrags=True)
        except (ValueError, RuntimeError) as exc:
            raise ChemistryError("the structure could not be split into its parts") from exc
    judged = [fragment for fragment in fragments if not _is_counter_ion(fragment)]
    if len({skeleton_key(Chem.MolToSmiles(fragment)) for fragment in judged}) < 2:
        return ""
    combined = judged[0]
    for fragment in judged[1:]:
        combined = Chem.CombineMols(combined, fragment)
    return inchikey(combined)


def formula(mol_or_text: Mol | str) -> str:
    """Hill molecular formula, all fragments together (e.g. ``C22H28N2O`` for fentanyl)."""
    return rdMolDescriptors.CalcMolFormula(_as_mol(mol_or_text))


# What 21 CFR 1300.01 asks of a positional isomer: the same molecular formula and core
# structure, the same functional groups and substituents, "attached at any position(s) on the
# core structure", no functionality created or destroyed; moving alkyl moieties within or
# between groups is allowed. Read here as: the same formula, the same ring systems (each as
# its ring atoms alone), and the same count of each functional group below. An amine is one
# group whatever its alkyls (moving a methyl from N to C is a rearrangement of alkyls).
_FUNCTIONAL_GROUPS = None
_made_with_rdkit(
    "_FUNCTIONAL_GROUPS",
    lambda rdkit: tuple(
        (name, rdkit.Chem.MolFromSmarts(smarts))
        for name, smarts in (
            ("fluoro", "[F]"),
            ("chloro", "[Cl]"),
            ("bromo", "[Br]"),
            ("iodo", "[I]"),
            ("phenol", "[OX2H1]-a"),
            ("alcohol", "[OX2H1]-[CX4]"),
            ("ether", "[OX2;!R](-[#6])-[#6]"),
            ("amine", "[NX3;!$(N-[CX3]=[O,S]);!$(N-a);!a;+0]"),
            ("aryl amine", "[NX3;!$(N-[CX3]=[O,S]);$(N-a);!a;+0]"),
            ("amide", "[NX3]-[CX3]=[OX1]"),
            ("ketone", "[#6]-[CX3](=[OX1])-[#6]"),
            ("aldehyde", "[CX3H1](=[OX1])"),
            ("acid", "[CX3](=[OX1])-[OX2H1]"),
            ("ester", "[CX3](=[OX1])-[OX2]-[#6]"),
            ("nitro", "[NX3+](=O)[O-]"),
            ("nitrile", "[CX2]#[NX1]"),
            ("thioether", "[SX2;!R](-[#6])-[#6]"),
            ("thiol", "[SX2H1]"),
            ("alkene", "[CX3;!a]=[CX3;!a]"),
            ("alkyne", "[CX2]#[CX2]"),
        )
    ),
)


def isomer_signature(mol_or_text: Mol | str) -> tuple:
    """What two positional isomers share (see `_FUNCTIONAL_GROUPS`): the formula, the ring
    systems as canonical SMILES of their ring atoms, and the count of each functional group.
    Equal signatures make two compounds positional isomers in that reading, or the same
    compound; which, the caller tells by InChIKey."""
    mol = _as_mol(mol_or_text)
    rings = [set(ring) for ring in mol.GetRingInfo().AtomRings()]
    systems: list[set[int]] = []
    for ring in rings:
        joined = [system for system in systems if len(system & ring) >= 2]
        for system in joined:
            systems.remove(system)
            ring |= system
        systems.append(ring)
    cores = sorted(
        Chem.MolFragmentToSmiles(
            mol, atomsToUse=sorted(system), canonical=True, isomericSmiles=False
        )
        for system in systems
    )
    groups = tuple(
        (name, len(mol.GetSubstructMatches(pattern, uniquify=True)))
        for name, pattern in _FUNCTIONAL_GROUPS
    )
    return (rdMolDescriptors.CalcMolFormula(mol), tuple(cores), groups)


# What a compound of another configuration than an entry's is of it, as the coverage word of
# `registry.models.COVERAGE` a listing must hold to reach it: its mirror image is an optical
# isomer; one that differs only about double bonds, a geometric isomer; any other (a
# diastereomer, or a configuration drawn in part) is only a stereoisomer.
OPTICAL_ISOMERS = "optical_isomers"
GEOMETRIC_ISOMERS = "geometric_isomers"
STEREOISOMERS = "stereoisomers"


@functools.lru_cache(maxsize=4096)
def isomer_kind(smiles: str, other: str) -> str:
    """Which isomer of the compound drawn as `other` the compound drawn as `smiles` is (the
    same constitution, the caller has checked): `OPTICAL_ISOMERS` where one is the mirror image
    of the other, or either draws no configuration (a racemate and its enantiomers); else
    `GEOMETRIC_ISOMERS` where they differ only about double bonds, each drawn about the same
    ones; else `STEREOISOMERS` (a diastereomer, a configuration drawn in part, a drawing that
    cannot be read). Epitestosterone is a stereoisomer of testosterone, not its mirror image."""
    try:  # each as its parent (a record may be drawn as a salt), without isotope labels (a
        # labelled compound is the compound it labels), read again from its SMILES so that its
        # double bonds' configuration is perceived
        # (a relative configuration as drawn: one enantiomer of the racemate it names, whose
        # mirror image is the other)
        parents = [standardize(parse_structure(text, relative=True)) for text in (smiles, other)]
        parents = [without_isotope_labels(mol) or mol for mol in parents]
        mols = [Chem.MolFromSmiles(Chem.MolToSmiles(mol)) for mol in parents]
    except ChemistryError:
        return STEREOISOMERS
    if any(mol is None for mol in mols):
        return STEREOISOMERS
    if Chem.MolToSmiles(mols[0]) == Chem.MolToSmiles(mols[1]):
        return OPTICAL_ISOMERS  # the same configuration: it is the compound itself
    drawn = [_stereo_elements(mol) for mol in mols]  # (centres, double bonds) of each
    if not any(drawn[0]) or not any(drawn[1]):
        return OPTICAL_ISOMERS
    if drawn[0] != drawn[1]:
        return STEREOISOMERS  # drawn about different centres or bonds: in part
    if _without_bond_configuration(mols[0]) == _without_bond_configuration(mols[1]):
        return GEOMETRIC_ISOMERS if drawn[0][1] else STEREOISOMERS
    if Chem.MolToSmiles(_mirror(mols[0])) == Chem.MolToSmiles(mols[1]):
        return OPTICAL_ISOMERS
    return STEREOISOMERS


def stereo_need(smiles: str, record: str) -> frozenset[str]:
    """What a listing of the compound drawn as `record` must cover to reach the compound drawn
    as `smiles`, another configuration of it (both drawn with one): `isomer_kind`, or nothing
    where the record gives only a relative configuration (`drawn_relative`, as "(±)-trans-"
    names it) and `smiles` is one of that racemate's enantiomers. Such an enantiomer is read as
    the compound the entry names, as it is against a record drawn without configuration; a
    diastereomer (cis-nabilone against trans) is not."""
    kind = isomer_kind(smiles, record)
    if kind == OPTICAL_ISOMERS and drawn_relative(record):
        return frozenset()
    return frozenset({kind})


def _stereo_elements(mol: Mol) -> tuple[int, int]:
    """How many stereocentres and stereo double bonds a drawing specifies."""
    centres = sum(
        atom.GetChiralTag()
        in (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)
        for atom in mol.GetAtoms()
    )
    bonds = sum(
        bond.GetBondType() == Chem.BondType.DOUBLE
        and bond.GetStereo() != Chem.BondStereo.STEREONONE
        for bond in mol.GetBonds()
    )
    return centres, bonds


def _without_bond_configuration(mol: Mol) -> str:
    """Canonical SMILES of `mol` with its double bonds' configuration left out."""
    copy = Chem.Mol(mol)
    for bond in copy.GetBonds():
        if bond.GetBondType() == Chem.BondType.DOUBLE:
            bond.SetStereo(Chem.BondStereo.STEREONONE)
        bond.SetBondDir(Chem.BondDir.NONE)
    return Chem.MolToSmiles(copy)


# An oxygen between two carbons by chain bonds: an ester's (one of the carbons an acyl carbon,
# of a carboxylic, carbonic or carbamic acid) or an ether's. Bonds in a ring are not an ester's
# or an ether's of another compound (a lactone, the epoxy bridge of morphine).
_CHAIN_OXYGEN = None
_made_with_rdkit("_CHAIN_OXYGEN", lambda rdkit: rdkit.Chem.MolFromSmarts("[#6]-!@[OX2]-!@[#6]"))


def _is_acyl(atom) -> bool:
    """A carbon double-bonded to an oxygen or a sulfur (an acid's carbon)."""
    return atom.GetAtomicNum() == 6 and any(
        bond.GetBondTypeAsDouble() == 2.0 and bond.GetOtherAtom(atom).GetAtomicNum() in (8, 16)
        for bond in atom.GetBonds()
    )


def _is_acetal(atom) -> bool:
    """A saturated carbon bearing two or more oxygens by single bonds: the anomeric carbon of a
    glycoside (a glucuronide), the CH2 of a methoxymethyl ether."""
    return (
        atom.GetAtomicNum() == 6
        and atom.GetHybridization() == Chem.HybridizationType.SP3
        and sum(
            1
            for bond in atom.GetBonds()
            if bond.GetBondType() == Chem.BondType.SINGLE
            and bond.GetOtherAtom(atom).GetAtomicNum() == 8
        )
        >= 2
    )


ACETALS = "acetals"
"""The word `hydrolysis_parents` gives, instead of "ethers", for a bond of an acetal carbon: a
glycoside (morphine 3-glucuronide) is an ether of its aglycone to a chemist, and whether a
list's "ethers" reach it is a reading the law does not settle."""

ENOLS = "enols"
"""The word `hydrolysis_parents` gives, beside "esters" or "ethers", for a parent reached
through an enol: the ester or ether of a ketone's enol form (testosterone's 3-enol acetate,
penmesterol, methyltestosterone's 3-cyclopentyl enol ether) gives, cut, an enol, whose ketone
is the parent given. An ester or ether of a ketone's tautomer, not of a hydroxyl the compound
has: whether a list's "esters" or "ethers" reach it is a reading the law does not settle."""


def _is_vinylic(atom) -> bool:
    """A carbon outside an aromatic ring with a double bond to another carbon (an enol's)."""
    return (
        atom.GetAtomicNum() == 6
        and not atom.GetIsAromatic()
        and any(
            bond.GetBondType() == Chem.BondType.DOUBLE
            and bond.GetOtherAtom(atom).GetAtomicNum() == 6
            for bond in atom.GetBonds()
        )
    )


_ENOL = None
_made_with_rdkit("_ENOL", lambda rdkit: rdkit.Chem.MolFromSmarts("[OX2H1]-[#6X3;!a]=[#6X3;!a]"))
_DIENOL = None
_made_with_rdkit(
    "_DIENOL",
    lambda rdkit: rdkit.Chem.MolFromSmarts("[OX2H1]-[#6X3;!a]=[#6X3;!a]-[#6X3;!a]=[#6X3;!a]"),
)


MAX_KETO_ENOLS = 2
"""Most enols of one parent `_keto_forms` turns back into ketones together (a 3,17-bis-enol
ether of androstenedione is two)."""


def _keto_forms(mol: Mol, depth: int = MAX_KETO_ENOLS) -> list[Mol]:
    """The ketones the enols in `mol` are tautomers of: an enol's own carbon made the carbonyl
    (HO-C=C to O=C-CH), and, for a dienol, the conjugated one (HO-C=C-C=C to O=C-C=C-CH:
    testosterone's 3,5-dienol gives both testosterone and its 5-ene isomer); with a second
    enol, each of those with it turned back too (up to `MAX_KETO_ENOLS`). Standardized; none
    when `mol` has no enol."""
    if depth <= 0:
        return []
    out: list[Mol] = []
    edits = [(match, False) for match in mol.GetSubstructMatches(_ENOL, maxMatches=8)]
    edits += [(match, True) for match in mol.GetSubstructMatches(_DIENOL, maxMatches=8)]
    for match, conjugated in edits:
        edited = Chem.RWMol(mol)
        oxygen, carbon, beta = match[0], match[1], match[2]
        edited.GetBondBetweenAtoms(oxygen, carbon).SetBondType(Chem.BondType.DOUBLE)
        edited.GetBondBetweenAtoms(carbon, beta).SetBondType(Chem.BondType.SINGLE)
        if conjugated:
            gamma, delta = match[3], match[4]
            edited.GetBondBetweenAtoms(beta, gamma).SetBondType(Chem.BondType.DOUBLE)
            edited.GetBondBetweenAtoms(gamma, delta).SetBondType(Chem.BondType.SINGLE)
        for index in match:
            edited.GetAtomWithIdx(index).SetNoImplicit(False)
            edited.GetAtomWithIdx(index).SetNumExplicitHs(0)
        with rdBase.BlockLogs():
            try:
                piece = edited.GetMol()
                Chem.SanitizeMol(piece)
                # The carbon made saturated may be a new stereocentre: left undrawn.
                Chem.AssignStereochemistry(piece, cleanIt=True, force=True)
                keto = standardize(Chem.MolFromSmiles(Chem.MolToSmiles(piece)))
            except (ValueError, RuntimeError, ChemistryError):
                continue
        out.append(keto)
        out.extend(_keto_forms(keto, depth - 1))
    return out


_HYDROXYL = None
_made_with_rdkit("_HYDROXYL", lambda rdkit: rdkit.Chem.MolFromSmarts("[OX2H1]-[#6]"))


def has_hydroxyl(mol_or_text: Mol | str) -> bool:
    """Whether the structure has a hydroxyl on a carbon (an alcohol, a phenol, a carboxylic
    acid): what an ester or an ether can be of (`hydrolysis_parents`)."""
    return _as_mol(mol_or_text).HasSubstructMatch(_HYDROXYL)


_KETONE = None
_made_with_rdkit("_KETONE", lambda rdkit: rdkit.Chem.MolFromSmarts("[#6]-[CX3](=O)-[#6]"))


def has_ketone(mol_or_text: Mol | str) -> bool:
    """Whether the structure has a ketone: what an enol ester or ether can be of
    (`hydrolysis_parents`, `ENOLS`)."""
    return _as_mol(mol_or_text).HasSubstructMatch(_KETONE)


MAX_HYDROLYSIS_CUTS = 2
"""Most ester and ether bonds `hydrolysis_parents` cuts at once (a diester of a diol is two)."""

MAX_HYDROLYSIS_SITES = 12
"""Most ester and ether oxygens of a molecule whose pairs of cuts are tried; beyond them, one
cut at a time."""


def hydrolysis_parents(
    mol_or_text: Mol | str, *, formulas: Callable[[str], bool] | None = None
) -> list[tuple[frozenset[str], Mol]]:
    """The compounds of which a structure is an ester or an ether, with what it is of them.

    Each ester bond and ether bond outside a ring is cut on either side of its oxygen, one or
    `MAX_HYDROLYSIS_CUTS` at a time, and the part that keeps every cut oxygen is a parent:
    morphine 6-propionate gives morphine (an ester of the alcohol) and propionic acid (of the
    acid); morphine 3,6-dipropionate gives morphine by two cuts; an aryl methyl ether gives the
    phenol. Each parent comes with the words of `registry.models.COVERAGE` a list must cover
    for the structure to be reached through it ({"esters"}, {"ethers"} or both; `ACETALS`
    in place of "ethers" where a cut bond is an acetal carbon's, as in a glycoside), standardized
    as `standardize` makes a parent, once per canonical SMILES (the fewest cuts first). Parts
    of fewer than four heavy atoms (the methanol of a methyl ether) are left out.

    `formulas`, when given, says which Hill formulas are worth a molecule: a part's formula is
    counted from the atoms it keeps (each cut oxygen gains a hydrogen) before anything is built,
    so that a structure none of whose parts has a wanted formula costs one substructure
    search and some counting. Whether a parent is anything the registry holds is the
    caller's question; most are not.
    """
    mol = standardize(mol_or_text)
    sites: list[tuple[str, tuple[int, int], tuple[int, int]]] = []  # kind, cut a, cut b
    # The cuts that leave their oxygen on an enol's carbon (see `ENOLS`).
    enolic: set[tuple[int, int]] = set()
    oxygens_seen: set[int] = set()
    for left, oxygen, right in mol.GetSubstructMatches(_CHAIN_OXYGEN, maxMatches=64):
        if oxygen in oxygens_seen:
            continue
        oxygens_seen.add(oxygen)
        acyl = (_is_acyl(mol.GetAtomWithIdx(left)), _is_acyl(mol.GetAtomWithIdx(right)))
        if all(acyl):
            continue  # an anhydride
        if acyl[1]:
            left, right = right, left  # the acid's side first
        if any(acyl):
            kind = "esters"
        elif _is_acetal(mol.GetAtomWithIdx(left)) or _is_acetal(mol.GetAtomWithIdx(right)):
            kind = ACETALS
        else:
            kind = "ethers"
        if _is_vinylic(mol.GetAtomWithIdx(right)):
            enolic.add((left, oxygen))  # the oxygen stays on `right`
        if not acyl[1] and not acyl[0] and _is_vinylic(mol.GetAtomWithIdx(left)):
            enolic.add((oxygen, right))
        sites.append((kind, (left, oxygen), (oxygen, right)))
    if not sites:
        return []
    most = MAX_HYDROLYSIS_CUTS if len(sites) <= MAX_HYDROLYSIS_SITES else 1
    size = mol.GetNumAtoms()
    whole = _composition(rdMolDescriptors.CalcMolFormula(mol))
    sides: dict[tuple[int, int], tuple[set[int], set[int] | None]] = {}
    out: list[tuple[frozenset[str], Mol]] = []
    known: set[str] = set()
    for count in range(1, min(most, len(sites)) + 1):
        for chosen in itertools.combinations(sites, count):
            for choice in itertools.product((1, 2), repeat=count):
                cuts = [site[side] for site, side in zip(chosen, choice, strict=True)]
                # Each cut removes what lies beyond its oxygen; the parent is what is left.
                removed = [_beyond(mol, bond, oxygens_seen, sides) for bond in cuts]
                oxygens = [atom for bond in cuts for atom in bond if atom in oxygens_seen]
                if any(_holds(part, o) for part in removed for o in oxygens):
                    continue  # a cut oxygen would leave with another cut's part
                left = size - sum(_count(part, size) for part in removed)
                if left < 4:
                    continue
                if formulas is not None:
                    composition = dict(whole)
                    for part in removed:
                        for element, number in _part_composition(mol, part, whole).items():
                            composition[element] = composition.get(element, 0) - number
                    composition["H"] = composition.get("H", 0) + len(cuts)
                    if not formulas(_hill(composition)):
                        continue
                kept = set(range(size))
                for part in removed:
                    kept = kept - part[0] if part[1] is None else kept & part[1]
                parent = _cut(mol, cuts, kept)
                if parent is None:
                    continue
                words = frozenset(site[0] for site in chosen)
                found = [(words, parent)]
                if enolic.intersection(cuts):
                    # An enol, cut free: a parent itself (formestane, oxymetholone and
                    # 4-hydroxytestosterone are enols), and so are its ketones, in doubt.
                    found += [(words | {ENOLS}, keto) for keto in _keto_forms(parent)]
                for said, compound in found:
                    smiles = Chem.MolToSmiles(compound)
                    if smiles not in known:
                        known.add(smiles)
                        out.append((said, compound))
    return out


def _beyond(mol: Mol, bond: tuple[int, int], oxygens: set[int], sides: dict):
    """What a cut of the chain bond `bond` removes: the side away from its oxygen, as
    (atoms, None) when that side is the smaller, else (the kept side's atoms, the same set)
    meaning every atom but those. The two sides are walked in step, and the walk stops when the
    smaller is done: a methyl or an acyl costs a few atoms, not the whole molecule."""
    begin, end = bond
    far = end if begin in oxygens else begin
    near = begin if far == end else end
    if (near, far) not in sides:
        seen = {near: {near}, far: {far}}
        todo = {near: [near], far: [far]}
        while todo[near] and todo[far]:
            for start in (near, far):
                atom = todo[start].pop()
                for other in mol.GetAtomWithIdx(atom).GetNeighbors():
                    index = other.GetIdx()
                    if index not in seen[start] and {atom, index} != {near, far}:
                        seen[start].add(index)
                        todo[start].append(index)
        if not todo[far]:
            sides[(near, far)] = (seen[far], None)  # the far side, walked to its end
        else:
            sides[(near, far)] = (seen[near], seen[near])  # all but the near side
    return sides[(near, far)]


def _holds(part: tuple[set[int], set[int] | None], atom: int) -> bool:
    atoms, complement_of = part
    return atom in atoms if complement_of is None else atom not in complement_of


def _count(part: tuple[set[int], set[int] | None], size: int) -> int:
    atoms, complement_of = part
    return len(atoms) if complement_of is None else size - len(complement_of)


def _part_composition(mol: Mol, part, whole: dict[str, int]) -> dict[str, int]:
    """The elements (hydrogens counted) of a removed part, from its own atoms or, when it is
    given as all but a smaller set, as the whole molecule's less that set's."""
    atoms, complement_of = part
    counted: dict[str, int] = {}
    for index in atoms:
        atom = mol.GetAtomWithIdx(index)
        counted[atom.GetSymbol()] = counted.get(atom.GetSymbol(), 0) + 1
        counted["H"] = counted.get("H", 0) + atom.GetTotalNumHs()
    if complement_of is None:
        return counted
    return {element: number - counted.get(element, 0) for element, number in whole.items()}


_FORMULA_TERM = re.compile(r"([A-Z][a-z]?)(\d*)")


def _composition(formula: str) -> dict[str, int]:
    """A Hill formula as element counts (a neutral molecule without isotope labels)."""
    counts: dict[str, int] = {}
    for element, number in _FORMULA_TERM.findall(formula):
        counts[element] = counts.get(element, 0) + int(number or 1)
    return counts


def _hill(counts: dict[str, int]) -> str:
    """Element counts as `formula` writes them (Hill order)."""
    present = {e: n for e, n in counts.items() if n > 0}
    if "C" in present:
        order = ["C", *(["H"] if "H" in present else []), *sorted(set(present) - {"C", "H"})]
    else:
        order = sorted(present)
    return "".join(f"{e}{present[e] if present[e] != 1 else ''}" for e in order)


def _cut(mol: Mol, bonds: list[tuple[int, int]], kept: set[int]) -> Mol | None:
    """The atoms `kept` of `mol` once `bonds` are cut, as a standardized molecule (None if
    RDKit cannot make one of them)."""
    edited = Chem.RWMol(mol)
    for begin, end in bonds:
        edited.RemoveBond(begin, end)
        for index in (begin, end):
            edited.GetAtomWithIdx(index).SetNoImplicit(False)
            edited.GetAtomWithIdx(index).SetNumExplicitHs(0)
    for index in sorted(set(range(mol.GetNumAtoms())) - kept, reverse=True):
        edited.RemoveAtom(index)
    with rdBase.BlockLogs():
        try:
            piece = edited.GetMol()
            Chem.SanitizeMol(piece)
            Chem.AssignStereochemistry(piece, cleanIt=True, force=True)
            return standardize(Chem.MolFromSmiles(Chem.MolToSmiles(piece)))
        except (ValueError, RuntimeError, ChemistryError):
            return None


# --------------------------------------------------------------------------------------------
# Substructure queries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Query:
    """A compiled SMARTS pattern, ready for `find_match`. Compile once, match many times."""

    smarts: str
    pattern: Mol
    screen: object = None  # the pattern's screening fingerprint; see `screen_of`
    anchor: Mol | None = None  # the pattern without its recursive parts; see `_anchor_of`
    elements: tuple[tuple[str, int], ...] = ()  # atoms a match needs; see `_needed_elements`


def compile_smarts(smarts: str) -> Query:
    """Compile a SMARTS pattern, refusing bad or oversized ones with a `ChemistryError`.

    Limits: `MAX_SMARTS_CHARS` characters, `MAX_QUERY_ATOMS` top-level query atoms. The reason of
    a syntax error carries the position RDKit reports. Only the first line of the text is read:
    a class rule's group conditions follow on the next lines (see `substances.matching`).
    """
    if not isinstance(smarts, str):
        raise ChemistryError("not a SMARTS string")
    # A class rule's text may go on, after its pattern, with lines of conditions on the groups
    # the pattern matched (see substances.matching); the pattern is the first line.
    smarts = smarts.strip().split("\n", 1)[0].strip()
    if not smarts:
        raise ChemistryError("empty SMARTS")
    if len(smarts) > MAX_SMARTS_CHARS:
        raise ChemistryError(f"SMARTS too long: {len(smarts)} characters, limit {MAX_SMARTS_CHARS}")
    with rdBase.CaptureErrorLog() as capture:
        pattern = Chem.MolFromSmarts(smarts)
    if pattern is None:
        raise ChemistryError(_reason_from_log("SMARTS", capture.messages))
    if pattern.GetNumAtoms() == 0:
        raise ChemistryError("empty SMARTS")
    if pattern.GetNumAtoms() > MAX_QUERY_ATOMS:
        raise ChemistryError(
            f"SMARTS too large: {pattern.GetNumAtoms()} atoms, limit {MAX_QUERY_ATOMS}"
        )
    pattern.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(pattern)
    with rdBase.BlockLogs():
        try:
            query_screen = Chem.PatternFingerprint(pattern, fpSize=_SCREEN_BITS)
        except RuntimeError:  # a query feature the fingerprint cannot describe: never screen
            query_screen = None
    return Query(
        smarts=smarts,
        pattern=pattern,
        screen=query_screen,
        anchor=_anchor_of(pattern),
        elements=_needed_elements(pattern),
    )


def _pinned_element(atom: Chem.Atom) -> int | None:
    """The element a query atom requires as a condition of the whole query, or None.

    Read from RDKit's description of the query, a tree indented two spaces a level: an atomic
    number (``AtomAtomicNum 7 = val``) or an atom type (``AtomType 1007 = val``, aromatic
    nitrogen: 1000 + the atomic number) that only "and"s lead to. Under an "or", a negation or
    anything else, the atom may be of another element.
    """
    lines = atom.DescribeQuery().splitlines()
    parsed = [((len(line) - len(line.lstrip(" "))) // 2, line.strip()) for line in lines]
    for index, (depth, text) in enumerate(parsed):
        found = _PINNED_RE.match(text)
        if not found:
            continue
        ancestors, level = [], depth
        for above_depth, above in reversed(parsed[:index]):
            if above_depth < level:
                ancestors.append(above)
                level = above_depth
        if all(above == "AtomAnd" for above in ancestors):
            return int(found.group(1)) % 1000
    return None


_PINNED_RE = re.compile(r"^(?:AtomAtomicNum|AtomType) (\d+) = val$")


def _needed_elements(pattern: Mol) -> tuple[tuple[str, int], ...]:
    """How many atoms of each element any match of the pattern takes: a molecule with fewer
    cannot match it, which its formula tells (`element_counts`) before any search."""
    table = Chem.GetPeriodicTable()
    needed: dict[str, int] = {}
    for atom in pattern.GetAtoms():
        number = _pinned_element(atom)
        if number:
            symbol = table.GetElementSymbol(number)
            needed[symbol] = needed.get(symbol, 0) + 1
    return tuple(sorted(needed.items()))


_FORMULA_PART_RE = re.compile(r"([A-Z][a-z]?)(\d*)")


def element_counts(mol: Mol) -> dict[str, int]:
    """How many atoms of each element the molecule has, implicit hydrogens included (from its
    formula: a few microseconds). See `find_match`'s ``elements``."""
    counts: dict[str, int] = {}
    for symbol, number in _FORMULA_PART_RE.findall(rdMolDescriptors.CalcMolFormula(mol)):
        counts[symbol] = counts.get(symbol, 0) + (int(number) if number else 1)
    return counts


def _top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is outside brackets and parentheses."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    parts.append(text[start:])
    return parts


def _relaxed_atom(atom_smarts: str) -> str | None:
    """An atom query without its recursive parts (``$(...)``), or None if it has none.

    ``;`` is SMARTS's lowest-precedence "and", so dropping a conjunct that holds a recursive
    part only widens the query; an atom whose recursion is not such a conjunct becomes ``*``.
    """
    if "$(" not in atom_smarts:
        return None
    inner = atom_smarts[1:-1] if atom_smarts.startswith("[") else atom_smarts
    kept = [part for part in _top_level(inner, ";") if "$(" not in part]
    return f"[{';'.join(kept)}]" if kept else "*"


def _anchor_of(pattern: Mol) -> Mol | None:
    """The pattern with every recursive part taken out of its atoms: a cheap necessary test.

    Recursive SMARTS (``$(...)``) are evaluated on every atom of the molecule searched, which
    makes patterns like the synthetic cannabinoids' ten times dearer than a plain one. Their
    anchor keeps the ring systems and plain atoms, matches in a few microseconds, and whatever
    the full pattern matches it matches too (it only asks less), so a molecule the anchor misses
    needs no full search. None when the pattern has no recursion, or when the anchor would be
    costlier than its pattern on a worst-case molecule (see `stress_test`).
    """
    relaxed = [_relaxed_atom(atom.GetSmarts()) for atom in pattern.GetAtoms()]
    if not any(relaxed):
        return None
    anchor = Chem.RWMol(pattern)
    for index, atom_smarts in enumerate(relaxed):
        if atom_smarts is not None:
            replacement = Chem.AtomFromSmarts(atom_smarts)
            if replacement is None:
                return None
            anchor.ReplaceAtom(index, replacement)
    anchor = anchor.GetMol()
    anchor.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(anchor)
    try:
        stress_test(Query(smarts="", pattern=anchor))
    except ChemistryError:
        return None
    return anchor


_SCREEN_BITS = 2048


_SHAPE_PROP = "_registry_shape"
_CROWDED_ATOM = None
_made_with_rdkit(
    "_CROWDED_ATOM", lambda rdkit: rdkit.Chem.MolFromSmarts(f"[D{{{ORDINARY_MAX_DEGREE + 1}-}}]")
)


def _shape(mol: Mol) -> tuple[int, bool, int]:
    """(heavy atoms, whether an atom has more than `ORDINARY_MAX_DEGREE` neighbours, rings).

    Computed once per molecule (kept on it as a property). The degree is asked of one atom query
    run in C++: a Python loop over the atoms cost as much as the anchored searches it gates.
    """
    if mol.HasProp(_SHAPE_PROP):
        atoms, crowded, rings = (int(part) for part in mol.GetProp(_SHAPE_PROP).split())
        return atoms, bool(crowded), rings
    crowded = mol.HasSubstructMatch(_CROWDED_ATOM)
    rings = mol.GetNumBonds() - mol.GetNumAtoms() + len(Chem.GetMolFrags(mol))
    shape = (mol.GetNumHeavyAtoms(), crowded, rings)
    mol.SetProp(_SHAPE_PROP, f"{shape[0]} {int(crowded)} {rings}")
    return shape


def is_ordinary(mol: Mol) -> bool:
    """True when ``mol`` is inside the bounds that every class rule is stress-tested on.

    Within `ORDINARY_MAX_ATOMS`, `ORDINARY_MAX_DEGREE` and `ORDINARY_MAX_RINGS`. The class
    matcher skips the screening fingerprint for such a molecule (each rule's anchor is cheaper);
    searches of every molecule run under the guard.
    """
    atoms, crowded, rings = _shape(mol)
    return atoms <= ORDINARY_MAX_ATOMS and not crowded and rings <= ORDINARY_MAX_RINGS


def screen_of(mol: Mol) -> object:
    """A molecule's screening fingerprint (RDKit's pattern fingerprint), or None.

    A query can only match a molecule whose fingerprint holds every bit of the query's own, so
    `find_match` given this screen skips, at the cost of a bit comparison, the searches that
    cannot succeed. Compute it once per molecule and pass it to every `find_match` on it.
    None (search everything, under the guard) for a molecule whose fingerprint would be costly:
    see `SCREEN_MAX_RINGS`.
    """
    _atoms, crowded, rings = _shape(mol)
    if crowded or rings > SCREEN_MAX_RINGS:
        return None
    with rdBase.BlockLogs():
        return Chem.PatternFingerprint(mol, fpSize=_SCREEN_BITS)


# Likeness of whole structures: Morgan fingerprints (radius 2, 2048 bits) compared by Tanimoto
# similarity. A measure of how much two drawings share, not a finding of "substantial
# similarity" in any law's sense: the check uses it only to name a listed substance a structure
# is close to (registry.analogues).
_LIKENESS = None
_made_with_rdkit(
    "_LIKENESS",
    lambda rdkit: rdkit.rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048),
)


def likeness_fingerprint(mol: Mol | str) -> object:
    """The fingerprint `likeness` compares, of a structure's standardized parent."""
    parent = standardize(mol)
    with rdBase.BlockLogs():
        return _LIKENESS.GetFingerprint(parent)


def likeness(fingerprint: object, others: Iterable[object]) -> list[float]:
    """The Tanimoto similarity (0 to 1) of one `likeness_fingerprint` to each of `others`."""
    return list(DataStructs.BulkTanimotoSimilarity(fingerprint, list(others)))


def _match_parameters(chem, max_matches: int = 1):
    """Substructure search parameters, made with `chem` (RDKit's ``Chem`` module)."""
    params = chem.SubstructMatchParameters()
    params.maxMatches = max_matches
    params.uniquify = False
    params.useChirality = False
    params.maxRecursiveMatches = 1000
    return params


# Made once: building the parameters costs as much as many a search (never modified).
_PARAMS = None
_made_with_rdkit("_PARAMS", lambda rdkit: _match_parameters(rdkit.Chem))

_SIG_DFL, _SIG_IGN = 0, 1


def _quiet_handler() -> int:
    """A C function that can stand as a signal handler and does nothing (`abs`: no state)."""
    try:
        return ctypes.cast(ctypes.CDLL(None).abs, ctypes.c_void_p).value or _SIG_IGN
    except (OSError, AttributeError):
        return _SIG_IGN


_QUIET = _quiet_handler()


class _Interrupter:
    """Stops substructure searches that run past their deadline, at no cost per search.

    RDKit's search (``vf2`` in the installed version) installs a SIGINT handler of its own while
    it runs and gives up, returning what it found so far, when it sees the signal. A watchdog
    thread sends SIGINT to itself when a registered deadline has passed, every `POLL_SECONDS`
    until the searcher has noticed. The search releases the GIL, so the watchdog runs while it
    does. Nothing is paid per candidate atom pair (the Python callback of `_guarded_search`
    costs three to ten times the search); registering a deadline costs a few microseconds and is
    done once per molecule (`search_budget`).

    A search that comes back empty while the watchdog fired cannot be told from one that ended
    early: `_interruptible` searches again while its own deadline allows, and otherwise reports a
    timeout. A match found is a real match either way.

    While deadlines are being registered, SIGINT is ignored at the process level (set through
    the C library, which works from any thread, unlike `signal.signal`), so that a signal
    landing between two searches reaches no Python handler (a KeyboardInterrupt, a server's
    quit handler); the previous disposition is put back once no deadline has been registered
    for `IDLE_SECONDS`. The
    watchdog only fires while the disposition is "ignore" or a handler RDKit installed, never
    the default action (which would end the process). A SIGINT from outside during a check (a
    Ctrl-C at the terminal) may end a search early; only the check in progress at a shutdown can
    be affected, and then only toward "unknown" if it hits the deadline.

    The watchdog's own signal goes to its own thread, which blocks SIGINT except for that
    moment, so a program that wants the user's Ctrl-C (`check_structures`) can block it in its
    other threads and wait for it in one (`signal.sigwait`): a signal sent to the whole process
    then reaches neither a search nor the watchdog. "Ignore" is a handler that does nothing
    (`_QUIET`), not SIG_IGN: every search puts back on its way out the disposition it found,
    and setting SIG_IGN would discard such a signal while it waits to be taken.
    """

    POLL_SECONDS = 0.01  # how often the watchdog signals while a search is past its deadline
    TICK_SECONDS = 0.05  # how late, at most, the watchdog notices a deadline
    IDLE_SECONDS = 1.0  # how long without a deadline before SIGINT is given back

    def __init__(self) -> None:
        self.fired = 0  # how many times the watchdog has signalled
        self.flushed = 0  # the value of `fired` when RDKit's flag was last cleared
        self._deadlines: dict[int, float] = {}
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved: int | None = None  # the disposition to give back, while SIGINT is ignored
        self._libc = None
        self._python_handler: int | None = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.signal.restype = ctypes.c_void_p
            libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
            if hasattr(signal, "pthread_kill") and hasattr(signal, "SIGINT"):
                self._libc = libc
                # Python's own C-level handler (the same function whatever Python handler is
                # set), so that the watchdog never signals while it is in place.
                found = self._set_disposition(_SIG_IGN)
                self._set_disposition(found)
                self._python_handler = found if found not in (_SIG_DFL, _SIG_IGN) else None
        except (OSError, AttributeError):  # no C library to call: the callback guard is used
            self._libc = None

    @property
    def usable(self) -> bool:
        return self._libc is not None

    @property
    def idle(self) -> bool:
        """True when SIGINT has its own disposition back (no check for `IDLE_SECONDS`)."""
        return self._saved is None

    def _set_disposition(self, handler: int) -> int:
        return int(self._libc.signal(signal.SIGINT, handler) or 0)

    def _ignore_sigint(self) -> None:  # with the lock held
        if self._saved is None:
            found = self._set_disposition(_QUIET)
            if found not in (_SIG_DFL, _SIG_IGN) and self._python_handler is not None:
                # Our own quiet handler, or RDKit's while a search it left in place runs (one
                # that ended after SIGINT was given back restores the quiet handler it found):
                # neither is a disposition to give back, and keeping it would lose Ctrl-C.
                found = self._python_handler
            self._saved = found

    def arm(self, deadline: float) -> int:
        # Dictionary updates are atomic under the GIL; the lock is taken only to start.
        token = next(self._tokens)
        self._deadlines[token] = deadline
        if self._saved is None or self._thread is None:
            with self._lock:
                self._ignore_sigint()
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._watch, name="substructure-watchdog", daemon=True
                    )
                    self._thread.start()
        if not self._wake.is_set():
            self._wake.set()
        return token

    def disarm(self, token: int) -> None:
        self._deadlines.pop(token, None)

    def flush(self, fired: int) -> None:
        """Clear a signal RDKit noted but no search consumed (a search clears it on return)."""
        target, query = _FLUSH_SEARCH
        target.HasSubstructMatch(query)
        self.flushed = fired

    def _fire(self) -> None:  # with the lock held
        current = self._set_disposition(_QUIET)
        if current in (_SIG_DFL, self._python_handler):
            # Given back by someone else (another library's search ending): keep it ignored
            # (as it now is), and signal on the next round.
            if self._saved is None:
                self._saved = current
            return
        if current != _QUIET:
            self._set_disposition(current)  # RDKit's handler, in place while a search runs
        self.fired += 1
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        # Blocked in this thread but now: the signal just sent is handled here, and only it.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def _watch(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        while True:
            self._wake.wait()
            idle_since = None
            while True:
                pause = self.TICK_SECONDS
                with self._lock:
                    now = time.monotonic()
                    earliest = min(self._deadlines.values(), default=None)
                    if earliest is None:
                        idle_since = idle_since or now
                        if now - idle_since >= self.IDLE_SECONDS:
                            if self._saved is not None:
                                self._set_disposition(self._saved)
                                self._saved = None
                            self._wake.clear()
                            if not self._deadlines:  # else one came in meanwhile: go on
                                break
                            self._wake.set()
                    else:
                        idle_since = None
                        if earliest <= now:
                            self._fire()
                            pause = self.POLL_SECONDS
                        else:
                            pause = min(pause, earliest - now)
                time.sleep(pause)


_INTERRUPTER = _Interrupter()
_FLUSH_SEARCH = None  # a search that cannot fail: the molecule and the query
_made_with_rdkit(
    "_FLUSH_SEARCH", lambda rdkit: (rdkit.Chem.MolFromSmiles("CCC"), rdkit.Chem.MolFromSmarts("CC"))
)
_BUDGET = threading.local()


class search_budget:  # a function in use: ``with search_budget(deadline):``
    """Every substructure search inside the block shares one deadline (a `time.monotonic` value).

    Meant to be held around all the searches of one molecule: the deadline is registered with
    the watchdog once. A search still running at the deadline is stopped and raises
    `MatchTimeout`; one that would start after it raises at once. Blocks nest: an inner block
    keeps the earlier of the two deadlines.
    """

    __slots__ = ("_logs", "_outer", "_own", "_token", "deadline")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __enter__(self) -> search_budget:
        self._outer = getattr(_BUDGET, "deadline", None)
        self._own = self._outer is None or self.deadline < self._outer
        if not self._own:
            self.deadline = self._outer
            return self
        _BUDGET.deadline = self.deadline
        self._token = _INTERRUPTER.arm(self.deadline) if _INTERRUPTER.usable else None
        # RDKit logs a warning for every search it was told to stop.
        self._logs = rdBase.BlockLogs()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._own:
            return
        if self._token is not None:
            _INTERRUPTER.disarm(self._token)
        del self._logs
        _BUDGET.deadline = self._outer


def _interruptible(mol: Mol, query: Query, stop: float, started: float) -> tuple[int, ...] | None:
    watch = _INTERRUPTER
    while True:
        fired = watch.fired
        if fired != watch.flushed:
            watch.flush(fired)
        if query.anchor is None or mol.HasSubstructMatch(query.anchor):
            matches = mol.GetSubstructMatches(query.pattern, _PARAMS)
            if matches:
                return tuple(matches[0])
        if watch.fired == fired:
            return None  # the search ran to its end: no match
        if time.monotonic() >= stop:
            raise MatchTimeout(
                f"substructure search stopped after {time.monotonic() - started:.2g} s: "
                "pattern too expensive for this structure"
            )
        # Stopped on behalf of another thread's deadline: search again.


def _guarded_search(mol: Mol, query: Query, stop: float, started: float) -> tuple[int, ...] | None:
    """The search with a Python clock check per candidate atom pair: where signals cannot be
    used (no C library to set the SIGINT disposition with), and to compare with in tests."""
    params = _match_parameters(Chem)
    state = {"calls": 0, "expired": False}

    def within_budget(_query_atom: object, _mol_atom: object) -> bool:
        # Called for every candidate atom pair; checking the clock every 256 calls keeps the
        # overhead small, and answering False once expired makes the search unwind at once.
        if state["expired"]:
            return False
        state["calls"] += 1
        if not state["calls"] & 0xFF and time.monotonic() > stop:
            state["expired"] = True
            return False
        return True

    params.setExtraAtomCheckFunc(within_budget)
    matches = mol.GetSubstructMatches(query.pattern, params)
    if state["expired"]:
        raise MatchTimeout(
            f"substructure search stopped after {time.monotonic() - started:.2g} s: "
            "pattern too expensive for this structure"
        )
    return tuple(matches[0]) if matches else None


def find_match(
    mol: Mol,
    query: Query,
    *,
    time_limit: float = MATCH_TIME_LIMIT_SECONDS,
    screen: object = None,
    guarded: bool = False,
    deadline: float | None = None,
    elements: dict[str, int] | None = None,
) -> tuple[int, ...] | None:
    """The first occurrence of ``query`` in ``mol``, as a tuple of atom indices, or None.

    The indices are in the order of the query's atoms and refer to ``mol`` as given (pass the
    standardized parent to get atoms that `depict_svg` can highlight on it). Stereochemistry is
    ignored, as in the legal definitions. With ``screen`` (`screen_of` the molecule), a query
    whose screening bits the molecule lacks is answered None without a search.

    Every search, whatever the molecule's size, runs under a time guard and raises
    `MatchTimeout` once it has run ``time_limit`` seconds or reached ``deadline`` (a
    `time.monotonic` value: the caller's budget for the whole item or request), whichever comes
    first; inside a `search_budget` block, the block's deadline applies instead of
    ``time_limit``. A search that would start after its deadline raises at once. ``guarded``
    forces the per-atom-pair callback guard (slower; see `_guarded_search`). With ``elements``
    (`element_counts` of the molecule), a query that needs more atoms of some element than the
    molecule has is answered None without a search.
    """
    if (
        screen is not None
        and query.screen is not None
        and not DataStructs.AllProbeBitsMatch(query.screen, screen)
    ):
        return None
    now = time.monotonic()
    outer = getattr(_BUDGET, "deadline", None)
    if (deadline is not None and now >= deadline) or (outer is not None and now >= outer):
        raise MatchTimeout("substructure search not started: the time budget was spent")
    if elements is not None and any(elements.get(e, 0) < n for e, n in query.elements):
        return None
    if outer is not None and not guarded and (deadline is None or outer <= deadline):
        return _interruptible(mol, query, outer, now)
    stop = now + time_limit if deadline is None else min(now + time_limit, deadline)
    if outer is not None:
        stop = min(stop, outer)
    if guarded or not _INTERRUPTER.usable:
        return _guarded_search(mol, query, stop, now)
    with search_budget(stop) as budget:
        return _interruptible(mol, query, budget.deadline, now)


MAX_MATCHES = 256
"""Most occurrences of a pattern that `find_matches` returns (different embeddings of a
symmetric pattern label its groups differently; a rule's group conditions try each)."""

_ALL_PARAMS = None
_made_with_rdkit("_ALL_PARAMS", lambda rdkit: _match_parameters(rdkit.Chem, MAX_MATCHES))


def find_matches(
    mol: Mol, query: Query, *, time_limit: float = MATCH_TIME_LIMIT_SECONDS
) -> tuple[tuple[int, ...], ...]:
    """Up to `MAX_MATCHES` occurrences of ``query`` in ``mol`` (atom indices in query order).

    Under the same time guard as `find_match` (inside a `search_budget` block, its deadline).
    """
    now = time.monotonic()
    outer = getattr(_BUDGET, "deadline", None)
    if outer is not None and now >= outer:
        raise MatchTimeout("substructure search not started: the time budget was spent")
    stop = now + time_limit if outer is None else outer
    with search_budget(stop) as budget:
        watch = _INTERRUPTER
        while True:
            fired = watch.fired
            if fired != watch.flushed:
                watch.flush(fired)
            found = mol.GetSubstructMatches(query.pattern, _ALL_PARAMS)
            if watch.fired == fired:
                return tuple(tuple(match) for match in found)
            if time.monotonic() >= budget.deadline:
                raise MatchTimeout(
                    f"substructure search stopped after {time.monotonic() - now:.2g} s: "
                    "pattern too expensive for this structure"
                )


def query_atom_maps(query: Query) -> dict[int, int]:
    """The atom map numbers of a pattern's query atoms (``[C:1]``), as {map number: position}."""
    return {
        atom.GetAtomMapNum(): atom.GetIdx()
        for atom in query.pattern.GetAtoms()
        if atom.GetAtomMapNum()
    }


@dataclass(frozen=True)
class Group:
    """What hangs on a pattern's labelled atom: the atoms reached from the atom it matched
    without passing through another atom of the match, and facts about them.

    ``carbons``: the carbon skeleton, i.e. the carbon atoms joined by carbon-carbon bonds to the
    group's first carbon (the labelled atom, or its carbon neighbours in the group when it is a
    heteroatom such as the O of an ester); carbons beyond a heteroatom belong to a substituent
    and are not counted. ``ring_carbons``: the carbons of the ring system (fused, bridged and
    spiro rings together) the group is attached through, None when it is attached through an
    acyclic atom; substituents on the ring are not counted. ``heterocycle``: a ring of the
    group holds an atom other than carbon. ``mass``: the group's mass with its hydrogens.
    ``linker``: how many acyclic atoms lie between the labelled atom (counted) and the group's
    nearest ring atom: 0 when attached through a ring, None when the group has no ring.
    ``saturated``: only single bonds within the group. ``triple_bond``: a triple bond within
    it (an alkynyl is no alkyl or alkenyl).
    """

    atoms: frozenset[int]
    carbons: int
    ring_carbons: int | None
    aromatic: bool
    has_ring: bool
    heterocycle: bool
    elements: frozenset[str]
    heteroatoms: int
    mass: float
    linker: int | None = None
    saturated: bool = True
    triple_bond: bool = False


def _ring_system(mol: Mol, start: int) -> set[int]:
    rings = [set(ring) for ring in mol.GetRingInfo().AtomRings()]
    system = {start}
    grown = True
    while grown:
        grown = False
        for ring in rings:
            if ring & system and not ring <= system:
                system |= ring
                grown = True
    return system if len(system) > 1 else set()


def group_at(mol: Mol, start: int, match: Iterable[int]) -> Group:
    """The `Group` hanging on atom ``start`` of ``mol``, given the atoms of the whole match."""
    fence = set(match) - {start}
    atoms, todo = {start}, [start]
    while todo:
        for neighbour in mol.GetAtomWithIdx(todo.pop()).GetNeighbors():
            index = neighbour.GetIdx()
            if index not in atoms and index not in fence:
                atoms.add(index)
                todo.append(index)
    first = mol.GetAtomWithIdx(start)
    if first.GetAtomicNum() == 6:
        seeds = [start]
    else:
        seeds = [n.GetIdx() for n in first.GetNeighbors() if n.GetIdx() in atoms]
        seeds = [i for i in seeds if mol.GetAtomWithIdx(i).GetAtomicNum() == 6]
    skeleton, todo = set(seeds), list(seeds)
    while todo:
        for neighbour in mol.GetAtomWithIdx(todo.pop()).GetNeighbors():
            index = neighbour.GetIdx()
            if index in atoms and index not in skeleton and neighbour.GetAtomicNum() == 6:
                skeleton.add(index)
                todo.append(index)
    attach = seeds[0] if seeds and not first.IsInRing() else start
    ring_carbons = None
    if mol.GetAtomWithIdx(attach).IsInRing():
        system = _ring_system(mol, attach) & atoms
        ring_carbons = sum(1 for i in system if mol.GetAtomWithIdx(i).GetAtomicNum() == 6)
    ring_info = mol.GetRingInfo()
    group_rings = [ring for ring in ring_info.AtomRings() if set(ring) <= atoms]
    table = Chem.GetPeriodicTable()
    mass = 0.0
    elements = set()
    for index in atoms:
        atom = mol.GetAtomWithIdx(index)
        elements.add(atom.GetSymbol())
        mass += atom.GetMass() + atom.GetTotalNumHs() * table.GetAtomicWeight(1)
        if atom.GetTotalNumHs():
            elements.add("H")
    linker, layer, seen = None, [start], {start}
    for depth in range(len(atoms)):
        if any(mol.GetAtomWithIdx(i).IsInRing() for i in layer):
            linker = depth
            break
        layer = [
            n.GetIdx()
            for i in layer
            for n in mol.GetAtomWithIdx(i).GetNeighbors()
            if n.GetIdx() in atoms and n.GetIdx() not in seen
        ]
        seen.update(layer)
        if not layer:
            break
    inner = [
        bond.GetBondType()
        for bond in mol.GetBonds()
        if bond.GetBeginAtomIdx() in atoms and bond.GetEndAtomIdx() in atoms
    ]
    return Group(
        saturated=all(kind == Chem.BondType.SINGLE for kind in inner),
        triple_bond=Chem.BondType.TRIPLE in inner,
        linker=linker,
        atoms=frozenset(atoms),
        carbons=len(skeleton),
        ring_carbons=ring_carbons,
        aromatic=mol.GetAtomWithIdx(attach).GetIsAromatic(),
        has_ring=bool(group_rings),
        heterocycle=any(
            mol.GetAtomWithIdx(i).GetAtomicNum() != 6 for ring in group_rings for i in ring
        ),
        elements=frozenset(elements),
        heteroatoms=sum(1 for i in atoms if mol.GetAtomWithIdx(i).GetAtomicNum() not in (1, 6)),
        mass=round(mass, 3),
    )


def molecular_mass(mol: Mol) -> float:
    """The molecule's average molecular mass (g/mol, hydrogens included)."""
    return round(Descriptors.MolWt(mol), 3)


def _graph(element: int, size: int, edges: Iterable[tuple[int, int]]) -> Mol:
    """A saturated molecule of one element over a given graph (valences left unchecked)."""
    rw = Chem.RWMol()
    for _ in range(size):
        rw.AddAtom(Chem.Atom(element))
    for begin, end in edges:
        rw.AddBond(begin, end, Chem.BondType.SINGLE)
    mol = rw.GetMol()
    mol.UpdatePropertyCache(strict=False)
    Chem.GetSymmSSSR(mol)  # ring membership for the ring queries (R, r, x)
    return mol


def _grid_edges(width: int, height: int) -> list[tuple[int, int]]:
    edges = []
    for y in range(height):
        for x in range(width):
            i = y * width + x
            if x + 1 < width:
                edges.append((i, i + 1))
            if y + 1 < height:
                edges.append((i, i + width))
    return edges


def _with_tail(edges: list[tuple[int, int]], size: int, total: int) -> list[tuple[int, int]]:
    """The graph with a chain hung on its first atom, up to ``total`` atoms."""
    return [*edges, *((0 if i == size else i - 1, i) for i in range(size, total))]


def _shapes() -> list[tuple[int, list[tuple[int, int]]]]:
    """Worst cases inside `is_ordinary`'s bounds, as (atoms, edges) of a plain graph.

    A 3x5 lattice (8 rings) and a 2x9 ladder (8 fused four-rings), each with a chain to 60 atoms;
    eight fused six-rings; four bicyclo[2.2.2]octane cages in a row (bridged, 8 rings); a
    60-ring; a 60-chain; a tree where every inner atom has four neighbours.
    """
    ladder = [(i, i + 1) for i in range(8)] + [(9 + i, 10 + i) for i in range(8)]
    ladder += [(i, 9 + i) for i in range(9)]
    fused = [(i, i + 1) for i in range(17)] + [(18 + i, 19 + i) for i in range(15)]
    fused += [(0, 18), (17, 33)] + [(2 * k + 1, 18 + 2 * k) for k in range(1, 8)]
    cages: list[tuple[int, int]] = []
    for k in range(4):  # bridgeheads a, b and three two-atom bridges; cages joined a-to-b
        a, b = 8 * k, 8 * k + 1
        for bridge in range(3):
            x, y = 8 * k + 2 + 2 * bridge, 8 * k + 3 + 2 * bridge
            cages += [(a, x), (x, y), (y, b)]
        if k:
            cages.append((8 * k - 7, a))
    tree = [(parent, child) for child in range(1, 60) for parent in [(child - 1) // 3]]
    return [
        (60, _with_tail(_grid_edges(3, 5), 15, 60)),
        (60, _with_tail(ladder, 18, 60)),
        (60, _with_tail(fused, 34, 60)),
        (60, _with_tail(cages, 32, 60)),
        (60, [(i, (i + 1) % 60) for i in range(60)]),
        (60, [(i, i + 1) for i in range(59)]),
        (60, tree),
    ]


# Carbon, nitrogen, silicon, phosphorus and sulfur: the elements that build chains, rings and
# lattices. A rule written for one element (`[#16]~[#16]...`) explodes on its own lattice only.
_STRESS_ELEMENTS = (6, 7, 14, 15, 16)


@functools.cache
def _stress_molecules() -> tuple[Mol, ...]:
    molecules = [
        _graph(element, size, edges) for size, edges in _shapes() for element in _STRESS_ELEMENTS
    ]
    aromatic = (
        "c1cc2ccc3ccc4ccc5ccc6ccc1c1c2c3c4c5c61",  # seven fused benzene rings
        "c1cc2sc3c(sc4cc5sccc5cc43)c2s1",  # fused thiophenes and benzene
        "N1CCN(CC1)" * 6 + "C",  # piperazines in a row
    )
    molecules += [Chem.MolFromSmiles(smiles) for smiles in aromatic]
    return tuple(mol for mol in molecules if mol is not None)


STRESS_WALL_FACTOR = 10
"""How many times its CPU limit a stress-tested search may take on the clock before it is
stopped: the limit is judged on the CPU time the search used, so that a loaded machine (which
stretches the clock, not the work) does not refuse a good rule."""


def stress_test(query: Query, *, time_limit: float = MATCH_TIME_LIMIT_SECONDS) -> None:
    """Refuse a pattern whose search explodes on a worst-case molecule.

    Every search runs under the time guard, so an explosive pattern cannot hang a check; but a
    check of a molecule on which a class's pattern explodes can only answer "unknown", so a
    pattern is tried before it is accepted on worst-case molecules inside `is_ordinary`'s bounds
    (lattices, fused and bridged ring systems, macrocycles, trees), in each element that builds
    chains and lattices. Raises `ChemistryError` if a search uses more than ``time_limit``
    seconds of CPU time, or is stopped after `STRESS_WALL_FACTOR` times that on the clock.
    """
    for mol in _stress_molecules():
        cpu = time.thread_time()
        try:
            find_match(mol, query, time_limit=time_limit * STRESS_WALL_FACTOR)
            used = time.thread_time() - cpu
            if used > time_limit:
                raise MatchTimeout(f"substructure search took {used:.2g} s of CPU time")
        except MatchTimeout as exc:
            symbol = Chem.GetPeriodicTable().GetElementSymbol(mol.GetAtomWithIdx(0).GetAtomicNum())
            raise ChemistryError(
                "pattern too expensive: its search on a worst-case molecule of "
                f"{mol.GetNumHeavyAtoms()} atoms ({symbol} first) did not finish in "
                f"{time_limit:g} s"
            ) from exc


# --------------------------------------------------------------------------------------------
# Depiction
# --------------------------------------------------------------------------------------------

# --- pattern drawings: query atoms labelled -------------------------------------------------

GENERIC_LABELS = {"aryl": "Ar", "any": "R"}
"""Labels of query atoms that name no element: an aromatic ring atom or aryl group ("Ar"), and
any other substituent the rule allows several kinds of ("R")."""

_ELEMENT_PRIMITIVE_RE = re.compile(r"^(?:#(\d+)|(Cl|Br|[BCNOPSFI]|[cnops]))(?=[^a-z]|$)")
_H_COUNT_RE = re.compile(r"(?<!!)H(\d?)")


def _primitives(text: str) -> list[str]:
    """The conjuncts of an atom primitive list, split at top-level ``&`` and ``;``."""
    parts = []
    for part in _top_level(text, ";"):
        parts.extend(_top_level(part, "&"))
    return [part.strip() for part in parts if part.strip()]


def _alternative_kind(text: str, in_ring: bool = False) -> str:
    """What one ``,``-alternative of an atom query requires: an element symbol, "aryl" for an
    aromatic ring atom (``a`` or a recursive part that starts with one), or "any"."""
    for primitive in _primitives(text):
        if primitive.startswith("!"):
            continue
        if primitive.startswith("$("):
            # A recursive part: its first atom is the one drawn. One of a single atom says
            # what that atom is; a longer one requires a group, drawn "R" (or "Ar" for a ring
            # of aromatic atoms).
            inner = primitive[2:-1]
            if inner.startswith("["):
                first, rest = inner[1:].split("]", 1)
            else:
                found = _ELEMENT_PRIMITIVE_RE.match(inner) or re.match(r"[a*A]", inner)
                first, rest = (inner[: found.end()], inner[found.end() :]) if found else ("", inner)
            kind = _alternative_kind(first)
            group = bool(rest.strip("0123456789"))
            # In a ring of the pattern the atom is the ring's, whatever hangs on it.
            return kind if kind == "aryl" or in_ring or not group else "any"
        if primitive == "a":
            return "aryl"
        found = _ELEMENT_PRIMITIVE_RE.match(primitive)
        if found:
            number, symbol = found.groups()
            if number:
                return Chem.GetPeriodicTable().GetElementSymbol(int(number))
            return symbol.capitalize()
    return "any"


def _label_of(text: str, in_ring: bool) -> str:
    """The label of one conjunct of an atom query: its ``,``-alternatives' kinds together."""
    kinds: list[str] = []
    for alternative in _top_level(text, ","):
        kind = _alternative_kind(alternative, in_ring)
        if kind not in kinds:
            kinds.append(kind)
    if "any" in kinds:
        return GENERIC_LABELS["any"]
    if kinds == ["aryl"]:
        return GENERIC_LABELS["aryl"]
    if "aryl" in kinds:
        return GENERIC_LABELS["any"]
    return "/".join(kinds[:3]) + ("/…" if len(kinds) > 3 else "")


def _vagueness(label: str) -> int:
    """How little a label says: an element, a choice of elements, an aromatic atom, anything."""
    if label == GENERIC_LABELS["any"]:
        return 3
    if label == GENERIC_LABELS["aryl"]:
        return 2
    return 1 if "/" in label else 0


def query_atom_label(atom_smarts: str, *, in_ring: bool = False) -> tuple[str, int | None]:
    """How a query atom is drawn: an element symbol, "C/N" for a choice of elements, or a
    generic label (`GENERIC_LABELS`), with the hydrogen count the query fixes (None if it
    fixes none). RDKit itself draws every such atom as "?"."""
    inner = atom_smarts[1:-1] if atom_smarts.startswith("[") else atom_smarts
    # ";" is the lowest-precedence "and": "N;!R;$(a),$(b)" is a nitrogen whichever of a and b
    # holds. Each conjunct is labelled on its own, and the most definite label is the atom's.
    labels = [_label_of(conjunct, in_ring) for conjunct in _top_level(inner, ";")]
    label = min(labels, key=_vagueness)
    alternatives = _top_level(inner, ",")
    hydrogens = None
    if len(alternatives) == 1 and label not in GENERIC_LABELS.values():
        counts = set()
        for primitive in _primitives(inner):
            if primitive.startswith("$("):
                continue
            element = _ELEMENT_PRIMITIVE_RE.match(primitive)
            rest = primitive[element.end() :] if element else primitive
            counts.update(found.group(1) for found in _H_COUNT_RE.finditer(rest))
        if len(counts) == 1:
            hydrogens = int(counts.pop() or 1)
    return label, hydrogens


def drawable_pattern(pattern: Mol) -> Mol:
    """A SMARTS pattern as a molecule that draws legibly: each query atom becomes a plain atom
    of its element (carbons unlabelled, as in a skeletal formula), or a labelled dummy ("R",
    "Ar", "C/N") where the rule allows several; atom indices are kept, so highlights still
    fall on the right atoms."""
    pattern = Chem.Mol(pattern)
    Chem.FastFindRings(pattern)
    rings = pattern.GetRingInfo()
    drawn = Chem.RWMol()
    table = Chem.GetPeriodicTable()
    for atom in pattern.GetAtoms():
        in_ring = rings.NumAtomRings(atom.GetIdx()) > 0
        label, hydrogens = query_atom_label(atom.GetSmarts(), in_ring=in_ring)
        element = label not in GENERIC_LABELS.values() and "/" not in label
        number = table.GetAtomicNumber(label) if element else 0
        plain = Chem.Atom(number)
        plain.SetNoImplicit(True)
        if number:
            plain.SetIsAromatic(atom.GetIsAromatic())
            if hydrogens is not None:
                plain.SetNumExplicitHs(hydrogens)
        else:
            plain.SetProp("atomLabel", label)
        drawn.AddAtom(plain)
    for bond in pattern.GetBonds():
        kind = bond.GetBondType()
        if kind not in (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE):
            ends = (bond.GetBeginAtom().GetIsAromatic(), bond.GetEndAtom().GetIsAromatic())
            aromatic = any(ends) and rings.NumBondRings(bond.GetIdx()) > 0
            kind = Chem.BondType.AROMATIC if aromatic else Chem.BondType.SINGLE
        drawn.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), kind)
    mol = drawn.GetMol()
    mol.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(mol)
    return mol


def _is_pattern(mol: Mol) -> bool:
    return any(atom.HasQuery() for atom in mol.GetAtoms())


_XML_PROLOG_RE = re.compile(r"^\s*<\?xml[^>]*\?>\s*")
_RDKIT_NS_RE = re.compile(r"\s+xmlns:rdkit=(['\"])[^'\"]*\1")
_RDKIT_ELEMENT_RE = re.compile(r"<rdkit:[^>]*/>|<rdkit:(\w+)[^>]*>.*?</rdkit:\1>", re.S)


def depict_svg(
    mol_or_smiles: Mol | str,
    highlight_atoms: Iterable[int] = (),
    width: int = 300,
    height: int = 220,
) -> str:
    """A 2D drawing of the structure as an SVG element, ready to inline in an HTML page.

    ``highlight_atoms`` (atom indices of the molecule given, e.g. a class match's atoms on the
    standardized parent) are highlighted together with the bonds between them. The result starts
    with ``<svg`` (no XML prolog), has a ``viewBox`` and a transparent background. A SMARTS
    pattern (a class rule) is drawn with its query atoms labelled (`drawable_pattern`). A
    relative configuration is drawn as drawn, its centres labelled ("and1").
    """
    relative = isinstance(mol_or_smiles, str) and "|" in mol_or_smiles
    mol = parse_structure(mol_or_smiles, relative=True) if relative else _as_mol(mol_or_smiles)
    pattern = _is_pattern(mol)
    if pattern:
        mol = drawable_pattern(mol)
    if not (16 <= width <= 4000 and 16 <= height <= 4000):
        raise ChemistryError(f"bad drawing size {width}x{height}")
    atoms = sorted({int(index) for index in highlight_atoms})
    if atoms and (atoms[0] < 0 or atoms[-1] >= mol.GetNumAtoms()):
        raise ChemistryError("highlighted atom index out of range")
    chosen = set(atoms)
    bonds = [
        bond.GetIdx()
        for bond in mol.GetBonds()
        if bond.GetBeginAtomIdx() in chosen and bond.GetEndAtomIdx() in chosen
    ]
    drawn = Chem.Mol(mol)
    with rdBase.BlockLogs():
        if not drawn.GetNumConformers() or drawn.GetConformer().Is3D():
            rdDepictor.Compute2DCoords(drawn)
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
        options = drawer.drawOptions()
        options.clearBackground = False
        options.addStereoAnnotation = False
        # A pattern's aromatic rings may be partial; drawn as they are, not kekulized.
        rdMolDraw2D.PrepareAndDrawMolecule(
            drawer, drawn, highlightAtoms=atoms, highlightBonds=bonds, kekulize=not pattern
        )
        drawer.FinishDrawing()
    svg = _XML_PROLOG_RE.sub("", drawer.GetDrawingText())
    # RDKit's own namespace and metadata are not allowed in an SVG inlined in HTML.
    svg = _RDKIT_NS_RE.sub("", svg)
    svg = _RDKIT_ELEMENT_RE.sub("", svg)
    return svg.strip() + "\n"


def molfile(smiles: str, *, title: str = "", properties: dict[str, str] | None = None) -> str:
    """A structure as an MDL molfile with 2D coordinates; with `properties`, an SD record.

    The title line carries `title`; each property becomes a `> <name>` data item, and the
    record ends with `$$$$` (an SD file of one compound).
    """
    relative = drawn_relative(smiles)  # kept as V3000 enhanced stereo, which V2000 cannot hold
    mol = Chem.Mol(parse_smiles(smiles, relative=relative))
    rdDepictor.Compute2DCoords(mol)
    mol.SetProp("_Name", (title or "").replace("\n", " ")[:80])
    block = Chem.MolToV3KMolBlock(mol) if relative else Chem.MolToMolBlock(mol)
    if properties is None:
        return block
    items = "".join(
        f"> <{name}>\n{str(value).replace(chr(10), ' ')}\n\n"
        for name, value in properties.items()
        if value
    )
    return f"{block}{items}$$$$\n"
