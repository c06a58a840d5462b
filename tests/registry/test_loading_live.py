"""load_registry on a live registry: the database is the record, the fixtures only add.

A curator's edit in the API, a delisting in the admin and a class amendment all survive a release's
load_registry; the disagreements are reported as conflicts, `--check` lists them without writing,
and `--accept-fixture UID` applies a fixture row deliberately, with its change row.
"""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from registry import services
from registry.models import Change, Listing
from substances.models import Name, Substance, SubstanceClass
from tests.admin.conftest import make_user
from tests.api.conftest import _token_client
from tests.registry.test_loading import _small_fixtures

pytestmark = pytest.mark.django_db

CLASS_YAML = """\
- uid: fentanyl-related
  name_en: Fentanyl-related substances
  definition_en: As the fixtures say.
  rules:
    - label: core
      smarts: O=CN(c1ccccc1)C1CCNCC1
"""


@pytest.fixture
def fixtures(tmp_path):
    folder = _small_fixtures(tmp_path)
    (folder / "classes.yaml").write_text(CLASS_YAML)
    return folder


def load(folder, *args) -> str:
    out = io.StringIO()
    call_command("load_registry", "--fixtures", str(folder), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def curated(fixtures):
    """The fixtures loaded, then curated through three doors."""
    load(fixtures)
    # 1. An API edit of a substance's note.
    token = _token_client("api-curator", ["substances.change_substance"])
    response = token.patch(
        "/api/v1/substances/fentanyl/", {"notes": "checked against the gazette"}, format="json"
    )
    assert response.status_code == 200, response.content
    # 2. A delisting in the admin, under an instrument the curators recorded.
    chief = make_user("chief", superuser=True)
    instrument = services.record_instrument(
        actor=services.Actor.of(chief, via="admin"),
        uid="cn-2026-1",
        jurisdiction=Listing.objects.get(uid="l-f-2").schedule.jurisdiction,
        reference="2026年第1号",
        published_on=datetime.date(2026, 1, 5),
        effective_on=datetime.date(2026, 2, 1),
    )
    admin = Client()
    admin.force_login(chief)
    response = admin.post(
        reverse("admin:substances_substance_changelist"),
        {
            "action": "delist_from_schedule",
            "_selected_action": [Substance.objects.get(uid="fentanyl").pk],
            "apply": "1",
            "schedule": Listing.objects.get(uid="l-f-2").schedule.pk,
            "instrument": instrument.pk,
            "effective_on": "2026-02-01",
            "save_as": "apply",
        },
    )
    assert response.status_code == 302
    assert Listing.objects.get(uid="l-f-2").effective_to == datetime.date(2026, 2, 1)
    # 3. A class amendment in the admin's terms (through the service the admin calls).
    services.update_class(
        substance_class=SubstanceClass.objects.get(uid="fentanyl-related"),
        actor=services.Actor.of(chief, via="admin"),
        definition_en="As the office now reads it.",
    )
    return fixtures


def _state() -> dict:
    return {
        "notes": Substance.objects.get(uid="fentanyl").notes,
        "ends": Listing.objects.get(uid="l-f-2").effective_to,
        "definition": SubstanceClass.objects.get(uid="fentanyl-related").definition_en,
    }


CURATED = {
    "notes": "checked against the gazette",
    "ends": datetime.date(2026, 2, 1),
    "definition": "As the office now reads it.",
}


def test_curated_changes_survive_load_registry_and_the_feed_shows_no_revert(curated):
    head = Change.objects.head()
    report = load(curated)
    assert _state() == CURATED
    assert Change.objects.head() == head  # nothing written: no revert in the feed
    assert "3 conflict(s)" in report
    assert "substance fentanyl (fixtures/substances.csv:2): fixture differs in notes" in report
    assert "updated by api-curator via api" in report
    assert "listing l-f-2 (fixtures/listings.csv:3): fixture differs in effective_to, ended_by" in (
        report
    )
    assert "class fentanyl-related" in report and "definition_en" in report
    assert "updated by chief via admin" in report


def test_check_lists_the_conflicts_and_writes_nothing(curated):
    head = Change.objects.head()
    report = load(curated, "--check")
    assert "Fixtures are valid" in report and "3 conflict(s)" in report
    assert "listing l-f-2" in report
    assert Change.objects.head() == head and _state() == CURATED


def test_new_fixture_rows_are_added_and_untouched_records_follow_the_fixtures(curated):
    (curated / "names.csv").write_text(
        (curated / "names.csv").read_text() + "fentanyl,Durogesic,en,trade,\n"
    )
    path = curated / "substances.csv"
    path.write_text(
        path.read_text().replace("Fentanyl citrate,,", "Fentanyl citrate,枸橼酸芬太尼,")
    )
    head = Change.objects.head()
    load(curated)
    written = {(c.resource_type, c.uid, c.action) for c in Change.objects.after(head)}
    assert ("name", Name.objects.get(name="Durogesic").uid, "created") in written
    assert ("substance", "fentanyl-citrate", "updated") in written
    assert len(written) == 2 and _state() == CURATED


def test_accept_fixture_applies_the_named_rows_through_the_services(curated):
    head = Change.objects.head()
    report = load(curated, "--accept-fixture", "fentanyl", "fentanyl-related")
    assert "1 conflict(s)" in report  # the listing, not named, is still kept
    assert Substance.objects.get(uid="fentanyl").notes == ""
    assert (
        SubstanceClass.objects.get(uid="fentanyl-related").definition_en == "As the fixtures say."
    )
    assert Listing.objects.get(uid="l-f-2").effective_to == datetime.date(2026, 2, 1)
    rows = [(c.resource_type, c.uid, c.actor_name, c.via) for c in Change.objects.after(head)]
    assert sorted(rows) == [
        ("class", "fentanyl-related", "load_registry", "command"),
        ("substance", "fentanyl", "load_registry", "command"),
    ]
    # Accepted, the fixtures own those records again: the next load finds nothing to say.
    assert "1 conflict(s)" in load(curated)


def test_accept_fixture_refuses_a_uid_the_fixtures_do_not_have(curated):
    with pytest.raises(CommandError, match="not in the fixtures"):
        load(curated, "--accept-fixture", "no-such-uid")


def test_a_record_deleted_by_a_curator_is_not_brought_back(fixtures):
    load(fixtures)
    chief = make_user("chief", superuser=True)
    name = Name.objects.get(name="Sublimaze")
    services.delete_resource(name, actor=services.Actor.of(chief, via="admin"))
    head = Change.objects.head()
    report = load(fixtures)
    assert not Name.objects.filter(name="Sublimaze").exists()
    assert Change.objects.head() == head
    assert f"name {name.uid}" in report and "the record was deleted" in report
    # Not even when asked: a uid is never reused.
    assert "the record was deleted" in load(fixtures, "--accept-fixture", name.uid)
    assert not Name.objects.filter(name="Sublimaze").exists()
