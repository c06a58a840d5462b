"""Every operation of the OpenAPI schema, with generated inputs: no 5xx, answers match the schema.

Bounded: SCHEMATHESIS_EXAMPLES examples per operation (10 by default, a minute or two in all;
RUN_LONG_TESTS=1 raises it to 100).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from registry.api import urls
from tests.factories import api_token
from tests.reliability.conftest import LONG

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100" if LONG else "10"))


@pytest.fixture
def api_schema(small_registry, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute", "export": "1000000/minute"},
    }
    cache.clear()
    # The WSGI handler closes the database connection around each request, which would end the
    # test's transaction on PostgreSQL; Django's own test client disconnects it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _check_operation(operation, *, conformance: bool) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call()
        where = f"{case.method} {case.formatted_path} {case.query or ''}"
        assert response.status_code < 500, f"{where}: {response.text[:500]}"
        if conformance:
            case.validate_response(
                response, checks=[response_schema_conformance, content_type_conformance]
            )

    check()


def _failures(api_schema, *, conformance: bool) -> list[str]:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:
        try:
            _check_operation(operation, conformance=conformance)
        except (Exception, BaseExceptionGroup) as exc:  # all of them, in one report
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    return failures


@pytest.mark.django_db
def test_no_operation_answers_with_a_server_error(api_schema):
    failures = _failures(api_schema, conformance=False)
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_every_answer_matches_the_schema(api_schema):
    failures = _failures(api_schema, conformance=True)
    assert not failures, "\n\n".join(failures)


def _check_strict_body(operation, *, token: str, uid: str | None) -> str | None:
    """Send the operation a body with one key its schema does not have: a 400 must name it."""
    media_types = list(operation.definition.raw["requestBody"]["content"])
    media_type = "application/json" if "application/json" in media_types else media_types[0]
    case = operation.Case(
        path_parameters={"uid": uid} if uid else None,
        body={"not_a_field": "1"},
        media_type=media_type,
    )
    response = case.call(headers={"Authorization": f"Token {token}"})
    if response.status_code != 400 or "not_a_field" not in response.json():
        return f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    return None


@pytest.mark.django_db
def test_every_request_body_refuses_a_key_the_schema_does_not_have(api_schema, admin_user):
    """The schema says `additionalProperties: false` on request bodies; the API holds to it."""
    token = api_token(admin_user)
    models = {f"/api/v1/{prefix}/": vs.list_queryset for prefix, vs, _ in urls.router.registry}
    failures, checked = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if "requestBody" not in operation.definition.raw:
            continue  # takes no body (e.g. a draft's publish)
        uid = None
        if "{uid}" in operation.path:
            existing = models[operation.path.split("{uid}")[0]].first()
            uid = existing.uid if existing is not None else "missing"
        if failure := _check_strict_body(operation, token=token, uid=uid):
            failures.append(failure)
        checked += 1
    assert checked >= 13
    assert not failures, "\n\n".join(failures)
