"""Ranked search: find substances from whatever people type, in the database.

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

Each substance appears once, at its best tier; ties go to the higher score (close spellings),
the shorter name, then the English name in A-Z order.

The database does the finding: one statement reads the names that match, with their tier
worked out by a CASE, through the database's own indexes (B-tree on the keys; for "contains",
the trigram index of migration 0003: FTS5 on SQLite, pg_trgm on PostgreSQL). Close spellings
are a statement before it: the keys of a length that can reach the cutoff and sharing a trigram
with the query (both trigram indexes answer that; for a short query, every key of such a length,
through the length indexes of migration 0007), screened with rapidfuzz and confirmed with
difflib, whose ratio is the contract (tests/data/test_search_real.py). pg_trgm's own
`similarity()` is not used: it counts trigrams, not the spelling difflib measures, and misses
close spellings difflib finds.
Nothing is kept between queries, so a write is seen by the next search.

The unranked filter (`matching`: the API's `?q=`, read a page at a time in uid order) asks, on
SQLite, the search document of migration 0013 first: one FTS5 row per substance holding all its
keys, so that the substances containing a key are read from the index alone. A rare key's ids
are looked up and sorted, a common key's collected once and met as the uid index is read, and
a very common key's rows tested one by one as the page is read (`_Names.document_condition`).

This module knows substances only: whether a hit is controlled is the registry's business.
Use it through `Substance.objects.ranked_search(text)` (or `.search(text)` for the queryset).
"""

from __future__ import annotations

import difflib
import enum
import itertools
import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from rapidfuzz import fuzz, process

from substances import chemistry
from substances.models import Name, Substance
from substances.normalize import normalize_cas, search_key

__all__ = ["Hit", "RankedHits", "SearchOutcome", "Tier", "close_spellings", "matching", "search"]

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

TRIGRAM_TABLE = "substances_search_trigram"
"""The FTS5 trigram table of migration 0003 (SQLite): rowid -2*id for a substance's English
key, -2*id-1 for its Chinese key, a name's id for a name's key."""

DOCUMENT_TABLE = "substances_search_document"
"""The FTS5 table of migration 0013 (SQLite): one row per substance, under its id, holding all
its keys; `MATCH '"key"'` is the substances with a key containing `key`, read from the index."""

DOCUMENT_SCAN_SHARE = 0.25
"""A key held by this share of substances or more is very common: reading the page's rows one
by one meets a page of hits within a few hundred rows, sooner than the document index lists
all its ids ("methyl", in half of the substances at 100,000: 49,559 ids, 14 ms)."""

ROWS_PER_BATCH = 2000
"""Names read from the database at a time while ranking (only each substance's best is kept)."""

DOCUMENT_PHRASE_CHARS = 48
"""Longest phrase looked up in the search document; a longer key is checked whole in the
documents its start finds. A phrase of a few hundred characters of common trigrams took
seconds (each trigram's list is read once per place it holds in the phrase)."""

TRIGRAM_INDEXES = (
    "substances_substance_key_en_trgm",
    "substances_substance_key_zh_trgm",
    "substances_name_key_trgm",
)
"""The pg_trgm GIN indexes of migration 0003 (PostgreSQL)."""

COMMON_KEY_ROWS = 1000
"""A key held by this many names or more is common: a scan in the page's order finds a page of
them after a few thousand rows, sooner than the trigram index can list them all (80,000 names
hold "methyl" at 100,000 substances)."""

TRIGRAM_CLOSE_MIN = 6
"""Shortest key whose close spellings are looked for among the keys sharing a trigram with it."""


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


@dataclass(frozen=True)
class Hit:
    """A substance found, with how (tier), on what (the name or identifier) and a score."""

    substance_id: int
    tier: Tier
    matched: str
    field: str
    score: float = 1.0


_TIER_OF = {int(tier): tier for tier in Tier}


