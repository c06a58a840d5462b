"""No lost updates: a save made from an outdated version is refused, with the other's changes."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry import services
from substances.models import Substance, SubstanceClass
from tests.admin.conftest import head, substance_form
from tests.factories import SubstanceClassFactory, SubstanceFactory

pytestmark = pytest.mark.django_db


def _class_form(uid: str, **values) -> dict[str, str]:
    """A class's admin form as posted, with no rules."""
    data = dict.fromkeys(
        ("name_en", "name_zh", "definition_zh", "definition_en", "notes", "reference_smiles"), ""
    )
    data |= {"uid": uid, "examples": "[]", "rules-TOTAL_FORMS": "0", "rules-INITIAL_FORMS": "0"}
    return data | values


def test_the_form_carries_the_version_it_was_opened_at(curator_client):
    substance = SubstanceFactory()
    page = curator_client.get(reverse("admin:substances_substance_change", args=[substance.pk]))
    assert 'name="expected_version" value="1"' in page.content.decode()


def test_second_save_from_the_same_version_is_refused_with_the_other_changes(curator_client, actor):
    substance = SubstanceFactory(uid="mt-45", name_en="MT-45")
    url = reverse("admin:substances_substance_change", args=[substance.pk])
    # Another curator saves first, from version 1.
    services.update_substance(
        substance=Substance.objects.get(pk=substance.pk),
        actor=actor,
        expected_version=1,
        name_zh="MT-45中文",
    )
    before = head()
    response = curator_client.post(
        url, substance_form(substance, notes="my note", expected_version="1")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    [message] = errors
    assert "Someone else saved mt-45" in message and "it is now version 2" in message
    assert "<b>name_zh</b>: — → MT-45中文" in message
    assert "<li><b>name_zh</b>: — → MT-45中文</li>" in response.content.decode()  # not escaped
    assert head() == before
    substance.refresh_from_db()
    assert (substance.name_zh, substance.notes, substance.version) == ("MT-45中文", "", 2)
    # The form was re-armed with the current version: saving again is a deliberate choice.
    assert 'name="expected_version" value="2"' in response.content.decode()
    again = curator_client.post(
        url,
        substance_form(substance, name_zh="MT-45中文", notes="my note", expected_version="2"),
    )
    assert again.status_code == 302
    substance.refresh_from_db()
    assert (substance.notes, substance.version) == ("my note", 3)


def test_a_save_that_loses_the_race_after_validation_is_refused_by_the_service(
    curator_client, actor, monkeypatch
):
    """The form's check passed, then someone saved: the service's own check refuses it."""
    substance = SubstanceFactory(uid="race", name_en="Race")
    real_update = services.update_substance

    def someone_saves_first(**kwargs):
        other = Substance.objects.get(pk=kwargs["substance"].pk)
        real_update(substance=other, actor=actor, notes="theirs")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "update_substance", someone_saves_first)
    url = reverse("admin:substances_substance_change", args=[substance.pk])
    response = curator_client.post(
        url, substance_form(substance, notes="mine", expected_version="1")
    )
    assert response.status_code == 302 and response["Location"] == url
    page = curator_client.get(url)
    assert "was changed by someone else since you opened it" in page.content.decode()
    substance.refresh_from_db()
    # The refused save left nothing (here the simulated rival shared its transaction, so it went
    # too; in real life it committed on its own).
    assert substance.notes == "" and substance.version == 1


def test_class_edit_lock(curator_client, actor):
    substance_class = SubstanceClassFactory(uid="class-a", name_en="A")
    services.update_class(
        substance_class=SubstanceClass.objects.get(pk=substance_class.pk),
        actor=actor,
        notes="their reading of the law",
    )
    response = curator_client.post(
        reverse("admin:substances_substanceclass_change", args=[substance_class.pk]),
        _class_form("class-a", name_en="A renamed", expected_version="1"),
    )
    assert response.status_code == 200
    [message] = response.context["adminform"].form.non_field_errors()
    assert "their reading of the law" in message
    assert SubstanceClass.objects.get(pk=substance_class.pk).name_en == "A"


def test_a_class_save_that_loses_the_race_after_validation_is_refused_by_the_service(
    curator_client, actor, monkeypatch
):
    """As for substances: the form's check passed, then someone saved the class first."""
    substance_class = SubstanceClassFactory(uid="class-race", name_en="Race")
    real_update = services.update_class

    def someone_saves_first(**kwargs):
        other = SubstanceClass.objects.get(pk=kwargs["substance_class"].pk)
        real_update(substance_class=other, actor=actor, notes="theirs")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "update_class", someone_saves_first)
    url = reverse("admin:substances_substanceclass_change", args=[substance_class.pk])
    response = curator_client.post(
        url,
        _class_form("class-race", name_en="Race renamed", expected_version="1"),
    )
    assert response.status_code == 302 and response["Location"] == url
    page = curator_client.get(url)
    assert "was changed by someone else since you opened it" in page.content.decode()
    assert SubstanceClass.objects.get(pk=substance_class.pk).name_en == "Race"


def test_the_class_service_refuses_a_stale_version(actor):
    substance_class = SubstanceClassFactory(uid="class-stale", name_en="Stale")
    services.update_class(substance_class=substance_class, actor=actor, notes="first")
    with pytest.raises(ValidationError) as refused:
        services.update_class(
            substance_class=SubstanceClass.objects.get(pk=substance_class.pk),
            actor=actor,
            expected_version=1,
            notes="second, from version 1",
        )
    assert refused.value.code == "stale"
    fresh = SubstanceClass.objects.get(pk=substance_class.pk)
    assert (fresh.notes, fresh.version) == ("first", 2)
    services.update_class(substance_class=fresh, actor=actor, expected_version=2, notes="third")
    assert SubstanceClass.objects.get(pk=substance_class.pk).version == 3


def test_a_class_example_the_rules_contradict_is_refused_in_the_admin(curator_client):
    substance_class = SubstanceClassFactory(uid="class-ex", name_en="Ex")
    url = reverse("admin:substances_substanceclass_change", args=[substance_class.pk])
    wrong = '[{"name": "ethanol", "smiles": "CCO", "expected": true}]'
    response = curator_client.post(
        url, _class_form("class-ex", name_en="Ex", expected_version="1", examples=wrong)
    )
    assert response.status_code in (200, 302)
    page = response if response.status_code == 200 else curator_client.get(url)
    assert "says it is a member, but the rules leave it" in page.content.decode()
    assert SubstanceClass.objects.get(pk=substance_class.pk).examples == []
    misspelt = '[{"name": "ethanol", "smiles": "CCO", "expectd": false}]'
    response = curator_client.post(
        url, _class_form("class-ex", name_en="Ex", expected_version="1", examples=misspelt)
    )
    assert response.status_code == 200
    assert "unknown key expectd" in str(response.context["adminform"].form.errors["examples"])
