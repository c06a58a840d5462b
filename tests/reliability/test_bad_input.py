"""A corpus of malformed and hostile values, sent to every parameter and form field.

Each must get a 4xx with a message (or, on the public site's GET forms, the normal page with a
message), never a 5xx, and every request must come back (no worker hangs).
"""

import json

import pytest
from rest_framework.test import APIClient

from tests.factories import api_token

pytestmark = pytest.mark.django_db

CORPUS = [
    "",
    " ",
    "0",
    "-1",
    "-99999999999999999999",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "2019-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "2019-13-01",
    "01/05/2019",
    "2019-01-01,",
    ",",
    "2020-01-01,2019-01-01",
    "' OR 1=1 --",
    "'; DROP TABLE substances_substance; --",
    '" UNION SELECT password FROM auth_user --',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "../../../../etc/passwd",
    "%00",
    "\x00",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "\u202e\u0000\uffff",
    "A" * 10_000,
    "芬" * 3_000,
    "C" * 5_000,  # a very long chain
    "c1" * 500,
    "C1CC[N+](C)(C)(C)(C)C1",
    "[Na+].[Cl-]" * 200,
    "C(" * 1000 + ")" * 1000,
    "[#6]~[#6]~[#6]~[#6]~[#6]~[#6]~[#6]~[#6]~[#6]~[#6]" * 20,
    "[$([$([$([$([$([$(C)])])])])])]",
    "*" * 500,
    "InChI=1S/" + "C" * 1000,
    "AAAAAAAAAAAAAA-AAAAAAAAAA-A",
    "50-00-1",
    "eyJ2IjogWzFdLCAiciI6IDAsICJvIjogWyJ1aWQiXX0",  # a forged cursor
    "eyJ2IjpbeyJhIjoxfV0sInIiOjAsIm8iOlsidWlkIl19",
    "%",
    "_",
    "\\",
]

API_LISTS = {
    "/api/v1/substances/": [
        "q",
        "cas",
        "inchikey",
        "kind",
        "related_to",
        "schedule",
        "jurisdiction",
        "regime",
        "instrument",
        "in_force_on",
        "listed_between",
        "ordering",
        "cursor",
        "page_size",
    ],
    "/api/v1/listings/": [
        "q",
        "substance",
        "class",
        "cas",
        "inchikey",
        "subject",
        "ended_between",
        "in_force_on",
        "listed_between",
        "ordering",
        "cursor",
    ],
    "/api/v1/names/": ["q", "substance", "language", "kind", "ordering", "page_size"],
    "/api/v1/instruments/": ["q", "jurisdiction", "effective_between", "ordering"],
    "/api/v1/classes/": ["q", "in_force_on", "schedule"],
    "/api/v1/precursor-uses/": ["q", "precursor", "product"],
    "/api/v1/changes/": ["after", "limit"],
    "/api/v1/stats/": ["on", "jurisdiction"],
}
PAGES = {
    "/search/": ["q", "schedule", "regime", "on", "sort", "page"],
    "/check/": ["items", "on"],
    "/": ["on"],
    "/schedules/": ["on"],
    "/changes/": ["page"],
}


def _safe(value: str) -> str:
    # The test client encodes the query string as UTF-8; a lone surrogate is sent percent-encoded
    # as a real client would send its (invalid) bytes.
    return value.encode("utf-8", "surrogatepass").decode("latin-1") if "\ud800" in value else value


def _assert_handled(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: HTTP {response.status_code}"
    if 400 <= response.status_code < 500:
        assert response.content.strip(), f"{where}: a 4xx without a message"


@pytest.mark.parametrize("path", sorted(API_LISTS))
def test_api_parameters_answer_hostile_values_with_a_4xx_or_a_page(small_registry, path):
    client = APIClient()
    for parameter in API_LISTS[path]:
        for value in CORPUS:
            response = client.get(path, {parameter: _safe(value)})
            _assert_handled(response, f"{path}?{parameter}={value[:40]!r}")


@pytest.mark.parametrize("path", sorted(PAGES))
def test_public_forms_answer_hostile_values_with_a_page(client, small_registry, path):
    for parameter in PAGES[path]:
        for value in CORPUS:
            response = client.get(path, {parameter: _safe(value)})
            _assert_handled(response, f"{path}?{parameter}={value[:40]!r}")
            if response.status_code == 200:
                assert b"<script>alert(1)</script>" not in response.content


def test_resource_paths_with_hostile_uids_are_404s(small_registry):
    client = APIClient()
    for value in CORPUS:
        if not value.strip() or "/" in value or "\x00" in value:
            continue
        for prefix in ("/api/v1/substances/", "/api/v1/listings/", "/substances/"):
            _assert_handled(client.get(f"{prefix}{_safe(value)}/"), f"{prefix}{value[:40]!r}")


CHECK_BODIES = [
    {},
    {"items": None},
    {"items": "fentanyl"},
    {"items": []},
    {"items": [None]},
    {"items": [1, 2, 3]},
    {"items": [{"nested": [1, {"deeper": []}]}]},
    {"items": ["fentanyl"] * 100_000},
    {"items": CORPUS},
    {"items": ["fentanyl"], "on": "2019-02-30"},
    {"items": ["fentanyl"], "on": -1},
    {"items": ["fentanyl"], "jurisdiction": "' OR 1=1 --"},
    {"items": ["fentanyl"], "jurisdiction": ["CN"]},
]


def _nested(depth: int) -> str:
    return '{"items": ' + "[" * depth + "]" * depth + "}"


def test_the_check_endpoint_answers_hostile_bodies_with_a_4xx_or_verdicts(small_registry):
    client = APIClient()
    for body in CHECK_BODIES:
        # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
        response = client.post("/api/v1/check/", json.dumps(body), content_type="application/json")
        _assert_handled(response, f"check {json.dumps(body)[:80]}")
    raw = [
        _nested(100_000),
        "{" * 50_000,
        '{"items": ["' + "A" * 2_000_000 + '"]}',
        "not json",
        "\xff\xfe",
        "",
    ]
    for text in raw:
        response = client.post(
            "/api/v1/check/", data=text.encode("utf-8", "replace"), content_type="application/json"
        )
        _assert_handled(response, f"check raw {text[:30]!r}")


def test_writes_with_hostile_bodies_are_4xx_even_with_the_permission(
    small_registry, django_user_model
):

    user = django_user_model.objects.create_superuser("admin", "a@example.org", "pw-123456789")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    bodies = [
        {"uid": "UPPER CASE", "name_en": "x"},
        {"uid": "ok-uid", "name_en": ""},
        {"uid": "ok-uid-2", "name_en": "x", "cas": "50-00-1"},
        {"uid": "ok-uid-3", "name_en": "x", "smiles": "C(" * 1000},
        {"uid": "ok-uid-4", "name_en": "x", "kind": "<script>"},
        {"uid": "ok-uid-5", "name_en": "A" * 100_000},
        {"uid": "ok-uid-6", "name_en": ["nested", {"a": 1}]},
        {"uid": "ok-uid-7", "name_en": "x", "parent": "' OR 1=1 --"},
    ]
    bodies.append({"uid": "ok-uid-8", "name_en": "\ud800"})
    for body in bodies:
        response = client.post(
            "/api/v1/substances/", json.dumps(body), content_type="application/json"
        )
        _assert_handled(response, f"create {str(body)[:60]}")
    listing = {"schedule": "x", "listed_by": "y", "effective_from": "2019-02-30"}
    _assert_handled(client.post("/api/v1/listings/", listing, format="json"), "listing")
