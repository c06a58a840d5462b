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
7. a name containing another spelling of it (see below);
8. a close spelling (a typing or transliteration slip, measured with difflib).

What people type is not always a name as listed: a salt ("ketamine hydrochloride", "盐酸氯胺酮")
is found as its parent, ranked as a name starting with the query; and an English stem is
also looked for in its INN spelling ("fentanyl" finds alfentanil, sufentanil and remifentanil,
"amphetamine" finds metamfetamine), after the names that contain it as typed (`related_keys`).

Each substance appears once, at its best tier. The names are read into an in-process index of
keys (about two thousand on the real data), so a query costs two cheap database reads at most
and a scan of short strings; the index is rebuilt when the caller's cache token changes.

This module knows substances only: whether a hit is controlled is the registry's business.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import difflib
import enum
import io
import math
import re
import sys
import threading
import zlib
from array import array
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from django.db import connections, router
from django.db.models import Q
from rapidfuzz import fuzz, process

from substances import chemistry
from substances.models import Name, Substance
from substances.normalize import normalize_cas, search_key

__all__ = [
    "Hit",
    "RankedHits",
    "SearchIndex",
    "SearchOutcome",
    "Tier",
    "build_index",
    "get_index",
    "search",
]

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

_UINT = np.dtype(f"u{array('I').itemsize}")
"""numpy's name for the index's unsigned arrays, read without copying."""


def _character_bits(codes: np.ndarray) -> np.ndarray:
    """A bit (of 64) for each character code: a-z and 0-9 their own, any other hashed."""
    codes = codes.astype(np.int64)
    letter = (codes >= ord("a")) & (codes <= ord("z"))
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    hashed = 36 + (codes * 2654435761 % 2**32) % 28
    slot = np.where(letter, codes - ord("a"), np.where(digit, codes - ord("0") + 26, hashed))
    return np.left_shift(np.uint64(1), slot.astype(np.uint64))


class Tier(enum.IntEnum):
    """How a hit matched, best first (see the module docstring)."""

    IDENTIFIER = 1
    SAME_PARENT = 2
    SAME_SKELETON = 3
    EXACT = 4
    PREFIX = 5
    CONTAINS = 6
    VARIANT = 7
    CLOSE = 8


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
    hits: RankedHits | list[Hit] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    structure_error: str = ""


