"""The search through the trigram index: the scan's answers, kept exact.

Migration substances/0003 makes the index (an FTS5 trigram table on SQLite, pg_trgm GIN indexes
on PostgreSQL); the search (substances/search.py) uses it for keys of three characters or more,
and for the candidates of close spellings. Each test compares the indexed answer with the
scan's, forced by making the index look absent.
"""

import sqlite3

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from substances import search
from substances.models import Name, Substance
from tests.factories import TEST_ACTOR, NameFactory, SubstanceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _index_in_use():
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 34):
        pytest.skip("FTS5's trigram tokenizer needs SQLite 3.34 or later")
    assert search._has_trigram_index(connection)


def uids(queryset) -> list[str]:
    return list(queryset.order_by("uid").values_list("uid", flat=True))


def search_both_ways(monkeypatch, text: str) -> tuple[list[str], list[str]]:
    """The uids found for `text` through the index, and through the LIKE scan (close
    spellings included: their candidates come from the index too)."""
    indexed = uids(Substance.objects.search(text, close=True))
    with monkeypatch.context() as patch:
        patch.setattr(search, "_has_trigram_index", lambda connection: False)
        patch.setattr(search, "_has_search_document", lambda connection: False)
        scanned = uids(Substance.objects.search(text, close=True))
    return indexed, scanned


def assert_found(monkeypatch, text: str, expected: list[str]) -> None:
    indexed, scanned = search_both_ways(monkeypatch, text)
    assert indexed == scanned == sorted(expected), text


def assert_sqlite_index_exact() -> None:
    """On SQLite, the FTS5 table holds exactly one row per non-empty key, under its rowid."""
    if connection.vendor != "sqlite":
        return
    expected = set()
    for pk, key_en, key_zh in Substance.objects.values_list("pk", "search_key_en", "search_key_zh"):
        expected |= {(-2 * pk, key_en, pk)} if key_en else set()
        expected |= {(-2 * pk - 1, key_zh, pk)} if key_zh else set()
    for pk, key, substance_id in Name.objects.values_list("pk", "search_key", "substance_id"):
        expected |= {(pk, key, substance_id)} if key else set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, key, substance_id FROM {search.TRIGRAM_TABLE}")
        assert set(cursor.fetchall()) == expected
    # The search document (migration 0013): one row per substance, holding all its keys...
    documents = {pk: set() for pk in Substance.objects.values_list("pk", flat=True)}
    for _rowid, key, substance_id in expected:
        documents[substance_id].add(key)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, keys FROM {search.DOCUMENT_TABLE}")
        rows = cursor.fetchall()
    mask = 2**31 - 1
    held = {rowid & mask: set(keys.split("\x1f")) - {""} for rowid, keys in rows}
    assert held == documents
    assert_positions_in_uid_order(dict(rows))


def assert_positions_in_uid_order(positions=None) -> None:
    """...each under its substance's position (migration 0019): rank << 31 | id, the ranks
    rising with the uid; a substance without a rank at its id, below every ranked one."""
    if positions is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid, 0 FROM {search.DOCUMENT_TABLE}")
            positions = dict(cursor.fetchall())
    mask = 2**31 - 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT substance_id, rank FROM substances_search_rank")
        ranks = dict(cursor.fetchall())
    by_id = {position & mask: position for position in positions}
    ranked = []
    for pk, uid in Substance.objects.order_by("uid").values_list("pk", "uid"):
        assert by_id[pk] == (ranks.get(pk, 0) << 31 | pk), uid
        if pk in ranks:
            ranked.append(ranks[pk])
    assert ranked == sorted(ranked) and len(set(ranked)) == len(ranked)
    assert set(ranks) <= set(by_id)


