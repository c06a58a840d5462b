"""The typed verdict: one class per kind of basis, one serializer, every field in the schema.

The API's answers, a job's NDJSON lines and the schema all come from the same declarations
(`registry.verdicts`); these tests hold the JSON to the schema key by key, so that neither can
drift from the other.
"""

import datetime

import pytest
from rest_framework.test import APIClient

from registry import jobs
from registry.check import check_items
from registry.models import Instrument
from registry.verdicts import (
    ClassBasis,
    Component,
    ListingBasis,
    schema_of,
    to_json,
    verdict_schema,
)
from tests.factories import (
    InstrumentFactory,
    ListingFactory,
    RelationFactory,
    ScheduleFactory,
    SubstanceFactory,
)
from tests.registry.conftest import AMFETAMINE, FENTANYL

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon():
    return APIClient()


D = datetime.date
ON = D(2024, 1, 1)


def _walk(schema, where="result"):
    """Every (path, property schema) of an object schema, through arrays, oneOf and nesting."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{where}.{name}", prop
        yield from _walk_value(prop, f"{where}.{name}")


def _walk_value(prop, where):
    if prop.get("type") == "object":
        yield from _walk(prop, where)
    if "items" in prop:
        yield from _walk_value(prop["items"], f"{where}[]")
    for n, option in enumerate(prop.get("oneOf", ())):
        yield from _walk(option, f"{where}<{n}>")


def _conforms(value, schema, where="result"):
    """The JSON value has the schema's type, its required keys and no key the schema lacks."""
    if value is None:
        assert schema.get("nullable"), f"{where} is null but not nullable"
        return
    if "oneOf" in schema:
        tag = schema["discriminator"]["propertyName"]
        [option] = [o for o in schema["oneOf"] if o["properties"][tag]["enum"] == [value[tag]]]
        _conforms(value, option, where)
        return
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        assert isinstance(value, dict), where
        extra = set(value) - set(schema["properties"])
        assert not extra, f"{where}: keys not in the schema: {extra}"
        missing = set(schema["required"]) - set(value)
        assert not missing, f"{where}: required keys missing: {missing}"
        for key, item in value.items():
            _conforms(item, schema["properties"][key], f"{where}.{key}")
    elif kind == "object":
        assert isinstance(value, dict), where
        for key, item in value.items():
            _conforms(item, schema["additionalProperties"], f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), where
        for n, item in enumerate(value):
            _conforms(item, schema["items"], f"{where}[{n}]")
    else:
        python = {"string": str, "integer": int, "boolean": bool}[kind]
        assert isinstance(value, python), f"{where}: {value!r} is not a {kind}"
        if "enum" in schema:
            assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
        if schema.get("format") == "date":
            datetime.date.fromisoformat(value)


def test_every_field_of_the_verdict_is_described_in_the_schema():
    fields = list(_walk(verdict_schema()))
    assert len(fields) > 60
    for where, prop in fields:
        assert prop.get("description", "").strip(), f"{where} is not described"
        assert prop.get("type") or prop.get("oneOf"), f"{where} has no type"


def test_the_api_schema_carries_the_verdict_as_described(anon):
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    response = schema["components"]["schemas"]["CheckResponse"]["properties"]["results"]
    assert response["items"]["properties"].keys() == verdict_schema()["properties"].keys()
    matches = response["items"]["properties"]["matches"]["items"]
    assert [o["properties"]["basis"]["enum"] for o in matches["oneOf"]] == [["listing"], ["class"]]


@pytest.fixture
def varied(registry):
    """The small registry, with a salt related to fentanyl and a listing whose act's day is
    known only to the year."""
    hcl = SubstanceFactory(uid="fentanyl-hcl", name_en="Fentanyl hydrochloride", smiles="")
    fentanyl = registry.listings.get(substance__uid="fentanyl").substance
    RelationFactory(subject=hcl, target=fentanyl, form="salt")
    listing = registry.listings.get(substance__uid="fentanyl")
    listing.coverage = ["salts"]
    listing.save()
    doubtful = SubstanceFactory(uid="doubtful", name_en="Doubtful", smiles="CCCCOC(=O)C")
    ListingFactory(
        schedule=ScheduleFactory(jurisdiction=registry.jurisdiction, code="Y"),
        substance=doubtful,
        effective_from=D(2024, 1, 1),
        listed_by=InstrumentFactory(
            jurisdiction=registry.jurisdiction,
            effective_on=D(2024, 1, 1),
            effective_precision=Instrument.Precision.YEAR,
        ),
    )
    return registry


INPUTS = [
    "fentanyl",  # a named listing, and the class
    "Fentanyl hydrochloride",  # a named listing along a form_of route
    f"{FENTANYL}.CCCCCCCCCCCCCCCCCCCCCCCCC(=O)O",  # components, one judged controlled
    f"{AMFETAMINE}.Cl",  # a counter-ion
    "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccc(F)cc2)CC1",  # the class alone
    "Doubtful",  # a listing in doubt on the day: uncertain
    "CCO",
    "C1CC(",
    "no such thing",
]


def test_the_check_gives_one_typed_value_per_kind_of_basis(varied):
    results = check_items(INPUTS, on=ON)
    kinds = {type(m) for r in results for m in r.matches}
    assert kinds == {ListingBasis, ClassBasis}
    salt = results[1]
    [basis] = [m for m in salt.matches if isinstance(m, ListingBasis)]
    assert [step.relation for step in basis.route.steps] == ["form_of"]
    assert basis.listed.schedule.code == "NM" and basis.listed.effective_from == D(2017, 3, 1)
    assert all(isinstance(c, Component) for c in results[2].components)
    [doubt] = results[5].matches
    assert results[5].status == "uncertain" and doubt.date_uncertain
    # Read by key, a basis is its JSON.
    assert basis["schedule"]["code"] == "NM" and basis["effective_from"] == "2017-03-01"
    assert "date_uncertain" not in basis and basis == basis


def test_the_api_answers_as_the_schema_says(anon, varied):
    response = anon.post("/api/v1/check/", {"items": INPUTS, "on": ON.isoformat()}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    seen = set()
    for result in results:
        _conforms(result, verdict_schema())
        seen |= {m["basis"] for m in result["matches"]}
        seen |= {"route" for m in result["matches"] if m.get("route", {}).get("steps")}
        seen |= {k for m in result["matches"] for k in ("date_uncertain", "component") if k in m}
        seen |= {"components" for _ in result["components"]}
    assert seen == {"listing", "class", "route", "date_uncertain", "component", "components"}


def test_a_jobs_lines_are_the_same_verdicts(varied):
    records = [(str(n + 1), f"r{n}", text) for n, text in enumerate(INPUTS)]
    rows = jobs.screen(records, ON, None)
    for row, result in zip(rows, check_items(INPUTS, on=ON), strict=True):
        assert (row.pop("record"), row.pop("id")) != (None, None)
        _conforms(row, verdict_schema())
        assert {k: v for k, v in row.items() if k != "jurisdictions"} == to_json(result)


def test_every_basis_class_has_a_schema_with_its_tag():
    for cls in (ListingBasis, ClassBasis):
        schema = schema_of(cls)
        assert schema["properties"]["basis"]["enum"] == [cls.BASIS]
        assert {"listing", "schedule", "instrument", "effective_from"} <= set(schema["required"])