class SearchIndex:
    """Every searchable name, keyed, with the preferred names of each substance.

    ``keys`` is sorted, for prefix look-ups by bisection (read from the joined keys, not kept
    as one string each); ``by_key`` maps a key to its entries.

    Built to hold hundreds of thousands of names in a few tens of megabytes per worker and to
    answer a query in milliseconds: the entries live in flat arrays sorted by key rather than as
    one object each; "contains" is one scan of all keys joined into a single string (done in C
    by str.find); close spellings are first screened with rapidfuzz's LCS ratio, which is never
    below difflib's ratio, so difflib confirms the same keys it would have found alone.
    """

    def __init__(
        self,
        entries: Iterable[tuple[str, str, int, str]],
        names: dict[int, tuple[str, str]],
        *,
        presorted: bool = False,
    ) -> None:
        """Index `entries` (key, text, substance id, field); `presorted` if already by key.

        Sorted entries are read as a stream into the joined strings and arrays, so that no
        object per entry outlives its row: at hundreds of thousands of names, such objects
        would leave the worker's heap fragmented long after the build.
        """
        if not presorted:
            entries = sorted(entries, key=lambda entry: entry[0])
        keys = io.StringIO()
        self._texts = _TextStore()
        self._first = array("I")  # the first entry of each key; one more at the end
        self._starts = array("I", [0])  # where each key starts in the joined keys; one more
        self._owner = array("I")
        text_lengths = array("H")
        field_codes = bytearray()
        self._fields: list[str] = []
        last_key = None
        position = 0
        for key, text, substance_id, field_name in entries:
            if not key:
                continue
            if key != last_key:
                if last_key is not None and key < last_key:
                    raise ValueError("entries said to be sorted are not sorted by key")
                last_key = key
                # Every key once, each followed by a newline (keys hold none: see normalize).
                keys.write(key)
                keys.write("\n")
                self._first.append(position)
                self._starts.append(self._starts[-1] + len(key) + 1)
            if field_name not in self._fields:
                self._fields.append(field_name)
            field_codes.append(self._fields.index(field_name))
            self._owner.append(substance_id)
            self._texts.append(text)
            text_lengths.append(min(len(text), 0xFFFF))
            position += 1
        self._first.append(position)
        self._joined = keys.getvalue()
        self._texts.close()
        self._field = bytes(field_codes)
        del keys, field_codes
        self.keys = _Keys(self)
        # Views of the arrays for ranking thousands of hits at once (no copies), and each
        # substance's place in A-Z order of its English name, the ranking's last criterion.
        self._owners = np.frombuffer(self._owner, dtype=_UINT)
        self._firsts = np.frombuffer(self._first, dtype=_UINT)
        self._starts_np = np.frombuffer(self._starts, dtype=_UINT)
        self._text_lengths = np.frombuffer(text_lengths, dtype=np.uint16)
        self._screen_by_characters()
        self.by_key = _EntriesByKey(self)
        self.names = _PreferredNames(self, names)
        self._alphabetical: dict[bool, np.ndarray] = {False: self.names.alphabetical(False)}

    def _entries(self, index: int) -> list[Entry]:
        entries = []
        for position in range(self._first[index], self._first[index + 1]):
            entries.append(
                Entry(
                    self.keys[index],
                    self._texts[position],
                    self._owner[position],
                    self._fields[self._field[position]],
                )
            )
        return entries

    def _index_of(self, key: str) -> int | None:
        index = bisect.bisect_left(self.keys, key)
        return index if index < len(self.keys) and self.keys[index] == key else None

    def _key_range(self, key: str) -> tuple[int, int]:
        """The keys that start with `key` (itself included), as a range of key numbers."""
        low = bisect.bisect_left(self.keys, key)
        if not key:
            return low, len(self.keys)
        last = ord(key[-1])
        if last == sys.maxunicode:  # no successor to bisect to: walk
            high = low
            while high < len(self.keys) and self.keys[high].startswith(key):
                high += 1
            return low, high
        return low, bisect.bisect_left(self.keys, key[:-1] + chr(last + 1), low)

    def _positions_of_keys(self, first: int, last: int) -> np.ndarray:
        """The entry positions of the keys numbered first..last-1 (their entries are adjacent)."""
        return np.arange(self._first[first], self._first[last], dtype=np.int64)

    def exact_positions(self, key: str) -> np.ndarray:
        index = self._index_of(key)
        if index is None:
            return np.empty(0, dtype=np.int64)
        return self._positions_of_keys(index, index + 1)

    def prefixed_positions(self, key: str) -> np.ndarray:
        """Entries whose key starts with `key` but is not `key`."""
        low, high = self._key_range(key)
        if low < high and self.keys[low] == key:
            low += 1
        return self._positions_of_keys(low, high)

    def containing_positions(self, key: str) -> np.ndarray:
        """Entries whose key holds `key` other than at its start."""
        if not key or "\n" in key:
            return np.empty(0, dtype=np.int64)
        # Every occurrence in the joined keys, found in C; then, all at once, the key each one
        # falls in, once per key, leaving out the keys that start with it (prefix hits).
        found = np.fromiter(
            (match.start() for match in re.finditer(re.escape(key), self._joined)),
            dtype=np.int64,
        )
        if not found.size:
            return np.empty(0, dtype=np.int64)
        numbers = np.unique(np.searchsorted(self._starts_np, found, side="right") - 1)
        low, high = self._key_range(key)
        numbers = numbers[(numbers < low) | (numbers >= high)]
        firsts = self._firsts[numbers].astype(np.int64)
        counts = self._firsts[numbers + 1].astype(np.int64) - firsts
        # The runs first[k]..first[k+1] of each key, laid end to end.
        offsets = np.repeat(firsts - (np.cumsum(counts) - counts), counts)
        return offsets + np.arange(counts.sum(), dtype=np.int64)

    def entry_at(self, position: int) -> Entry:
        index = bisect.bisect_right(self._first, position) - 1
        return Entry(
            self.keys[index],
            self._texts[position],
            self._owner[position],
            self._fields[self._field[position]],
        )

    def alphabetical(self, *, chinese: bool = False) -> np.ndarray:
        """Each substance's place (by primary key) in A-Z order of its name; -1 if unnamed.

        By the English name, or for a Chinese page by the Chinese name where there is one.
        """
        if chinese not in self._alphabetical:
            self._alphabetical[chinese] = self.names.alphabetical(chinese)
        return self._alphabetical[chinese]

    def places(self, substance_ids: np.ndarray, *, chinese: bool = False) -> np.ndarray:
        """`alphabetical()` looked up for many substances (-1 for any the index does not know)."""
        order = self.alphabetical(chinese=chinese)
        known = (substance_ids >= 0) & (substance_ids < order.size)
        return np.where(known, order[np.where(known, substance_ids, 0)], -1)

    def _screen_by_characters(self) -> None:
        """Each key's length and the set of its characters (hashed into 64 bits), for `close`."""
        starts = self._starts_np.astype(np.int64)
        self._lengths = (np.diff(starts) - 1).astype(np.uint32)
        self._by_length = np.argsort(self._lengths, kind="stable").astype(np.uint32)
        longest = int(self._lengths.max(initial=0))
        self._length_at = np.searchsorted(
            self._lengths[self._by_length], np.arange(longest + 2), side="left"
        )
        codes = np.frombuffer(self._joined.encode("utf-32-le"), dtype=np.uint32)
        bits = _character_bits(codes)
        bits[codes == ord("\n")] = 0
        self._masks = (
            np.bitwise_or.reduceat(bits, starts[:-1])
            if len(self.keys)
            else np.empty(0, dtype=np.uint64)
        )

    def _screened(self, key: str, cutoff: float) -> list[str]:
        """The keys that can be within `cutoff` of `key`, by their length and characters.

        The similarity is 2 * LCS / (len(a) + len(b)), LCS being the longest common
        subsequence. A character of one that the other lacks cannot be in it, so counting them
        (from 64-bit character sets, where two characters may share a bit, which only lets
        more keys through) bounds the LCS from above; a key whose bound falls short of the
        cutoff cannot reach it and is left out before any string is compared.
        """
        size = len(key)
        # The lengths from which the cutoff can be reached (with a margin for rounding: 8 * 1.2
        # / 0.8 is 11.999... in floating point, and a key of 12 can be at exactly 0.8).
        shortest = math.ceil(size * cutoff / (2 - cutoff) - 1e-9)
        longest = min(math.floor(size * (2 - cutoff) / cutoff + 1e-9), self._length_at.size - 2)
        if shortest > longest:
            return []
        numbers = self._by_length[self._length_at[shortest] : self._length_at[longest + 1]]
        masks = self._masks[numbers]
        query_bits = _character_bits(np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32))
        query_mask = np.bitwise_or.reduce(query_bits)
        # Characters of the key whose bit the other key lacks: not in the LCS.
        missing = np.zeros(numbers.size, dtype=np.int64)
        bits, counts = np.unique(query_bits, return_counts=True)
        for bit, count in zip(bits, counts, strict=True):
            missing += count * ((masks & bit) == 0)
        # Characters of the other key (one per bit) that the key lacks: not in the LCS either.
        extra = np.bitwise_count(masks & ~query_mask).astype(np.int64)
        lengths = self._lengths[numbers].astype(np.int64)
        bound = np.minimum(size - missing, lengths - extra)
        possible = bound >= cutoff * (size + lengths) / 2 - 1e-9
        return [self.keys[number] for number in numbers[possible].tolist()]

    def close(self, key: str, *, cutoff: float, limit: int = MAX_CLOSE) -> list[tuple[str, float]]:
        """Keys spelled like `key`, best first, as (key, similarity)."""
        # rapidfuzz's ratio counts the longest common subsequence, difflib's its matching
        # blocks, which are one such subsequence: a key below the cutoff for rapidfuzz is below
        # it for difflib too, so only the keys rapidfuzz keeps need difflib's slower verdict.
        # Only keys of a comparable length and with enough characters in common can reach the
        # cutoff at all (see `_screened`).
        candidates = self._screened(key, cutoff)
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