class RankedHits(Sequence):
    """The hits of one query, one per substance (its best), in rank order.

    Kept as compact columns and pickled as such: a cache keeps whole rankings, tens of
    thousands of hits for a common name, and a page shows 50 of them. The ids, tiers, fields
    and scores are arrays of numbers, the names matched one text cut at recorded ends, so that
    a ranking read back from the cache is a few buffers, not a Python object per hit and column
    ("methyl" at 100,000 substances: 49,559 hits, read back in 8.4 ms as lists). A `Hit` is
    made only for the hits read (an index, a slice, iteration, `for_substances`).
    """

    __slots__ = ("_ends", "_field_codes", "_field_names", "_ids", "_scores", "_text", "_tiers")
    __hash__ = None  # compared by value, like the list it stands for

    def __init__(self, hits: Iterable[Hit] = ()) -> None:
        hits = list(hits)
        self._fill(
            [hit.substance_id for hit in hits],
            [int(hit.tier) for hit in hits],
            [hit.matched for hit in hits],
            [hit.field for hit in hits],
            [hit.score for hit in hits],
        )

    @classmethod
    def from_columns(cls, ids, tiers, matched, fields, scores) -> RankedHits:
        if not len(ids) == len(tiers) == len(matched) == len(fields) == len(scores):
            raise ValueError("the columns of a ranking differ in length")
        ranked = cls.__new__(cls)
        ranked._fill(ids, tiers, matched, fields, scores)
        return ranked

    def _fill(self, ids, tiers, matched, fields, scores) -> None:
        self._ids = array("q", ids)
        self._tiers = bytes(tiers)  # Tier values, 0 to 8
        self._scores = array("d", scores)
        names = tuple(dict.fromkeys(fields))  # the few fields, in order of first use
        code = {name: i for i, name in enumerate(names)}
        self._field_names = names
        self._field_codes = bytes(code[name] for name in fields)
        self._text = "".join(matched)
        self._ends = array("q", itertools.accumulate(len(text) for text in matched))

    def _matched(self, i: int) -> str:
        return self._text[self._ends[i - 1] if i else 0 : self._ends[i]]

    def _columns(self) -> tuple[list, ...]:
        return (
            list(self._ids),
            list(self._tiers),
            [self._matched(i) for i in range(len(self._ids))],
            [self._field_names[code] for code in self._field_codes],
            list(self._scores),
        )

    def __reduce__(self):
        state = (self._ids, self._tiers, self._scores, self._field_names, self._field_codes)
        return (_hits_from_compact, (*state, self._text, self._ends))

    def _hit(self, i: int) -> Hit:
        tier = _TIER_OF[self._tiers[i]]
        field = self._field_names[self._field_codes[i]]
        return Hit(self._ids[i], tier, self._matched(i), field, self._scores[i])

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._hit(i) for i in range(*index.indices(len(self._ids)))]
        if not -len(self._ids) <= index < len(self._ids):
            raise IndexError("ranking index out of range")
        return self._hit(index % len(self._ids))

    def __iter__(self) -> Iterator[Hit]:
        return (self._hit(i) for i in range(len(self._ids)))

    def __eq__(self, other) -> bool:
        if isinstance(other, RankedHits):
            return self._columns() == other._columns()
        if isinstance(other, list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"RankedHits({list(self)!r})"

    @property
    def substance_ids(self) -> list[int]:
        """Every substance found, in rank order."""
        return self._ids.tolist()

    def for_substances(self, substance_ids) -> dict[int, Hit]:
        """The hit of each of these substances that was found (read no further than the last
        of them: a first page of "methyl"'s 49,559 hits is met in its first 50)."""
        wanted = set(substance_ids)
        found: dict[int, Hit] = {}
        for i, pk in enumerate(self._ids):
            if pk in wanted:
                found[pk] = self._hit(i)
                if len(found) == len(wanted):
                    break
        return found


def _hits_from_compact(ids, tiers, scores, field_names, field_codes, text, ends) -> RankedHits:
    ranked = RankedHits.__new__(RankedHits)
    ranked._ids, ranked._tiers, ranked._scores = ids, tiers, scores
    ranked._field_names, ranked._field_codes = field_names, field_codes
    ranked._text, ranked._ends = text, ends
    return ranked


def _hits_from_columns(ids, tiers, matched, fields, scores) -> RankedHits:
    """A ranking pickled by an earlier version (as lists), still readable from a cache."""
    return RankedHits.from_columns(ids, tiers, matched, fields, scores)


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
    hits: RankedHits = field(default_factory=RankedHits)
    suggestions: list[str] = field(default_factory=list)
    structure_error: str = ""


def _identifier_hits(text: str, outcome: SearchOutcome) -> list[tuple[Hit, str]]:
    """Hits on CAS number, InChIKey or structure (each with its English name), with
    `outcome.detected` set accordingly."""
    stripped = text.strip()
    hits: list[tuple[Hit, str]] = []
    cas = normalize_cas(stripped)
    if cas:
        outcome.detected = "cas"
        for pk, name_en in Substance.objects.with_cas(cas).values_list("id", "name_en"):
            hits.append((Hit(pk, Tier.IDENTIFIER, cas, "cas"), name_en))
        return hits
    if chemistry.is_inchikey(stripped):
        outcome.detected = "inchikey"
        key = stripped.upper()
        rows = Substance.objects.filter(
            Q(inchikey=key) | Q(parent_key=key) | Q(skeleton_key=key[:14])
        ).values_list("id", "inchikey", "parent_key", "name_en")
        for pk, own, parent, name_en in rows:
            tier = (
                Tier.IDENTIFIER
                if own == key
                else Tier.SAME_PARENT
                if parent == key
                else Tier.SAME_SKELETON
            )
            hits.append((Hit(pk, tier, key, "inchikey"), name_en))
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
    ).values_list("id", "inchikey", "parent_key", "canonical_smiles", "name_en")
    for pk, key, parent_of, smiles, name_en in rows:
        tier = (
            Tier.IDENTIFIER
            if own and key == own
            else Tier.SAME_PARENT
            if parent_of == parent
            else Tier.SAME_SKELETON
        )
        hits.append((Hit(pk, tier, smiles, "smiles"), name_en))
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


