"""A ranking is kept as columns: a cached one is read back without a Hit per hit."""

import pickle

import pytest

from substances import search
from substances.search import Hit, RankedHits, Tier

HITS = [
    Hit(7, Tier.EXACT, "fentanyl", "name_en"),
    Hit(3, Tier.PREFIX, "fentanyl citrate", "name", 1.0),
    Hit(9, Tier.CLOSE, "fentanil", "name", 0.9),
]


def test_a_ranking_reads_as_the_list_of_its_hits():
    ranked = RankedHits(HITS)
    assert len(ranked) == 3 and list(ranked) == HITS and ranked == HITS
    assert ranked[0] == HITS[0] and ranked[-1] == HITS[-1] and ranked[1:] == HITS[1:]
    assert ranked.substance_ids == [7, 3, 9]
    assert ranked.for_substances([9, 7, 100]) == {7: HITS[0], 9: HITS[2]}
    assert RankedHits() == [] and not RankedHits()
    assert ranked != HITS[:2]
    with pytest.raises(IndexError):
        ranked[3]
    with pytest.raises(IndexError):
        ranked[-4]


def test_a_cached_ranking_is_read_back_without_making_its_hits(monkeypatch):
    made = []

    class CountedHit(Hit):
        def __init__(self, *args, **kwargs):
            made.append(args)
            super().__init__(*args, **kwargs)

    many = [Hit(pk, Tier.CONTAINS, f"name {pk}", "name") for pk in range(3000)]
    data = pickle.dumps(RankedHits(many))
    monkeypatch.setattr(search, "Hit", CountedHit)
    again = pickle.loads(data)
    assert made == [] and len(again) == 3000
    (hit,) = again.for_substances([1234]).values()
    assert (hit.substance_id, hit.tier, hit.matched) == (1234, Tier.CONTAINS, "name 1234")
    assert len(made) == 1  # the hit asked for, not the 3,000
    assert [type(hit.tier) for hit in again[:3]] == [Tier] * 3


def test_every_column_survives_the_cache_in_its_compact_form():
    hits = [
        Hit(11, Tier.IDENTIFIER, "437-38-7", None),
        Hit(12, Tier.EXACT, "芬太尼", "name_zh"),
        Hit(13, Tier.CONTAINS, "", "name"),
        Hit(2**40, Tier.CLOSE, "fentanil · ß", "en", 0.875),
    ]
    again = pickle.loads(pickle.dumps(RankedHits(hits)))
    assert list(again) == hits and again == RankedHits(hits)
    assert again.substance_ids == [11, 12, 13, 2**40]
    assert again.for_substances([13]) == {13: hits[2]}


def test_a_ranking_cached_by_the_earlier_version_is_still_read():
    # Pickled as five lists (ids, tiers, names matched, fields, scores) before the columns
    # were made compact; a cache may still hold some.
    columns = (
        [7, 3],
        [int(Tier.EXACT), int(Tier.PREFIX)],
        ["a", "ab"],
        ["name_en", "name"],
        [1.0, 1.0],
    )
    ranked = search._hits_from_columns(*columns)
    assert list(ranked) == [
        Hit(7, Tier.EXACT, "a", "name_en"),
        Hit(3, Tier.PREFIX, "ab", "name"),
    ]
