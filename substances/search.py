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
the shorter name, then the English name in A-Z order (casefolded: `Substance.sort_name_en`).

The database does the finding and the ranking: one statement reads the names that match, with
their tier worked out by a CASE, through the database's own indexes (B-tree on the keys; for
"contains", the trigram index of migration 0003: FTS5 on SQLite, pg_trgm on PostgreSQL), keeps
each substance's best (a window function), orders the hits and returns the window asked for
with the count of all: a page of a common name's 100,000 hits is 50 rows read in Python.
Close spellings are a statement before it: the keys of a length that can reach the cutoff and
sharing a trigram with the query (both trigram indexes answer that; for a short query, every
key of such a length, through the length indexes of migration 0007), screened with rapidfuzz
and confirmed with difflib, whose ratio is the contract (tests/data/test_search_real.py).
pg_trgm's own `similarity()` is not used: it counts trigrams, not the spelling difflib
measures, and misses close spellings difflib finds.
Nothing is kept between queries, so a write is seen by the next search.

The unranked filter (`matching`: the API's `?q=`, read a page at a time in uid order) asks, on
SQLite, the search document of migration 0013 first: one FTS5 row per substance holding all its
keys, so that the substances containing a key are read from the index alone. A rare key's ids
are looked up and sorted, a common key's collected once and met as the uid index is read, and
a very common key's rows tested one by one as the page is read (`_InDocument`). A page in uid
order, the API's, reads only its window of the document, which is kept in uid order
(`narrowed_to_page`).

This module knows substances only: whether a hit is controlled is the registry's business.
Use it through `Substance.objects.ranked_search(text)` (or `.search(text)` for the queryset).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import importlib
import math
import operator
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In, Lookup
from rapidfuzz import fuzz, process

from substances import chemistry
from substances.models import Name, Substance
from substances.normalize import CATIONS, CATIONS_ZH, normalize_cas, search_key

__all__ = ["Hit", "RankedHits", "SearchOutcome", "Tier", "close_spellings", "matching", "search"]

MIN_CONTAINS_CHARS = 2
"""Shortest key searched inside names: a single letter would match nearly every name."""

MIN_CLOSE_CHARS = 3
"""Shortest key for which close spellings are looked for."""

CLOSE_CUTOFF = 0.8
"""Similarity (difflib ratio, 0-1) from which a name counts as a close spelling of the query."""

SUGGESTION_CUTOFF = 0.6
"""Looser similarity for the spellings offered when nothing matched at all."""

ORDERS = ("rank", "name_en", "name_zh")
"""How `search` may order its hits: ranked, or by English or Chinese name."""

MAX_CLOSE = 10
"""Most close spellings ranked or offered for one query."""

TRIGRAM_TABLE = "substances_search_trigram"
"""The FTS5 trigram table of migration 0003 (SQLite): rowid -2*id for a substance's English
key, -2*id-1 for its Chinese key, a name's id for a name's key."""

DOCUMENT_TABLE = "substances_search_document"
"""The FTS5 table of migration 0013 (SQLite): one row per substance, holding all its keys;
`MATCH '"key"'` is the substances with a key containing `key`, read from the index. Each row is
under its substance's position, which follows the uid (migration 0019)."""

DOCUMENT_SCAN_SHARE = 0.25
"""A key held by this share of substances or more is very common: reading the page's rows one
by one meets a page of hits within a few hundred rows, sooner than the document index lists
all its ids ("methyl", in half of the substances at 100,000: 49,559 ids, 14 ms)."""

ROWS_PER_BATCH = 2000
"""Rows read from the database at a time (names for suggestions, hits of a whole ranking)."""

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


class RankedHits(list):
    """The hits of one query (or a window of them), one per substance (its best), in rank
    order: a list of `Hit`."""

    @property
    def substance_ids(self) -> list[int]:
        """The substances found, in rank order."""
        return [hit.substance_id for hit in self]

    def for_substances(self, substance_ids) -> dict[int, Hit]:
        """The hit of each of these substances that was found."""
        wanted = set(substance_ids)
        return {hit.substance_id: hit for hit in self if hit.substance_id in wanted}


@dataclass
class SearchOutcome:
    """What a query found.

    ``detected`` says how the query was read besides as a name: "cas", "inchikey" or "smiles"
    (empty for plain text). ``structure_error`` carries the reason when the query looked like a
    structure but could not be read. ``suggestions`` are close spellings offered when nothing
    matched. ``hits`` are the hits asked for (all of them, or a window), ``total`` how many
    substances the query found and ``kept`` how many of them a `within` condition kept.
    """

    query: str
    key: str
    detected: str = ""
    hits: RankedHits = field(default_factory=RankedHits)
    total: int = 0
    kept: int = 0
    suggestions: list[str] = field(default_factory=list)
    structure_error: str = ""


_FIRST_BLOCK = re.compile(r"[A-Z]{14}")


def _identifier_hits(text: str, outcome: SearchOutcome) -> list[Hit]:
    """Hits on CAS number, InChIKey or structure, with `outcome.detected` set accordingly."""
    stripped = text.strip()
    hits: list[Hit] = []
    cas = normalize_cas(stripped)
    if cas:
        outcome.detected = "cas"
        for pk in Substance.objects.with_cas(cas).values_list("id", flat=True):
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
    # An InChIKey's first block (the connectivity, 14 letters, as a reader copies it from a
    # database that shows it apart): the records of that skeleton, any configuration or salt.
    # Looked up, not assumed: fourteen letters may be a name (or a SMILES), read as such next.
    block = unicodedata.normalize("NFKC", stripped).upper().removesuffix("-")
    if _FIRST_BLOCK.fullmatch(block):
        rows = Substance.objects.filter(skeleton_key=block).values_list("id", flat=True)
        hits = [Hit(pk, Tier.SAME_SKELETON, block, "inchikey") for pk in rows]
        if hits:
            outcome.detected = "inchikey"
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
        *CATIONS,
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


def inn_spellings(key: str) -> list[str]:
    """The key with its English stem in its INN spelling, or the reverse ("dexamphetamine" and
    "dexamfetamine"): the same name, spelled two ways."""
    out = []
    for english, inn in _SPELLINGS:
        for one, other in ((english, inn), (inn, english)):
            if one in key:
                out.append(key.replace(one, other))
                break
        if out:
            break
    return out


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
    # A cation is one character: what is left must be a name, not a word such as 氯化 (chloride)
    # from 氯化钠 (sodium chloride).
    for rest, least in [(key.removeprefix(p), MIN_CONTAINS_CHARS) for p in _SALT_PREFIXES_ZH] + [
        (key.removesuffix(s), MIN_CONTAINS_CHARS + 1) for s in CATIONS_ZH
    ]:
        if rest != key and len(rest) >= least:
            related += [(Tier.PREFIX, rest, "exact"), (Tier.CONTAINS, rest, "prefix")]
            break
    related += [(Tier.VARIANT, spelled, "contains") for spelled in inn_spellings(key)]
    return related


# --- names, in the database -----------------------------------------------------------------

# Each place a searchable name is kept: its key, its text, whose it is, the field it is shown as,
# its source (preferred English, preferred Chinese, other name: the order of equals) and its row.
_SOURCES = (
    (
        "s.search_key_en",
        "s.name_en AS t, s.id AS sid, 'name_en' AS f, 0 AS src, s.id AS rid",
        "substances_substance s",
        "s.search_key_en <> ''",
        "s.id IN (SELECT substance_id FROM {fts} WHERE key GLOB %s AND rowid < 0)",
    ),
    (
        "s.search_key_zh",
        "s.name_zh AS t, s.id AS sid, 'name_zh' AS f, 1 AS src, s.id AS rid",
        "substances_substance s",
        "s.name_zh <> '' AND s.search_key_zh <> ''",
        "s.id IN (SELECT substance_id FROM {fts} WHERE key GLOB %s AND rowid < 0)",
    ),
    (
        "m.search_key",
        "m.name AS t, m.substance_id AS sid, m.language AS f, 2 AS src, m.id AS rid",
        "substances_name m",
        "m.search_key <> ''",
        "m.id IN (SELECT rowid FROM {fts} WHERE key GLOB %s AND rowid > 0)",
    ),
)

# The key columns alone, for close spellings: (column, table, condition of a searchable key).
_KEY_COLUMNS = [(column, table, nonempty) for column, _others, table, nonempty, _ in _SOURCES]


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


# --- the search document (SQLite) -----------------------------------------------------------

_positions = importlib.import_module("substances.migrations.0019_search_document_in_uid_order")

_ID_MASK = _positions.ID_MASK
_ID_BITS = _positions.ID_BITS
_RANK_TABLE = _positions.RANK_TABLE

DOCUMENT_ID = f"(rowid & {_ID_MASK})"
"""SQL: the substance id of a search document, read from its position (rowid)."""

_LAST_POSITION = 2**63 - 1


@dataclass(frozen=True)
class _DocumentMatch:
    """The substances whose search document holds one of `keys` (each of three characters or
    more), and, for a page in uid order, the window it reads: (the uid it starts after, or
    None; whether it reads backwards, in descending uid; how many rows)."""

    keys: tuple[str, ...]
    window: tuple[str | None, bool, int] | None = None

    def matched(self) -> tuple[str, list]:
        """SQL for the documents holding a key, and its parameters.

        A phrase costs a read of each of its trigrams' lists: a long key is looked up by its
        first DOCUMENT_PHRASE_CHARS characters, and the documents found are then read for it
        whole (a key cannot run across two keys of a document: none holds the separator).
        """
        phrases = [key[:DOCUMENT_PHRASE_CHARS] for key in self.keys]
        match = " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)
        sql, params = f"{DOCUMENT_TABLE} MATCH %s", [match]
        if phrases != list(self.keys):
            sql += f" AND ({' OR '.join(['instr(keys, %s) > 0'] * len(self.keys))})"
            params += list(self.keys)
        return sql, params


class _InDocument(Lookup):
    """`pk` of a substance whose search document matches (`_DocumentMatch`), SQLite only.

    Its SQL is chosen as the query is compiled:

    - for a page in uid order (a window, see `narrowed_to_page`): the window's first rows in
      the document's own order, which is the uid's, and the documents of substances without a
      rank (few; see migration 0019), then the page's rows among those, sorted: a page of
      "fentanyl" reads 51 documents, not 6,786;
    - else by how common the key is, counted no further than `COMMON_KEY_ROWS`: a rare key's
      ids, read once; a common key's, collected once and met as the page's order is read
      (`_ScanIn`); a key so common (`DOCUMENT_SCAN_SHARE`) that the page's rows are sooner
      tested one by one, on their keys.
    """

    lookup_name = "in_search_document"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.lhs)
        found: _DocumentMatch = self.rhs
        where, params = found.matched()
        if found.window is not None:
            return self._window(column, where, params, found.window)
        with connection.cursor() as cursor:
            # Positions come in ascending order, those without a rank first (by id), then the
            # others in uid order: how far into the ranks the COMMON_KEY_ROWS-th one falls says
            # how thick they are. The ids come as one text, read in Python only for a rare key.
            cursor.execute(
                f"SELECT count(*), max(rowid) >> {_ID_BITS}, group_concat({DOCUMENT_ID}),"
                f" (SELECT max(rank) FROM {_RANK_TABLE}),"
                " (SELECT max(id) FROM substances_substance)"
                f" FROM (SELECT rowid FROM {DOCUMENT_TABLE} WHERE {where} LIMIT %s) AS probe",
                [*params, COMMON_KEY_ROWS],
            )
            count, last_rank, listed, ranks, substances = cursor.fetchone()
        if count < COMMON_KEY_ROWS:
            if not listed:
                raise EmptyResultSet
            ids = sorted(int(pk) for pk in listed.split(","))
            return f"{column} IN ({', '.join(['%s'] * len(ids))})", [*column_params, *ids]
        read = substances * last_rank / ranks if last_rank and ranks else substances
        if count < DOCUMENT_SCAN_SHARE * read:
            sql = f"+{column} IN (SELECT {DOCUMENT_ID} FROM {DOCUMENT_TABLE} WHERE {where})"
            return sql, [*column_params, *params]
        return self._tested_per_row(compiler, found.keys)

    def _window(self, column, where, params, window):
        after, backwards, rows = window
        ranked = f"SELECT {DOCUMENT_ID} FROM {DOCUMENT_TABLE} WHERE {where} AND rowid > {_ID_MASK}"
        ranked_params = list(params)
        if after is not None:
            # The position of the nearest ranked uid at or beyond `after`: the window starts
            # past it (a substance without a rank is read apart, below).
            nearest = (
                f"SELECT {{position}} FROM substances_substance s JOIN {_RANK_TABLE} r"
                " ON r.substance_id = s.id WHERE s.uid {side} %s ORDER BY s.uid {order} LIMIT 1"
            )
            if backwards:
                bound = nearest.format(position=f"r.rank << {_ID_BITS}", side=">=", order="ASC")
                ranked += f" AND rowid < coalesce(({bound}), {_LAST_POSITION})"
            else:
                position = f"(r.rank << {_ID_BITS}) | {_ID_MASK}"
                bound = nearest.format(position=position, side="<=", order="DESC")
                ranked += f" AND rowid > coalesce(({bound}), {_ID_MASK})"
            ranked_params.append(after)
        ranked += f" ORDER BY rowid {'DESC' if backwards else 'ASC'} LIMIT %s"
        ranked_params.append(rows)
        unranked = f"SELECT rowid FROM {DOCUMENT_TABLE} WHERE {where} AND rowid <= {_ID_MASK}"
        sql = f"{column} IN (SELECT * FROM ({ranked}) UNION ALL {unranked})"
        return sql, [*ranked_params, *params]

    @staticmethod
    def _tested_per_row(compiler, keys):
        """Each row read tested on its keys (`_Names.scanned`), in the query being compiled."""
        condition = reduce(operator.or_, (_Names.scanned(key) for key in keys))
        return compiler.compile(compiler.query.build_where(condition))


