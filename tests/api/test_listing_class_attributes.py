"""A class entry's attributes name lists and substances that exist: a mistyped uid would
silently do nothing, so it is refused (HTTP 400 naming the field) and nothing is written."""

import pytest

from registry.models import Change
from substances.models import SubstanceClass
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_a_mistyped_uid_in_a_class_entrys_attributes_is_refused_through_the_api(
    curator,
):
    cn_listing = ListingFactory(uid="l-cn")
    cls = SubstanceClass.objects.create(uid="class-x", name_en="X")
    entry = ListingFactory(
        uid="l-class", schedule=cn_listing.schedule, substance=None, substance_class=cls
    )
    before = Change.objects.head()
    for attributes, unknown in (
        ({"excepted": ["fentanil"]}, "excepted names no substance fentanil"),
        ({"named_listings_prevail": ["cn-narcotic-2052"]}, "names no list cn-narcotic-2052"),
    ):
        response = curator.patch(
            f"/api/v1/listings/{entry.uid}/", {"attributes": attributes}, format="json"
        )
        assert response.status_code == 400, response.content
        assert unknown in response.json()["attributes"][0]
    assert Change.objects.head() == before
    known = {"named_listings_prevail": [cn_listing.schedule.uid]}
    response = curator.patch(f"/api/v1/listings/{entry.uid}/", {"attributes": known}, format="json")
    assert response.status_code == 200, response.content
