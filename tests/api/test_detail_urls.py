"""Every record's `url` in a list is its detail's URL, as Django's `reverse` gives it, and
answers; the list reverses it once per response (`DetailURLField`)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

RESOURCES = [
    ("substances", "substance"),
    ("names", "name"),
    ("classes", "class"),
    ("jurisdictions", "jurisdiction"),
    ("schedules", "schedule"),
    ("instruments", "instrument"),
    ("listings", "listing"),
]


@pytest.mark.parametrize(("path", "basename"), RESOURCES)
def test_each_url_in_a_list_is_the_records_own(client, registry, path, basename):
    response = client.get(f"/api/v1/{path}/")
    assert response.status_code == 200
    items = response.json()["results"]
    assert len(items) >= 1
    for item in items:
        expected = reverse(f"api:{basename}-detail", kwargs={"uid": item["uid"]})
        assert item["url"] == f"http://testserver{expected}"
    detail = client.get(items[-1]["url"])
    assert detail.status_code == 200 and detail.json()["uid"] == items[-1]["uid"]
