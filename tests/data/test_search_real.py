"""The ranked search on the real registry gives exactly what a plain, slow search would.

The search finds names in the database through its indexes, ranks them by a CASE and takes the
candidates of close spellings from the trigram index (substances/search.py); these tests hold it
to a straightforward reference written from the ranking's definition: every name read, every key
compared one by one, every close spelling measured with difflib, every hit sorted.
"""

import difflib
from collections import defaultdict
from typing import NamedTuple

import pytest
from django.core.management import call_command
from django.db import connection

from substances import search
from substances.models import Name, Substance
from substances.normalize import search_key, sort_name
from substances.search import CLOSE_CUTOFF, MAX_CLOSE, SUGGESTION_CUTOFF, Hit, Tier

pytestmark = pytest.mark.django_db

QUERIES = [
    "fentanyl",
    "ketamine hydrochloride",
    "盐酸氯胺酮",
    "amphetamine sulfate",
    "冰毒",
    "Fentanil",
    "carfentanyl",
    "芬太尼",
    "卡西酮",
    "甲基",
    "5F-ADB",
    "alpha-PVP",
    "ketamine",
    "ketamin",
    "methamphetamine",
    "metamfetamine",
    "pentedrone",
    "4-fluoro",
    "nitazene",
    "cathinone",
    "ephedrine",
    "acid",
    "fl",
    "mdm",
    "butyrfentanyl",
    "phentanyl",
    "zzqx",
    "x",
]


@pytest.fixture(scope="module")
def registry_with_synthetic(real_registry, django_db_blocker):
    """The real data and 1,500 synthetic substances (names built from real fragments)."""
    with django_db_blocker.unblock():
        call_command(
            "generate_synthetic",
            substances=1500,
            i_know_this_is_not_production=True,
            verbosity=0,
        )
    return Reference()


class Entry(NamedTuple):
    key: str
    text: str
    substance_id: int
    field: str


class Reference:
    """Every searchable name, read one by one: `keys` in order, `by_key`, and `names` (each
    substance's English and Chinese names)."""

    def __init__(self) -> None:
        rows = []
        for pk, name_en, key_en, name_zh, key_zh in Substance.objects.values_list(
            "pk", "name_en", "search_key_en", "name_zh", "search_key_zh"
        ):
            if key_en:
                rows.append((key_en, 0, pk, pk, Entry(key_en, name_en, pk, "name_en")))
            if name_zh and key_zh:
                rows.append((key_zh, 1, pk, pk, Entry(key_zh, name_zh, pk, "name_zh")))
        for pk, name, key, owner, language in Name.objects.values_list(
            "pk", "name", "search_key", "substance_id", "language"
        ):
            if key:
                rows.append((key, 2, owner, pk, Entry(key, name, owner, language)))
        self.by_key = defaultdict(list)
        for row in sorted(rows, key=lambda row: row[:4]):
            self.by_key[row[0]].append(row[4])
        self.keys = sorted(self.by_key)
        self.names = dict(
            (pk, (name_en, name_zh))
            for pk, name_en, name_zh in Substance.objects.values_list("pk", "name_en", "name_zh")
        )


def close_by_brute_force(index, key: str, cutoff: float) -> list[tuple[str, float]]:
    scored = []
    for candidate in index.keys:
        ratio = difflib.SequenceMatcher(None, candidate, key, autojunk=False).ratio()
        if candidate != key and ratio >= cutoff:
            scored.append((candidate, ratio))
    scored.sort(key=lambda pair: (-pair[1], len(pair[0]), pair[0]))
    return scored[:MAX_CLOSE]


