"""Ranked search: find substances from whatever people type.

A query may be a name in any language (preferred English or Chinese name, or any other `Name`),
a code name written any way (5F-ADB, 5f adb, 5FADB), a CAS number with or without hyphens, an
InChIKey or a SMILES. Names are compared on their search keys (see substances.normalize), so case,
full-width characters, punctuation and Greek letters do not matter.

Hits are ranked in tiers, best first:

1. the same identifier: CAS number or InChIKey, or the identical structure;
2. the same compound as the structure given, up to salts and charges (same parent key);
3. a stereoisomer or isotope form of it (same skeleton key);
4. a name whose key equals the query's key;
5. a name that starts with it;
6. a name that contains it;
7. a close spelling (a typing or transliteration slip, measured with difflib).

Each substance appears once, at its best tier. The names are read into an in-process index of
keys (about two thousand on the real data), so a query costs two cheap database reads at most
and a scan of short strings; the index is rebuilt when the caller's cache token changes.

This module knows substances only: whether a hit is controlled is the registry's business.
"""

from __future__ import annotations

import bisect
import difflib
import enum
import math
import threading
from array import array
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Q
from rapidfuzz import fuzz, process

from substances import chemistry
from substances.models import Name, Substance
from substances.normalize import normalize_cas, search_key

__all__ = ["Hit", "SearchIndex", "SearchOutcome", "Tier", "build_index", "get_index", "search"]

MIN_CONTAINS_CHARS = 2
"""Shortest key searched inside names: a single letter would match nearly every name."""

MIN_CLOSE_CHARS = 3
"""Shortest key for which close spellings are looked for."""

CLOSE_CUTOFF = 0.8
"""Similarity (difflib ratio, 0-1) from which a name counts as a close spelling of the query."""

SUGGESTION_CUTOFF = 0.6
"""Looser similarity for the spellings offered when nothing matched at all."""

MAX_CLOSE = 10
"""Most close spellings ranked or offered for one query."""


class Tier(enum.IntEnum):
    """How a hit matched, best first (see the module docstring)."""

    IDENTIFIER = 1
    SAME_PARENT = 2
    SAME_SKELETON = 3
    EXACT = 4
    PREFIX = 5
    CONTAINS = 6
    CLOSE = 7


class Entry(NamedTuple):
    """One searchable name: its key, its text as written, and whose it is."""

    key: str
    text: str
    substance_id: int
    field: str  # "name_en", "name_zh" or the Name's language ("en", "zh", "und")


@dataclass(frozen=True)
class Hit:
    """A substance found, with how (tier), on what (the name or identifier) and a score."""

    substance_id: int
    tier: Tier
    matched: str
    field: str
    score: float = 1.0


@dataclass
class SearchOutcome:
    """What a query found.

    ``detected`` says how the query was read besides as a name: "cas", "inchikey" or "smiles"
    (empty for plain text). ``structure_error`` carries the reason when the query looked like a
    structure but could not be read. ``suggestions`` are close spellings offered when nothing
    matched.
    """

    query: str
    key: str
    detected: str = ""
    hits: list[Hit] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    structure_error: str = ""