# --- names, in the database -----------------------------------------------------------------

# Each place a searchable name is kept: its key, its text, whose it is, the field it is shown as,
# its source (preferred English, preferred Chinese, other name: the order of equals), its row and
# its substance's English name (the ranking's last criterion).
_SOURCES = (
    (
        "s.search_key_en",
        "s.name_en AS t, s.id AS sid, 'name_en' AS f, 0 AS src, s.id AS rid, s.name_en AS n",
        "substances_substance s",
        "s.search_key_en <> ''",
        "s.id IN (SELECT substance_id FROM {fts} WHERE key GLOB %s AND rowid < 0)",
    ),
    (
        "s.search_key_zh",
        "s.name_zh AS t, s.id AS sid, 'name_zh' AS f, 1 AS src, s.id AS rid, s.name_en AS n",
        "substances_substance s",
        "s.name_zh <> '' AND s.search_key_zh <> ''",
        "s.id IN (SELECT substance_id FROM {fts} WHERE key GLOB %s AND rowid < 0)",
    ),
    (
        "m.search_key",
        "m.name AS t, m.substance_id AS sid, m.language AS f, 2 AS src, m.id AS rid,"
        " s.name_en AS n",
        "substances_name m JOIN substances_substance s ON s.id = m.substance_id",
        "m.search_key <> ''",
        "m.id IN (SELECT rowid FROM {fts} WHERE key GLOB %s AND rowid > 0)",
    ),
)

# The key columns alone, for close spellings: (column, table, condition of a searchable key).
_KEY_COLUMNS = [
    (column, table.split(" JOIN ")[0], nonempty) for column, _others, table, nonempty, _ in _SOURCES
]


def _owner(table: str) -> str:
    """The substance's id in a key column's table (the substance's own row, or a name's)."""
    return "m.substance_id" if table.endswith(" m") else "s.id"


_schema_cache: dict[tuple[str, str, str], bool] = {}
"""Whether the database holds the search's own tables and indexes, per (which, alias, database
NAME): looked up once per database, and again for a database made later under the same alias
(a test database)."""


def _schema_holds(connection, which: str, look) -> bool:
    cache_key = (which, connection.alias, str(connection.settings_dict["NAME"]))
    if cache_key not in _schema_cache:
        _schema_cache[cache_key] = look(connection)
    return _schema_cache[cache_key]


def _look_for_trigram_index(connection) -> bool:
    if connection.vendor == "sqlite":
        return TRIGRAM_TABLE in connection.introspection.table_names()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes"
                " WHERE schemaname = ANY(current_schemas(false)) AND indexname = ANY(%s)",
                [list(TRIGRAM_INDEXES)],
            )
            return cursor.fetchone()[0] == len(TRIGRAM_INDEXES)
    return False


def _has_trigram_index(connection) -> bool:
    """The trigram index of migration 0003 (SQLite's FTS5 table, PostgreSQL's pg_trgm)."""
    return _schema_holds(connection, "trigram", _look_for_trigram_index)


def _has_search_document(connection) -> bool:
    """The search document of migration 0013 (SQLite only)."""
    return _schema_holds(
        connection,
        "document",
        lambda c: c.vendor == "sqlite" and DOCUMENT_TABLE in c.introspection.table_names(),
    )


