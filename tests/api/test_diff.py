"""GET /api/v1/diff/: what changed on a jurisdiction's lists between two dates."""

import pytest

from tests.web.sample import build_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(db):
    return build_sample()


def test_diff_answers_added_removed_and_moved(client, sample):
    body = client.get(
        "/api/v1/diff/", {"jurisdiction": "cn", "from": "2025-07-27", "to": "2025-07-28"}
    ).json()
    assert body["jurisdiction"] == "CN" and body["added"] == [] and body["removed"] == []
    moved = {e["subject"]["uid"]: e for e in body["moved"]}
    carfentanil = moved["carfentanil"]
    assert carfentanil["subject"]["type"] == "substance"
    assert carfentanil["schedule"]["uid"] == "cn-nonmedical-2025"
    assert carfentanil["schedule"]["code"] == "CN-NONMED-2025"
    assert carfentanil["instrument"]["uid"] == sample.reorganisation.uid
    assert [s["uid"] for s in carfentanil["from_schedules"]] == ["cn-narcotic-2013"]
    assert moved["class-fentanyls"]["subject"]["type"] == "class"


def test_diff_additions_name_their_instrument(client, sample):
    body = client.get(
        "/api/v1/diff/", {"jurisdiction": "CN", "from": "2014-01-01", "to": "2019-05-01"}
    ).json()
    added = {e["subject"]["uid"]: e["instrument"]["uid"] for e in body["added"]}
    assert added["class-fentanyls"] == sample.fentanyl_class_2019.uid


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"jurisdiction": "XX", "from": "2020-01-01", "to": "2021-01-01"}, "jurisdiction"),
        ({"jurisdiction": "CN", "from": "2021-01-01", "to": "2020-01-01"}, "to"),
        ({"jurisdiction": "CN", "from": "2021-13-01", "to": "2022-01-01"}, "from"),
        ({"jurisdiction": "CN", "to": "2022-01-01"}, "from"),
        ({"from": "2021-01-01", "to": "2022-01-01"}, "jurisdiction"),
        (
            {"jurisdiction": "CN", "from": "2021-01-01", "to": "2022-01-01", "schedule": "x"},
            "schedule",
        ),
    ],
)
def test_diff_refuses_bad_parameters_by_name(client, sample, params, field):
    response = client.get("/api/v1/diff/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_diff_is_documented_in_the_schema(client, sample):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/diff/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"jurisdiction", "from", "to", "schedule"} <= names
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[-1]
    assert {"added", "removed", "moved"} <= set(schema["components"]["schemas"][ref]["properties"])