class SearchIndex:
    """Every searchable name, keyed, with the preferred names of each substance.

    ``keys`` is sorted, for prefix look-ups by bisection; ``by_key`` maps a key to its entries.

    Built to hold hundreds of thousands of names in a few tens of megabytes per worker and to
    answer a query in milliseconds: the entries live in flat arrays sorted by key rather than as
    one object each; "contains" is one scan of all keys joined into a single string (done in C
    by str.find); close spellings are first screened with rapidfuzz's LCS ratio, which is never
    below difflib's ratio, so difflib confirms the same keys it would have found alone.
    """

    def __init__(
        self, entries: Iterable[tuple[str, str, int, str]], names: dict[int, tuple[str, str]]
    ) -> None:
        keys: list[str] = []
        texts: list[str] = []
        owners = array("I")
        field_codes = bytearray()
        self._fields: list[str] = []
        for key, text, substance_id, field_name in entries:
            if not key:
                continue
            if field_name not in self._fields:
                self._fields.append(field_name)
            keys.append(key)
            texts.append(text)
            owners.append(substance_id)
            field_codes.append(self._fields.index(field_name))
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.keys: list[str] = []
        self._first = array("I")  # the first entry of each key; one more at the end
        for position, entry in enumerate(order):
            if not self.keys or keys[entry] != self.keys[-1]:
                self.keys.append(keys[entry])
                self._first.append(position)
        self._first.append(len(order))
        self._owner = array("I", (owners[i] for i in order))
        self._field = bytes(field_codes[i] for i in order)
        self._text = "".join(texts[i] for i in order)
        self._text_at = array("I", [0])
        for i in order:
            self._text_at.append(self._text_at[-1] + len(texts[i]))
        del keys, texts, owners, field_codes, order
        # Every key once, each followed by a newline (keys hold none: see normalize).
        self._joined = "\n".join(self.keys) + "\n"
        # Read back from the joined string, the keys are allocated together, after everything
        # else: the memory of the rows read to build the index can then go back to the system
        # instead of staying pinned by keys scattered among them.
        self.keys = self._joined.split("\n")[:-1]
        self._by_length: dict[int, list[str]] = {}
        for key in self.keys:
            self._by_length.setdefault(len(key), []).append(key)
        self._starts = array("I", [0])
        for key in self.keys:
            self._starts.append(self._starts[-1] + len(key) + 1)
        self.by_key = _EntriesByKey(self)
        self.names = _PreferredNames(self, names)

    def _entries(self, index: int) -> list[Entry]:
        entries = []
        for position in range(self._first[index], self._first[index + 1]):
            entries.append(
                Entry(
                    self.keys[index],
                    self._text[self._text_at[position] : self._text_at[position + 1]],
                    self._owner[position],
                    self._fields[self._field[position]],
                )
            )
        return entries

    def _index_of(self, key: str) -> int | None:
        index = bisect.bisect_left(self.keys, key)
        return index if index < len(self.keys) and self.keys[index] == key else None

    def exact(self, key: str) -> list[Entry]:
        index = self._index_of(key)
        return [] if index is None else self._entries(index)

    def prefixed(self, key: str) -> list[Entry]:
        found = []
        index = bisect.bisect_left(self.keys, key)
        while index < len(self.keys) and self.keys[index].startswith(key):
            if self.keys[index] != key:
                found.extend(self._entries(index))
            index += 1
        return found

    def containing(self, key: str) -> list[Entry]:
        found = []
        if not key or "\n" in key:
            return found
        last = -1
        position = self._joined.find(key)
        while position != -1:
            index = bisect.bisect_right(self._starts, position) - 1
            if index != last:
                last = index
                if not self.keys[index].startswith(key):
                    found.extend(self._entries(index))
            # Go on from the next key: one hit per key is enough.
            position = self._joined.find(key, self._starts[index + 1])
        return found

    def close(self, key: str, *, cutoff: float, limit: int = MAX_CLOSE) -> list[tuple[str, float]]:
        """Keys spelled like `key`, best first, as (key, similarity)."""
        # rapidfuzz's ratio counts the longest common subsequence, difflib's its matching
        # blocks, which are one such subsequence: a key below the cutoff for rapidfuzz is below
        # it for difflib too, so only the keys rapidfuzz keeps need difflib's slower verdict.
        # Only keys of a comparable length can reach the cutoff at all.
        shortest = math.ceil(len(key) * cutoff / (2 - cutoff))
        longest = math.floor(len(key) * (2 - cutoff) / cutoff)
        candidates = [
            candidate
            for length in range(shortest, longest + 1)
            for candidate in self._by_length.get(length, ())
        ]
        screened = process.extract(
            key, candidates, scorer=fuzz.ratio, score_cutoff=cutoff * 100 - 1e-6, limit=None
        )
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(key)
        scored = []
        for candidate, _score, _index in screened:
            if candidate == key:
                continue
            matcher.set_seq1(candidate)
            if (ratio := matcher.ratio()) >= cutoff:
                scored.append((candidate, ratio))
        scored.sort(key=lambda pair: (-pair[1], len(pair[0]), pair[0]))
        return scored[:limit]


