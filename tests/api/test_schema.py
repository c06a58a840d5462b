"""The OpenAPI schema: generated without warnings, every filter documented with its type."""

import pytest
from django.core.management import call_command

from registry.api import urls

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_validates(tmp_path):
    # --fail-on-warn turns any unresolved field, filter or serializer into an error.
    call_command(
        "spectacular",
        "--fail-on-warn",
        "--validate",
        "--custom-settings",
        "registry.api.schema.SCHEMA_SETTINGS",
        "--file",
        str(tmp_path / "schema.yaml"),
    )
    assert (tmp_path / "schema.yaml").stat().st_size > 10_000


@pytest.fixture
def schema(anon):
    response = anon.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _list_views():
    for prefix, viewset, _basename in urls.router.registry:
        yield f"/api/v1/{prefix}/", viewset


@pytest.mark.parametrize(("path", "viewset"), list(_list_views()))
def test_every_filter_is_in_the_schema_with_a_description_and_a_type(schema, path, viewset):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    for name in viewset.filterset_class.base_filters:
        assert name in parameters, f"{path}: {name} missing"
        assert parameters[name]["description"].strip(), f"{path}: {name} undocumented"
        assert parameters[name]["schema"].get("type"), f"{path}: {name} untyped"
    assert {"cursor", "page_size"} <= set(parameters)


def test_date_filters_are_typed_as_dates(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/listings/"]["get"]["parameters"]}
    assert parameters["in_force_on"]["schema"] == {"type": "string", "format": "date"}
    assert parameters["regime"]["schema"]["enum"] == [
        "controlled",
        "narcotic",
        "nonmedical",
        "precursor",
        "psychotropic",
    ]


def test_feed_export_stats_and_check_are_documented(schema):
    changes = {p["name"] for p in schema["paths"]["/api/v1/changes/"]["get"]["parameters"]}
    assert changes == {"after", "limit"}
    stats = {p["name"] for p in schema["paths"]["/api/v1/stats/"]["get"]["parameters"]}
    assert stats == {"jurisdiction", "on"}
    assert "application/x-ndjson" in str(schema["paths"]["/api/v1/export/"]["get"]["responses"])
    assert "requestBody" in schema["paths"]["/api/v1/check/"]["post"]
    assert "/api/v1/listings/{uid}/reschedule/" in schema["paths"]


def test_schema_description_shows_the_sync_loop(schema):
    description = schema["info"]["description"]
    assert "/api/v1/export/" in description
    assert "/api/v1/changes/?after=" in description
    assert "Registry-Seq" in description


def test_every_request_body_takes_no_other_keys(schema):
    bodies = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                name = media["schema"]["$ref"].rsplit("/", 1)[-1]
                component = schema["components"]["schemas"][name]
                assert component.get("additionalProperties") is False, f"{method} {path}"
                bodies += 1
    assert bodies >= 3 * 14  # every write and the check, in each of the three encodings


def test_a_listing_patch_is_documented_with_what_it_takes(schema):
    patch = schema["paths"]["/api/v1/listings/{uid}/"]["patch"]
    name = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][name.rsplit("/", 1)[-1]]["properties"]
    assert "effective_to" in properties
    assert not {"schedule", "substance", "class"} & set(properties)
    assert "reschedule/" in patch["description"]