class _TextStore:
    """The names as written, one per entry, compressed in blocks: read a few at a time.

    Only the names of the hits shown are ever read, and names compress about fourfold; at
    a few hundred thousand names that is tens of megabytes less in every worker.
    """

    BLOCK = 128

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._ends = array("I")  # where each entry ends in its block (UTF-8, uncompressed)
        self._pending = bytearray()
        self._cached: tuple[int, bytes] = (-1, b"")

    def append(self, text: str) -> None:
        if len(self._ends) % self.BLOCK == 0 and len(self._ends):
            self._seal()
        self._pending += text.encode("utf-8")
        self._ends.append(len(self._pending))

    def _seal(self) -> None:
        self._blocks.append(zlib.compress(bytes(self._pending), 1))
        self._pending.clear()

    def close(self) -> None:
        if self._pending or len(self._blocks) * self.BLOCK < len(self._ends):
            self._seal()
        self._pending = bytearray()

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self):
        for number, block in enumerate(self._blocks):
            raw = zlib.decompress(block)
            start = 0
            for position in range(number * self.BLOCK, min((number + 1) * self.BLOCK, len(self))):
                end = self._ends[position]
                yield raw[start:end].decode("utf-8")
                start = end

    def __getitem__(self, position: int) -> str:
        number, first = divmod(position, self.BLOCK)
        cached_number, raw = self._cached
        if cached_number != number:
            raw = zlib.decompress(self._blocks[number])
            self._cached = (number, raw)
        start = self._ends[position - 1] if first else 0
        return raw[start : self._ends[position]].decode("utf-8")


