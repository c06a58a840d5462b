"""HTTP behaviour every client relies on: Registry-Seq, ETag and 304, throttling, the docs."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from tests.api.conftest import head

pytestmark = pytest.mark.django_db

CONDITIONAL = [
    "/api/v1/substances/fentanyl/",
    "/api/v1/substances/?in_force_on=2020-01-01",
    "/api/v1/listings/",
    "/api/v1/classes/fentanyl-related/",
    "/api/v1/stats/?jurisdiction=CN&on=2020-01-01",
    "/api/v1/changes/?after=3",
]


@pytest.mark.parametrize("path", CONDITIONAL)
def test_etag_answers_if_none_match_with_304_until_something_changes(anon, curator, registry, path):
    first = anon.get(path)
    etag = first["ETag"]
    assert etag.startswith('"')
    again = anon.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Registry-Seq"] == str(head())
    assert anon.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200

    curator.patch("/api/v1/substances/fentanyl/", {"name_zh": "芬太尼 (2)"}, format="json")
    listed = curator.post(
        "/api/v1/listings/",
        {
            "schedule": "cn-psy1",
            "class": "fentanyl-related",
            "effective_from": "2014-01-01",
            "listed_by": "cn-2013",
        },
        format="json",
    )
    assert listed.status_code == 201
    changed = anon.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_every_response_names_the_feed_position(anon, curator, registry):
    position = str(head())
    for response in (
        anon.get("/api/v1/"),
        anon.get("/api/v1/substances/"),
        anon.get("/api/v1/substances/nobody/"),
        anon.get("/api/v1/substances/?in_force_on=bad"),
        anon.get("/api/v1/export/"),
        anon.post("/api/v1/substances/", {}),
    ):
        assert response["Registry-Seq"] == position
    created = curator.post("/api/v1/substances/", {"name_en": "Fresh"}, format="json")
    assert created["Registry-Seq"] == str(int(position) + 1)


def _settings_with(rates):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    )


def test_anonymous_reader_is_throttled_with_retry_after(anon, registry):
    with _settings_with({"anon": "3/minute", "user": "5/minute"}):
        cache.clear()
        for _ in range(3):
            assert anon.get("/api/v1/substances/").status_code == 200
        throttled = anon.get("/api/v1/substances/")
        assert throttled.status_code == 429
        assert 0 < int(throttled["Retry-After"]) <= 60
        # Counted per client: another address still reads.
        assert anon.get("/api/v1/substances/", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_token_clients_are_counted_per_account(curator, reader_token, registry):
    with _settings_with({"anon": "1/minute", "user": "2/minute"}):
        cache.clear()
        assert curator.get("/api/v1/listings/").status_code == 200
        assert curator.get("/api/v1/listings/").status_code == 200
        assert curator.get("/api/v1/listings/").status_code == 429
        assert reader_token.get("/api/v1/listings/").status_code == 200


def test_the_export_has_its_own_stricter_rate(anon, registry):
    with _settings_with({"anon": "100/minute", "user": "100/minute", "export": "1/hour"}):
        cache.clear()
        first = anon.get("/api/v1/export/")
        b"".join(first.streaming_content)
        assert first.status_code == 200
        second = anon.get("/api/v1/export/")
        assert second.status_code == 429
        assert int(second["Retry-After"]) > 60
        assert anon.get("/api/v1/changes/").status_code == 200


def test_docs_are_served_from_the_project_without_a_cdn(anon, registry):
    for path in ("/api/docs/", "/api/redoc/"):
        page = anon.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
        assert "drf_spectacular_sidecar" in html


def test_stats_count_named_substances_and_classes_per_list(anon, registry):
    body = anon.get("/api/v1/stats/", {"jurisdiction": "cn", "on": "2020-01-01"}).json()
    assert body["on"] == "2020-01-01"
    assert body["jurisdiction"] == "CN"
    rows = {row["code"]: row for row in body["schedules"]}
    assert rows["PSY1"]["substances"] == 1  # fentanyl; a-PVP moved on 2019-05-01
    assert rows["NPS"] == {**rows["NPS"], "substances": 1, "classes": 1, "regime": "nonmedical"}
    assert {"code", "name", "name_zh", "regime", "substances", "classes"} <= set(rows["PSY1"])
    everywhere = anon.get("/api/v1/stats/", {"on": "2020-01-01"}).json()
    assert everywhere["jurisdiction"] is None
    assert "I" in {row["code"] for row in everywhere["schedules"]}


def test_stats_default_to_today(anon, registry):
    assert anon.get("/api/v1/stats/").json()["on"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("param", "value"),
    [("on", "2020-02-30"), ("on", "today"), ("jurisdiction", "XX")],
)
def test_stats_refuse_bad_parameters_by_name(anon, registry, param, value):
    response = anon.get("/api/v1/stats/", {param: value})
    assert response.status_code == 400
    assert param in response.json()
