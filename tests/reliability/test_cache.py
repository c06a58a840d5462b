"""The shared response cache serves anonymous reads until the registry changes, never after."""

import pytest
from django.core.cache import cache

from registry import services
from substances.models import Substance

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cached(settings, small_registry):
    settings.RESPONSE_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def test_a_second_anonymous_read_comes_from_the_cache(client, cached):
    first = client.get("/api/v1/substances/fentanyl/")
    second = client.get("/api/v1/substances/fentanyl/")
    assert first["X-Registry-Cache"] == "miss"
    assert second["X-Registry-Cache"] == "hit"
    assert second.content == first.content
    assert second["Registry-Seq"] == first["Registry-Seq"]


def test_a_committed_change_is_seen_at_once(client, cached, actor):
    assert b"Fentanyl" in client.get("/api/v1/substances/fentanyl/").content
    services.update_substance(
        substance=Substance.objects.get(uid="fentanyl"), name_en="Fentanyl (amended)", actor=actor
    )
    response = client.get("/api/v1/substances/fentanyl/")
    assert response["X-Registry-Cache"] == "miss"
    assert b"Fentanyl (amended)" in response.content


def test_a_rolled_back_write_keeps_the_cache(client, cached, actor):
    from django.db import transaction

    client.get("/api/v1/substances/fentanyl/")
    with transaction.atomic():
        services.update_substance(
            substance=Substance.objects.get(uid="fentanyl"), name_en="Never", actor=actor
        )
        transaction.set_rollback(True)
    assert client.get("/api/v1/substances/fentanyl/")["X-Registry-Cache"] == "hit"


def test_public_pages_are_cached_per_language(client, cached):
    english = client.get("/substances/fentanyl/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/substances/fentanyl/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english["X-Registry-Cache"] == chinese["X-Registry-Cache"] == "miss"
    assert client.get("/substances/fentanyl/", HTTP_ACCEPT_LANGUAGE="en")["X-Registry-Cache"] == (
        "hit"
    )


def test_cached_answers_honour_if_none_match(client, cached):
    etag = client.get("/api/v1/substances/fentanyl/")["ETag"]
    response = client.get("/api/v1/substances/fentanyl/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["Registry-Seq"]


def test_authenticated_and_session_requests_bypass_the_cache(client, cached):
    client.get("/api/v1/substances/fentanyl/")
    response = client.get("/api/v1/substances/fentanyl/", HTTP_AUTHORIZATION="Token nope")
    assert not response.has_header("X-Registry-Cache")
    client.cookies["sessionid"] = "whatever"
    assert not client.get("/api/v1/substances/fentanyl/").has_header("X-Registry-Cache")


def test_errors_and_the_health_endpoint_are_never_cached(client, cached):
    client.get("/api/v1/substances/nope/")
    assert not client.get("/api/v1/substances/nope/").has_header("X-Registry-Cache")
    assert not client.get("/health/").has_header("X-Registry-Cache")


def test_without_a_shared_cache_nothing_is_cached(client, small_registry, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    client.get("/api/v1/substances/fentanyl/")
    assert not client.get("/api/v1/substances/fentanyl/").has_header("X-Registry-Cache")