class _ExistsPerRow(Exists):
    """EXISTS that PostgreSQL tests on each row it reads (through the names' (substance, key)
    index), as SQLite does: without an OFFSET, PostgreSQL may first read every name the
    subquery holds into a hashed set, 30,000 of them for "4-fluoro" at a million substances
    (190 ms), where the page it is read for is met after about a thousand rows (4 ms)."""

    def as_postgresql(self, compiler, connection):
        sql, params = self.as_sql(compiler, connection)
        if not sql.endswith(")"):
            return sql, params
        return f"{sql[:-1]} OFFSET 0)", params


class _ScanIn(In):
    """`lhs IN (rhs)` that SQLite tests on each row it reads (a unary + on the column), instead
    of looking each of rhs's ids up and sorting them: for a set of a few thousand ids of which
    a page in another order (uid) needs 51, reading that order's index until 51 are met is the
    shorter way. Elsewhere a plain IN."""

    def as_sqlite(self, compiler, connection):
        sql, params = self.as_sql(compiler, connection)
        return f"+{sql}", params


def _glob_literal(text: str) -> str:
    """`text` matched literally by GLOB: each metacharacter in a bracket class of its own."""
    return "".join(f"[{ch}]" if ch in "*?[]" else ch for ch in text)


class _Names:
    """SQL for the names whose key matches, per database (SQLite's FTS5 or PostgreSQL's LIKE)."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.sqlite = connection.vendor == "sqlite"
        self.postgresql = connection.vendor == "postgresql"
        self.trigrams = _has_trigram_index(connection)
        self.document = _has_search_document(connection)

    # Conditions on a key column: (sql, params).
    def equals(self, column: str, keys: list[str]) -> tuple[str, list]:
        return f"{column} IN ({', '.join(['%s'] * len(keys))})", list(keys)

    def starts(self, column: str, key: str) -> tuple[str, list]:
        return f"substr({column}, 1, %s) = %s", [len(key), key]

    def holds(self, column: str, key: str) -> tuple[str, list]:
        if self.postgresql:
            return f"strpos({column}, %s) > 0", [key]
        return f"instr({column}, %s) > 0", [key]

    def prefix_lookup(self, column: str, key: str) -> tuple[str, list]:
        """Keys starting with `key`, in a form the column's index answers."""
        if self.sqlite and ord(key[-1]) < 0x10FFFF:
            # SQLite compares text by code point (BINARY): the prefix is a range of the B-tree.
            return f"{column} >= %s AND {column} < %s", [key, key[:-1] + chr(ord(key[-1]) + 1)]
        if self.postgresql:
            return f"{column} LIKE %s ESCAPE '\\'", [
                self.connection.ops.prep_for_like_query(key) + "%"
            ]
        return self.starts(column, key)

    def contains_lookup(self, source, key: str) -> tuple[str, list]:
        """Keys containing `key`, through the trigram index where there is one."""
        column, _, _, _, fts = source
        if self.trigrams and len(key) >= 3:
            if self.sqlite:
                pattern = f"*{_glob_literal(key)}*"
                sql, params = self.holds(column, key)
                return f"{fts.format(fts=TRIGRAM_TABLE)} AND {sql}", [pattern, *params]
            if self.postgresql:
                like = "%" + self.connection.ops.prep_for_like_query(key) + "%"
                return f"{column} LIKE %s ESCAPE '\\'", [like]
        return self.holds(column, key)

    def rows(self, tiers, lookups) -> Iterator[tuple]:
        """The names found by any of `lookups`, each with the best of `tiers` it meets, read a
        batch at a time.

        `tiers` is a list of (tier, [(how, key)]), `lookups` a list of (how, key); `how` is
        "exact", "prefix" or "contains". A row meeting no tier is a close spelling (tier 8).
        A name found by two look-ups comes twice (the same row): removing the repeats in SQL
        (UNION) cost a short common key most of its time, and a caller keeping one row per
        substance or per key drops them for nothing.
        """
        case, case_params = [], []
        for tier, conditions in tiers:
            if not conditions:
                continue
            parts = []
            for how, key in conditions:
                if how == "exact":
                    sql, params = self.equals("e.k", [key])
                elif how == "prefix":
                    sql, params = self.starts("e.k", key)
                else:
                    sql, params = self.holds("e.k", key)
                parts.append(sql)
                case_params += params
            case.append(f"WHEN {' OR '.join(parts)} THEN {int(tier)}")
        branches, branch_params = [], []
        for source in _SOURCES:
            column, others, table, nonempty, _fts = source
            for how, key in lookups:
                if how == "exact":
                    sql, params = self.equals(column, key)
                elif how == "prefix":
                    sql, params = self.prefix_lookup(column, key)
                else:
                    sql, params = self.contains_lookup(source, key)
                branches.append(
                    f"SELECT {column} AS k, {others} FROM {table} WHERE {nonempty} AND {sql}"
                )
                branch_params += params
        if not branches:
            return
        tier = f"CASE {' '.join(case)} ELSE {int(Tier.CLOSE)} END" if case else "8"
        sql = (
            f"SELECT e.k, e.t, e.sid, e.f, e.src, e.rid, e.n, {tier} AS tier"
            f" FROM ({' UNION ALL '.join(branches)}) AS e"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, case_params + branch_params)
            while batch := cursor.fetchmany(ROWS_PER_BATCH):
                yield from batch

    def condition(self, how: str, key) -> Q:
        """The substances with a name meeting one look-up (`rows`), as a condition."""
        names = Name.objects.all()
        if how == "exact":
            return (
                Q(search_key_en__in=key)
                | Q(search_key_zh__in=key)
                | Q(pk__in=names.filter(search_key__in=key).values("substance_id"))
            )
        if how == "contains" and self.trigrams and len(key) >= 3:
            sql, params = self.trigram_ids(key)
            if not self.common(key):
                return Q(pk__in=RawSQL(sql, params))
        if how == "contains":
            return self.scanned(key)
        return Q(pk__in=RawSQL(*self.key_ids("prefix", key)))

    @staticmethod
    def scanned(key: str) -> Q:
        """The substances with a key containing `key`, tested on each row in the order the
        page is read in: for a key held by many names (or without a trigram index), a page of
        hits is found after a few rows."""
        return (
            Q(search_key_en__contains=key)
            | Q(search_key_zh__contains=key)
            | _ExistsPerRow(Name.objects.filter(substance=OuterRef("pk"), search_key__contains=key))
        )

    def document_condition(self, keys: list[str]) -> Q | None:
        """The substances with a key containing one of `keys` (each of three characters or
        more), from the search document (SQLite, migration 0013); None for keys so common that
        reading the page's rows one by one is sooner (`DOCUMENT_SCAN_SHARE`).

        Read first, no further than that: a rare key's few ids, so read, are the condition
        (the index is not asked twice); a common key's ids are collected once and the page's
        order read until a page of them is met (`_ScanIn`).
        """
        # A phrase costs a read of each of its trigrams' lists: a long key is looked up by its
        # first DOCUMENT_PHRASE_CHARS characters, and the documents found are then read for it
        # whole (a key cannot run across two keys of a document: none holds the separator).
        phrases = [key[:DOCUMENT_PHRASE_CHARS] for key in keys]
        match = " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)
        sql = f"SELECT rowid FROM {DOCUMENT_TABLE} WHERE {DOCUMENT_TABLE} MATCH %s"
        params = [match]
        if phrases != keys:
            sql += f" AND ({' OR '.join(['instr(keys, %s) > 0'] * len(keys))})"
            params += keys
        with self.connection.cursor() as cursor:
            # The index lists ids in ascending order: where the COMMON_KEY_ROWS-th one falls
            # says how thick they are (ids are given in sequence). The ids come as one text,
            # read in Python only for a rare key.
            cursor.execute(
                f"SELECT count(*), max(rowid), group_concat(rowid) FROM ({sql} LIMIT %s) AS probe",
                [*params, COMMON_KEY_ROWS],
            )
            count, last, listed = cursor.fetchone()
        if count < COMMON_KEY_ROWS:
            return Q(pk__in=[int(pk) for pk in listed.split(",")] if listed else [])
        if count >= DOCUMENT_SCAN_SHARE * last:
            return None
        return Q(_ScanIn(F("pk"), RawSQL(sql, params)))

    def trigram_ids(self, key: str) -> tuple[str, list]:
        """SQL for the substances with a key containing `key`, answered by the trigram index."""
        if self.sqlite:
            return (
                f"SELECT substance_id FROM {TRIGRAM_TABLE} WHERE key GLOB %s",
                [f"*{_glob_literal(key)}*"],
            )
        like = "%" + self.connection.ops.prep_for_like_query(key) + "%"
        parts = [
            f"SELECT {_owner(table)} FROM {table} WHERE {column} LIKE %s ESCAPE '\\'"
            for column, table, _nonempty in _KEY_COLUMNS
        ]
        return " UNION ALL ".join(parts), [like] * len(parts)

    def key_ids(self, how: str, key) -> tuple[str, list]:
        """SQL for the substances with a key equal to one of `key` ("exact", a list of keys)
        or starting with `key` ("prefix"), answered by the key columns' indexes."""
        lookup = self.equals if how == "exact" else self.prefix_lookup
        parts, params = [], []
        for column, table, _nonempty in _KEY_COLUMNS:
            sql, more = lookup(column, key)
            parts.append(f"SELECT {_owner(table)} FROM {table} WHERE {sql}")
            params += more
        return " UNION ALL ".join(parts), params

    def few_ids(self, how: str, key) -> list[int] | None:
        """The substances one look-up (see `rows`) finds, where fewer than `COMMON_KEY_ROWS`
        keys hold them; None where as many do (counted no further), or where no index answers
        it (a key of one or two characters looked for inside keys).

        PostgreSQL cannot answer an OR of subqueries through their indexes: given one
        condition per look-up, it reads the page's order and tests each row, a million of them
        for a key that a few names hold. A rare look-up's ids it is given as a list.
        """
        if how == "contains":
            if not (self.trigrams and len(key) >= 3):
                return None
            sql, params = self.trigram_ids(key)
        else:
            sql, params = self.key_ids(how, key)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({sql}) AS found LIMIT %s", [*params, COMMON_KEY_ROWS])
            rows = cursor.fetchall()
        if len(rows) >= COMMON_KEY_ROWS:
            return None
        return sorted({row[0] for row in rows})

    def common(self, key: str) -> bool:
        """Whether at least `COMMON_KEY_ROWS` keys may contain `key` (counted no further).

        On SQLite, the keys holding every trigram of `key`: the index alone answers that, no
        key is read (a few may hold them apart, which only makes a key look commoner).
        """
        if self.sqlite:
            grams = sorted({key[i : i + 3] for i in range(len(key) - 2)})
            match = " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
            sql, params = f"SELECT 1 FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} MATCH %s", [match]
        else:
            sql, params = self.trigram_ids(key)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM ({sql} LIMIT %s) AS probe", [*params, COMMON_KEY_ROWS]
            )
            return cursor.fetchone()[0] >= COMMON_KEY_ROWS

    def close_candidates(self, key: str, shortest: int, longest: int) -> list[str]:
        """The keys of a length in [shortest, longest] that may be spelled like `key`.

        A short key's close spellings may share no trigram with it ("5fadb", "5apdb"): for a
        key shorter than `TRIGRAM_CLOSE_MIN`, every key of such a length is a candidate (read
        through the keys' length indexes). A longer key's are those sharing a trigram with it
        (every close spelling of the real data does; the brute-force test holds it to that).
        """
        window = [shortest, longest]
        by_length = not self.trigrams or len(key) < TRIGRAM_CLOSE_MIN
        if self.sqlite and not by_length:
            grams = sorted({key[i : i + 3] for i in range(len(key) - 2)})
            match = " OR ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
            sql = (
                f"SELECT DISTINCT key FROM {TRIGRAM_TABLE}"
                f" WHERE {TRIGRAM_TABLE} MATCH %s AND length(key) BETWEEN %s AND %s"
            )
            params = [match, *window]
        elif self.postgresql and not by_length:
            # The keys holding one of the query's trigrams, as on SQLite: one LIKE per trigram,
            # each answered by the pg_trgm index.
            grams = sorted({key[i : i + 3] for i in range(len(key) - 2)})
            likes = ["%" + self.connection.ops.prep_for_like_query(gram) + "%" for gram in grams]
            parts = [
                f"SELECT {column} FROM {table} WHERE ("
                + " OR ".join([f"{column} LIKE %s ESCAPE '\\'"] * len(likes))
                + f") AND length({column}) BETWEEN %s AND %s"
                for column, table, _nonempty in _KEY_COLUMNS
            ]
            sql = " UNION ".join(parts)
            params = [*likes, *window] * len(parts)
        else:
            parts = [
                f"SELECT {column} FROM {table} WHERE {nonempty}"
                f" AND length({column}) BETWEEN %s AND %s"
                for column, table, nonempty in _KEY_COLUMNS
            ]
            sql = " UNION ".join(parts)
            params = window * len(parts)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]