class _PreferredNames:
    """``index.names.get(pk)``: a substance's (English, Chinese) preferred names.

    Read back from the entries, where the names already are, through two arrays indexed by
    primary key, rather than kept again as a dict of tuples (a third of the index's memory).
    """

    def __init__(self, index: SearchIndex, names: dict[int, tuple[str, str]]) -> None:
        self._index = index
        size = max(max(index._owner, default=0), max(names, default=0)) + 1
        self._en = array("i", [-1]) * size
        self._zh = array("i", [-1]) * size
        codes = {name: code for code, name in enumerate(index._fields)}
        en, zh = codes.get("name_en"), codes.get("name_zh")
        for position, owner in enumerate(index._owner):
            code = index._field[position]
            if code == en and owner < size:
                self._en[owner] = position
            elif code == zh and owner < size:
                self._zh[owner] = position
        # A preferred name whose key is empty is not among the entries: kept as it is.
        self._missing = {
            pk: pair
            for pk, pair in names.items()
            if (self._en[pk] < 0 and pair[0]) or (self._zh[pk] < 0 and pair[1])
        }
        self._known = size

    def _text(self, position: int) -> str:
        if position < 0:
            return ""
        at = self._index._text_at
        return self._index._text[at[position] : at[position + 1]]

    def get(self, pk: int, default=None):
        if pk in self._missing:
            return self._missing[pk]
        if not 0 <= pk < self._known or (self._en[pk] < 0 and self._zh[pk] < 0):
            return default
        return (self._text(self._en[pk]), self._text(self._zh[pk]))

    def __getitem__(self, pk: int) -> tuple[str, str]:
        found = self.get(pk)
        if found is None:
            raise KeyError(pk)
        return found

    def __contains__(self, pk: int) -> bool:
        return self.get(pk) is not None


