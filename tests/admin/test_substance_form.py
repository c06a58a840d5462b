"""Editing a substance: validation messages, the derived identifiers, search and filters."""

import datetime

import pytest
from django.urls import reverse

from registry.models import Change
from substances.models import Substance
from tests.admin.conftest import NO_INLINES, head
from tests.factories import ListingFactory, NameFactory, SubstanceFactory

pytestmark = pytest.mark.django_db

FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _form(**values):
    data = {
        "uid": "oxycodone",
        "name_en": "Oxycodone",
        "name_zh": "",
        "kind": "compound",
        "cas": "",
        "smiles": "",
        "structure_source": "",
        "notes": "",
        **NO_INLINES,
    }
    data.update(values)
    return data


def _field_errors(response, field):
    return response.context["adminform"].form.errors.get(field, [])


def test_cas_with_wrong_check_digit_names_the_right_digit(curator_client):
    response = curator_client.post(reverse("admin:substances_substance_add"), _form(cas="76-42-5"))
    assert response.status_code == 200
    assert _field_errors(response, "cas") == [
        "76-42-5 has a wrong check digit: it should end in 6."
    ]
    assert not Substance.objects.filter(uid="oxycodone").exists()


def test_cas_in_any_hyphenation_is_stored_canonical(curator_client):
    response = curator_client.post(
        reverse("admin:substances_substance_add"), _form(cas=" 76 42 6 ")
    )
    assert response.status_code == 302
    assert Substance.objects.get(uid="oxycodone").cas == "76-42-6"


def test_cas_of_the_wrong_shape_says_what_shape(curator_client):
    response = curator_client.post(reverse("admin:substances_substance_add"), _form(cas="76-42"))
    [message] = _field_errors(response, "cas")
    assert "is not a CAS Registry Number" in message and "50-00-0" in message


def test_unparseable_smiles_says_what_and_where(curator_client):
    before = head()
    response = curator_client.post(reverse("admin:substances_substance_add"), _form(smiles="CC(=O"))
    assert response.status_code == 200
    [message] = _field_errors(response, "smiles")
    assert message.startswith("This SMILES cannot be used: unparseable SMILES")
    assert "position" in message
    assert head() == before


def test_impossible_chemistry_is_refused_with_its_reason(curator_client):
    response = curator_client.post(
        reverse("admin:substances_substance_add"), _form(smiles="C(C)(C)(C)(C)C")
    )
    [message] = _field_errors(response, "smiles")
    assert "valence" in message.lower()


def test_change_page_shows_derived_identifiers_and_drawing(curator_client):
    substance = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    page = curator_client.get(reverse("admin:substances_substance_change", args=[substance.pk]))
    html = page.content.decode()
    assert substance.inchikey == "PJMPHNIQZUBGLI-UHFFFAOYSA-N"
    assert substance.inchikey in html and "C22H28N2O" in html
    assert "<svg" in html
    # Derived identifiers are shown, not editable.
    assert 'name="inchikey"' not in html and 'name="formula"' not in html


def test_a_second_record_of_a_structure_is_a_form_error_unless_it_is_a_form_of_it(
    curator_client,
):
    fentanyl = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    citrate = _form(
        uid="fentanyl-citrate",
        name_en="Fentanyl citrate",
        smiles=f"{FENTANYL}.OC(=O)CC(O)(CC(=O)O)C(=O)O",
    )
    response = curator_client.post(reverse("admin:substances_substance_add"), citrate)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Fentanyl (fentanyl) already has this structure" in str(errors["smiles"])
    assert not Substance.objects.filter(uid="fentanyl-citrate").exists()
    # Entered as what it is, a form of fentanyl, it is its own record.
    citrate.update(
        {
            "kind": "form",
            "relations-TOTAL_FORMS": "1",
            "relations-0-kind": "form_of",
            "relations-0-form": "salt",
            "relations-0-target": str(fentanyl.pk),
        }
    )
    response = curator_client.post(reverse("admin:substances_substance_add"), citrate)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [relation] = Substance.objects.get(uid="fentanyl-citrate").relations.all()
    assert (relation.kind, relation.target) == ("form_of", fentanyl)


