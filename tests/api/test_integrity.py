"""Integrity: one record per compound, CAS numbers in one form, no parent cycles, dependency
order in the export and the feed, and If-Match's strong comparison."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from registry import services
from registry.api.exceptions import integrity_error_message
from registry.models import Change
from substances.models import Substance
from tests.api.conftest import head
from tests.factories import SubstanceFactory

pytestmark = pytest.mark.django_db

FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
AMFETAMINE = "CC(N)Cc1ccccc1"
DEXAMFETAMINE = "C[C@H](N)Cc1ccccc1"
LEVAMFETAMINE = "C[C@@H](N)Cc1ccccc1"

# 437-38-7 written four ways that the registry once took for four numbers.
CAS_VARIANTS = ["４３７－３８－７", "٤٣٧-٣٨-٧", "0437-38-7", "４３７-38-7"]


# --- CAS numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", CAS_VARIANTS)
def test_cas_in_other_digits_or_with_a_leading_zero_is_stored_canonical(actor, typed):
    substance = services.create_substance(actor=actor, uid="fentanyl", name_en="F", cas=typed)
    substance.refresh_from_db()
    assert substance.cas == "437-38-7"
    assert Change.objects.last().data["cas"] == "437-38-7"


@pytest.mark.parametrize("typed", CAS_VARIANTS)
def test_cas_in_other_digits_is_no_way_round_uniqueness(curator, registry, typed):
    before = head()
    response = curator.post(
        "/api/v1/substances/", {"name_en": "Fentanyl again", "cas": typed}, format="json"
    )
    assert response.status_code == 409, response.content
    assert "Fentanyl (fentanyl) already has this CAS RN" in response.json()["cas"][0]
    assert head() == before
    assert Substance.objects.filter(cas__contains="38-7").count() == 1


def test_a_cas_whose_digits_are_not_ascii_is_checked_as_digits(actor):
    with pytest.raises(ValidationError, match="wrong check digit"):
        services.create_substance(actor=actor, name_en="X", cas="４３７－３８－８")


def test_api_patch_to_another_records_cas_is_a_409(curator, registry):
    registry.apvp.refresh_from_db()
    response = curator.patch("/api/v1/substances/a-pvp/", {"cas": "0437-38-7"}, format="json")
    assert response.status_code == 409
    assert "fentanyl" in response.json()["cas"][0]


def test_integrity_errors_are_told_in_words_not_constraint_names():
    sqlite = IntegrityError("UNIQUE constraint failed: substances_substance.cas")
    postgres = IntegrityError(
        'duplicate key value violates unique constraint "substance_cas_unique"'
    )
    for exc in (sqlite, postgres):
        assert integrity_error_message(exc) == "Another substance already has this CAS RN."
    uid = IntegrityError("UNIQUE constraint failed: registry_listing.uid")
    assert integrity_error_message(uid) == "Another listing already has this uid."


# --- one record per compound ------------------------------------------------------------------


def test_the_same_structure_written_another_way_is_a_409_naming_the_record(curator, registry):
    before = head()
    response = curator.post(
        "/api/v1/substances/",
        {"name_en": "Fentanyl (again)", "smiles": "c1ccccc1CCN1CCC(N(C(=O)CC)c2ccccc2)CC1"},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert "Fentanyl (fentanyl) already has this structure" in response.json()["smiles"][0]
    assert head() == before


def test_a_structure_given_to_a_second_record_by_patch_is_a_409(curator, registry):
    response = curator.patch("/api/v1/substances/npp/", {"smiles": FENTANYL}, format="json")
    assert response.status_code == 409
    assert "fentanyl" in response.json()["smiles"][0]


def test_stereoisomers_are_different_compounds_and_a_racemate_too(actor):
    for uid, smiles in [
        ("amfetamine", AMFETAMINE),
        ("dexamfetamine", DEXAMFETAMINE),
        ("levamfetamine", LEVAMFETAMINE),
    ]:
        services.create_substance(actor=actor, uid=uid, name_en=uid, smiles=smiles)
    with pytest.raises(ValidationError, match=r"dexamfetamine \(dexamfetamine\) already has"):
        services.create_substance(actor=actor, name_en="(S)-amphetamine", smiles=DEXAMFETAMINE)


def test_a_salt_entered_as_a_form_of_its_parent_is_its_own_record(actor):
    fentanyl = services.create_substance(
        actor=actor, uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL
    )
    citrate = f"{FENTANYL}.OC(=O)CC(O)(CC(=O)O)C(=O)O"
    with pytest.raises(ValidationError) as refused:
        services.create_substance(actor=actor, name_en="Fentanyl citrate", smiles=citrate)
    assert refused.value.error_dict["smiles"][0].code == "duplicate"
    salt = services.create_substance(
        actor=actor, name_en="Fentanyl citrate", smiles=citrate, kind="form"
    )
    services.relate(subject=salt, kind="form_of", form="salt", target=fentanyl, actor=actor)
    assert salt.parent_key == fentanyl.parent_key
    # ... a second record of the same salt is still refused ...
    with pytest.raises(ValidationError, match="already has this structure"):
        services.create_substance(actor=actor, name_en="Citrate again", smiles=citrate, kind="form")
    # ... and the parent can still be amended with the salt on record.
    services.update_substance(substance=fentanyl, actor=actor, notes="amended")


def test_bulk_creation_refuses_twins_too(actor):
    SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL, cas="437-38-7")
    for twin in (
        Substance(uid="twin-a", name_en="A", cas="0437-38-7"),
        Substance(uid="twin-b", name_en="B", smiles="c1ccccc1CCN1CCC(N(C(=O)CC)c2ccccc2)CC1"),
    ):
        before = head()
        with pytest.raises(ValidationError, match="one record per compound"):
            services.bulk_create_resources([twin], actor=actor)
        assert head() == before
    pair = [Substance(uid=f"p{i}", name_en=f"P{i}", smiles=AMFETAMINE) for i in range(2)]
    with pytest.raises(ValidationError, match="p1 and p0 are the same compound"):
        services.bulk_create_resources(pair, actor=actor)


# --- relation cycles --------------------------------------------------------------------------


def test_a_relation_cycle_is_refused_by_the_services(actor):
    a = SubstanceFactory(uid="a", name_en="A")
    b = SubstanceFactory(uid="b", name_en="B")
    c = SubstanceFactory(uid="c", name_en="C")
    services.relate(subject=b, kind="form_of", form="salt", target=a, actor=actor)
    services.relate(subject=c, kind="member_of", target=b, actor=actor)
    before = head()
    with pytest.raises(ValidationError, match="go round in a circle"):
        services.relate(subject=a, kind="form_of", form="stereoisomer", target=c, actor=actor)
    assert head() == before
    # Nothing was left undeletable.
    for substance in (c, b, a):
        services.delete_resource(substance, actor=actor)


def test_a_relation_cycle_is_a_400_in_the_api(curator, registry):
    response = curator.post(
        "/api/v1/relations/",
        {"subject": "fentanyl", "kind": "form_of", "form": "salt", "target": "fentanyl-citrate"},
        format="json",
    )
    assert response.status_code == 400
    assert "go round in a circle" in response.json()["target"][0]


def _relation_on_admin_page(admin_client, substance, kind, target):
    """Post the substance's admin page with one new relation typed in its inline."""
    form = {
        "uid": substance.uid,
        "name_en": substance.name_en,
        "kind": substance.kind,
        "expected_version": "1",
        "names-TOTAL_FORMS": "0",
        "names-INITIAL_FORMS": "0",
        "relations-TOTAL_FORMS": "1",
        "relations-INITIAL_FORMS": "0",
        "relations-0-kind": kind,
        "relations-0-form": "",
        "relations-0-target": str(target.pk),
        "relations-0-source": "",
        "relations-0-notes": "",
        "relations-0-uid": "",
        "listings-TOTAL_FORMS": "0",
        "listings-INITIAL_FORMS": "0",
    }
    return admin_client.post(f"/admin/substances/substance/{substance.pk}/change/", form)