class _EntriesByKey:
    """``index.by_key[key]``: the entries of one key, read from the index's arrays."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index

    def __getitem__(self, key: str) -> list[Entry]:
        position = self._index._index_of(key)
        if position is None:
            raise KeyError(key)
        return self._index._entries(position)

    def get(self, key: str, default=()):
        position = self._index._index_of(key)
        return default if position is None else self._index._entries(position)

    def __contains__(self, key: str) -> bool:
        return self._index._index_of(key) is not None

    def __len__(self) -> int:
        return len(self._index.keys)


def build_index() -> SearchIndex:
    """Read every preferred and other name from the database into a `SearchIndex`."""
    # The preferred names are read back from the entries; only those without a key (and so
    # without an entry) are passed on their own.
    names: dict[int, tuple[str, str]] = {}

    def entries():
        rows = Substance.objects.values_list(
            "id", "name_en", "search_key_en", "name_zh", "search_key_zh"
        )
        for pk, name_en, key_en, name_zh, key_zh in rows.order_by().iterator(chunk_size=5000):
            if not key_en or (name_zh and not key_zh):
                names[pk] = (name_en, name_zh)
            yield key_en, name_en, pk, "name_en"
            if name_zh:
                yield key_zh, name_zh, pk, "name_zh"
        other = Name.objects.values_list("search_key", "name", "substance_id", "language")
        yield from other.order_by().iterator(chunk_size=5000)

    return SearchIndex(entries(), names)


_cache: dict[str, tuple[Hashable, SearchIndex]] = {}
_cache_lock = threading.Lock()


def get_index(token: Hashable | None = None) -> SearchIndex:
    """The search index, rebuilt only when `token` differs from the one it was built under.

    The caller passes anything that changes whenever names change (the registry uses the
    position of its change feed). Without a token the index is always rebuilt.
    """
    if token is None:
        return build_index()
    with _cache_lock:
        cached = _cache.get("index")
        if cached and cached[0] == token:
            return cached[1]
    index = build_index()
    with _cache_lock:
        _cache["index"] = (token, index)
    return index


def _identifier_hits(text: str, outcome: SearchOutcome) -> list[Hit]:
    """Hits on CAS number, InChIKey or structure, with `outcome.detected` set accordingly."""
    stripped = text.strip()
    hits: list[Hit] = []
    cas = normalize_cas(stripped)
    if cas:
        outcome.detected = "cas"
        for pk in Substance.objects.filter(cas=cas).values_list("id", flat=True):
            hits.append(Hit(pk, Tier.IDENTIFIER, cas, "cas"))
        return hits
    if chemistry.is_inchikey(stripped):
        outcome.detected = "inchikey"
        key = stripped.upper()
        rows = Substance.objects.filter(
            Q(inchikey=key) | Q(parent_key=key) | Q(skeleton_key=key[:14])
        ).values_list("id", "inchikey", "parent_key")
        for pk, own, parent in rows:
            tier = (
                Tier.IDENTIFIER
                if own == key
                else Tier.SAME_PARENT
                if parent == key
                else Tier.SAME_SKELETON
            )
            hits.append(Hit(pk, tier, key, "inchikey"))
        return hits
    if not chemistry.looks_like_smiles(stripped):
        return hits
    try:
        mol = chemistry.parse_structure(stripped)
        own = chemistry.inchikey(mol)
        parent = chemistry.parent_key(mol)
    except chemistry.ChemistryError as exc:
        outcome.structure_error = exc.reason
        return hits
    outcome.detected = "smiles"
    if not parent:
        return hits
    rows = Substance.objects.filter(
        Q(inchikey=own) | Q(parent_key=parent) | Q(skeleton_key=parent[:14])
    ).values_list("id", "inchikey", "parent_key", "canonical_smiles")
    for pk, key, parent_of, smiles in rows:
        tier = (
            Tier.IDENTIFIER
            if own and key == own
            else Tier.SAME_PARENT
            if parent_of == parent
            else Tier.SAME_SKELETON
        )
        hits.append(Hit(pk, tier, smiles, "smiles"))
    return hits


def search(text: str, *, token: Hashable | None = None) -> SearchOutcome:
    """Find substances for what someone typed; see the module docstring for the ranking."""
    text = (text or "").strip()
    key = search_key(text)
    outcome = SearchOutcome(query=text, key=key)
    if not text:
        return outcome
    hits = _identifier_hits(text, outcome)
    index = get_index(token)
    if key:
        hits += [Hit(e.substance_id, Tier.EXACT, e.text, e.field) for e in index.exact(key)]
        hits += [Hit(e.substance_id, Tier.PREFIX, e.text, e.field) for e in index.prefixed(key)]
        if len(key) >= MIN_CONTAINS_CHARS:
            hits += [
                Hit(e.substance_id, Tier.CONTAINS, e.text, e.field) for e in index.containing(key)
            ]
        if len(key) >= MIN_CLOSE_CHARS:
            for candidate, ratio in index.close(key, cutoff=CLOSE_CUTOFF):
                hits += [
                    Hit(e.substance_id, Tier.CLOSE, e.text, e.field, ratio)
                    for e in index.by_key[candidate]
                ]
    outcome.hits = _best_per_substance(hits, index)
    if not outcome.hits and len(key) >= MIN_CLOSE_CHARS:
        outcome.suggestions = _suggestions(key, index)
    return outcome


def _best_per_substance(hits: list[Hit], index: SearchIndex) -> list[Hit]:
    """One hit per substance, its best; ordered by tier, score, then shorter and A-Z names."""

    def rank(hit: Hit) -> tuple:
        name_en = index.names.get(hit.substance_id, ("", ""))[0]
        return (hit.tier, -hit.score, len(hit.matched), name_en.casefold(), hit.substance_id)

    best: dict[int, Hit] = {}
    for hit in sorted(hits, key=rank):
        best.setdefault(hit.substance_id, hit)
    return sorted(best.values(), key=rank)


def _suggestions(key: str, index: SearchIndex) -> list[str]:
    """Names spelled somewhat like the query, offered when it found nothing."""
    offered: list[str] = []
    for candidate, _ratio in index.close(key, cutoff=SUGGESTION_CUTOFF):
        text = index.by_key[candidate][0].text
        if text not in offered:
            offered.append(text)
    return offered