def _connection(using: str | None):
    return connections[using or Substance.objects.db]


def close_spellings(
    key: str, *, cutoff: float, limit: int = MAX_CLOSE, using: str | None = None
) -> list[tuple[str, float]]:
    """Keys spelled like `key` (not `key` itself), best first, as (key, difflib ratio)."""
    size = len(key)
    # The lengths from which the cutoff can be reached: the ratio is 2 * M / (len(a) + len(b))
    # with M at most the shorter length (a margin for rounding: 8 * 1.2 / 0.8 is 11.999...).
    shortest = math.ceil(size * cutoff / (2 - cutoff) - 1e-9)
    longest = math.floor(size * (2 - cutoff) / cutoff + 1e-9)
    candidates = _Names(_connection(using)).close_candidates(key, shortest, longest)
    # rapidfuzz's ratio counts the longest common subsequence, difflib's its matching blocks,
    # which are one such subsequence: a key below the cutoff for rapidfuzz is below it for
    # difflib too, so only the keys rapidfuzz keeps need difflib's slower verdict.
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


def _name_lookups(key: str, close) -> tuple[list, list]:
    """What to look up for a query's key: (tiers, lookups), see `_Names.rows`.

    The key as typed, its related keys, and the `close` spellings (exactly).
    """
    tiers: list[tuple[Tier, list[tuple[str, str]]]] = [
        (Tier.EXACT, [("exact", key)]),
        (Tier.PREFIX, [("prefix", key)]),
        (Tier.CONTAINS, [("contains", key)] if len(key) >= MIN_CONTAINS_CHARS else []),
        (Tier.VARIANT, []),
    ]
    # Names containing the key include those starting with it: a prefix look-up only for a
    # key too short to be looked for inside names.
    lookups: list[tuple[str, object]] = [("exact", [key, *close])]
    lookups.append(("contains", key) if len(key) >= MIN_CONTAINS_CHARS else ("prefix", key))
    for tier, other, how in related_keys(key):
        # "contains" in a related key means anywhere, its start included.
        tiers[tier - Tier.EXACT][1].append((how, other))
        lookups.append(("exact", [other]) if how == "exact" else (how, other))
    return tiers, lookups


