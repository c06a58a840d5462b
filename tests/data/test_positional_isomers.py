"""21 CFR 1300.01: for the hallucinogens of 1308.11(d), "isomer" includes any position isomer (the
same formula, core structure, functional groups and substituents, placed otherwise, no
functionality created or destroyed). A compound the registry does not list in the US but that
has the formula, ring systems and functional groups of such an entry is answered `uncertain`
there, never `controlled` on this reading alone (real data)."""

import datetime

import pytest

from registry.check import check_items
from registry.jurisdictions import jurisdictions, verdicts
from registry.models import Listing
from substances.models import Substance

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 1, 1)
TWO_C_B = "COc1cc(CCN)c(OC)cc1Br"
TWO_C_B_ISOMER = "NCCc1cc(OC)c(OC)cc1Br"  # 2-bromo-4,5-dimethoxyphenethylamine
TWO_MMC = "CNC(C)C(=O)c1ccccc1C"


def _check(*items):
    return {
        r.input: (r, {v.jurisdiction: v for v in verdicts(r.status, r.matches, jurisdictions())})
        for r in check_items(list(items), on=ON)
    }


def test_the_us_hallucinogen_entries_cover_positional_isomers(real_registry):
    covering = [
        listing
        for listing in Listing.objects.filter(schedule__jurisdiction__code="US")
        if "positional_isomers" in listing.covers
    ]
    # 129 hallucinogens; the 6 schedule III stimulants, whose paragraph covers "isomers
    # (whether optical, position, or geometric)" (21 CFR 1308.13(b)); and fenfluramine in
    # schedule IV until 2022, in the same words (1308.14(d))
    assert len(covering) == 136
    assert {li.attributes.get("cfr_paragraph") for li in covering} == {
        "1308.11(d)",
        "1308.13(b)",
        "1308.14(d)",
    }


def test_a_positional_isomer_of_a_hallucinogen_is_uncertain_in_the_us(real_registry):
    found = _check(TWO_C_B_ISOMER, TWO_C_B, TWO_MMC)
    result, by_code = found[TWO_C_B_ISOMER]
    assert (result.status, result.substance.uid, result.matched_by) == (
        "uncertain",
        "2c-b",
        "positional_isomer",
    )
    assert by_code["US"].status == "uncertain"
    assert by_code["US"].uncertain_because == ("form",)
    assert "positional isomer of 2C-B" in result.reason
    # Only the US entries cover positional isomers: China and the UN are not reached.
    assert by_code["CN"].status == by_code["UN"].status == "not_controlled"
    assert result.since == {}
    # 2C-B itself is governed by its own entries, as before.
    result, by_code = found[TWO_C_B]
    assert result.status == "controlled" and by_code["US"].status == "controlled"
    assert not any(getattr(m, "form_uncertain", "") for m in result.matches)
    # 2-MMC is on China's list by name, and in the US a possible isomer of 3-MMC and mephedrone.
    result, by_code = found[TWO_MMC]
    assert result.substance.uid == "2-mmc"
    assert by_code["CN"].status == "controlled"
    assert by_code["US"].status == "uncertain"


def test_a_us_listed_isomer_is_governed_by_its_own_entry(real_registry):
    # 3-MMC is named in 1308.11(d) (88 FR 86266); it is also a positional isomer of mephedrone,
    # which gives it no basis in doubt beside its own entry.
    [result] = check_items(["3-MMC"], on=ON, jurisdiction="US")
    assert result.status == "controlled"
    assert not any(getattr(m, "form_uncertain", "") for m in result.matches)


def test_the_substance_page_says_what_the_check_says(real_registry, client):
    page = client.get("/substances/2-mmc/").content.decode()
    assert "It may be a positional isomer of a compound whose entry covers" in page
    assert "Uncertain (reach of the entry)" in page
    chinese = client.get("/zh-hans/substances/2-mmc/").content.decode()
    assert "不确定（条目是否涵盖）" in chinese and "若为" in chinese
    assert "positional isomer" not in client.get("/substances/2c-b/").content.decode()


