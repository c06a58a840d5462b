"""Every door that writes the public record leaves its change row: admin, services, commands."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from registry.models import Change, Listing
from registry.representations import iter_all
from substances.models import Substance, SubstanceClass
from tests.admin.conftest import NO_INLINES
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_user(client):
    user = get_user_model().objects.create_superuser("curator", "c@example.org", "pw")
    client.force_login(user)
    return client


def _head() -> int:
    last = Change.objects.order_by("-seq").first()
    return last.seq if last else 0


def _changes_since(head: int) -> list[tuple[str, str, str, str]]:
    return [(c.action, c.resource_type, c.uid, c.via) for c in Change.objects.after(head)]


def test_admin_add_substance_with_inline_name_records_both(admin_client_user):
    head = _head()
    response = admin_client_user.post(
        reverse("admin:substances_substance_add"),
        {
            "uid": "carfentanil",
            "name_en": "Carfentanil",
            "name_zh": "卡芬太尼",
            "kind": "compound",
            "cas": "59708-52-0",
            "smiles": "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCc2ccccc2)CC1",
            "notes": "",
            "names-TOTAL_FORMS": "1",
            "names-INITIAL_FORMS": "0",
            "names-0-uid": "n-carfentanil-en",
            "names-0-name": "4-carbomethoxyfentanyl",
            "names-0-language": "en",
            "names-0-kind": "synonym",
            "names-0-source": "",
            "listings-TOTAL_FORMS": "0",
            "listings-INITIAL_FORMS": "0",
            "relations-TOTAL_FORMS": "0",
            "relations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _changes_since(head) == [
        ("created", "substance", "carfentanil", "admin"),
        ("created", "name", "n-carfentanil-en", "admin"),
    ]
    assert Change.objects.get(uid="carfentanil").actor_name == "curator"


def test_admin_form_shows_cas_check_digit_error(admin_client_user):
    head = _head()
    response = admin_client_user.post(
        reverse("admin:substances_substance_add"),
        {
            "uid": "oxycodone",
            "name_en": "Oxycodone",
            "kind": "compound",
            "cas": "76-42-5",
            **NO_INLINES,
        },
    )
    assert response.status_code == 200
    assert "should end in 6" in response.content.decode()
    assert _head() == head and not Substance.objects.filter(uid="oxycodone").exists()


def test_admin_change_and_delete_substance_record_changes(admin_client_user):
    s = SubstanceFactory(uid="mt-45", name_en="MT-45")
    head = _head()
    response = admin_client_user.post(
        reverse("admin:substances_substance_change", args=[s.pk]),
        {
            "uid": "mt-45",
            "name_en": "MT-45",
            "name_zh": "MT-45",
            "kind": "compound",
            **NO_INLINES,
        },
    )
    assert response.status_code == 302
    response = admin_client_user.post(
        reverse("admin:substances_substance_delete", args=[s.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert _changes_since(head) == [
        ("updated", "substance", "mt-45", "admin"),
        ("deleted", "substance", "mt-45", "admin"),
    ]


def test_admin_bulk_delete_records_each(admin_client_user):
    a, b = SubstanceFactory(), SubstanceFactory()
    head = _head()
    response = admin_client_user.post(
        reverse("admin:substances_substance_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk, b.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert sorted(c[2] for c in _changes_since(head)) == sorted([a.uid, b.uid])


def test_admin_listing_overlap_is_a_form_error(admin_client_user):
    listing = ListingFactory(effective_from=datetime.date(2019, 5, 1))
    head = _head()
    response = admin_client_user.post(
        reverse("admin:registry_listing_add"),
        {
            "uid": "l-dup",
            "schedule": listing.schedule.pk,
            "substance": listing.substance.pk,
            "effective_from": "2019-05-01",
            "listed_by": listing.listed_by.pk,
        },
    )
    assert response.status_code == 200
    assert "already on this list for part of that period" in response.content.decode()
    assert _head() == head and Listing.objects.count() == 1


def test_admin_class_save_records_one_change_with_its_rules(admin_client_user):
    head = _head()
    response = admin_client_user.post(
        reverse("admin:substances_substanceclass_add"),
        {
            "uid": "class-x",
            "name_en": "X class",
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
            "rules-0-explanation": "a benzene ring",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [change] = Change.objects.after(head)
    assert change.resource_type == "class"
    assert change.data["rules"] == [
        {
            "label": "core",
            "kind": "include",
            "smarts": "c1ccccc1",
            "explanation": "a benzene ring",
            "label_zh": "",
            "explanation_zh": "",
        }
    ]
    assert SubstanceClass.objects.get(uid="class-x").rules.count() == 1


def test_admin_cannot_edit_or_delete_change_rows(admin_client_user):
    SubstanceFactory()
    change = Change.objects.first()
    url = reverse("admin:registry_change_change", args=[change.pk])
    response = admin_client_user.post(url, {"uid": "tampered"})
    assert response.status_code == 403
    delete = reverse("admin:registry_change_delete", args=[change.pk])
    assert admin_client_user.post(delete, {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.uid != "tampered"


def test_admin_lists_every_model(admin_client_user):
    for name in [
        "substances_substance",
        "substances_name",
        "substances_substanceclass",
        "substances_precursoruse",
        "registry_jurisdiction",
        "registry_schedule",
        "registry_instrument",
        "registry_listing",
        "registry_change",
    ]:
        assert admin_client_user.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_every_resource_written_has_its_created_row():
    """Factories create through the services; each resource they made has its one created row."""
    ListingFactory()
    ScheduleFactory()
    InstrumentFactory(jurisdiction=JurisdictionFactory())
    resources = {(rtype, uid) for rtype, uid, _ in iter_all()}
    created = set(Change.objects.filter(action="created").values_list("resource_type", "uid"))
    assert resources == created
    assert Change.objects.count() == len(resources) == 7
