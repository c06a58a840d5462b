"""The sync contract: export at N, then the feed after N, reproduces the registry exactly."""

import datetime
import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from rest_framework.test import APIClient

from examples.sync_client import LocalCopy, SyncClient
from registry import services
from registry.api.feed import _ExportStream
from registry.models import Change, Listing
from substances.models import Name, Substance
from tests.api.conftest import DjangoSession, Registry, head, registry_now

BASE = "http://testserver"


def replay(upto: int) -> dict:
    """The registry at feed position `upto`, rebuilt from the feed alone."""
    state: dict = {}
    for change in Change.objects.filter(seq__lte=upto).order_by("seq"):
        key = (change.resource_type, change.uid)
        if change.action == "deleted":
            state.pop(key)
        else:
            state[key] = change.data
    return state


def read_export(client) -> tuple[dict, dict]:
    response = client.get("/api/v1/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    header, rest = lines[0], lines[1:]
    assert int(response["Registry-Seq"]) == header["seq"]
    return header, {(line["type"], line["uid"]): line["data"] for line in rest}


# --- the feed -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_changes_come_in_sequence_with_a_resumable_position(anon, registry):
    last = head()
    seen = []
    after = 0
    while True:
        response = anon.get("/api/v1/changes/", {"after": after, "limit": 7})
        body = response.json()
        assert response["Registry-Seq"] == str(last)
        seen += [change["seq"] for change in body["results"]]
        assert body["last_seq"] == (body["results"][-1]["seq"] if body["results"] else after)
        after = body["last_seq"]
        if not body["next"]:
            break
        assert f"after={after}" in body["next"]
    assert seen == list(range(1, last + 1))


@pytest.mark.django_db
def test_a_change_carries_the_representation_after_it(anon, registry, curator):
    before = head()
    curator.patch("/api/v1/substances/npp/", {"name_zh": "N-苯乙基-4-哌啶酮"}, format="json")
    curator.delete("/api/v1/precursor-uses/pu-npp-fentanyl/")
    body = anon.get("/api/v1/changes/", {"after": before}).json()
    updated, deleted = body["results"]
    assert updated["action"] == "updated" and updated["type"] == "substance"
    assert updated["data"]["name_zh"] == "N-苯乙基-4-哌啶酮"
    assert deleted == {**deleted, "action": "deleted", "type": "precursor_use", "data": None}
    assert body["next"] is None


@pytest.mark.django_db
def test_after_beyond_the_head_is_a_400_naming_it(anon, registry):
    # An empty page answered with last_seq = after: a client holding a position this registry
    # never reached (another registry's copy, or one restored from a backup) skipped the
    # changes that later took those numbers.
    response = anon.get("/api/v1/changes/", {"after": head() + 100})
    assert response.status_code == 400
    assert f"The feed ends at {head()}" in response.json()["after"][0]
    body = anon.get("/api/v1/changes/", {"after": head()}).json()
    assert body == {"results": [], "last_seq": head(), "next": None}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("after", "x"),
        ("after", "-1"),
        ("after", "1.5"),
        ("after", str(2**64)),
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "many"),
    ],
)
def test_malformed_feed_position_is_a_400_naming_it(anon, registry, param, value):
    response = anon.get("/api/v1/changes/", {param: value})
    assert response.status_code == 400
    assert param in response.json()


# --- the export -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_is_the_registry_at_its_feed_position(anon, registry):
    header, resources = read_export(anon)
    assert header["seq"] == head()
    assert "generated_at" in header
    assert resources == registry_now() == replay(header["seq"])


@pytest.mark.django_db
def test_export_lines_refer_only_to_what_came_before(anon, registry):
    response = anon.get("/api/v1/export/")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()][1:]
    order = [line["type"] for line in lines]
    types = list(dict.fromkeys(order))
    assert types == [
        "jurisdiction",
        "schedule",
        "instrument",
        "substance",
        "relation",
        "name",
        "precursor_use",
        "class",
        "listing",
    ]


# --- the whole loop: export, writes of every kind by every door, feed -----------------------


