"""Review that holds: with REGISTRY_REQUIRE_REVIEW on, a person's change of legal facts in the
admin is a draft, and nothing of it is public until a reviewer other than its author publishes
it. Without it, the legal actions and the import still default to a draft."""

import datetime
import json

import pytest
from django.urls import reverse

from registry import drafts, roles
from registry.models import Change, DraftChangeSet, Instrument, Listing
from substances.models import SubstanceClass
from tests.admin.conftest import head, make_user, substance_form
from tests.admin.test_import import ADB_BUTINACA, _confirm, _csv, _upload
from tests.admin.test_legal_actions import _act
from tests.factories import (
    ListingFactory,
    RelationFactory,
    SubstanceClassFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(settings):
    settings.REGISTRY_REQUIRE_REVIEW = True


def _only_draft(author) -> DraftChangeSet:
    changeset = DraftChangeSet.objects.get()
    assert changeset.author == author and changeset.is_open
    return changeset


def _listing_form(listing: Listing, **changes) -> dict:
    data = {
        "uid": listing.uid,
        "schedule": listing.schedule.pk,
        "substance": listing.substance.pk if listing.substance else "",
        "substance_class": "",
        "effective_from": listing.effective_from.isoformat(),
        "effective_to": "",
        "listed_by": listing.listed_by.pk,
        "ended_by": "",
        "item_number": listing.item_number,
        "scope": listing.scope,
        "source": listing.source,
        "notes": listing.notes,
    }
    return {**data, **changes}


def _instrument_form(instrument: Instrument, **changes) -> dict:
    data = {
        "uid": instrument.uid,
        "jurisdiction": instrument.jurisdiction.pk,
        "reference": instrument.reference,
        "title_zh": instrument.title_zh,
        "title_en": instrument.title_en,
        "issuers": instrument.issuers,
        "published_on": instrument.published_on.isoformat() if instrument.published_on else "",
        "effective_on": instrument.effective_on.isoformat() if instrument.effective_on else "",
        "source_url": instrument.source_url,
        "confidence": instrument.confidence,
        "notes": instrument.notes,
        "item_dates": json.dumps(instrument.item_dates),
        "effective_precision": instrument.effective_precision,
        "effective_bound": instrument.effective_bound.isoformat()
        if instrument.effective_bound
        else "",
        "listings_made-TOTAL_FORMS": "0",
        "listings_made-INITIAL_FORMS": "0",
        "listings_ended-TOTAL_FORMS": "0",
        "listings_ended-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


# --- the defaults, review or not ------------------------------------------------------------


def test_the_legal_actions_default_to_a_draft(curator_client):
    page = _act(curator_client, "list_on_schedule", [SubstanceFactory()])
    assert page.context["form"]["save_as"].value() == "new"


def test_the_import_defaults_to_listings_as_a_draft(curator_client):
    form = curator_client.get(reverse("admin:substances_substance_import")).context["form"]
    assert form["as_draft"].value() is True


def test_without_review_a_curator_may_still_apply_at_once(curator_client):
    page = _act(curator_client, "list_on_schedule", [SubstanceFactory()])
    assert "apply" in dict(page.context["form"].fields["save_as"].choices)


# --- under review ---------------------------------------------------------------------------


def test_under_review_the_legal_actions_cannot_apply_at_once(
    review, curator_client, curator, nps_list, announcement
):
    substance = SubstanceFactory(uid="a")
    before = head()
    page = _act(curator_client, "list_on_schedule", [substance])
    assert "apply" not in dict(page.context["form"].fields["save_as"].choices)
    refused = _act(
        curator_client,
        "list_on_schedule",
        [substance],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        effective_on="",
        save_as="apply",
    )
    assert refused.status_code == 200 and "save_as" in refused.context["form"].errors
    assert head() == before and not Listing.objects.exists()
    held = _act(
        curator_client,
        "list_on_schedule",
        [substance],
        apply="1",
        schedule=nps_list.pk,
        instrument=announcement.pk,
        effective_on="",
        save_as="new",
    )
    assert held.status_code == 302
    assert head() == before and not Listing.objects.exists()
    assert [op.service for op in _only_draft(curator).operations.all()] == ["list_substance"]


def test_under_review_the_import_holds_the_listings_even_when_asked_not_to(
    review, curator_client, curator, nps_list, announcement
):
    preview = _upload(curator_client, _csv(f"1,,First,,{ADB_BUTINACA},"), nps_list, announcement)
    assert preview.context["form"].fields["as_draft"].disabled
    response = _confirm(curator_client, preview)  # no as_draft in the post
    assert response.status_code == 302
    assert not Listing.objects.exists()
    assert [op.service for op in _only_draft(curator).operations.all()] == ["list_substance"]


def test_under_review_adding_a_listing_makes_a_draft_a_reviewer_publishes(
    review, curator_client, curator, reviewer, nps_list, announcement
):
    substance = SubstanceFactory(uid="mt-45")
    before = head()
    response = curator_client.post(
        reverse("admin:registry_listing_add"),
        _listing_form(
            Listing(
                uid="l-mt-45-nps",
                schedule=nps_list,
                substance=substance,
                effective_from=datetime.date(2024, 7, 1),
                listed_by=announcement,
            )
        ),
    )
    changeset = _only_draft(curator)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:registry_draftchangeset_change", args=[changeset.pk]
    )
    assert not Listing.objects.exists() and head() == before

    [change] = drafts.publish(changeset, reviewer=reviewer)
    listing = Listing.objects.get(uid="l-mt-45-nps")
    assert (listing.substance, listing.schedule, listing.listed_by) == (
        substance,
        nps_list,
        announcement,
    )
    assert (change.action, change.actor_name, change.via) == (
        "created",
        "reviewer",
        changeset.via,
    )


def test_under_review_amending_an_instrument_changes_only_what_was_amended(
    review, curator_client, curator, reviewer, announcement
):
    before = head()
    response = curator_client.post(
        reverse("admin:registry_instrument_change", args=[announcement.pk]),
        _instrument_form(announcement, title_en="Corrected title"),
    )
    assert response.status_code == 302
    announcement.refresh_from_db()
    assert announcement.title_en != "Corrected title" and head() == before
    changeset = _only_draft(curator)
    [operation] = changeset.operations.all()
    assert operation.arguments == {
        "type": "instrument",
        "uid": announcement.uid,
        "fields": {"title_en": "Corrected title"},
    }
    # Meanwhile another field changes; publishing the draft keeps it.
    Instrument.objects.filter(pk=announcement.pk).update(notes="kept")
    drafts.publish(changeset, reviewer=reviewer)
    announcement.refresh_from_db()
    assert (announcement.title_en, announcement.notes) == ("Corrected title", "kept")


def test_under_review_deleting_a_listing_makes_a_draft(review, curator_client, curator):
    listing = ListingFactory()
    before = head()
    response = curator_client.post(
        reverse("admin:registry_listing_delete", args=[listing.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Listing.objects.filter(pk=listing.pk).exists() and head() == before
    assert [op.service for op in _only_draft(curator).operations.all()] == ["delete"]
    changelist = curator_client.get(reverse("admin:registry_listing_changelist"))
    actions = changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    assert "delete_selected" not in actions


def test_under_review_a_plain_save_of_a_class_makes_a_draft(
    review, curator_client, curator, reviewer
):
    substance_class = SubstanceClassFactory(uid="class-r", name_en="R")
    before = head()
    response = curator_client.post(
        reverse("admin:substances_substanceclass_change", args=[substance_class.pk]),
        {
            "uid": "class-r",
            "name_en": "R amended",
            "name_zh": "",
            "definition_zh": "",
            "definition_en": "",
            "notes": "",
            "reference_smiles": "",
            "examples": "[]",
            "expected_version": "1",
            "rules-TOTAL_FORMS": "0",
            "rules-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302 and head() == before
    assert SubstanceClass.objects.get(pk=substance_class.pk).name_en == "R"
    [change] = drafts.publish(_only_draft(curator), reviewer=reviewer)
    assert change.data["name_en"] == "R amended"


def test_under_review_defining_a_class_makes_a_draft(review, curator_client, curator, reviewer):
    response = curator_client.post(
        reverse("admin:substances_substanceclass_add"),
        {
            "uid": "class-new",
            "name_en": "New class",
            "name_zh": "",
            "definition_zh": "",
            "definition_en": "",
            "notes": "",
            "reference_smiles": "",
            "examples": "[]",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-0-sort_order": "0",
            "rules-0-label": "core",
            "rules-0-kind": "include",
            "rules-0-smarts": "c1ccccc1",
            "rules-0-explanation": "",
        },
    )
    assert response.status_code == 302
    assert not SubstanceClass.objects.filter(uid="class-new").exists()
    [change] = drafts.publish(_only_draft(curator), reviewer=reviewer)
    assert change.action == "created" and change.data["rules"][0]["smarts"] == "c1ccccc1"


def test_under_review_a_revert_is_a_draft(review, curator_client, curator, announcement):
    first = Change.objects.for_resource("instrument", announcement.uid).last()
    Instrument.objects.filter(pk=announcement.pk).update(title_en="Changed")
    before = head()
    url = reverse("admin:registry_instrument_revert", args=[announcement.pk, first.seq])
    response = curator_client.post(url)
    assert response.status_code == 302 and head() == before
    assert [op.service for op in _only_draft(curator).operations.all()] == ["update"]


def test_under_review_a_reviewer_and_a_superuser_draft_too_and_publish_only_others(
    review, client, nps_list, announcement
):
    """Nobody changes the law alone: whoever prepares a change, someone else publishes it."""
    reviewer = make_user("rev", role=roles.REVIEWER)
    superuser = make_user("root", superuser=True)
    listing = ListingFactory(
        schedule=nps_list,
        listed_by=announcement,
        effective_from=announcement.effective_on,
    )
    for author, other in [(reviewer, superuser), (superuser, reviewer)]:
        client.force_login(author)
        notes = listing.notes
        client.post(
            reverse("admin:registry_listing_change", args=[listing.pk]),
            _listing_form(listing, notes=f"by {author.username}"),
        )
        changeset = DraftChangeSet.objects.get(author=author)
        listing.refresh_from_db()
        assert listing.notes == notes
        response = client.post(
            reverse("admin:registry_draftchangeset_decide", args=[changeset.pk]),
            {"publish": "1"},
            follow=True,
        )
        assert "another reviewer must publish it" in response.content.decode()
        changeset.refresh_from_db()
        assert changeset.is_open
        drafts.publish(changeset, reviewer=other)
        listing.refresh_from_db()
        assert listing.notes == f"by {author.username}"


@pytest.mark.parametrize("review_on", [True, False])
def test_deleting_a_class_that_listings_cite_is_refused_and_makes_no_draft(
    settings, curator_client, review_on
):
    settings.REGISTRY_REQUIRE_REVIEW = review_on
    listing = ListingFactory(substance=None, substance_class=SubstanceClassFactory(uid="class-x"))
    before = head()
    response = curator_client.post(
        reverse("admin:substances_substanceclass_delete", args=[listing.substance_class.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Cannot delete substance class" in response.content.decode()
    assert SubstanceClass.objects.filter(uid="class-x").exists() and head() == before
    assert not DraftChangeSet.objects.exists()


# --- what decides how far an entry reaches: relations and a list's coverage --------------------

FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def test_under_review_a_relation_added_on_a_substances_page_is_a_draft(
    review, curator_client, curator, reviewer
):
    """A relation decides how far the lists reach a record (a salt of a listed compound is
    listed): held like a listing, while the substance's own fields are saved at once."""
    fentanyl = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    citrate = SubstanceFactory(uid="fentanyl-citrate", name_en="Fentanyl citrate", kind="form")
    before = head()
    response = curator_client.post(
        reverse("admin:substances_substance_change", args=[citrate.pk]),
        substance_form(
            citrate,
            notes="the citrate salt",
            **{
                "relations-TOTAL_FORMS": "1",
                "relations-0-kind": "form_of",
                "relations-0-form": "salt",
                "relations-0-target": str(fentanyl.pk),
            },
        ),
        follow=True,
    )
    assert response.status_code == 200
    assert "saved as the draft" in response.content.decode()
    citrate.refresh_from_db()
    assert citrate.notes == "the citrate salt"  # what says what the record is: at once
    assert not citrate.relations.exists()
    changeset = _only_draft(curator)
    assert [op.service for op in changeset.operations.all()] == ["create"]
    assert [c.resource_type for c in Change.objects.after(before)] == ["substance"]

    drafts.publish(changeset, reviewer=reviewer)
    [relation] = citrate.relations.all()
    assert (relation.kind, relation.form, relation.target) == ("form_of", "salt", fentanyl)


def test_under_review_a_relation_deleted_on_a_substances_page_is_a_draft(
    review, curator_client, curator, reviewer
):
    fentanyl = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    citrate = SubstanceFactory(uid="fentanyl-citrate", name_en="Fentanyl citrate", kind="form")
    relation = RelationFactory(
        uid="r-citrate", subject=citrate, kind="form_of", form="salt", target=fentanyl
    )
    curator_client.post(
        reverse("admin:substances_substance_change", args=[citrate.pk]),
        substance_form(
            citrate,
            **{
                "relations-TOTAL_FORMS": "1",
                "relations-INITIAL_FORMS": "1",
                "relations-0-id": str(relation.pk),
                "relations-0-subject": str(citrate.pk),
                "relations-0-uid": relation.uid,
                "relations-0-kind": "form_of",
                "relations-0-form": "salt",
                "relations-0-target": str(fentanyl.pk),
                "relations-0-DELETE": "on",
            },
        ),
    )
    assert citrate.relations.exists()
    changeset = _only_draft(curator)
    assert [op.service for op in changeset.operations.all()] == ["delete"]
    drafts.publish(changeset, reviewer=reviewer)
    assert not citrate.relations.exists()


def test_under_review_a_relation_through_its_own_page_and_a_lists_coverage_are_drafts(
    review, curator_client, curator, reviewer, nps_list, admin_client
):
    """A list's coverage (salts, stereoisomers, ...) decides what its entries reach; lists are
    kept by superusers only, and under review their changes are drafts too."""
    fentanyl = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    citrate = SubstanceFactory(uid="fentanyl-citrate", name_en="Fentanyl citrate", kind="form")
    response = curator_client.post(
        reverse("admin:substances_relation_add"),
        {
            "uid": "",
            "subject": str(citrate.pk),
            "kind": "form_of",
            "form": "salt",
            "target": str(fentanyl.pk),
            "source": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    assert not citrate.relations.exists()
    drafts.publish(_only_draft(curator), reviewer=reviewer)
    assert citrate.relations.get().target == fentanyl

    response = admin_client.post(
        reverse("admin:registry_schedule_change", args=[nps_list.pk]),
        {
            "uid": nps_list.uid,
            "jurisdiction": str(nps_list.jurisdiction.pk),
            "code": nps_list.code,
            "name": nps_list.name,
            "name_zh": nps_list.name_zh,
            "regime": nps_list.regime,
            "sort_order": str(nps_list.sort_order),
            "description": nps_list.description,
            "description_zh": nps_list.description_zh,
            "coverage": json.dumps(["salts", "esters"]),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    nps_list.refresh_from_db()
    assert nps_list.coverage != ["salts", "esters"]
    [changeset] = DraftChangeSet.objects.filter(status="draft")
    drafts.publish(changeset, reviewer=reviewer)
    nps_list.refresh_from_db()
    assert nps_list.coverage == ["salts", "esters"]