class _Keys(Sequence):
    """``index.keys``: the sorted keys, each sliced from the joined string when read."""

    def __init__(self, index: SearchIndex) -> None:
        self._joined = index._joined
        self._starts = index._starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, number):
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self)
        if not 0 <= number < len(self):
            raise IndexError(number)
        return self._joined[self._starts[number] : self._starts[number + 1] - 1]


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
        return self._index._texts[position]

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

    def alphabetical(self, chinese: bool) -> np.ndarray:
        """Each primary key's place in A-Z order of the name (casefolded, then by key)."""
        index = self._index
        codes = {name: code for code, name in enumerate(index._fields)}
        en, zh = codes.get("name_en", -1), codes.get("name_zh", -1) if chinese else -1
        english, chinese_names = [""] * self._known, [""] * self._known
        # One pass over the texts in their order: each compressed block is read once.
        for position, text in enumerate(index._texts):
            code = index._field[position]
            if code in (en, zh) and (owner := index._owner[position]) < self._known:
                (english if code == en else chinese_names)[owner] = text
        for pk, (name_en, name_zh) in self._missing.items():
            english[pk], chinese_names[pk] = name_en, name_zh
        if chinese:
            named = [(zh or en).casefold() for en, zh in zip(english, chinese_names, strict=True)]
        else:
            named = [name.casefold() for name in english]
        del english, chinese_names
        # A stable sort of the primary keys by name: equal names stay in primary-key order.
        by_name = sorted(range(self._known), key=named.__getitem__)
        order = np.empty(self._known, dtype=np.int32)
        order[by_name] = np.arange(self._known, dtype=np.int32)
        return order


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


_ENTRIES_SQL = """
SELECT k, t, sid, f FROM (
    SELECT search_key_en AS k, name_en AS t, id AS sid, 'name_en' AS f, 0 AS src, id AS rid
    FROM {substance} WHERE search_key_en <> ''
    UNION ALL
    SELECT search_key_zh, name_zh, id, 'name_zh', 1, id
    FROM {substance} WHERE name_zh <> '' AND search_key_zh <> ''
    UNION ALL
    SELECT search_key, name, substance_id, language, 2, id
    FROM {name} WHERE search_key <> ''
) AS entries
ORDER BY k{collation}, src, sid, rid
"""
"""Every entry of the index, by key (in code-point order, as Python compares strings), then
preferred English, preferred Chinese and other names, then by substance and row."""

_CODE_POINT_ORDER = {"sqlite": "", "postgresql": ' COLLATE "C"'}
"""How each database is told to sort text by code point (SQLite's default, BINARY, does)."""


