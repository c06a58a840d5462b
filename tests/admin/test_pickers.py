"""The announcement pickers: "date · reference · title", searched by any of them; and the
Names inline kept within the page."""

import datetime

import pytest
from django.urls import reverse

from registry.admin.pickers import instrument_label
from tests.factories import InstrumentFactory, SubstanceFactory

pytestmark = pytest.mark.django_db

JOINT = "no number found (joint announcement)"


@pytest.fixture
def joint_announcements(china):
    return [
        InstrumentFactory(
            jurisdiction=china,
            reference=JOINT,
            title_en=f"Joint announcement adding {what}",
            published_on=datetime.date(2015 + n, 9, 1),
            effective_on=datetime.date(2015 + n, 10, 1),
        )
        for n, what in enumerate(["116 substances", "4 fentanyls", "the fentanyl class"])
    ]


def test_an_instrument_is_labelled_by_date_reference_and_title(joint_announcements):
    labels = [instrument_label(i) for i in joint_announcements]
    assert labels[0] == f"2015-10-01 · {JOINT} · Joint announcement adding 116 substances"
    assert len(set(labels)) == 3


def autocomplete(client, term: str) -> list[str]:
    response = client.get(
        reverse("admin:registry_instrument_autocomplete"),
        {"term": term, "app_label": "registry", "model_name": "listing", "field_name": "listed_by"},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_the_picker_finds_by_title_reference_and_date_newest_first(
    curator_client, joint_announcements
):
    found = autocomplete(curator_client, "fentanyl")
    assert found == [
        f"2017-10-01 · {JOINT} · Joint announcement adding the fentanyl class",
        f"2016-10-01 · {JOINT} · Joint announcement adding 4 fentanyls",
    ]
    assert len(autocomplete(curator_client, "joint announcement")) == 3
    assert autocomplete(curator_client, "2016-10") == [
        f"2016-10-01 · {JOINT} · Joint announcement adding 4 fentanyls"
    ]


def test_the_legal_action_page_offers_the_searchable_picker(curator_client, joint_announcements):
    substance = SubstanceFactory()
    response = curator_client.post(
        reverse("admin:substances_substance_changelist"),
        {"action": "list_on_schedule", "_selected_action": [substance.pk]},
    )
    html = response.content.decode()
    assert 'class="admin-autocomplete' in html
    assert reverse("admin:registry_instrument_autocomplete") in html
    assert "select2" in html  # the picker's script and style are on the page


def test_the_listing_form_shows_the_chosen_instrument_in_full(client, joint_announcements):
    from tests.admin.conftest import make_user
    from tests.factories import ListingFactory

    client.force_login(make_user("boss", superuser=True))
    listing = ListingFactory(
        listed_by=joint_announcements[1], effective_from=datetime.date(2016, 10, 1)
    )
    html = client.get(reverse("admin:registry_listing_change", args=[listing.pk])).content.decode()
    assert f"2016-10-01 · {JOINT} · Joint announcement adding 4 fentanyls" in html


def test_the_substance_form_keeps_its_names_within_the_page(curator_client):
    substance = SubstanceFactory()
    html = curator_client.get(
        reverse("admin:substances_substance_change", args=[substance.pk])
    ).content.decode()
    assert "registry/admin.css" in html
