"""The search index keeps the names as written compressed in blocks; every one reads back."""

import random

import pytest

from substances.search import _TextStore


@pytest.mark.parametrize("count", [0, 1, 127, 128, 129, 1000])
def test_every_text_reads_back_in_any_order(count):
    rng = random.Random(count)
    alphabet = "abcXYZ-αβ芬太尼卡西酮 ５Ｆ😀"
    texts = ["".join(rng.choices(alphabet, k=rng.randrange(0, 30))) for _ in range(count)]
    store = _TextStore()
    for text in texts:
        store.append(text)
    store.close()
    assert len(store) == count
    assert list(store) == texts
    order = list(range(count))
    rng.shuffle(order)
    assert [store[i] for i in order] == [texts[i] for i in order]