def _ranked(
    found: list[tuple[Hit, str]], rows: Iterable[tuple], close: dict[str, float]
) -> RankedHits:
    """One hit per substance, its best, in rank order: tier, score, shorter name, English name
    A-Z, then substance. `found` are the identifier hits (each with its substance's English
    name), `rows` the names found (`_Names.rows`), `close` the close spellings' scores.

    Of one substance's hits the best is the first in rank order; equals in rank keep the
    identifiers' order, then that of the names' keys, then preferred English, preferred
    Chinese and other names, then row: the order a reader of the names would meet them in.
    Only the best of each substance is kept as the rows are read, so a key found in 150,000
    names holds one entry per substance, not one per name.
    """
    # sid -> (tier, -score, len(matched), the order among equals, matched, field, English name)
    # (a name's order among equals is its key, source and row, an identifier's its place)
    best: dict[int, tuple] = {}
    for place, (hit, name_en) in enumerate(found):
        entry = (hit.tier, -hit.score, len(hit.matched), "", -1, place, hit.matched, hit.field)
        held = best.get(hit.substance_id)
        if held is None or entry < held[:-1]:
            best[hit.substance_id] = (*entry, name_en)
    for k, text, sid, field_name, src, rid, name_en, tier in rows:
        score = close.get(k, 1.0) if tier == Tier.CLOSE else 1.0
        # Two rows equal up to their row number are the same name, found by two look-ups.
        entry = (tier, -score, len(text), k, src, rid, text, field_name, name_en)
        held = best.get(sid)
        if held is None or entry < held:
            best[sid] = entry
    order = sorted(best.items(), key=lambda item: (*item[1][:3], item[1][-1].casefold(), item[0]))
    return RankedHits.from_columns(
        [sid for sid, _ in order],
        [int(entry[0]) for _, entry in order],
        [entry[-3] for _, entry in order],
        [entry[-2] for _, entry in order],
        [-entry[1] for _, entry in order],
    )