def test_once_warmed_the_page_reads_the_signatures_without_chemistry(
    real_registry, client, monkeypatch
):
    """The release step keeps the isomer signatures a substance page reads (registry.warming):
    a worker then answers 2-MMC's page, and 2C-B's, without RDKit."""
    from django.core.cache import caches

    from registry import check, warming
    from substances import chemistry

    # What is made ahead fits in the shared cache (Redis in production); the tests' in-process
    # one would let the oldest of it go past 300 entries.
    monkeypatch.setattr(caches["default"], "_max_entries", 100_000)
    warming.warm(ON)
    assert check.keep_isomer_signatures(list(Substance.objects.all())) == 0  # all kept

    def refuse(*args, **kwargs):
        raise AssertionError("chemistry asked for")

    monkeypatch.setattr(chemistry, "standardize", refuse)
    monkeypatch.setattr(chemistry, "isomer_signature", refuse)
    check._worked_out_signature.cache_clear()  # a new worker's process
    check._POSITIONAL.clear()
    page = client.get("/substances/2-mmc/").content.decode()
    assert "It may be a positional isomer of a compound whose entry covers" in page
    assert client.get("/substances/2c-b/").status_code == 200


def test_the_table_holds_every_entry_that_covers_positional_isomers(real_registry):
    # Read in SQL down to the entries whose coverage may say so: the same table as one built
    # from every entry's `covers`.
    from collections import defaultdict

    from registry import check

    records = {
        listing.substance.pk: listing.substance
        for listing in Listing.objects.filter(substance__isnull=False)
        .exclude(substance__smiles="")
        .select_related("schedule", "substance")
        if "positional_isomers" in listing.covers
    }
    signatures = check._signatures(record.smiles for record in records.values())
    expected = defaultdict(list)
    for pk, record in sorted(records.items()):
        if signature := signatures[record.smiles]:
            expected[signature[0]].append((pk, signature, record.skeleton_key))
    table = check._worked_out_positional_table()
    assert table == dict(expected)
    assert sum(len(rows) for rows in table.values()) >= 100


def test_the_table_is_worked_out_once_however_many_threads_ask(monkeypatch):
    import threading
    import time

    from registry import check

    calls = []

    def slow():
        calls.append(threading.get_ident())
        time.sleep(0.2)
        return {"C10H15N": [(1, ("C10H15N",), "X")]}

    monkeypatch.setattr(check, "_worked_out_positional_table", slow)
    check._POSITIONAL.clear()
    tables = []
    threads = [
        threading.Thread(target=lambda: tables.append(check._positional_table("v1")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(tables) == 8 and all(table is tables[0] for table in tables)
    check._positional_table("v2")  # a new version of the registry: worked out again
    assert len(calls) == 2
    check._POSITIONAL.clear()


def test_a_process_forked_while_a_thread_works_the_table_out_does_not_wait_for_it():
    # The check jobs' local pool forks the web worker: a lock held by one of its threads at
    # that moment was held for ever in the child, whose first check then hung.
    import multiprocessing

    from registry import check

    check._POSITIONAL_LOCK.acquire()
    try:
        context = multiprocessing.get_context("fork")
        answer = context.Queue()
        child = context.Process(
            target=lambda: answer.put(check._POSITIONAL_LOCK.acquire(timeout=5))
        )
        child.start()
        child.join(20)
        assert not child.is_alive()
        assert answer.get(timeout=1) is True
    finally:
        check._POSITIONAL_LOCK.release()


def test_a_thread_that_waits_too_long_works_the_table_out_itself(monkeypatch):
    from registry import check

    monkeypatch.setattr(check, "POSITIONAL_WAIT_SECONDS", 0.1)
    monkeypatch.setattr(check, "_worked_out_positional_table", lambda: {"C1H1": []})
    check._POSITIONAL.clear()
    check._POSITIONAL_LOCK.acquire()
    try:
        assert check._positional_table("v-held") == {"C1H1": []}
    finally:
        check._POSITIONAL_LOCK.release()
        check._POSITIONAL.clear()
