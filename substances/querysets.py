"""Read questions about substances, asked as querysets."""

import datetime

from django.apps import apps
from django.db import connections, models
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from substances.normalize import normalize_cas, search_key


def _in_force_q(on: datetime.date, prefix: str = "") -> Q:
    """Half-open [effective_from, effective_to): in force on the first day, not on the last."""
    return Q(**{f"{prefix}effective_from__lte": on}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gt": on})
    )


# The trigram index made by migration substances/0003: an FTS5 table on SQLite, GIN indexes on
# PostgreSQL. Trigrams need a key of at least three characters.
TRIGRAM_TABLE = "substances_search_trigram"
TRIGRAM_INDEXES = (
    "substances_substance_key_en_trgm",
    "substances_substance_key_zh_trgm",
    "substances_name_key_trgm",
)
TRIGRAM_MIN_KEY = 3
COMMON_KEY_ROWS = 1000
"""A key held by this many names or more is common: a scan in the page's order finds a page
of them after a few thousand rows, sooner than the index can list them all (80,000 names for
"methyl" at 100,000 substances: 140 ms on SQLite; 1.7 s on PostgreSQL at a million)."""

# Whether the trigram index exists, per (alias, database NAME): looked up once per database, and
# again for a database made later under the same alias (a test database). Migration 0003 applied
# or reversed under a running process is seen after its restart.
_trigram_index_cache: dict[tuple[str, str], bool] = {}


def _has_trigram_index(alias: str) -> bool:
    connection = connections[alias]
    cache_key = (alias, str(connection.settings_dict["NAME"]))
    if cache_key not in _trigram_index_cache:
        if connection.vendor == "sqlite":
            found = TRIGRAM_TABLE in connection.introspection.table_names()
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_indexes"
                    " WHERE schemaname = ANY(current_schemas(false)) AND indexname = ANY(%s)",
                    [list(TRIGRAM_INDEXES)],
                )
                found = cursor.fetchone()[0] == len(TRIGRAM_INDEXES)
        else:
            found = False
        _trigram_index_cache[cache_key] = found
    return _trigram_index_cache[cache_key]


def _glob_literal(text: str) -> str:
    """`text` matched literally by GLOB: each metacharacter in a bracket class of its own."""
    return "".join(f"[{ch}]" if ch in "*?[]" else ch for ch in text)


def _trigram_match(alias: str, key: str) -> Q | None:
    """The substances with a key containing `key`, found through the trigram index if any."""
    if len(key) < TRIGRAM_MIN_KEY or not _has_trigram_index(alias):
        return None
    connection = connections[alias]
    if connection.vendor == "sqlite":
        sql = f"SELECT substance_id FROM {TRIGRAM_TABLE} WHERE key GLOB %s"
        params = [f"*{_glob_literal(key)}*"]
    else:
        # PostgreSQL: one LIKE per key column, so that each uses its own GIN index.
        pattern = f"%{connection.ops.prep_for_like_query(key)}%"
        sql = (
            "SELECT id FROM substances_substance WHERE search_key_en LIKE %s"
            " UNION ALL SELECT id FROM substances_substance WHERE search_key_zh LIKE %s"
            " UNION ALL SELECT substance_id FROM substances_name WHERE search_key LIKE %s"
        )
        params = [pattern] * 3
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({sql} LIMIT %s) AS probe", [*params, COMMON_KEY_ROWS]
        )
        if cursor.fetchone()[0] >= COMMON_KEY_ROWS:
            return None
    return Q(pk__in=RawSQL(sql, params))


class SubstanceQuerySet(models.QuerySet):
    def _listings_in_force(self, *, on: datetime.date, jurisdiction: str | None, field: str):
        # The listing model belongs to the registry app; it is named, not imported, so that
        # this app keeps no import of the registry (dependencies point one way).
        listing_model = apps.get_model("registry", "Listing")
        listings = listing_model.objects.filter(_in_force_q(on), **{field: OuterRef("pk")})
        if jurisdiction:
            listings = listings.filter(schedule__jurisdiction__code__iexact=jurisdiction)
        return listings

    def controlled(self, *, on: datetime.date, jurisdiction: str | None = None):
        """Substances with at least one named listing in force on `on` (by name, not by class)."""
        return self.filter(
            Exists(self._listings_in_force(on=on, jurisdiction=jurisdiction, field="substance"))
        )

    def search(self, text: str):
        """Substances whose preferred name, any other name or CAS number matches `text`.

        Matching is on the normalized search key (see substances.normalize): an exact key, a
        key that starts with it, or one that contains it.
        """
        key = search_key(text)
        cas = normalize_cas(text)
        condition = Q(pk__in=[])
        if key:
            # The trigram index answers a rare key without reading every key; short keys, or a
            # database without the index, take the LIKE scan, which stops early when a page of
            # substances match.
            condition = _trigram_match(self.db, key)
            if condition is None:
                name_model = apps.get_model("substances", "Name")
                names = name_model.objects.filter(
                    search_key__contains=key, substance=OuterRef("pk")
                )
                condition = (
                    Q(search_key_en__contains=key) | Q(search_key_zh__contains=key) | Exists(names)
                )
        if cas:
            condition |= Q(cas=cas)
        return self.filter(condition)


class NameQuerySet(models.QuerySet):
    def matching(self, text: str):
        """Names whose normalized key contains the normalized `text`."""
        key = search_key(text)
        return self.filter(search_key__contains=key) if key else self.none()