def _suggestions(key: str, using: str | None) -> list[str]:
    """Names spelled somewhat like the query, offered when it found nothing."""
    close = close_spellings(key, cutoff=SUGGESTION_CUTOFF, using=using)
    if not close:
        return []
    rows = _Names(_connection(using)).rows([], [("exact", [k for k, _ratio in close])])
    first: dict[str, str] = {}
    for k, text, *_rest in sorted(rows, key=lambda row: (row[4], row[2], row[5])):
        first.setdefault(k, text)
    offered: list[str] = []
    for candidate, _ratio in close:
        if (text := first.get(candidate)) and text not in offered:
            offered.append(text)
    return offered


def search(text: str, *, using: str | None = None, suggest: bool = True) -> SearchOutcome:
    """Find substances for what someone typed; see the module docstring for the ranking.

    With `suggest`, a query that finds nothing is given close spellings to offer (a second,
    looser look at the names; a caller that shows no suggestions saves it).
    """
    text = (text or "").strip()
    key = search_key(text)
    outcome = SearchOutcome(query=text, key=key)
    if not text:
        return outcome
    found = _identifier_hits(text, outcome)
    rows, close = (), {}
    if key:
        if len(key) >= MIN_CLOSE_CHARS:
            close = dict(close_spellings(key, cutoff=CLOSE_CUTOFF, using=using))
        rows = _Names(_connection(using)).rows(*_name_lookups(key, close))
    outcome.hits = _ranked(found, rows, close)
    if suggest and not outcome.hits and len(key) >= MIN_CLOSE_CHARS:
        outcome.suggestions = _suggestions(key, using)
    return outcome


