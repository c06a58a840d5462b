"""History pages read the change feed; a revert is a new change through the services."""

import datetime

import pytest
from django.urls import reverse

from registry import services
from registry.models import Change, Listing
from substances.models import Substance, SubstanceClass
from tests.admin.conftest import head
from tests.factories import ListingFactory, SubstanceClassFactory, SubstanceFactory

pytestmark = pytest.mark.django_db


def _history(client, obj, model="substances_substance"):
    return client.get(reverse(f"admin:{model}_history", args=[obj.pk]))


def test_history_shows_who_when_and_each_field_changed(curator_client, actor):
    substance = SubstanceFactory(uid="mt-45", name_en="MT-45")
    services.update_substance(
        substance=Substance.objects.get(pk=substance.pk), actor=actor, name_zh="MT-45", cas=""
    )
    response = _history(curator_client, substance)
    assert response.status_code == 200
    newest, oldest = response.context["entries"]
    assert newest.change.action == "updated" and newest.changes == [("name_zh", "", "MT-45")]
    assert oldest.change.action == "created"
    assert ("name_en", None, "MT-45") in oldest.changes
    html = response.content.decode()
    assert "tests" in html and "name_zh" in html and "Revert to this state" in html


def test_revert_restores_an_earlier_state_as_a_new_change(curator_client, actor):
    substance = SubstanceFactory(uid="mt-45", name_en="MT-45", cas="50-00-0")
    services.update_substance(
        substance=Substance.objects.get(pk=substance.pk),
        actor=actor,
        name_en="MT-45 (wrong)",
        cas="",
    )
    created = Change.objects.for_resource("substance", "mt-45").first()
    url = reverse("admin:substances_substance_revert", args=[substance.pk, created.seq])
    confirm = curator_client.get(url)
    assert confirm.status_code == 200
    assert ("name_en", "MT-45 (wrong)", "MT-45") in confirm.context["changes"]
    before = head()
    response = curator_client.post(url)
    assert response.status_code == 302
    [change] = Change.objects.after(before)
    assert (change.action, change.uid, change.actor_name, change.via) == (
        "updated",
        "mt-45",
        "curator",
        "admin",
    )
    assert change.data == created.data
    substance.refresh_from_db()
    assert (substance.name_en, substance.cas, substance.version) == ("MT-45", "50-00-0", 3)
    # The history keeps every step, the revert included.
    assert len(_history(curator_client, substance).context["entries"]) == 3


def test_revert_to_the_current_state_writes_nothing(curator_client, actor):
    substance = SubstanceFactory(uid="same")
    services.update_substance(
        substance=Substance.objects.get(pk=substance.pk), actor=actor, notes="x"
    )
    services.update_substance(
        substance=Substance.objects.get(pk=substance.pk), actor=actor, notes=""
    )
    created = Change.objects.for_resource("substance", "same").first()
    before = head()
    curator_client.post(
        reverse("admin:substances_substance_revert", args=[substance.pk, created.seq])
    )
    assert head() == before


def test_revert_a_listing(curator_client, actor, announcement):
    listing = ListingFactory(effective_from=datetime.date(2019, 5, 1))
    services.delist(
        listing=listing,
        instrument=announcement,
        effective_to=datetime.date(2024, 7, 1),
        actor=actor,
    )
    first = Change.objects.for_resource("listing", listing.uid).first()
    response = curator_client.post(
        reverse("admin:registry_listing_revert", args=[listing.pk, first.seq])
    )
    assert response.status_code == 302
    listing = Listing.objects.get(pk=listing.pk)
    assert listing.effective_to is None and listing.ended_by is None
    assert Change.objects.last().data["effective_to"] is None


def test_revert_a_class_brings_its_rules_back(curator_client, actor):
    substance_class = SubstanceClassFactory(uid="class-r", name_en="R")
    services.update_class(
        substance_class=SubstanceClass.objects.get(pk=substance_class.pk),
        actor=actor,
        rules=[{"label": "ring", "kind": "include", "smarts": "c1ccccc1", "explanation": ""}],
    )
    services.update_class(
        substance_class=SubstanceClass.objects.get(pk=substance_class.pk), actor=actor, rules=[]
    )
    with_rule = Change.objects.for_resource("class", "class-r")[1]
    response = curator_client.post(
        reverse("admin:substances_substanceclass_revert", args=[substance_class.pk, with_rule.seq])
    )
    assert response.status_code == 302
    assert list(substance_class.rules.values_list("label", flat=True)) == ["ring"]
    assert Change.objects.last().data["rules"][0]["smarts"] == "c1ccccc1"


def test_staff_without_a_role_cannot_revert(client, actor):
    from tests.admin.conftest import make_user

    substance = SubstanceFactory(uid="kept")
    services.update_substance(
        substance=Substance.objects.get(pk=substance.pk), actor=actor, notes="x"
    )
    created = Change.objects.for_resource("substance", "kept").first()
    client.force_login(make_user("visitor"))
    before = head()
    url = reverse("admin:substances_substance_revert", args=[substance.pk, created.seq])
    assert client.post(url).status_code == 403
    assert head() == before