def _writes_through_the_api(curator):
    ok = (200, 201, 204)
    calls = [
        curator.post("/api/v1/substances/", {"uid": "x-1", "name_en": "X one"}, format="json"),
        curator.post(
            "/api/v1/names/", {"substance": "x-1", "name": "X-1", "language": "und"}, format="json"
        ),
        curator.patch("/api/v1/substances/x-1/", {"cas": "50-00-0"}, format="json"),
        curator.patch("/api/v1/substances/fentanyl/", {"notes": "corrected"}, format="json"),
        curator.post(
            "/api/v1/instruments/",
            {"uid": "cn-2030", "jurisdiction": "cn", "reference": "2030-1"},
            format="json",
        ),
        curator.post(
            "/api/v1/listings/",
            {
                "uid": "l-x-1",
                "schedule": "cn-nps",
                "substance": "x-1",
                "effective_from": "2030-01-01",
                "listed_by": "cn-2030",
            },
            format="json",
        ),
        curator.patch(
            "/api/v1/listings/l-mdmb/",
            {"effective_to": "2030-01-01", "ended_by": "cn-2030"},
            format="json",
        ),
        curator.post(
            "/api/v1/listings/l-fentanyl/reschedule/",
            {"to_schedule": "cn-nps", "instrument": "cn-2030", "effective_on": "2030-02-01"},
            format="json",
        ),
        curator.patch(
            "/api/v1/classes/fentanyl-related/",
            {"rules": [{"label": "core", "smarts": "C1CCNCC1"}]},
            format="json",
        ),
        curator.delete("/api/v1/precursor-uses/pu-npp-fentanyl/"),
        curator.delete("/api/v1/listings/l-un-fentanyl/"),
        curator.delete("/api/v1/substances/fentanyl-citrate/"),
    ]
    for response in calls:
        assert response.status_code in ok, response.content