def test_a_relation_cycle_is_a_form_error_in_the_admin(admin_client, actor):
    a = SubstanceFactory(uid="a", name_en="A")
    b = SubstanceFactory(uid="b", name_en="B")
    services.relate(subject=b, kind="form_of", form="salt", target=a, actor=actor)
    before = head()
    response = _relation_on_admin_page(admin_client, a, "member_of", b)
    assert response.status_code == 200
    assert "go round in a circle" in response.content.decode()
    assert head() == before


def test_only_a_preparation_or_a_material_contains_and_only_a_substance_is_contained(actor):
    compound = SubstanceFactory(uid="cmp", name_en="Compound")
    plant = SubstanceFactory(uid="plant", name_en="Plant", kind="material")
    group = SubstanceFactory(uid="grp", name_en="Group", kind="group")
    before = head()
    with pytest.raises(ValidationError, match="Only a preparation or a material") as refused:
        services.relate(subject=compound, kind="contains", target=plant, actor=actor)
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError, match="A group entry is not an ingredient") as refused:
        services.relate(subject=plant, kind="contains", target=group, actor=actor)
    assert "target" in refused.value.message_dict
    assert head() == before
    services.relate(subject=plant, kind="contains", target=compound, actor=actor)
    assert head() == before + 1


def test_a_compound_containing_something_is_a_400_naming_the_kind(curator, registry):
    response = curator.post(
        "/api/v1/relations/",
        {"subject": "fentanyl", "kind": "contains", "target": "fentanyl-citrate"},
        format="json",
    )
    assert response.status_code == 400
    assert "Only a preparation or a material" in response.json()["kind"][0]


def test_a_compound_containing_something_is_a_form_error_on_its_admin_page(admin_client, actor):
    compound = SubstanceFactory(uid="cmp", name_en="Compound")
    other = SubstanceFactory(uid="other", name_en="Other")
    before = head()
    response = _relation_on_admin_page(admin_client, compound, "contains", other)
    assert response.status_code == 200
    assert "Only a preparation or a material contains an ingredient." in response.content.decode()
    assert head() == before


# --- dependency order -------------------------------------------------------------------------


def _export_lines(client) -> list[dict]:
    response = client.get("/api/v1/export/")
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()][1:]


def test_export_and_feed_list_relations_after_what_they_relate(anon, actor):
    # Uids chosen so that uid order would put a relation's subject before its target.
    top = SubstanceFactory(uid="zz-top", name_en="Top")
    middle = SubstanceFactory(uid="mm-middle", name_en="Middle")
    bottom = SubstanceFactory(uid="aa-bottom", name_en="Bottom")
    services.relate(subject=middle, kind="member_of", target=top, actor=actor)
    services.relate(subject=bottom, kind="form_of", form="salt", target=middle, actor=actor)
    for rows in (
        [(line["type"], line["uid"], line["data"]) for line in _export_lines(anon)],
        [(c.resource_type, c.uid, c.data) for c in Change.objects.order_by("seq") if c.data],
    ):
        met: set[str] = set()
        for rtype, uid, data in rows:
            if rtype == "relation":
                assert {data["subject"], data["target"]} <= met, f"{uid} comes too early"
            if rtype == "substance":
                met.add(uid)