def reference_hits(index, key: str) -> list[Hit]:
    hits = []
    for candidate in index.keys:
        if candidate == key:
            tier = Tier.EXACT
        elif candidate.startswith(key):
            tier = Tier.PREFIX
        elif len(key) >= search.MIN_CONTAINS_CHARS and key in candidate:
            tier = Tier.CONTAINS
        else:
            continue
        hits += [Hit(e.substance_id, tier, e.text, e.field) for e in index.by_key[candidate]]
    # Salts to their parents, English stems to their INN spellings (search.related_keys).
    for tier, other, how in search.related_keys(key):
        for candidate in index.keys:
            matched = {
                "exact": candidate == other,
                "prefix": candidate.startswith(other),
                "contains": other in candidate,
            }[how]
            if matched:
                hits += [
                    Hit(e.substance_id, tier, e.text, e.field) for e in index.by_key[candidate]
                ]
    if len(key) >= search.MIN_CLOSE_CHARS:
        for candidate, ratio in close_by_brute_force(index, key, CLOSE_CUTOFF):
            hits += [
                Hit(e.substance_id, Tier.CLOSE, e.text, e.field, ratio)
                for e in index.by_key[candidate]
            ]

    def rank(hit):
        name_en = index.names.get(hit.substance_id, ("", ""))[0]
        return (hit.tier, -hit.score, len(hit.matched), sort_name(name_en), hit.substance_id)

    best = {}
    for hit in sorted(hits, key=rank):
        best.setdefault(hit.substance_id, hit)
    return sorted(best.values(), key=rank)


@pytest.mark.parametrize("query", QUERIES)
def test_ranked_hits_are_those_of_the_reference(registry_with_synthetic, query):
    index = registry_with_synthetic
    key = search_key(query)
    expected = reference_hits(index, key)
    outcome = search.search(query)
    assert list(outcome.hits) == expected
    assert outcome.hits.substance_ids == [hit.substance_id for hit in expected]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("cutoff", [CLOSE_CUTOFF, SUGGESTION_CUTOFF])
def test_screened_close_spellings_are_those_of_brute_force(registry_with_synthetic, query, cutoff):
    index = registry_with_synthetic
    key = search_key(query)
    assert search.close_spellings(key, cutoff=cutoff) == close_by_brute_force(index, key, cutoff)


def test_a_page_of_hits_is_read_without_ranking_objects(registry_with_synthetic):
    outcome = search.search("fentanyl")
    hits = outcome.hits
    assert len(hits) > 15
    assert hits[:3] == [hits[0], hits[1], hits[2]]
    assert hits[-1] == list(hits)[-1]
    wanted = hits.substance_ids[10:13]
    assert hits.for_substances(wanted) == {hit.substance_id: hit for hit in hits[10:13]}
    with pytest.raises(IndexError):
        hits[len(hits)]
    assert search.search("zzqx").hits == []


def test_sorting_by_name_follows_the_names(registry_with_synthetic):
    index = registry_with_synthetic
    ranked = search.search("fentanyl").hits.substance_ids
    place = {pk: i for i, pk in enumerate(ranked)}
    for order, chinese in (("name_en", False), ("name_zh", True)):
        by_name = search.search("fentanyl", order=order).hits.substance_ids

        def name(pk, chinese=chinese):
            english, chinese_name = index.names[pk]
            return sort_name((chinese_name or english) if chinese else english)

        # Equal names in rank order.
        assert by_name == sorted(ranked, key=lambda pk: (name(pk), place[pk]))


def test_a_window_of_hits_is_that_part_of_the_ranking(registry_with_synthetic):
    whole = search.search("methyl")
    assert whole.total == whole.kept == len(whole.hits) > 100
    for offset, limit in ((0, 50), (50, 50), (len(whole.hits) - 7, 50), (len(whole.hits), 50)):
        window = search.search("methyl", offset=offset, limit=limit)
        assert list(window.hits) == list(whole.hits)[offset : offset + limit]
        assert (window.total, window.kept) == (whole.total, whole.kept)


@pytest.mark.parametrize("query", QUERIES)
def test_the_filter_finds_the_ranked_hits_without_ranking_them(registry_with_synthetic, query):
    """`Substance.objects.search` (the API's `?q=`, the admin) finds what the ranked search
    finds: without close spellings by default, every hit with `close=True`."""
    index = registry_with_synthetic
    expected = reference_hits(index, search_key(query))
    written = {hit.substance_id for hit in expected if hit.tier != Tier.CLOSE}
    assert set(Substance.objects.search(query).values_list("pk", flat=True)) == written
    everything = {hit.substance_id for hit in expected}
    assert set(Substance.objects.search(query, close=True).values_list("pk", flat=True)) == (
        everything
    )


