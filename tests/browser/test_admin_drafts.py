"""A reviewer publishes one curator's draft and discards another, with the draft page's own
buttons, in a real browser."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from registry import drafts, roles
from registry.models import Change, DraftChangeSet, Listing
from tests.admin.conftest import make_user
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EFFECTIVE = datetime.date(2024, 7, 1)


@pytest.fixture
def two_drafts(transactional_db):
    """A curator's two drafts: one lists a substance and moves another; one lists a third."""
    cache.clear()
    if not Group.objects.filter(name=roles.CURATOR).exists():
        # The database of a transactional test is emptied afterwards, groups included.
        roles.grant_roles(Group, Permission)
    curator = make_user("curator", role=roles.CURATOR)
    make_user("reviewer", role=roles.REVIEWER)
    china = JurisdictionFactory()
    nps = ScheduleFactory(jurisdiction=china, code="NPS", uid="cn-nps")
    psy2 = ScheduleFactory(jurisdiction=china, code="PSY2", uid="cn-psy2")
    announcement = InstrumentFactory(
        jurisdiction=china, uid="cn-2024-54", reference="2024年第54号", effective_on=EFFECTIVE
    )
    moved = ListingFactory(uid="l-moved", schedule=nps, effective_from=datetime.date(2019, 5, 1))
    SubstanceFactory(uid="new-one")
    SubstanceFactory(uid="not-this-one")

    publish = drafts.start(title="List new-one, move the other", author=curator)
    drafts.add_operation(
        publish,
        service="list_substance",
        summary="list new-one on NPS",
        substance="new-one",
        schedule=nps.uid,
        instrument=announcement.uid,
        effective_from=EFFECTIVE.isoformat(),
    )
    drafts.add_operation(
        publish,
        service="reschedule",
        summary="move to PSY2",
        listing=moved.uid,
        to_schedule=psy2.uid,
        instrument=announcement.uid,
        effective_on=EFFECTIVE.isoformat(),
    )
    discard = drafts.start(title="List not-this-one", author=curator)
    drafts.add_operation(
        discard,
        service="list_substance",
        summary="list not-this-one on NPS",
        substance="not-this-one",
        schedule=nps.uid,
        instrument=announcement.uid,
        effective_from=EFFECTIVE.isoformat(),
    )
    yield publish, discard
    cache.clear()


def _log_in(page, url, username):
    page.goto(url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(url + "/admin/")


def test_reviewer_publishes_and_discards_with_the_draft_pages_buttons(
    live_server, two_drafts, page, screenshot
):
    to_publish, to_discard = two_drafts
    head = Change.objects.head()
    _log_in(page, live_server.url, "reviewer")

    page.goto(f"{live_server.url}/admin/registry/draftchangeset/{to_publish.pk}/change/")
    page.get_by_role("button", name="Publish (make every step public, as one change set)").click()
    page.wait_for_load_state()
    assert (
        "published: 3 change(s) recorded in the feed" in page.locator(".messagelist").inner_text()
    )
    screenshot("draft-published")

    to_publish.refresh_from_db()
    assert to_publish.status == DraftChangeSet.Status.PUBLISHED
    assert to_publish.reviewer.username == "reviewer"
    in_force = Listing.objects.in_force(on=EFFECTIVE)
    assert in_force.filter(substance__uid="new-one", schedule__uid="cn-nps").exists()
    moved = Listing.objects.get(uid="l-moved")
    assert moved.effective_to == EFFECTIVE and not in_force.filter(uid="l-moved").exists()
    assert in_force.filter(substance=moved.substance, schedule__uid="cn-psy2").exists()
    written = list(Change.objects.after(head))
    assert [(c.action, c.resource_type) for c in written] == [
        ("created", "listing"),
        ("updated", "listing"),
        ("created", "listing"),
    ]
    assert {(c.actor_name, c.via) for c in written} == {("reviewer", to_publish.via)}
    assert (to_publish.first_seq, to_publish.last_seq) == (written[0].seq, written[-1].seq)

    page.goto(f"{live_server.url}/admin/registry/draftchangeset/{to_discard.pk}/change/")
    page.get_by_role("button", name="Discard").click()
    page.wait_for_load_state()
    assert "discarded" in page.locator(".messagelist").inner_text()
    screenshot("draft-discarded")

    to_discard.refresh_from_db()
    assert to_discard.status == DraftChangeSet.Status.DISCARDED
    assert to_discard.reviewer.username == "reviewer"
    assert not Listing.objects.filter(substance__uid="not-this-one").exists()
    assert Change.objects.head() == written[-1].seq