def narrowed_to_page(queryset, ordering: list[str], after: list | None, reverse: bool, rows: int):
    """`queryset`, told that a page will read `rows` of its rows in `ordering` after the cursor
    `after` (backwards if `reverse`): where its only condition is a search in the document and
    it is read in uid order, the search reads that page's window alone (`_InDocument`); else
    `queryset` as it is. The page is the same either way; the paginator still applies the
    cursor and the limit."""
    if ordering not in (["uid"], ["-uid"]):
        return queryset
    if after is not None and not isinstance(after[0], str):
        return queryset
    where = queryset.query.where
    if where.negated or len(where.children) != 1 or not isinstance(where.children[0], _InDocument):
        return queryset
    only = where.children[0]
    if only.rhs.window is not None:
        return queryset
    backwards = (ordering == ["-uid"]) != reverse
    window = (after[0] if after is not None else None, backwards, rows)
    narrowed = queryset.all()
    narrowed.query.where.children = [
        _InDocument(only.lhs, dataclasses.replace(only.rhs, window=window))
    ]
    return narrowed


def order_document(using: str | None = None) -> int:
    """Rank again, in uid order, the substances whose document sorts apart, without a rank
    (after a load: see migration 0019), with every other; how many there were. SQLite with the
    search document only (0 elsewhere)."""
    connection = _connection(using)
    if not _has_search_document(connection):
        return 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        unranked = _positions.unranked(cursor)
        if unranked:
            _positions.rebuild(cursor)
    return unranked


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

    def found(self, tiers, lookups) -> tuple[str, list]:
        """SQL for the names found by any of `lookups`, each with the best of `tiers` it meets:
        rows of (k, t, sid, f, src, rid, tier), or ("", []) when nothing is looked up.

        `tiers` is a list of (tier, [(how, key)]), `lookups` a list of (how, key); `how` is
        "exact", "prefix" or "contains". A row meeting no tier is a close spelling (tier 8).
        A name found by two look-ups comes twice (the same row): removing the repeats (UNION)
        cost a short common key most of its time, and the ranking keeps one row per substance.
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
            return "", []
        tier = f"CASE {' '.join(case)} ELSE {int(Tier.CLOSE)} END" if case else "8"
        sql = (
            f"SELECT e.k, e.t, e.sid, e.f, e.src, e.rid, {tier} AS tier"
            f" FROM ({' UNION ALL '.join(branches)}) AS e"
        )
        return sql, case_params + branch_params

    def rows(self, tiers, lookups) -> Iterator[tuple]:
        """The names `found` finds, read a batch at a time."""
        sql, params = self.found(tiers, lookups)
        if not sql:
            return
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(ROWS_PER_BATCH):
                yield from batch

    def in_code_point_order(self, column: str) -> str:
        """`column` compared code point by code point, as Python compares text (SQLite's
        BINARY collation is that already)."""
        return f'{column} COLLATE "C"' if self.postgresql else column

    def ranking(self, found, identified, close, within, order) -> tuple[str, list]:
        """SQL for the hits, one per substance (its best), ranked: rows of (sid, tier, matched,
        field, score, kept, hits, hits kept), kept first, then in `order` ("rank", "name_en" or
        "name_zh"; by name, equal names in rank order).

        `found` is `self.found(...)`, `identified` the identifier hits in their order,
        `close` the close spellings' scores, `within` SQL for the substance ids kept (and its
        parameters) or None. A hit's row is the first of its substance's in rank order: tier,
        score, shorter text, then key, source and row (the order a reader of the names would
        meet them in; an identifier comes before its substance's names, in its own order).
        Hits rank by tier, score, shorter text, English name A-Z and substance.
        """
        parts, params = [], []
        if found[0]:
            parts.append(found[0])
            params += found[1]
        for place, hit in enumerate(identified):
            parts.append(
                "SELECT CAST('' AS TEXT) AS k, CAST(%s AS TEXT) AS t, %s AS sid,"
                " CAST(%s AS TEXT) AS f, -1 AS src, %s AS rid, %s AS tier"
            )
            params += [hit.matched, hit.substance_id, hit.field, place, int(hit.tier)]
        one = "CAST(1 AS DOUBLE PRECISION)"
        if close:
            scores = " ".join(["WHEN %s THEN CAST(%s AS DOUBLE PRECISION)"] * len(close))
            score = f"CASE WHEN e.tier = {int(Tier.CLOSE)} THEN CASE e.k {scores} ELSE {one} END"
            score += f" ELSE {one} END"
            params += [value for pair in close.items() for value in pair]
        else:
            score = one
        kept, kept_params = "1", []
        if within is not None:
            kept, kept_params = f"CASE WHEN c.sid IN ({within[0]}) THEN 1 ELSE 0 END", within[1]
        ordering = (
            f"d.tier, d.score DESC, length(d.t), {self.in_code_point_order('s.sort_name_en')}"
        )
        if order != "rank":
            ordering = f"{self.in_code_point_order(f's.sort_{order}')}, {ordering}"
        sql = (
            f"WITH e AS ({' UNION ALL '.join(parts)}),"
            f" b AS (SELECT e.*, {score} AS score FROM e),"
            " c AS (SELECT b.sid, b.t, b.f, b.tier, b.score, ROW_NUMBER() OVER ("
            "PARTITION BY b.sid ORDER BY b.tier, b.score DESC, length(b.t),"
            f" {self.in_code_point_order('b.k')}, b.src, b.rid) AS r FROM b),"
            f" d AS (SELECT c.sid, c.tier, c.t, c.f, c.score, {kept} AS kept FROM c WHERE c.r = 1)"
            " SELECT d.sid, d.tier, d.t, d.f, d.score, d.kept,"
            " count(*) OVER (), sum(d.kept) OVER ()"
            " FROM d JOIN substances_substance s ON s.id = d.sid"
            f" ORDER BY d.kept DESC, {ordering}, d.sid"
        )
        return sql, [*params, *kept_params]

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


def _ranked(names: _Names, ranking: tuple[str, list], offset: int, limit: int | None):
    """The window [offset, offset + limit) of the hits kept, as ranked by `ranking`
    (`_Names.ranking`), with how many hits there are and how many are kept."""
    sql, params = ranking
    if limit is not None:
        sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset]
    elif offset:
        sql = f"{sql} LIMIT {'ALL' if names.postgresql else '-1'} OFFSET %s"
        params = [*params, offset]
    rows: list[tuple] = []
    with names.connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(ROWS_PER_BATCH):
            rows += batch
    # The hits kept come first: a window running past them ends with hits not kept.
    hits = RankedHits(
        Hit(sid, Tier(tier), text, field_name, score)
        for sid, tier, text, field_name, score, is_kept, _total, _kept in rows
        if is_kept
    )
    if rows:
        total, kept = rows[0][-2:]
    else:  # an empty window: counted apart
        with names.connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), sum(q.kept) FROM ({ranking[0]}) AS q", ranking[1])
            total, kept = cursor.fetchone()
    return hits, total, kept or 0


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


def search(
    text: str,
    *,
    using: str | None = None,
    suggest: bool = True,
    within=None,
    order: str = "rank",
    offset: int = 0,
    limit: int | None = None,
) -> SearchOutcome:
    """Find substances for what someone typed; see the module docstring for the ranking.

    The database ranks the hits; `offset` and `limit` say which of them to read (all by
    default). `within` (a queryset of substance ids) keeps only the substances it holds, and
    `order` ranks the hits ("rank") or sorts them by name ("name_en", "name_zh": equal names
    in rank order). With `suggest`, a query that finds nothing is given close spellings to
    offer (a second, looser look at the names; a caller that shows no suggestions saves it).
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    text = (text or "").strip()
    key = search_key(text)
    outcome = SearchOutcome(query=text, key=key)
    if not text:
        return outcome
    identified = _identifier_hits(text, outcome)
    names = _Names(_connection(using))
    found, close = ("", []), {}
    if key:
        if len(key) >= MIN_CLOSE_CHARS:
            close = dict(close_spellings(key, cutoff=CLOSE_CUTOFF, using=using))
        found = names.found(*_name_lookups(key, close))
    if found[0] or identified:
        kept_sql = None
        if within is not None:
            kept_sql = within.query.get_compiler(connection=names.connection).as_sql()
        ranking = names.ranking(found, identified, close, kept_sql, order)
        outcome.hits, outcome.total, outcome.kept = _ranked(names, ranking, offset, limit)
    if suggest and not outcome.total and len(key) >= MIN_CLOSE_CHARS:
        outcome.suggestions = _suggestions(key, using)
    return outcome


def matching(text: str, *, close: bool = False, using: str | None = None) -> Q:
    """What `text` finds, as a condition on substances: the substances `search` finds by
    identifier and by name, unranked, for a filter to combine with others and to page through.

    Close spellings are guesses, for a reader who sees them ranked below what was typed: a
    filter leaves them out unless asked (`close`). Nothing is read for the condition beyond
    the identifiers' few rows and, as the query is compiled, a bounded count of a key's hits
    (on PostgreSQL, a rare key's ids, read here); the rest is SQL the database runs as it
    reads the page.
    """
    text = (text or "").strip()
    outcome = SearchOutcome(query=text, key=search_key(text))
    if not text:
        return Q(pk__in=[])
    identified = {hit.substance_id for hit in _identifier_hits(text, outcome)}
    # What finds a substance, any of: its identifiers, then its names' look-ups. A search made
    # of the document's condition alone reads a page in uid order as a window of it
    # (`narrowed_to_page`).
    parts = [Q(pk__in=sorted(identified))] if identified else []
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
            parts.append(Q(_InDocument(F("pk"), _DocumentMatch(tuple(inside)))))
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
            parts = [Q(pk__in=sorted(identified))]
            for how, looked_up in common:
                if how == "contains":
                    parts.append(names.scanned(looked_up))
                else:
                    parts.append(names.condition(how, looked_up))
            lookups = []
        for how, looked_up in lookups:
            parts.append(names.condition(how, looked_up))
    return reduce(operator.or_, parts) if parts else Q(pk__in=[])
