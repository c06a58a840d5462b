"""Drafts: legal changes invisible until a reviewer publishes them, as one change set."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry import drafts, roles
from registry.models import Change, DraftChangeSet, Listing
from substances.models import Substance, SubstanceClass
from tests.admin.conftest import head, make_user
from tests.factories import ListingFactory, SubstanceClassFactory, SubstanceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(curator, nps_list, psy2_list, announcement):
    """A curator's draft: list one substance, move another to Class II."""
    changeset = drafts.start(title="2024年第54号", author=curator)
    new = SubstanceFactory(uid="new-one")
    moved = ListingFactory(schedule=nps_list, effective_from=datetime.date(2019, 5, 1))
    drafts.add_operation(
        changeset,
        service="list_substance",
        summary="list new-one",
        substance=new.uid,
        schedule=nps_list.uid,
        instrument=announcement.uid,
        effective_from="2024-07-01",
    )
    drafts.add_operation(
        changeset,
        service="reschedule",
        summary="move",
        listing=moved.uid,
        to_schedule=psy2_list.uid,
        instrument=announcement.uid,
        effective_on="2024-07-01",
    )
    return changeset


def test_a_draft_is_invisible_until_published(draft, reviewer, nps_list):
    before = head()
    in_force = set(Listing.objects.in_force(on=datetime.date(2024, 7, 1)))
    assert not Listing.objects.filter(substance__uid="new-one").exists()
    assert drafts.problems(draft, user=reviewer) == []
    # The trial run left nothing behind.
    assert head() == before
    assert set(Listing.objects.in_force(on=datetime.date(2024, 7, 1))) == in_force

    written = drafts.publish(draft, reviewer=reviewer)

    assert [(c.action, c.resource_type) for c in written] == [
        ("created", "listing"),
        ("updated", "listing"),
        ("created", "listing"),
    ]
    assert {(c.actor_name, c.via) for c in written} == {("reviewer", f"draft {draft.pk}")}
    assert Listing.objects.filter(substance__uid="new-one", schedule=nps_list).exists()
    draft.refresh_from_db()
    assert draft.status == "published" and draft.reviewer.username == "reviewer"
    assert (draft.first_seq, draft.last_seq) == (before + 1, before + 3)


def test_a_failing_step_publishes_nothing(draft, reviewer, nps_list, announcement):
    # Someone lists new-one on the same list meanwhile: step 1 would overlap.
    ListingFactory(schedule=nps_list, substance=Substance.objects.get(uid="new-one"))
    before = head()
    problems = drafts.problems(draft, user=reviewer)
    assert len(problems) == 1 and problems[0].startswith("Step 1 (list new-one)")
    with pytest.raises(ValidationError, match="already on this list"):
        drafts.publish(draft, reviewer=reviewer)
    assert head() == before
    draft.refresh_from_db()
    assert draft.is_open


def test_only_a_reviewer_other_than_the_author_publishes(draft, curator):
    with pytest.raises(ValidationError, match="Only a reviewer"):
        drafts.publish(draft, reviewer=curator)
    author_reviewer = make_user("both", role=roles.REVIEWER)
    own = drafts.start(title="mine", author=author_reviewer)
    with pytest.raises(ValidationError, match="another reviewer must publish it"):
        drafts.publish(own, reviewer=author_reviewer)


def test_reviewer_publishes_from_the_admin(client, draft, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("admin:registry_draftchangeset_change", args=[draft.pk]))
    assert "Publish" in page.content.decode() and "A trial run of every step succeeds" in (
        page.content.decode()
    )
    response = client.post(
        reverse("admin:registry_draftchangeset_decide", args=[draft.pk]), {"publish": "1"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
    assert Change.objects.filter(via=f"draft {draft.pk}").count() == 3


def test_a_curator_cannot_publish_from_the_admin(curator_client, draft):
    page = curator_client.get(reverse("admin:registry_draftchangeset_change", args=[draft.pk]))
    assert 'name="publish"' not in page.content.decode()
    response = curator_client.post(
        reverse("admin:registry_draftchangeset_decide", args=[draft.pk]), {"publish": "1"}
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.is_open


def test_the_author_can_discard_a_draft(curator_client, draft):
    before = head()
    curator_client.post(
        reverse("admin:registry_draftchangeset_decide", args=[draft.pk]), {"discard": "1"}
    )
    draft.refresh_from_db()
    assert draft.status == "discarded" and head() == before
    with pytest.raises(ValidationError, match="not a draft"):
        drafts.add_operation(draft, service="delist", summary="x")


def test_class_rules_saved_as_draft_change_nothing_until_published(
    curator_client, curator, reviewer
):
    substance_class = SubstanceClassFactory(uid="class-d", name_en="D")
    before = head()
    response = curator_client.post(
        reverse("admin:substances_substanceclass_change", args=[substance_class.pk]),
        {
            "uid": "class-d",
            "name_en": "D",
            "name_zh": "",
            "definition_zh": "",
            "definition_en": "",
            "notes": "",
            "reference_smiles": "",
            "examples": "[]",
            "expected_version": "1",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-0-sort_order": "0",
            "rules-0-label": "core",
            "rules-0-kind": "include",
            "rules-0-smarts": "c1ccccc1",
            "rules-0-explanation": "",
            "_save_draft": "1",
        },
    )
    assert response.status_code == 302
    assert head() == before
    assert SubstanceClass.objects.get(pk=substance_class.pk).rules.count() == 0
    changeset = DraftChangeSet.objects.get(author=curator)
    [change] = drafts.publish(changeset, reviewer=reviewer)
    assert change.resource_type == "class" and change.data["rules"][0]["label"] == "core"
    assert change.via == f"draft {changeset.pk}" and change.actor_name == "reviewer"


def test_a_reviewer_is_not_offered_to_publish_their_own_draft(client):
    author = make_user("both", role=roles.REVIEWER)
    own = drafts.start(title="mine", author=author)
    client.force_login(author)
    page = client.get(reverse("admin:registry_draftchangeset_change", args=[own.pk])).content
    assert 'name="publish"' not in page.decode() and 'name="discard"' in page.decode()
    assert "You prepared this draft: another reviewer publishes it." in page.decode()
    response = client.post(
        reverse("admin:registry_draftchangeset_decide", args=[own.pk]),
        {"publish": "1"},
        follow=True,
    )
    assert "another reviewer must publish it" in response.content.decode()
    own.refresh_from_db()
    assert own.is_open
