"""The search document kept in uid order (migration substances/0019), and the pages read from it.

Each substance's document is under its position (rank << 31 | id), the ranks rising with the
uid, so that a page of a search in uid order reads its window of the index alone
(`substances.search.narrowed_to_page`). A new substance takes a rank between its neighbours'
where there is room, and none where there is not, until the ranks are made again. These tests
write substances in orders that use the room up, and check that the positions stay in uid
order and that every page read through a window is the page read without one.
"""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from substances import search
from substances.models import Substance
from tests.factories import TEST_ACTOR, NameFactory, SubstanceFactory
from tests.substances.test_search_index import assert_positions_in_uid_order

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the search document is SQLite's"),
]


def unranked() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {search.DOCUMENT_TABLE} WHERE rowid <= {2**31 - 1}")
        return cursor.fetchone()[0]


def make(uids, name="fentanyl"):
    for uid in uids:
        SubstanceFactory(uid=uid, name_en=f"{name} {uid}")


ORDERS = {
    "ascending": lambda uids: sorted(uids),
    "descending": lambda uids: sorted(uids, reverse=True),
    "random": lambda uids: random.Random(7).sample(uids, len(uids)),
    # As the synthetic data numbers its uids: 1, 2, ..., 10, 11, ... each after the one before
    # it in time, each between it and the next in uid order.
    "numbered": lambda uids: sorted(uids, key=lambda uid: int(uid.split("-")[1])),
}


@pytest.mark.parametrize("order", ORDERS)
def test_positions_follow_the_uid_whatever_order_substances_come_in(order):
    uids = [f"s-{n}" for n in range(1, 121)]
    make(ORDERS[order](uids))
    assert_positions_in_uid_order()


def test_a_substance_without_room_between_its_neighbours_is_ranked_later():
    make(["a", "b"])
    # Each one between the one before it and "b": the room between them halves every time.
    make([f"a{n:02d}" for n in range(40)])
    assert unranked() > 0
    assert_positions_in_uid_order()
    found = sorted(Substance.objects.search("fentanyl").values_list("uid", flat=True))
    assert len(found) == 42
    before = unranked()
    assert search.order_document() == before
    assert unranked() == 0
    assert_positions_in_uid_order()
    assert search.order_document() == 0  # nothing left to rank: nothing written again


def test_a_changed_uid_a_changed_name_and_a_deletion_keep_the_positions():
    make([f"m-{n}" for n in range(30)])
    moved = Substance.objects.get(uid="m-5")
    # A uid never changes through the services; a change in the database is still kept right.
    Substance.objects.filter(pk=moved.pk).update(uid="z-moved")
    assert_positions_in_uid_order()
    assert "z-moved" in Substance.objects.search("fentanyl").values_list("uid", flat=True)
    name = NameFactory(substance=Substance.objects.get(uid="m-7"), name="Tegileridine")
    assert list(Substance.objects.search("tegileridine").values_list("uid", flat=True)) == ["m-7"]
    services.delete_resource(name, actor=TEST_ACTOR)
    assert not Substance.objects.search("tegileridine").exists()
    services.delete_resource(Substance.objects.get(uid="m-9"), actor=TEST_ACTOR)
    assert_positions_in_uid_order()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM substances_search_rank")
        assert cursor.fetchone()[0] <= Substance.objects.count()


def read_pages(text: str, *, descending: bool, narrowed: bool, size: int = 7) -> list[str]:
    """Every uid `text` finds, a page at a time, as the API's paginator reads them (the cursor
    is the last uid read), through the window or not."""
    queryset = Substance.objects.search(text).order_by("-uid" if descending else "uid")
    ordering = ["-uid" if descending else "uid"]
    read, after = [], None
    while True:
        page = queryset
        if narrowed:
            page = search.narrowed_to_page(queryset, ordering, after, False, size + 1)
            assert page is not queryset
        if after is not None:
            page = page.filter(uid__lt=after[0]) if descending else page.filter(uid__gt=after[0])
        rows = list(page.values_list("uid", flat=True)[: size + 1])
        read += rows[:size]
        if len(rows) <= size:
            return read
        after = [rows[size - 1]]