def test_the_filter_reads_a_common_key_row_by_row(registry_with_synthetic, monkeypatch):
    """A key held by many names is tested on each row as the page is read, not listed whole
    through the trigram index; the rows found are the same either way."""
    listed = set(Substance.objects.search("fentanyl").values_list("pk", flat=True))
    read = []
    scanned = search._Names.scanned
    monkeypatch.setattr(search, "COMMON_KEY_ROWS", 5)
    # The search document (SQLite), which answers first, finds it very common too.
    monkeypatch.setattr(search, "DOCUMENT_SCAN_SHARE", 0)

    def spy(key):
        read.append(key)
        return scanned(key)

    monkeypatch.setattr(search._Names, "scanned", staticmethod(spy))
    assert set(Substance.objects.search("fentanyl").values_list("pk", flat=True)) == listed
    assert "fentanyl" in read


@pytest.mark.parametrize("query", QUERIES)
def test_a_look_ups_ids_listed_at_once_are_those_it_finds(
    registry_with_synthetic, monkeypatch, query
):
    """Each look-up of a key as a list of ids (what PostgreSQL is given for a rare one) holds
    the substances the look-up finds as a condition; a key of fewer than three characters,
    looked for inside names, has no index to list it and is left to the page's reading."""
    monkeypatch.setattr(search, "COMMON_KEY_ROWS", 10**9)
    names = search._Names(connection)
    for how, key in search._name_lookups(search_key(query), {})[1]:
        listed = names.few_ids(how, key)
        if how == "contains" and len(key) < 3:
            assert listed is None
            continue
        found = Substance.objects.filter(names.condition(how, key))
        assert listed == sorted(found.values_list("pk", flat=True)), (how, key)


def test_a_common_look_up_is_not_listed(registry_with_synthetic, monkeypatch):
    """Counted no further than `COMMON_KEY_ROWS`: a look-up that many names answer is not
    listed (the page's reading finds its hits sooner), and a rarer one still is."""
    names = search._Names(connection)
    assert names.few_ids("contains", "fentanyl") is not None
    monkeypatch.setattr(search, "COMMON_KEY_ROWS", 20)
    assert names.few_ids("contains", "fentanyl") is None
    assert names.few_ids("contains", "carfentanil") is not None
    assert names.few_ids("exact", ["fentanyl"]) is not None


@pytest.mark.parametrize("key", ["fentanyl", "carfentanyl", "fentanil", "芬太尼", "zzqx"])
def test_the_filter_finds_the_same_however_its_look_ups_are_counted(
    registry_with_synthetic, monkeypatch, key
):
    """Every look-up listed, none, or the common ones read row by row: the same substances,
    and the same first page."""

    def found():
        queryset = Substance.objects.search(key).order_by("uid")
        return set(queryset.values_list("pk", flat=True)), list(queryset[:51])

    monkeypatch.setattr(search, "COMMON_KEY_ROWS", 10**9)
    expected = found()
    for common in (1, 40):
        monkeypatch.setattr(search, "COMMON_KEY_ROWS", common)
        assert found() == expected, common


@pytest.mark.parametrize("key", ["fentanyl", "芬太尼", "卡西酮", "methyl", "tryptamine", "zzqx"])
def test_the_filter_finds_the_same_through_the_search_document(
    registry_with_synthetic, monkeypatch, key
):
    """However the search document (SQLite) is read (a rare key's ids looked up, a common
    key's met in the page's order, a very common key's rows tested one by one), the filter
    finds what it finds without the document, and the same first page."""

    def found():
        queryset = Substance.objects.search(key).order_by("uid")
        return set(queryset.values_list("pk", flat=True)), list(queryset[:51])

    with monkeypatch.context() as patch:
        patch.setattr(search, "_has_search_document", lambda connection: False)
        expected = found()
    for common, share in ((10**9, 0.25), (5, float("inf")), (5, 0)):
        monkeypatch.setattr(search, "COMMON_KEY_ROWS", common)
        monkeypatch.setattr(search, "DOCUMENT_SCAN_SHARE", share)
        assert found() == expected, (common, share)


def test_the_row_by_row_test_of_names_is_not_hashed_on_postgresql(registry_with_synthetic):
    """PostgreSQL would read every name a common key's EXISTS holds into a hashed set before
    the page's first row; the OFFSET keeps it a test of each row read (on SQLite it is one)."""
    sql = str(Substance.objects.filter(search._Names.scanned("fentanyl")).query)
    if connection.vendor == "postgresql":
        assert "LIMIT 1 OFFSET 0)" in sql
    else:
        assert "OFFSET" not in sql and "EXISTS" in sql