def build_index() -> SearchIndex:
    """Read every preferred and other name from the database into a `SearchIndex`.

    The database sorts the entries, and they are read in batches, so that the build holds no
    Python object per name at any time.
    """
    connection = connections[router.db_for_read(Substance)]
    collation = _CODE_POINT_ORDER.get(connection.vendor)
    sql = _ENTRIES_SQL.format(
        substance=connection.ops.quote_name(Substance._meta.db_table),
        name=connection.ops.quote_name(Name._meta.db_table),
        collation=collation or "",
    )

    def entries():
        # A server-side cursor where the database has them (PostgreSQL): a client-side one
        # would first hold every row, millions at scale, in the driver's memory.
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(5000):
                yield from rows

    # The preferred names are read back from the entries; only those without a key (and so
    # without an entry) are passed on their own.
    names = {
        pk: (name_en, name_zh)
        for pk, name_en, name_zh in Substance.objects.filter(
            Q(search_key_en="") | (~Q(name_zh="") & Q(search_key_zh=""))
        ).values_list("id", "name_en", "name_zh")
    }
    if collation is None:  # a database not known to sort by code point: sorted here
        return SearchIndex(sorted(entries(), key=lambda entry: entry[0]), names, presorted=True)
    return SearchIndex(entries(), names, presorted=True)


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
        # Let the outdated index go before the new one is built, not after: one at a time.
        _cache.pop("index", None)
    index = build_index()
    _release_free_memory()
    with _cache_lock:
        _cache["index"] = (token, index)
    return index


