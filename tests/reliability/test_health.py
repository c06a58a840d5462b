"""GET /health/ says whether the databases and the cache answer: 200 or 503, in JSON."""

from unittest import mock

import pytest

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_everything_answers(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_health_is_503_when_the_cache_loses_what_it_stored(client):
    with mock.patch("registry.health.cache.get", return_value=None):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


def test_health_is_503_when_the_database_fails_and_names_no_secrets(client):
    def broken(alias):
        def check():
            raise RuntimeError("password=hunter2 host=db.internal")

        return check

    with mock.patch("registry.health._database", broken):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "RuntimeError"}
    assert b"hunter2" not in response.content


def test_health_only_answers_get(client):
    assert client.post("/health/").status_code == 405
