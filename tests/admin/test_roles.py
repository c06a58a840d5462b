"""Roles: what a Curator, a Reviewer and a staff member without a role may do."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.urls import reverse

from registry import roles
from registry.models import Change
from tests.admin.conftest import NO_INLINES, make_user
from tests.factories import SubstanceFactory

pytestmark = pytest.mark.django_db


def test_the_migration_made_both_groups():
    """The groups as the roles migrations leave them. A transactional test run before this one
    in the same process flushed the database, groups included: the last roles migration's step
    then runs again here, as it runs on a new database."""
    if Group.objects.filter(name__in=list(roles.ROLES)).count() != len(roles.ROLES):
        step = importlib.import_module("registry.migrations.0014_relation_roles").grant_again
        step(django_apps, None)
    curator = Group.objects.get(name=roles.CURATOR)
    reviewer = Group.objects.get(name=roles.REVIEWER)
    curator_perms = set(curator.permissions.values_list("codename", flat=True))
    reviewer_perms = set(reviewer.permissions.values_list("codename", flat=True))
    assert {"change_substance", "add_listing", "delete_name", "change_substanceclass"} <= (
        curator_perms
    )
    assert "publish_draftchangeset" not in curator_perms
    assert reviewer_perms == curator_perms | {"publish_draftchangeset"}
    assert not {p for p in reviewer_perms if p.endswith("_change") and not p.startswith("view")}


def test_a_curator_can_edit_a_substance(curator_client):
    substance = SubstanceFactory(uid="mt-45", name_en="MT-45")
    url = reverse("admin:substances_substance_change", args=[substance.pk])
    assert curator_client.get(url).status_code == 200
    response = curator_client.post(
        url,
        {
            "uid": "mt-45",
            "name_en": "MT-45",
            "name_zh": "MT-45",
            "kind": "compound",
            "expected_version": "1",
            **NO_INLINES,
        },
    )
    assert response.status_code == 302
    assert Change.objects.last().actor_name == "curator"


def test_a_curator_cannot_edit_schedules_or_jurisdictions(curator_client):
    assert curator_client.get(reverse("admin:registry_schedule_add")).status_code == 403
    assert curator_client.get(reverse("admin:registry_jurisdiction_add")).status_code == 403
    assert curator_client.get(reverse("admin:registry_schedule_changelist")).status_code == 200


def test_staff_without_a_role_sees_nothing(client):
    client.force_login(make_user("visitor"))
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    for name in ["substances_substance", "registry_listing", "registry_change"]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403
    assert client.get(reverse("admin:substances_substance_import")).status_code == 403


@pytest.mark.parametrize("who", ["curator", "reviewer", "superuser"])
def test_nobody_can_change_or_delete_change_rows(client, who):
    user = (
        make_user(who, superuser=True)
        if who == "superuser"
        else make_user(who, role=roles.CURATOR if who == "curator" else roles.REVIEWER)
    )
    client.force_login(user)
    SubstanceFactory()
    change = Change.objects.first()
    assert client.get(reverse("admin:registry_change_change", args=[change.pk])).status_code == 200
    assert (
        client.post(
            reverse("admin:registry_change_change", args=[change.pk]), {"uid": "tampered"}
        ).status_code
        == 403
    )
    delete = reverse("admin:registry_change_delete", args=[change.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:registry_change_add")).status_code == 403
    change.refresh_from_db()
    assert change.uid != "tampered"