def _writes_through_the_admin():
    admin = get_user_model().objects.create_superuser("admin", "a@example.org", "pw")
    client = APIClient()
    client.force_login(admin)
    response = client.post(
        "/admin/registry/jurisdiction/add/",
        {"uid": "de", "code": "DE", "name": "Germany", "name_zh": "德国"},
    )
    assert response.status_code == 302, response.content[:2000]
    name = Name.objects.get(uid="n-apvp-1")
    response = client.post(f"/admin/substances/name/{name.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Name.objects.filter(uid="n-apvp-1").exists()


def _writes_through_the_services():
    actor = services.Actor.system("tests")
    substance = Substance.objects.get(uid="a-pvp")
    services.update_substance(substance=substance, actor=actor, name_zh="α-PVP（修订）")
    services.add_name(substance=substance, name="flakka", language="en", actor=actor)


@pytest.mark.django_db
def test_export_then_feed_reproduces_every_kind_of_write(registry, curator, tmp_path):
    copy = LocalCopy(str(tmp_path / "copy.sqlite3"))
    client = SyncClient(BASE, copy, session=DjangoSession(), page_size=4)
    client.sync()
    assert copy.last_seq == head()
    assert copy.resources() == registry_now()

    _writes_through_the_api(curator)
    _writes_through_the_admin()
    _writes_through_the_services()
    applied = client.sync()

    assert applied > 15
    assert copy.last_seq == head()
    assert copy.resources() == registry_now()
    assert copy.resources() == read_export(APIClient())[1]


@pytest.mark.django_db
def test_a_client_that_crashes_mid_page_resumes_without_loss_or_repeat(
    registry, curator, tmp_path, monkeypatch
):
    path = str(tmp_path / "copy.sqlite3")
    SyncClient(BASE, LocalCopy(path), session=DjangoSession()).sync()
    _writes_through_the_api(curator)

    crashing = LocalCopy(path)
    original = LocalCopy.apply_changes
    pages = []

    def crash_on_second_page(self, changes, last_seq):
        pages.append(last_seq)
        if len(pages) == 2:
            # Half the page is in, then the process dies before COMMIT.
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM resource")
            raise KeyboardInterrupt
        return original(self, changes, last_seq)

    monkeypatch.setattr(LocalCopy, "apply_changes", crash_on_second_page)
    with pytest.raises(KeyboardInterrupt):
        SyncClient(BASE, crashing, session=DjangoSession(), page_size=3).sync()
    crashing.close()
    monkeypatch.setattr(LocalCopy, "apply_changes", original)

    resumed = LocalCopy(path)
    assert resumed.last_seq == pages[0]  # the first page stuck, the second did not
    SyncClient(BASE, resumed, session=DjangoSession(), page_size=3).sync()
    assert resumed.resources() == registry_now()


@pytest.mark.django_db
def test_a_page_applied_twice_changes_nothing_and_a_gap_is_refused(registry, curator, tmp_path):
    copy = LocalCopy(str(tmp_path / "copy.sqlite3"))
    SyncClient(BASE, copy, session=DjangoSession()).sync()
    before = head()
    _writes_through_the_api(curator)
    page = APIClient().get("/api/v1/changes/", {"after": before, "limit": 1000}).json()
    copy.apply_changes(page["results"], page["last_seq"])
    copy.apply_changes(page["results"], page["last_seq"])
    assert copy.last_seq == head()
    assert copy.resources() == registry_now()
    gap = {"seq": head() + 2, "action": "deleted", "type": "name", "uid": "n-fent-zh"}
    with pytest.raises(RuntimeError, match="feed gap"):
        copy.apply_changes([gap], head() + 2)
    assert copy.resources() == registry_now()


# --- PostgreSQL: real snapshots, concurrent writers -----------------------------------------


def _writer(index: int, rounds: int, errors: list, start: threading.Event) -> None:
    actor = services.Actor.system(f"writer-{index}")
    start.wait()
    try:
        cn_nps = Listing.objects.get(uid="l-apvp-nps").schedule
        instrument = Listing.objects.get(uid="l-mdmb").listed_by
        for n in range(rounds):
            substance = services.create_substance(
                actor=actor, uid=f"w{index}-{n}", name_en=f"Writer {index} no. {n}"
            )
            name = services.add_name(
                substance=substance, name=f"W{index}/{n}", language="und", actor=actor
            )
            services.update_substance(substance=substance, actor=actor, notes=f"round {n}")
            listing = services.list_substance(
                schedule=cn_nps,
                instrument=instrument,
                effective_from=datetime.date(2030, 1, n % 28 + 1),
                substance=substance,
                actor=actor,
            )
            if n % 2:
                services.delist(
                    listing=listing,
                    instrument=instrument,
                    effective_to=datetime.date(2031, 1, 1),
                    actor=actor,
                )
            if n % 3 == 0:
                services.delete_resource(name, actor=actor)
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


def _run_writers(rounds: int = 15):
    errors: list = []
    start = threading.Event()
    threads = [threading.Thread(target=_writer, args=(i, rounds, errors, start)) for i in range(2)]
    for thread in threads:
        thread.start()
    return threads, errors, start


@pytest.mark.django_db(transaction=True)
def test_export_is_one_snapshot_while_two_writers_commit(on_postgres, tmp_path, monkeypatch):
    Registry()
    # One line per chunk: the first chunk is the header alone, and every resource is read
    # from the database after the writers have committed.
    monkeypatch.setattr(_ExportStream, "CHUNK", 1)
    response = APIClient().get("/api/v1/export/")
    chunks = iter(response.streaming_content)
    first = next(chunks)  # the snapshot was taken when the view ran; it is being read now
    threads, errors, start = _run_writers()
    start.set()
    for thread in threads:
        thread.join()
    body = first + b"".join(chunks)  # ends the snapshot, whatever happened meanwhile
    assert not errors
    lines = [json.loads(line) for line in body.splitlines()]
    n = lines[0]["seq"]
    exported = {(line["type"], line["uid"]): line["data"] for line in lines[1:]}
    assert head() > n
    assert exported == replay(n)

    copy = LocalCopy(str(tmp_path / "copy.sqlite3"))
    copy.load_export(n, lines[1:])
    SyncClient(BASE, copy, session=DjangoSession(), page_size=50).follow()
    assert copy.resources() == registry_now()


@pytest.mark.django_db(transaction=True)
def test_client_following_the_feed_while_two_writers_commit_ends_identical(on_postgres, tmp_path):
    Registry()
    copy = LocalCopy(str(tmp_path / "copy.sqlite3"))
    client = SyncClient(BASE, copy, session=DjangoSession(), page_size=5)
    client.sync()
    threads, errors, start = _run_writers()
    start.set()
    while any(thread.is_alive() for thread in threads):
        client.follow()
    for thread in threads:
        thread.join()
    assert not errors
    client.follow()
    assert copy.last_seq == head()
    assert copy.resources() == registry_now()
    assert copy.resources() == read_export(APIClient())[1]
