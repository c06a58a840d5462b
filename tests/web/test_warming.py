"""What the public pages derive with RDKit, made ahead (registry.warming): once made, the pages
are served without any chemistry; a write is seen; a run after writes is queued once."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from registry import check, services, warming
from substances import chemistry, matching
from tests.factories import SubstanceFactory
from tests.web.sample import ANALOGUE_SMILES

pytestmark = pytest.mark.django_db

ACTOR = services.Actor(name="test")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def no_chemistry(monkeypatch):
    """Any structure read, drawn or matched from here on fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("chemistry asked for")

    for module, name in (
        (chemistry, "parse_smiles"),
        (chemistry, "standardize"),
        (chemistry, "depict_svg"),
        (chemistry, "compile_smarts"),
        (matching, "match_classes"),
        (matching, "compile_class"),
    ):
        monkeypatch.setattr(module, name, refuse)
    check._MEMBERSHIP_MEMO.clear()  # read back from the shared cache, as a new worker would


def test_once_warmed_the_pages_need_no_chemistry(client, sample, request):
    analogue = SubstanceFactory(uid="4-fluorofentanyl", name_en="4-Fluorofentanyl")
    analogue.smiles = ANALOGUE_SMILES
    analogue.save()
    done = warming.warm()
    assert done.structures >= 5 and done.class_verdicts >= 5 and done.drawings >= 5
    assert done.substance_classes >= 2  # fentanyl and the analogue meet the class's rules
    request.getfixturevalue("no_chemistry")

    page = text_of(client.get("/substances/4-fluorofentanyl/").content.decode())
    assert "Fentanyl-related substances" in page
    html = client.get("/substances/5f-adb/").content.decode()
    assert "<svg" in html and "Fentanyl-related substances" not in text_of(html)
    result = text_of(client.get("/search/", {"q": "fluorofentanyl"}).content.decode())
    assert "Fentanyl-related substances (whole class)" in result
    assert client.get("/classes/class-fentanyls/").status_code == 200


def test_a_write_is_seen_and_a_structure_in_no_class_stays_without_chemistry(
    client, sample, request
):
    warming.warm()
    request.getfixturevalue("no_chemistry")
    # A new record: the registry's version changes, so every page is worked out anew.
    version = check.Change.objects.version()
    SubstanceFactory(uid="another")
    assert check.Change.objects.version() != version
    assert client.get("/substances/alpha-pvp/").status_code == 200  # in no class: kept verdicts
    with pytest.raises(AssertionError, match="chemistry asked for"):
        client.get("/substances/fentanyl/")  # in a class: the check runs until warmed again


@pytest.fixture
def queued(settings, monkeypatch) -> list:
    """The runs queued, with a broker configured (and nothing under way)."""
    settings.CELERY_BROKER_URL = "memory://"
    runs = []
    monkeypatch.setattr(warming, "_queue_run", lambda: runs.append(1))
    cache.delete_many([warming.QUEUED_KEY, warming.AGAIN_KEY, warming.RUNNING_KEY])
    return runs


def test_a_run_after_writes_is_queued_once(queued, django_capture_on_commit_callbacks):
    # (no sample: its writes, never committed in a test, would hold the transaction's run)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for uid in ("one", "two", "three"):
            SubstanceFactory(uid=uid)
    assert queued == [1]  # the transaction's changes queue one run
    assert not cache.get(warming.AGAIN_KEY)  # and once: not asked to go round again
    # (a test's transaction never commits: a later transaction's commit is called for itself)
    warming.after_write()
    assert queued == [1]  # not started yet: still the one run, asked to go round once more
    assert cache.get(warming.AGAIN_KEY)
    warming.warm_once_at_a_time()  # the run starts (and runs)
    warming.after_write()
    assert queued == [1, 1]  # a write after it started queues the next


def test_a_run_goes_round_again_for_the_writes_it_did_not_see(monkeypatch, sample):
    rounds = []

    def warm(on=None, progress=None):
        rounds.append(1)
        if len(rounds) == 1:
            warming.warm_once_at_a_time()  # a second task, started meanwhile, leaves it to us
        return warming.Warmed()

    monkeypatch.setattr(warming, "warm", warm)
    cache.delete_many([warming.QUEUED_KEY, warming.AGAIN_KEY, warming.RUNNING_KEY])
    assert warming.warm_once_at_a_time() is not None
    assert rounds == [1, 1]
    assert cache.get(warming.RUNNING_KEY) is None


def test_the_command_refuses_a_cache_no_worker_reads(sample):
    with pytest.raises(CommandError, match="no REDIS_URL"):
        call_command("warm_pages")


def test_a_write_rolled_back_does_not_keep_the_next_from_queuing_a_run(
    queued, django_capture_on_commit_callbacks
):
    with pytest.raises(RuntimeError), transaction.atomic():
        SubstanceFactory(uid="gone")
        raise RuntimeError("the write fails")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        SubstanceFactory(uid="kept")
    assert queued == [1]
