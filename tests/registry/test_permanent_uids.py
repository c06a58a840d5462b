"""Uids are permanent: every write path tries to change one or to reuse a deleted one, and fails.

The paths: the services (whoever calls them), the admin, the API, the import, drafts and the
loader (the loader is tried in tests/registry/test_loading_live.py, next to who owns the data).
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry import drafts, importing, services
from registry.models import Change, DraftOperation, Instrument, Listing
from substances.models import Name, PrecursorUse, Substance, SubstanceClass
from tests.admin.conftest import NO_INLINES, make_user
from tests.api.conftest import _token_client
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    NameFactory,
    PrecursorUseFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def world(actor):
    cn = JurisdictionFactory()
    nps = ScheduleFactory(jurisdiction=cn, code="NPS", uid="cn-nps")
    instrument = InstrumentFactory(
        jurisdiction=cn, uid="cn-2017", published_on=D(2017, 2, 16), effective_on=D(2017, 3, 1)
    )
    carfentanil = SubstanceFactory(uid="carfentanil", name_en="Carfentanil")
    name = NameFactory(substance=carfentanil, uid="n-carfentanil-1", name="carfentanyl")
    use = PrecursorUseFactory(uid="pu-1", precursor=carfentanil, product=None, product_name="x")
    listing = ListingFactory(
        uid="l-carfentanil",
        schedule=nps,
        substance=carfentanil,
        effective_from=D(2017, 3, 1),
        listed_by=instrument,
    )
    fentanyls = services.define_class(actor=actor, uid="fentanyls", name_en="Fentanyls")
    # Resources of every type, deleted: their uids are never to be used again.
    gone = {
        "substance": SubstanceFactory(uid="gone-substance", name_en="Gone"),
        "class": services.define_class(actor=actor, uid="gone-class", name_en="Gone class"),
        "instrument": InstrumentFactory(jurisdiction=cn, uid="gone-instrument"),
        "name": NameFactory(substance=carfentanil, uid="gone-name", name="gone"),
        "precursor_use": PrecursorUseFactory(uid="gone-use", precursor=carfentanil),
    }
    for resource in gone.values():
        services.delete_resource(resource, actor=actor)
    return {
        "cn": cn,
        "nps": nps,
        "instrument": instrument,
        "carfentanil": carfentanil,
        "name": name,
        "use": use,
        "listing": listing,
        "class": fentanyls,
    }


def _uids() -> dict[str, set[str]]:
    return {
        model.__name__: set(model.objects.values_list("uid", flat=True))
        for model in (Substance, Name, PrecursorUse, SubstanceClass, Instrument, Listing)
    }


# --- the services, whoever calls them ---------------------------------------------------------


@pytest.mark.parametrize("key", ["carfentanil", "name", "use", "listing", "instrument", "cn"])
def test_save_resource_refuses_a_changed_uid(world, actor, key):
    resource = world[key]
    before = Change.objects.head()
    resource.uid = "renamed"
    with pytest.raises(ValidationError, match="A uid is permanent"):
        services.save_resource(resource, actor=actor)
    assert Change.objects.head() == before
    assert not type(resource).objects.filter(uid="renamed").exists()


def test_update_services_refuse_a_uid_among_the_fields(world, actor):
    with pytest.raises(ValidationError, match="carfentanil cannot become renamed"):
        services.update_substance(substance=world["carfentanil"], actor=actor, uid="renamed")
    with pytest.raises(ValidationError, match="fentanyls cannot become renamed"):
        services.update_class(substance_class=world["class"], actor=actor, uid="renamed")
    fentanyls = world["class"]
    fentanyls.uid = "renamed"  # changed on the object handed in, not among the fields
    with pytest.raises(ValidationError, match="A uid is permanent"):
        services.update_class(substance_class=fentanyls, actor=actor, name_en="Amended")
    assert SubstanceClass.objects.filter(uid="fentanyls", name_en="Fentanyls").exists()


@pytest.mark.parametrize(
    ("make", "uid"),
    [
        (lambda a, w: services.create_substance(actor=a, uid="gone-substance", name_en="X"), 0),
        (lambda a, w: services.define_class(actor=a, uid="gone-class", name_en="X"), 0),
        (
            lambda a, w: services.record_instrument(
                actor=a, uid="gone-instrument", jurisdiction=w["cn"], reference="x"
            ),
            0,
        ),
        (
            lambda a, w: services.add_name(
                actor=a, uid="gone-name", substance=w["carfentanil"], name="y", language="en"
            ),
            0,
        ),
        (
            lambda a, w: services.bulk_create_resources(
                [Substance(uid="gone-substance", name_en="X")], actor=a
            ),
            0,
        ),
    ],
)
def test_services_never_reuse_a_deleted_resources_uid(world, actor, make, uid):
    before = Change.objects.head()
    with pytest.raises(ValidationError, match="was used before"):
        make(actor, world)
    assert Change.objects.head() == before


def test_a_fresh_uid_is_never_one_that_was_used(world):
    assert services.new_uid(Substance, "Gone substance") != "gone-substance"
    assert services.new_uid(SubstanceClass, "Gone class") != "gone-class"
    assert services.new_uid(Substance, "Fentanyl") == "fentanyl"


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def token(db):
    perms = [
        f"{app}.{verb}_{model}"
        for app, models in {
            "substances": ["substance", "name", "substanceclass", "precursoruse"],
            "registry": ["instrument", "listing"],
        }.items()
        for model in models
        for verb in ("add", "change")
    ]
    return _token_client("api-curator", perms)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/substances/carfentanil/",
        "/api/v1/classes/fentanyls/",
        "/api/v1/instruments/cn-2017/",
        "/api/v1/listings/l-carfentanil/",
        "/api/v1/names/n-carfentanil-1/",
        "/api/v1/precursor-uses/pu-1/",
    ],
)
def test_api_patch_of_a_uid_is_refused(world, token, path):
    before = _uids()
    response = token.patch(path, {"uid": "renamed"}, format="json")
    assert response.status_code == 400, response.content
    assert "uid" in response.json()
    assert _uids() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/substances/", {"uid": "gone-substance", "name_en": "Back"}),
        ("/api/v1/classes/", {"uid": "gone-class", "name_en": "Back"}),
        (
            "/api/v1/instruments/",
            {"uid": "gone-instrument", "jurisdiction": "cn", "reference": "b"},
        ),
        (
            "/api/v1/names/",
            {"uid": "gone-name", "substance": "carfentanil", "name": "b", "language": "en"},
        ),
        (
            "/api/v1/precursor-uses/",
            {"uid": "gone-use", "precursor": "carfentanil", "product_name": "b"},
        ),
    ],
)
def test_api_create_with_a_deleted_uid_is_refused(world, token, path, body):
    before = Change.objects.head()
    response = token.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert "used before" in response.json()["uid"][0]
    assert Change.objects.head() == before


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return make_user("chief", superuser=True)


def _substance_form(**values):
    return {
        "uid": "",
        "name_en": "",
        "name_zh": "",
        "kind": "compound",
        "cas": "",
        "smiles": "",
        "structure_source": "",
        "notes": "",
        **NO_INLINES,
        **values,
    }


def test_admin_add_prefills_the_uid_from_the_english_name(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:substances_substance_add")).content.decode()
    for url in ("admin:substances_substance_add", "admin:substances_substanceclass_add"):
        page = client.get(reverse(url)).content.decode()
        constants = page.split('id="django-admin-prepopulated-fields-constants"')[1][:400]
        assert 'name="uid"' in page
        assert "#id_uid" in constants and "#id_name_en" in constants


def test_admin_add_without_a_uid_makes_a_free_slug_of_the_name(client, admin_user, world):
    client.force_login(admin_user)
    for name, wanted in [("Ocfentanil", "ocfentanil"), ("Gone substance", None)]:
        response = client.post(
            reverse("admin:substances_substance_add"), _substance_form(name_en=name)
        )
        assert response.status_code == 302
        made = Substance.objects.get(name_en=name)
        assert made.uid == wanted if wanted else made.uid.startswith("gone-substance-")


def test_admin_add_with_a_deleted_uid_is_a_form_error(client, admin_user, world):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:substances_substance_add"),
        _substance_form(uid="gone-substance", name_en="Back again"),
    )
    assert response.status_code == 200
    assert "was used before" in str(response.context["adminform"].form.errors["uid"])
    assert not Substance.objects.filter(name_en="Back again").exists()


def test_admin_change_shows_the_uid_read_only_and_ignores_a_posted_one(client, admin_user, world):
    client.force_login(admin_user)
    carfentanil = world["carfentanil"]
    url = reverse("admin:substances_substance_change", args=[carfentanil.pk])
    page = client.get(url).content.decode()
    assert 'name="uid"' not in page and "carfentanil" in page
    response = client.post(
        url,
        _substance_form(
            uid="renamed",
            name_en="Carfentanil",
            notes="amended",
            expected_version=str(carfentanil.version),
        ),
    )
    assert response.status_code == 302
    carfentanil.refresh_from_db()
    assert (carfentanil.uid, carfentanil.notes) == ("carfentanil", "amended")


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("substances_substanceclass", "class"),
        ("registry_instrument", "instrument"),
        ("registry_listing", "listing"),
        ("substances_name", "name"),
        ("substances_precursoruse", "use"),
        ("registry_jurisdiction", "cn"),
    ],
)
def test_every_admin_change_page_shows_the_uid_read_only(client, admin_user, world, model, key):
    client.force_login(admin_user)
    page = client.get(reverse(f"admin:{model}_change", args=[world[key].pk]))
    assert page.status_code == 200
    assert "uid" not in page.context["adminform"].form.fields
    assert world[key].uid in page.content.decode()


def test_admin_name_inline_keeps_a_saved_names_uid(client, admin_user, world):
    client.force_login(admin_user)
    carfentanil, name = world["carfentanil"], world["name"]
    names = list(carfentanil.names.order_by("pk"))
    form = _substance_form(
        uid="carfentanil",
        name_en="Carfentanil",
        expected_version=str(carfentanil.version),
        **{"names-TOTAL_FORMS": str(len(names)), "names-INITIAL_FORMS": str(len(names))},
    )
    for i, n in enumerate(names):
        form.update(
            {
                f"names-{i}-id": str(n.pk),
                f"names-{i}-substance": str(carfentanil.pk),
                f"names-{i}-name": n.name + (" (amended)" if n.pk == name.pk else ""),
                f"names-{i}-language": n.language,
                f"names-{i}-kind": n.kind,
                f"names-{i}-source": n.source,
                f"names-{i}-uid": "renamed-name",
            }
        )
    response = client.post(
        reverse("admin:substances_substance_change", args=[carfentanil.pk]), form
    )
    assert response.status_code == 302
    name.refresh_from_db()
    assert (name.uid, name.name) == ("n-carfentanil-1", "carfentanyl (amended)")


# --- the import and drafts ---------------------------------------------------------------------


def test_the_import_never_gives_a_new_substance_a_deleted_uid(world, actor):
    services.delete_resource(Listing.objects.get(uid="l-carfentanil"), actor=actor)
    services.delete_resource(world["carfentanil"], actor=actor)
    sheet = importing.read_sheet("a.csv", b"name_en\nCarfentanil\nGone substance\n")
    analysis = importing.analyse(
        sheet,
        schedule=world["nps"],
        instrument=world["instrument"],
        effective_from=D(2017, 3, 1),
    )
    result = importing.write(analysis, actor=actor)
    uids = {s.uid for s in result.created}
    assert len(uids) == 2 and not uids & {"carfentanil", "gone-substance"}


def test_a_draft_cannot_change_a_uid(world):
    author = make_user("author", superuser=True)
    reviewer = get_user_model().objects.create_superuser("rev", "rev@example.org", "pw")
    changeset = drafts.start(title="rename", author=author)
    drafts.add_operation(
        changeset,
        service=DraftOperation.Service.UPDATE_CLASS,
        summary="rename the class",
        substance_class="fentanyls",
        fields={"uid": "renamed"},
    )
    with pytest.raises(ValidationError, match="A uid is permanent"):
        drafts.publish(changeset, reviewer=reviewer)
    assert SubstanceClass.objects.filter(uid="fentanyls").exists()


def test_admin_add_of_a_listing_with_a_deleted_uid_is_a_form_error(rf, admin_user, world, actor):
    # It reached the services, which refused it when saving: a server error in the admin.
    from django.contrib import admin

    services.delete_resource(world["listing"], actor=actor)
    request = rf.get("/")
    request.user = admin_user
    form_class = admin.site._registry[Listing].get_form(request)
    form = form_class(
        data={
            "uid": "l-carfentanil",
            "schedule": world["nps"].pk,
            "substance": world["carfentanil"].pk,
            "effective_from": "2017-03-01",
            "listed_by": world["instrument"].pk,
            "attributes": "{}",
        }
    )
    assert not form.is_valid()
    assert "was used before" in str(form.errors["uid"])