def matching(text: str, *, close: bool = False, using: str | None = None) -> Q:
    """What `text` finds, as a condition on substances: the substances `search` finds by
    identifier and by name, unranked, for a filter to combine with others and to page through.

    Close spellings are guesses, for a reader who sees them ranked below what was typed: a
    filter leaves them out unless asked (`close`). Nothing is read for the condition beyond
    the identifiers' few rows and a bounded count of a key's hits (on PostgreSQL, a rare key's
    ids); the rest is SQL the database runs as it reads the page.
    """
    text = (text or "").strip()
    outcome = SearchOutcome(query=text, key=search_key(text))
    if not text:
        return Q(pk__in=[])
    identified = {hit.substance_id for hit, _name in _identifier_hits(text, outcome)}
    condition = Q(pk__in=sorted(identified))
    if key := outcome.key:
        spelled = {}
        if close and len(key) >= MIN_CLOSE_CHARS:
            spelled = dict(close_spellings(key, cutoff=CLOSE_CUTOFF, using=using))
        names = _Names(_connection(using))
        lookups = _name_lookups(key, spelled)[1]
        if names.document and len(key) >= 3:
            # The keys looked for inside names, at once from the search document; the key's
            # own exact look-up is among them (a key containing it).
            inside = [k for how, k in lookups if how == "contains" and len(k) >= 3]
            if (found := names.document_condition(inside)) is not None:
                condition |= found
                rest = []
                for how, looked_up in lookups:
                    if how == "exact":
                        looked_up = [k for k in looked_up if k != key]
                    if looked_up and not (how == "contains" and looked_up in inside):
                        rest.append((how, looked_up))
                lookups = rest
        elif names.postgresql:
            # A rare look-up's ids as a list, and only the others tested row by row (see
            # `few_ids`); a common look-up counted once.
            common = []
            for how, looked_up in lookups:
                if (found := names.few_ids(how, looked_up)) is None:
                    common.append((how, looked_up))
                else:
                    identified.update(found)
            condition = Q(pk__in=sorted(identified))
            for how, looked_up in common:
                if how == "contains":
                    condition |= names.scanned(looked_up)
                else:
                    condition |= names.condition(how, looked_up)
            return condition
        for how, looked_up in lookups:
            condition |= names.condition(how, looked_up)
    return condition


def by_name(substance_ids: list[int], *, chinese: bool = False) -> list[int]:
    """The substances in A-Z order of their English name (on a Chinese page, of their Chinese
    name where they have one), casefolded; equal names in the order given."""
    names: dict[int, str] = {}
    for start in range(0, len(substance_ids), 900):
        rows = Substance.objects.filter(pk__in=substance_ids[start : start + 900])
        for pk, name_en, name_zh in rows.values_list("id", "name_en", "name_zh"):
            names[pk] = ((name_zh or name_en) if chinese else name_en).casefold()
    return sorted(substance_ids, key=lambda pk: names.get(pk, ""))