@pytest.fixture
def substances():
    fentanyl = SubstanceFactory(
        uid="fentanyl", name_en="Fentanyl", name_zh="芬太尼", cas="437-38-7"
    )
    NameFactory(substance=fentanyl, name="N-(1-phenethyl-4-piperidyl)propionanilide")
    SubstanceFactory(uid="carfentanil", name_en="Carfentanil", name_zh="卡芬太尼")
    adb = SubstanceFactory(uid="5f-adb", name_en="5F-ADB")
    NameFactory(substance=adb, name="5F-MDMB-PINACA")
    SubstanceFactory(uid="cathinone", name_en="Cathinone", name_zh="卡西酮")
    SubstanceFactory(uid="methcathinone", name_en="Methcathinone", name_zh="甲卡西酮")
    # Keys holding GLOB and LIKE metacharacters, each beside a decoy that an unescaped pattern
    # would also match.
    SubstanceFactory(uid="star", name_en="Compound*7?")
    SubstanceFactory(uid="star-decoy", name_en="Compound 17x")
    percent = SubstanceFactory(uid="percent", name_en="Percent test")
    NameFactory(substance=percent, name="Test% mix")
    SubstanceFactory(uid="percent-decoy", name_en="Test x mix")
    return Substance.objects.all()


CASES = [
    ("Fentanyl", ["carfentanil", "fentanyl"]),  # and its INN spelling
    ("fentanyl", ["carfentanil", "fentanyl"]),
    ("carfentanil", ["carfentanil"]),
    ("FENTAN", ["carfentanil", "fentanyl"]),
    ("芬太尼", ["carfentanil", "fentanyl"]),
    ("卡芬太尼", ["carfentanil", "fentanyl"]),  # a close spelling
    ("卡西酮", ["cathinone", "methcathinone"]),
    ("甲卡西酮", ["cathinone", "methcathinone"]),
    ("phenethyl-4-piperidyl", ["fentanyl"]),
    ("5F-ADB", ["5f-adb"]),
    ("5f adb", ["5f-adb"]),
    ("５Ｆ－ＡＤＢ", ["5f-adb"]),
    ("mdmb-pinaca", ["5f-adb"]),
    ("cathinone", ["cathinone", "methcathinone"]),
    ("compound*7", ["star", "star-decoy"]),  # a close spelling: compound17x
    ("*7?", ["star"]),
    ("7?", ["star"]),
    ("pound?", []),
    ("test%mix", ["percent", "percent-decoy"]),  # likewise
    ("t%m", ["percent"]),
    ("%", []),  # one character: names equal to it or starting with it only
    ("fe", ["carfentanil", "fentanyl"]),
    ("西酮", ["cathinone", "methcathinone"]),
    ("尼", []),
    ("437-38-7", ["fentanyl"]),
    ("437 38 7", ["fentanyl"]),
    ("fentanil", ["carfentanil", "fentanyl"]),
    ("zzqx", []),
    ("no such name", []),
    ("氯胺酮", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_search_index_gives_the_scans_answer(substances, monkeypatch, text, expected):
    assert_found(monkeypatch, text, expected)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_common_key_read_row_by_row_gives_the_same_answer(
    substances, monkeypatch, text, expected
):
    """Every key taken as common: tested on each row as the page is read, not listed."""
    monkeypatch.setattr(search, "COMMON_KEY_ROWS", 1)
    assert_found(monkeypatch, text, expected)


@pytest.mark.parametrize("share", [0, float("inf")])
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_common_key_in_the_search_document_gives_the_same_answer(
    substances, monkeypatch, share, text, expected
):
    """Every key taken as common in the search document (SQLite): either so common that the
    page's rows are tested one by one, or listed from the document and met in the page's
    order."""
    monkeypatch.setattr(search, "COMMON_KEY_ROWS", 1)
    monkeypatch.setattr(search, "DOCUMENT_SCAN_SHARE", share)
    assert_found(monkeypatch, text, expected)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_key_longer_than_a_phrase_is_found_by_its_start_then_whole(
    substances, monkeypatch, text, expected
):
    """Every key longer than the phrase looked up (three characters here): the documents its
    start finds are read for it whole."""
    monkeypatch.setattr(search, "DOCUMENT_PHRASE_CHARS", 3)
    assert_found(monkeypatch, text, expected)


def test_a_long_key_matches_only_whole():
    SubstanceFactory(uid="long", name_en="A" * 60 + "B")
    SubstanceFactory(uid="long-decoy", name_en="A" * 60 + "C")
    # Without close spellings, which the decoy is of each of these.
    assert uids(Substance.objects.search("a" * 55 + "b")) == ["long"]
    assert uids(Substance.objects.search("a" * 60)) == ["long", "long-decoy"]
    assert uids(Substance.objects.search("a" * 61 + "b")) == []


def test_the_search_document_answers_the_filter_on_sqlite(substances):
    if connection.vendor != "sqlite":
        pytest.skip("the search document is SQLite's (PostgreSQL's trigram indexes serve)")
    assert search._has_search_document(connection)
    with CaptureQueriesContext(connection) as queries:
        assert uids(Substance.objects.search("fentanyl")) == ["carfentanil", "fentanyl"]
    assert search.DOCUMENT_TABLE in " ".join(query["sql"] for query in queries)


@pytest.mark.parametrize(
    "key",
    ["a[b]c", "[b]", "a]b", "]b1", "[[", "k\\sl", "r_sc", "pct%", "ar*q", "st?q", "?q", 'y"q'],
)
def test_search_index_reads_metacharacters_literally(monkeypatch, key):
    # The normalizer drops brackets, backslashes and underscores today; stored keys and the
    # searched key are set directly so that the escaping holds if it ever keeps them.
    stored = {
        "bracket": "a[b]c1",
        "bracket-decoy": "abc1",
        "close": "a]b1",
        "close-decoy": "ab1",
        "backslash": "back\\slash1",
        "backslash-decoy": "backxslash1",
        "underscore": "under_score1",
        "underscore-decoy": "underxscore1",
        "percent": "pct%1",
        "percent-decoy": "pctx1",
        "star": "star*q",
        "star-decoy": "starxxq",
        "question": "quest?q",
        "question-decoy": "questxq",
        "double": "x[[y",
        "quote": 'say"q1',
        "quote-decoy": "sayxq1",
    }
    for number, (uid, key_stored) in enumerate(stored.items()):
        substance = SubstanceFactory(uid=uid, name_en=f"Decoy {number}")
        if number % 3 == 0:
            Substance.objects.filter(pk=substance.pk).update(search_key_en=key_stored)
        elif number % 3 == 1:
            Substance.objects.filter(pk=substance.pk).update(
                name_zh=f"Decoy {number}", search_key_zh=key_stored
            )
        else:
            name = NameFactory(substance=substance, name=f"other {number}")
            Name.objects.filter(pk=name.pk).update(search_key=key_stored)
    assert_sqlite_index_exact()
    monkeypatch.setattr(search, "search_key", lambda text: text)
    # A key of one character is looked for at the start of names only.
    expected = [
        uid
        for uid, key_stored in stored.items()
        if key_stored.startswith(key) or (len(key) > 1 and key in key_stored)
    ]
    assert expected, key
    assert_found(monkeypatch, key, expected)


def test_search_index_follows_new_substances_and_names(substances, monkeypatch):
    assert_found(monkeypatch, "ocfentanil", ["carfentanil"])  # a close spelling
    ocfentanil = services.create_substance(
        actor=TEST_ACTOR, uid="ocfentanil", name_en="Ocfentanil", name_zh="奥芬太尼"
    )
    services.add_name(substance=ocfentanil, name="A-3217", language="en", actor=TEST_ACTOR)
    assert_found(monkeypatch, "ocfentanil", ["carfentanil", "ocfentanil"])
    assert_found(monkeypatch, "奥芬太尼", ["fentanyl", "ocfentanil"])
    assert_found(monkeypatch, "a3217", ["ocfentanil"])
    assert_sqlite_index_exact()


def test_search_index_follows_a_substances_renaming(substances, monkeypatch):
    cathinone = Substance.objects.get(uid="cathinone")
    services.update_substance(
        substance=cathinone, actor=TEST_ACTOR, name_en="Norephedrone", name_zh=""
    )
    assert_found(monkeypatch, "cathinone", ["methcathinone"])
    assert_found(monkeypatch, "卡西酮", ["methcathinone"])
    assert_found(monkeypatch, "norephedrone", ["cathinone"])
    services.update_substance(substance=cathinone, actor=TEST_ACTOR, name_zh="去甲麻黄酮")
    assert_found(monkeypatch, "去甲麻黄酮", ["cathinone"])
    assert_sqlite_index_exact()


def test_search_index_follows_a_names_change_and_move(substances, monkeypatch):
    name = Name.objects.get(name="5F-MDMB-PINACA")
    name.name = "5F-MDMB-PICA"
    services.save_resource(name, actor=TEST_ACTOR)
    assert_found(monkeypatch, "mdmb-pinaca", ["5f-adb"])  # now a close spelling
    assert_found(monkeypatch, "mdmb-pica", ["5f-adb"])
    name.substance = Substance.objects.get(uid="carfentanil")
    services.save_resource(name, actor=TEST_ACTOR)
    assert_found(monkeypatch, "mdmb-pica", ["carfentanil"])
    assert_found(monkeypatch, "5F-ADB", ["5f-adb"])
    assert_sqlite_index_exact()


def test_search_index_follows_deletions(substances, monkeypatch):
    services.delete_resource(Name.objects.get(name="Test% mix"), actor=TEST_ACTOR)
    assert_found(monkeypatch, "test%mix", ["percent-decoy"])  # the close spelling left
    services.delete_resource(Substance.objects.get(uid="fentanyl"), actor=TEST_ACTOR)
    assert_found(monkeypatch, "fentan", ["carfentanil"])
    assert_found(monkeypatch, "piperidyl", [])
    assert_found(monkeypatch, "437-38-7", [])
    services.bulk_delete_resources(Substance.objects.filter(uid="carfentanil"), actor=TEST_ACTOR)
    assert_found(monkeypatch, "芬太尼", [])
    assert_sqlite_index_exact()


def _statements(text: str) -> str:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        search.search(text)
    return "\n".join(query["sql"] for query in queries.captured_queries)


def test_search_uses_the_index_only_for_keys_of_three_characters(substances):
    marker = search.TRIGRAM_TABLE if connection.vendor == "sqlite" else "LIKE '%"
    assert marker in _statements("fen")
    assert marker not in _statements("fe")


def test_search_index_is_looked_up_per_database(substances, monkeypatch):
    monkeypatch.setattr(search, "_schema_cache", {})
    assert search._has_trigram_index(connection)
    assert list(search._schema_cache) == [
        ("trigram", connection.alias, str(connection.settings_dict["NAME"]))
    ]


def test_search_on_postgresql_can_use_the_trigram_indexes(substances, on_postgres):
    statements = [sql for sql in _statements("carfentanil").split("\n") if "CASE" in sql]
    assert statements
    with connection.cursor() as cursor:
        # Too few rows here for the planner to want an index: make scans look dear to it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {statements[0]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in search.TRIGRAM_INDEXES:
        assert index in plan, plan


# --- what people type besides listed names ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["ketamine hydrochloride", "Ketamine HCl", "盐酸氯胺酮", "ketamine base"]
)
def test_a_salt_name_finds_its_parent(query):
    from substances import search as search_module
    from tests.factories import NameFactory, SubstanceFactory

    ketamine = SubstanceFactory(name_en="Ketamine", name_zh="氯胺酮")
    NameFactory(substance=ketamine, name="K粉", language="zh", kind="street")
    outcome = search_module.search(query)
    assert outcome.hits.substance_ids[:1] == [ketamine.pk]


@pytest.mark.django_db
def test_an_english_stem_finds_its_inn_spelling():
    from substances import search as search_module
    from tests.factories import SubstanceFactory

    found = {
        SubstanceFactory(name_en=name).pk: name
        for name in ("Fentanyl", "Alfentanil", "Sufentanil", "Remifentanil", "Carfentanil")
    }
    SubstanceFactory(name_en="Morphine")
    outcome = search_module.search("fentanyl")
    assert set(outcome.hits.substance_ids) == set(found)
    assert outcome.hits.substance_ids[0] == next(k for k, v in found.items() if v == "Fentanyl")


def test_related_keys_of_plain_names_are_none():
    from substances.search import related_keys

    assert related_keys("morphine") == []
    assert related_keys("hcl") == []  # a salt word alone names nothing


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["pentobarbital sodium", "Pentobarbital Sodium", "戊巴比妥钠"])
def test_a_salt_named_by_its_cation_finds_its_parent(query):
    """USP and Chinese pharmacopoeia names of a drug's sodium salt put the cation after it."""
    from substances import search as search_module
    from tests.factories import SubstanceFactory

    pentobarbital = SubstanceFactory(name_en="Pentobarbital", name_zh="戊巴比妥")
    SubstanceFactory(name_en="Sodium chloride", name_zh="氯化钠")
    outcome = search_module.search(query)
    assert outcome.hits.substance_ids[:1] == [pentobarbital.pk]