def read_backwards(text: str, last: str, size: int = 7) -> list[str]:
    """The uids before `last`, a page at a time backwards, as a `previous` link reads them."""
    queryset = Substance.objects.search(text).order_by("uid")
    read, before = [], [last]
    while True:
        page = search.narrowed_to_page(queryset, ["uid"], before, True, size + 1)
        rows = list(page.filter(uid__lt=before[0]).order_by("-uid").values_list("uid", flat=True))
        rows = rows[: size + 1]
        read = rows[:size][::-1] + read
        if len(rows) <= size:
            return read
        before = [rows[size - 1]]


@pytest.mark.parametrize("descending", [False, True])
def test_every_page_through_the_window_is_the_page_without_it(descending):
    rng = random.Random(3)
    uids = [f"w-{n:03d}" for n in range(90)]
    make(rng.sample(uids, len(uids)), name="fentanyl")
    make([f"x-{n:03d}" for n in range(30)], name="ketamine")
    # Some substances without a rank, between ranked ones: read apart, merged by uid.
    make(["w-000a", "w-000b", *[f"w-000c{n:02d}" for n in range(30)]], name="fentanyl")
    assert unranked() > 0
    for text in ("fentanyl", "fentanil", "ketamine", "tanyl", "zzqx"):
        plain = read_pages(text, descending=descending, narrowed=False)
        assert read_pages(text, descending=descending, narrowed=True) == plain, text
    expected = sorted(Substance.objects.search("fentanyl").values_list("uid", flat=True))
    assert read_backwards("fentanyl", "w-089") == expected[: expected.index("w-089")]
    search.order_document()
    assert read_pages("fentanyl", descending=descending, narrowed=True) == read_pages(
        "fentanyl", descending=descending, narrowed=False
    )


def test_only_a_search_alone_in_uid_order_is_narrowed():
    make(["p-1", "p-2"])
    found = Substance.objects.search("fentanyl")
    for ordering in (["name_en", "uid"], ["updated_at", "uid"]):
        assert search.narrowed_to_page(found, ordering, None, False, 51) is found
    with_kind = found.filter(kind=Substance.Kind.COMPOUND)
    assert search.narrowed_to_page(with_kind, ["uid"], None, False, 51) is with_kind
    # An identifier's hits beside the names': read whole.
    SubstanceFactory(uid="p-cas", name_en="Fentanyl", cas="437-38-7")
    by_cas = Substance.objects.search("437-38-7")
    assert list(by_cas.values_list("uid", flat=True)) == ["p-cas"]
    assert search.narrowed_to_page(by_cas, ["uid"], None, False, 51) is by_cas
    plain = Substance.objects.all()
    assert search.narrowed_to_page(plain, ["uid"], None, False, 51) is plain
    # A cursor edited by hand with a number for the uid: left to the paginator's own checks.
    assert search.narrowed_to_page(found, ["uid"], [5], False, 51) is found


def test_the_api_reads_a_search_page_from_its_window(client):
    make([f"api-{n:02d}" for n in range(12)])
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/v1/substances/", {"q": "fentanyl", "page_size": 5}).json()
    sql = " ".join(query["sql"] for query in queries)
    assert "ORDER BY rowid ASC LIMIT 6" in sql
    read = [row["uid"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        read += [row["uid"] for row in page["results"]]
    assert read == [f"api-{n:02d}" for n in range(12)]
    back = client.get(page["previous"]).json()
    assert [row["uid"] for row in back["results"]] == read[5:10]
    # With another filter, the search is read whole, and gives the same rows.
    both = client.get(
        "/api/v1/substances/", {"q": "fentanyl", "kind": "compound", "page_size": 50}
    ).json()
    assert [row["uid"] for row in both["results"]] == read


def test_the_warming_run_ranks_what_a_write_left_unranked():
    """The run after each write (with a Celery broker) and the daily one (registry.warming)."""
    from registry import warming

    make(["a", "b"])
    make([f"a{n:02d}" for n in range(40)])
    before = unranked()
    assert before > 0
    assert warming.warm().ranked == before
    assert unranked() == 0
    assert_positions_in_uid_order()
    assert warming.warm().ranked == 0
