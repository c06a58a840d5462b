"""A ranking reads as the list of its hits."""

from substances.search import Hit, RankedHits, Tier

HITS = [
    Hit(7, Tier.EXACT, "fentanyl", "name_en"),
    Hit(3, Tier.PREFIX, "fentanyl citrate", "name", 1.0),
    Hit(9, Tier.CLOSE, "fentanil", "name", 0.9),
]


def test_a_ranking_reads_as_the_list_of_its_hits():
    ranked = RankedHits(HITS)
    assert len(ranked) == 3 and list(ranked) == HITS and ranked == HITS
    assert ranked.substance_ids == [7, 3, 9]
    assert ranked.for_substances([9, 7, 100]) == {7: HITS[0], 9: HITS[2]}
    assert RankedHits() == [] and not RankedHits()
