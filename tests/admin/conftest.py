import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from registry import roles
from registry.models import Change
from tests.factories import InstrumentFactory, JurisdictionFactory, ScheduleFactory


def make_user(username: str, *, role: str | None = None, superuser: bool = False):
    user_model = get_user_model()
    if superuser:
        return user_model.objects.create_superuser(username, f"{username}@example.org", "pw")
    user = user_model.objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    if role:
        if not Group.objects.filter(name=role).exists():
            # A transactional test elsewhere flushed the groups the migration made.
            roles.grant_roles(Group, Permission)
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def curator(db):
    return make_user("curator", role=roles.CURATOR)


@pytest.fixture
def reviewer(db):
    return make_user("reviewer", role=roles.REVIEWER)


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def china(db):
    return JurisdictionFactory()


@pytest.fixture
def nps_list(china):
    return ScheduleFactory(jurisdiction=china, code="NPS", uid="cn-nps")


@pytest.fixture
def psy2_list(china):
    return ScheduleFactory(jurisdiction=china, code="PSY2", uid="cn-psy2")


@pytest.fixture
def announcement(china):
    return InstrumentFactory(
        jurisdiction=china,
        uid="cn-2024-54",
        reference="2024年第54号",
        published_on=datetime.date(2024, 6, 1),
        effective_on=datetime.date(2024, 7, 1),
    )


def head() -> int:
    last = Change.objects.order_by("-seq").first()
    return last.seq if last else 0


NO_INLINES = {
    f"{inline}-{count}": "0"
    for inline in ("names", "listings", "relations")
    for count in ("TOTAL_FORMS", "INITIAL_FORMS")
}
"""The management forms of a substance's admin page with no name, listing or relation typed."""


def substance_form(substance, **values) -> dict:
    """A substance's admin change form as the page posts it, unchanged but for `values`: no
    names, listings or relations typed, at the version it was read at."""
    data = {
        "uid": substance.uid,
        "name_en": substance.name_en,
        "name_zh": substance.name_zh,
        "kind": substance.kind,
        "cas": substance.cas,
        "smiles": substance.smiles,
        "structure_source": substance.structure_source,
        "notes": substance.notes,
        "expected_version": str(substance.version),
        **NO_INLINES,
    }
    return {**data, **values}