def _release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc only; elsewhere nothing).

    Building an index at scale allocates and frees tens of megabytes; glibc keeps freed pages
    in the process unless asked, and a worker would carry them for the rest of its life.
    """
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).malloc_trim(0)


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


# Salt words as search keys (no spaces): a name followed by one of these, or in Chinese preceded
# by one, names a salt of the named substance.
_SALT_SUFFIXES = sorted(
    (
        "hydrochloride",
        "dihydrochloride",
        "hcl",
        "hydrobromide",
        "hbr",
        "sulfate",
        "sulphate",
        "bisulfate",
        "phosphate",
        "citrate",
        "tartrate",
        "bitartrate",
        "maleate",
        "fumarate",
        "mesylate",
        "methanesulfonate",
        "acetate",
        "oxalate",
        "succinate",
        "hydroiodide",
        "nitrate",
        "salt",
        "base",
        "freebase",
    ),
    key=len,
    reverse=True,
)
_SALT_PREFIXES_ZH = sorted(
    (
        "盐酸",
        "硫酸",
        "磷酸",
        "枸橼酸",
        "柠檬酸",
        "酒石酸",
        "重酒石酸",
        "氢溴酸",
        "马来酸",
        "富马酸",
        "甲磺酸",
        "醋酸",
        "草酸",
        "琥珀酸",
        "硝酸",
    ),
    key=len,
    reverse=True,
)
# English stems and their INN spellings, both ways.
_SPELLINGS = (("fentanyl", "fentanil"), ("amphetamine", "amfetamine"), ("phetamine", "fetamine"))


def related_keys(key: str) -> list[tuple[Tier, str, str]]:
    """Other keys to look up for a query's key: (tier, key, "exact" | "contains").

    A salt's name gives its parent's name, found at the prefix tier (exactly) and the contains
    tier (as a start); an English stem gives its INN spelling, found inside names (variant tier).
    """
    related: list[tuple[Tier, str, str]] = []
    for suffix in _SALT_SUFFIXES:
        rest = key.removesuffix(suffix)
        if rest != key and len(rest) >= MIN_CLOSE_CHARS:
            related += [(Tier.PREFIX, rest, "exact"), (Tier.CONTAINS, rest, "prefix")]
            break
    for prefix in _SALT_PREFIXES_ZH:
        rest = key.removeprefix(prefix)
        if rest != key and len(rest) >= MIN_CONTAINS_CHARS:
            related += [(Tier.PREFIX, rest, "exact"), (Tier.CONTAINS, rest, "prefix")]
            break
    for english, inn in _SPELLINGS:
        for one, other in ((english, inn), (inn, english)):
            if one in key:
                related.append((Tier.VARIANT, key.replace(one, other), "contains"))
                break
        else:
            continue
        break
    return related


def search(text: str, *, token: Hashable | None = None) -> SearchOutcome:
    """Find substances for what someone typed; see the module docstring for the ranking."""
    text = (text or "").strip()
    key = search_key(text)
    outcome = SearchOutcome(query=text, key=key)
    if not text:
        return outcome
    found = _identifier_hits(text, outcome)
    index = get_index(token)
    by_tier: list[tuple[Tier, np.ndarray]] = []
    if key:
        by_tier.append((Tier.EXACT, index.exact_positions(key)))
        by_tier.append((Tier.PREFIX, index.prefixed_positions(key)))
        if len(key) >= MIN_CONTAINS_CHARS:
            by_tier.append((Tier.CONTAINS, index.containing_positions(key)))
        lookups = {
            "exact": index.exact_positions,
            "prefix": index.prefixed_positions,
            "contains": lambda k: np.concatenate(
                [
                    index.exact_positions(k),
                    index.prefixed_positions(k),
                    index.containing_positions(k),
                ]
            ),
        }
        for tier, other, how in related_keys(key):
            by_tier.append((tier, lookups[how](other)))
        if len(key) >= MIN_CLOSE_CHARS:
            for candidate, ratio in index.close(key, cutoff=CLOSE_CUTOFF):
                found += [
                    Hit(e.substance_id, Tier.CLOSE, e.text, e.field, ratio)
                    for e in index.by_key[candidate]
                ]
    outcome.hits = RankedHits(index, found, by_tier)
    if not outcome.hits and len(key) >= MIN_CLOSE_CHARS:
        outcome.suggestions = _suggestions(key, index)
    return outcome


class RankedHits(Sequence):
    """The hits of one query, one per substance (its best), in rank order.

    Ranked by tier, score, then shorter matched names and names in A-Z order. A common word
    can match tens of thousands of names at scale, and a page shows fifty: the ranking is done
    on arrays (numpy) and a `Hit` is made only for the ones read.
    """

    def __init__(
        self, index: SearchIndex, found: list[Hit], by_tier: list[tuple[Tier, np.ndarray]]
    ) -> None:
        self._index = index
        self._found = found
        positions = np.concatenate(
            [np.empty(0, dtype=np.int64)] + [positions for _tier, positions in by_tier]
        )
        owners = np.concatenate(
            [
                np.array([hit.substance_id for hit in found], dtype=np.int64),
                index._owners[positions].astype(np.int64),
            ]
        )
        tiers = np.concatenate(
            [np.array([hit.tier for hit in found], dtype=np.int8)]
            + [np.full(len(positions), tier, dtype=np.int8) for tier, positions in by_tier]
        )
        scores = np.concatenate([np.array([hit.score for hit in found]), np.ones(len(positions))])
        lengths = np.concatenate(
            [
                np.array([len(hit.matched) for hit in found], dtype=np.int64),
                index._text_lengths[positions].astype(np.int64),
            ]
        )
        # What each hit was: -1 - i for found[i], else the position of the index entry.
        sources = np.concatenate([-1 - np.arange(len(found), dtype=np.int64), positions])
        order = np.lexsort((owners, index.places(owners), lengths, -scores, tiers))
        # The first of each substance in that order is its best hit.
        _unique, first = np.unique(owners[order], return_index=True)
        kept = order[np.sort(first)]
        self._owners = owners[kept]
        self._tiers = tiers[kept]
        self._scores = scores[kept]
        self._sources = sources[kept]

    def __len__(self) -> int:
        return int(self._owners.size)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [self._hit(i) for i in range(*item.indices(len(self)))]
        if item < 0:
            item += len(self)
        if not 0 <= item < len(self):
            raise IndexError(item)
        return self._hit(item)

    def __eq__(self, other) -> bool:
        if isinstance(other, RankedHits | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def _hit(self, i: int) -> Hit:
        source = int(self._sources[i])
        if source < 0:
            return self._found[-1 - source]
        entry = self._index.entry_at(source)
        return Hit(
            int(self._owners[i]),
            Tier(int(self._tiers[i])),
            entry.text,
            entry.field,
            float(self._scores[i]),
        )

    @property
    def substance_ids(self) -> list[int]:
        """Every substance found, in rank order."""
        return self._owners.tolist()

    def for_substances(self, substance_ids: Iterable[int]) -> dict[int, Hit]:
        """The hit of each of these substances that was found."""
        wanted = np.fromiter(substance_ids, dtype=np.int64)
        return {
            int(self._owners[i]): self._hit(int(i))
            for i in np.flatnonzero(np.isin(self._owners, wanted))
        }


def _suggestions(key: str, index: SearchIndex) -> list[str]:
    """Names spelled somewhat like the query, offered when it found nothing."""
    offered: list[str] = []
    for candidate, _ratio in index.close(key, cutoff=SUGGESTION_CUTOFF):
        text = index.by_key[candidate][0].text
        if text not in offered:
            offered.append(text)
    return offered
