"""The legal acts as admin actions: an intermediate page, then all of the batch or none."""

import datetime

import pytest
from django.urls import reverse

from registry.models import Change, DraftChangeSet, Listing
from tests.admin.conftest import head
from tests.factories import ListingFactory, SubstanceFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:substances_substance_changelist"


def _act(client, action, substances, **fields):
    data = {"action": action, "_selected_action": [s.pk for s in substances], **fields}
    return client.post(reverse(CHANGELIST), data)


def test_list_action_first_asks_for_instrument_and_date(curator_client):
    a = SubstanceFactory()
    response = _act(curator_client, "list_on_schedule", [a])
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="instrument"' in html and 'name="effective_on"' in html
    assert 'name="schedule"' in html and str(a) in html


def test_list_action_lists_every_selected_substance(curator_client, nps_list, announcement):
    a, b = SubstanceFactory(uid="a"), SubstanceFactory(uid="b")
    before = head()
    response = _act(
        curator_client,
        "list_on_schedule",
        [a, b],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        effective_on="",
        save_as="apply",
    )
    assert response.status_code == 302
    listings = Listing.objects.filter(schedule=nps_list).order_by("substance__uid")
    assert [(x.substance.uid, x.effective_from, x.listed_by) for x in listings] == [
        ("a", datetime.date(2024, 7, 1), announcement),
        ("b", datetime.date(2024, 7, 1), announcement),
    ]
    changes = list(Change.objects.after(before))
    assert [(c.action, c.resource_type, c.via, c.actor_name) for c in changes] == [
        ("created", "listing", "admin", "curator")
    ] * 2


def test_list_action_refuses_the_whole_batch_on_one_overlap(curator_client, nps_list, announcement):
    listed = ListingFactory(schedule=nps_list, effective_from=datetime.date(2019, 5, 1))
    free = SubstanceFactory()
    before = head()
    response = _act(
        curator_client,
        "list_on_schedule",
        [free, listed.substance],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        effective_on="2024-07-01",
        save_as="apply",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was changed" in html
    assert "already on this list for part of that period" in html and listed.uid in html
    assert head() == before
    assert not Listing.objects.filter(substance=free).exists()


def test_delist_action_ends_the_open_listing(curator_client, nps_list, announcement):
    listing = ListingFactory(schedule=nps_list, effective_from=datetime.date(2019, 5, 1))
    response = _act(
        curator_client,
        "delist_from_schedule",
        [listing.substance],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        effective_on="2024-07-01",
        save_as="apply",
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.effective_to, listing.ended_by) == (datetime.date(2024, 7, 1), announcement)
    assert Change.objects.last().data["effective_to"] == "2024-07-01"


def test_delist_action_refuses_what_is_not_listed(curator_client, nps_list, announcement):
    listing = ListingFactory(schedule=nps_list, effective_from=datetime.date(2019, 5, 1))
    never = SubstanceFactory(name_en="Never listed")
    before = head()
    response = _act(
        curator_client,
        "delist_from_schedule",
        [listing.substance, never],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        effective_on="2024-07-01",
        save_as="apply",
    )
    assert response.status_code == 200
    assert "Never listed: not on NPS" in response.content.decode()
    assert head() == before
    listing.refresh_from_db()
    assert listing.effective_to is None


def test_reschedule_action_ends_one_listing_and_starts_another(
    curator_client, nps_list, psy2_list, announcement
):
    listing = ListingFactory(schedule=nps_list, effective_from=datetime.date(2019, 5, 1))
    before = head()
    response = _act(
        curator_client,
        "move_to_schedule",
        [listing.substance],
        apply="1",
        from_schedule=nps_list.pk,
        to_schedule=psy2_list.pk,
        instrument=announcement.pk,
        effective_on="2024-07-01",
        save_as="apply",
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.effective_to == datetime.date(2024, 7, 1)
    new = Listing.objects.get(substance=listing.substance, schedule=psy2_list)
    assert (new.effective_from, new.listed_by) == (datetime.date(2024, 7, 1), announcement)
    assert [(c.action, c.uid) for c in Change.objects.after(before)] == [
        ("updated", listing.uid),
        ("created", new.uid),
    ]


def test_reschedule_to_the_same_list_is_a_form_error(curator_client, nps_list, announcement):
    listing = ListingFactory(schedule=nps_list)
    response = _act(
        curator_client,
        "move_to_schedule",
        [listing.substance],
        apply="1",
        from_schedule=nps_list.pk,
        to_schedule=nps_list.pk,
        instrument=announcement.pk,
        save_as="apply",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["to_schedule"] == [
        "Moving to the same list changes nothing."
    ]


def test_instrument_without_effective_date_needs_one_typed(curator_client, nps_list, china):
    from tests.factories import InstrumentFactory

    undated = InstrumentFactory(jurisdiction=china, effective_on=None, published_on=None)
    response = _act(
        curator_client,
        "list_on_schedule",
        [SubstanceFactory()],
        apply="1",
        schedule=nps_list.pk,
        instrument=undated.pk,
        save_as="apply",
    )
    assert "has no effective date on record" in response.context["form"].errors["effective_on"][0]


def test_list_action_as_a_draft_writes_nothing_public(curator_client, nps_list, announcement):
    a = SubstanceFactory()
    before = head()
    response = _act(
        curator_client,
        "list_on_schedule",
        [a],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        save_as="new",
        draft_title="2024年第54号",
    )
    assert response.status_code == 302
    assert head() == before and not Listing.objects.exists()
    draft = DraftChangeSet.objects.get()
    assert draft.title == "2024年第54号" and draft.is_open
    [operation] = draft.operations.all()
    assert operation.arguments == {
        "substance": a.uid,
        "schedule": nps_list.uid,
        "instrument": announcement.uid,
        "effective_from": "2024-07-01",
    }


def test_staff_without_a_role_cannot_run_the_actions(client, nps_list, announcement):
    from tests.admin.conftest import make_user

    client.force_login(make_user("nobody"))
    a = SubstanceFactory()
    response = _act(
        client,
        "list_on_schedule",
        [a],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        save_as="apply",
    )
    assert response.status_code == 403
    assert not Listing.objects.exists()