@pytest.mark.parametrize("target", ["fentanyl", "-1x", "1.5"])
def test_a_relation_target_that_is_no_id_is_a_form_error(curator_client, target):
    # A uid typed where the box sends an id: the page failed with a server error while
    # drawing the box again.
    SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    data = _form(
        uid="fentanyl-citrate",
        name_en="Fentanyl citrate",
        kind="form",
        **{
            "relations-TOTAL_FORMS": "1",
            "relations-0-kind": "form_of",
            "relations-0-form": "salt",
            "relations-0-target": target,
        },
    )
    response = curator_client.post(reverse("admin:substances_substance_add"), data)
    assert response.status_code == 200
    [inline] = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "relations"
    ]
    assert "target" in inline.formset.forms[0].errors
    assert not Substance.objects.filter(uid="fentanyl-citrate").exists()


def test_a_name_added_inline_gets_a_uid_and_a_change_row(curator_client):
    substance = SubstanceFactory(uid="mt-45", name_en="MT-45")
    before = head()
    response = curator_client.post(
        reverse("admin:substances_substance_change", args=[substance.pk]),
        _form(
            uid="mt-45",
            name_en="MT-45",
            expected_version="1",
            **{
                "names-TOTAL_FORMS": "1",
                "names-0-name": "IC-6",
                "names-0-language": "und",
                "names-0-kind": "code",
                "names-0-source": "",
                "names-0-uid": "",
            },
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    [change] = Change.objects.after(before)
    assert (change.resource_type, change.action, change.data["name"]) == ("name", "created", "IC-6")
    assert change.uid.startswith("n-")


@pytest.mark.parametrize(
    "term",
    ["MDMB-FUBINACA", "mdmb fubinaca", "4f mdmb binaca", "1971007-88-1", "1971007881", "INCHIKEY"],
)
def test_search_finds_by_any_name_cas_hyphenation_or_inchikey(curator_client, term):
    target = SubstanceFactory(
        uid="4f-mdmb-binaca",
        name_en="4F-MDMB-BINACA",
        cas="1971007-88-1",
        smiles="CC(C)(C)C(NC(=O)c1nn(CCCCF)c2ccccc12)C(=O)OC",
    )
    other = SubstanceFactory(uid="other", name_en="Other")
    NameFactory(substance=target, name="MDMB-FUBINACA")
    if term == "INCHIKEY":
        term = target.inchikey
    response = curator_client.get(reverse("admin:substances_substance_changelist"), {"q": term})
    shown = list(response.context["cl"].result_list)
    assert target in shown and other not in shown


def test_filter_by_status_on_a_date(curator_client):
    listing = ListingFactory(effective_from=datetime.date(2019, 5, 1))
    never = SubstanceFactory()
    url = reverse("admin:substances_substance_changelist")

    def shown(value):
        response = curator_client.get(url, {"controlled_on": value})
        return set(response.context["cl"].result_list)

    assert shown("2019-05-01") == {listing.substance}
    assert shown("2019-04-30") == set()
    assert shown("today") == {listing.substance}
    assert shown("not-today") == {never}


def test_filter_by_status_refuses_a_non_date_without_crashing(curator_client):
    response = curator_client.get(
        reverse("admin:substances_substance_changelist"), {"controlled_on": "yesterday-ish"}
    )
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_filter_by_list(curator_client, psy2_list):
    listing = ListingFactory()
    ListingFactory(schedule=psy2_list)
    response = curator_client.get(
        reverse("admin:substances_substance_changelist"),
        {"listings__schedule__id__exact": listing.schedule.pk},
    )
    assert list(response.context["cl"].result_list) == [listing.substance]
