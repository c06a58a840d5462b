"""A listing's dates agree with its instruments: it starts on the day its instrument takes effect
and ends on the day its ending instrument does, unless the instrument states another date for
that item. The services, the admin, the API and the import refuse anything else, naming the field.
"""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry import services
from registry.loading import read_fixtures
from registry.models import Change, Listing
from tests.admin.conftest import make_user
from tests.api.conftest import _token_client
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def law(db):
    cn = JurisdictionFactory()
    return {
        "nps": ScheduleFactory(jurisdiction=cn, code="NPS", uid="cn-nps"),
        "psy2": ScheduleFactory(jurisdiction=cn, code="PSY2", uid="cn-psy2"),
        # The 2025 reorganisation: in force on 2025-07-28.
        "a2025": InstrumentFactory(
            jurisdiction=cn,
            uid="cn-2025-55",
            reference="2025年第55号",
            published_on=D(2025, 7, 28),
            effective_on=D(2025, 7, 28),
        ),
        # An act that states another date for one of its items.
        "a2018": InstrumentFactory(
            jurisdiction=cn,
            uid="cn-2017-precursor-5",
            reference="2017 precursor letter",
            published_on=D(2018, 1, 1),
            effective_on=D(2018, 2, 1),
            item_dates={"bromine": "2018-03-01"},
        ),
        "midazolam": SubstanceFactory(uid="midazolam", name_en="Midazolam"),
        "bromine": SubstanceFactory(uid="bromine", name_en="Bromine"),
    }


def test_a_listing_starts_on_its_instruments_effective_date(law, actor):
    with pytest.raises(ValidationError) as refused:
        services.list_substance(
            schedule=law["psy2"],
            instrument=law["a2025"],
            effective_from=D(2026, 3, 1),
            substance=law["midazolam"],
            actor=actor,
        )
    assert "2025-07-28" in str(refused.value.error_dict["effective_from"])
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2025"],
        effective_from=D(2025, 7, 28),
        substance=law["midazolam"],
        actor=actor,
    )
    assert listing.effective_from == D(2025, 7, 28)


def test_an_item_date_stated_by_the_instrument_is_that_items_date(law, actor):
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2018"],
        effective_from=D(2018, 3, 1),
        substance=law["bromine"],
        actor=actor,
    )
    assert listing.effective_from == D(2018, 3, 1)
    assert Change.objects.last().data["effective_from"] == "2018-03-01"
    with pytest.raises(ValidationError, match="takes effect for bromine on 2018-03-01"):
        services.list_substance(
            schedule=law["nps"],
            instrument=law["a2018"],
            effective_from=D(2018, 2, 1),
            substance=law["bromine"],
            actor=actor,
        )
    # The stated date is the bromine's only: other items take the act's effective date.
    with pytest.raises(ValidationError, match="effective_from must be 2018-02-01"):
        services.list_substance(
            schedule=law["psy2"],
            instrument=law["a2018"],
            effective_from=D(2018, 3, 1),
            substance=law["midazolam"],
            actor=actor,
        )


def test_a_listing_ends_on_its_ending_instruments_date(law, actor):
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2018"],
        effective_from=D(2018, 2, 1),
        substance=law["midazolam"],
        actor=actor,
    )
    before = Change.objects.head()
    with pytest.raises(ValidationError) as refused:
        services.reschedule(
            listing=listing,
            to_schedule=law["nps"],
            instrument=law["a2025"],
            effective_on=D(2026, 3, 1),
            actor=actor,
        )
    assert "effective_to" in refused.value.error_dict
    assert Change.objects.head() == before
    listing.refresh_from_db()
    assert listing.effective_to is None


def test_an_instrument_without_a_date_on_record_leaves_the_date_to_the_curator(law, actor):
    undated = InstrumentFactory(
        jurisdiction=law["nps"].jurisdiction, uid="cn-undated", effective_on=None
    )
    listing = services.list_substance(
        schedule=law["nps"],
        instrument=undated,
        effective_from=D(2020, 1, 1),
        substance=law["midazolam"],
        actor=actor,
    )
    assert listing.effective_from == D(2020, 1, 1)


def test_item_dates_must_be_dates(law, actor):
    with pytest.raises(ValidationError) as refused:
        services.record_instrument(
            actor=actor,
            jurisdiction=law["nps"].jurisdiction,
            reference="x",
            item_dates={"bromine": "March 2018"},
        )
    assert "item_dates" in refused.value.error_dict


# --- the faces --------------------------------------------------------------------------------


def test_admin_reschedule_dated_otherwise_than_its_announcement_is_a_form_error(law, actor, client):
    """The case found: a reschedule dated 2026-03-01 under an act in force on 2025-07-28."""
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2018"],
        effective_from=D(2018, 2, 1),
        substance=law["midazolam"],
        actor=actor,
    )
    client.force_login(make_user("chief", superuser=True))
    before = Change.objects.head()
    response = client.post(
        reverse("admin:substances_substance_changelist"),
        {
            "action": "move_to_schedule",
            "_selected_action": [law["midazolam"].pk],
            "apply": "1",
            "from_schedule": law["psy2"].pk,
            "to_schedule": law["nps"].pk,
            "instrument": law["a2025"].pk,
            "effective_on": "2026-03-01",
            "save_as": "apply",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "2025-07-28" in str(errors["effective_on"])
    assert Change.objects.head() == before
    listing.refresh_from_db()
    assert listing.effective_to is None


def test_admin_listing_form_names_the_field(law, actor, client):
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2025"],
        effective_from=D(2025, 7, 28),
        substance=law["midazolam"],
        actor=actor,
    )
    client.force_login(make_user("chief", superuser=True))
    response = client.post(
        reverse("admin:registry_listing_change", args=[listing.pk]),
        {
            "schedule": law["psy2"].pk,
            "substance": law["midazolam"].pk,
            "effective_from": "2026-03-01",
            "listed_by": law["a2025"].pk,
            "item_number": "",
            "scope": "",
            "source": "",
            "notes": "",
        },
    )
    assert response.status_code == 200
    assert "2025-07-28" in str(response.context["adminform"].form.errors["effective_from"])
    listing.refresh_from_db()
    assert listing.effective_from == D(2025, 7, 28)


@pytest.fixture
def token(db):
    return _token_client(
        "api-curator",
        ["registry.add_listing", "registry.change_listing", "registry.add_instrument"],
    )


def test_api_refuses_a_listing_dated_otherwise_naming_the_field(law, actor, token):
    before = Change.objects.head()
    response = token.post(
        "/api/v1/listings/",
        {
            "schedule": "cn-psy2",
            "substance": "midazolam",
            "effective_from": "2026-03-01",
            "listed_by": "cn-2025-55",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "2025-07-28" in response.json()["effective_from"][0]
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2025"],
        effective_from=D(2025, 7, 28),
        substance=law["midazolam"],
        actor=actor,
    )
    before = Change.objects.head()
    response = token.patch(
        f"/api/v1/listings/{listing.uid}/", {"effective_from": "2025-08-01"}, format="json"
    )
    assert response.status_code == 400
    assert "effective_from" in response.json()
    assert Change.objects.head() == before


def test_api_reschedule_dated_otherwise_names_effective_on(law, actor, token):
    listing = services.list_substance(
        schedule=law["psy2"],
        instrument=law["a2018"],
        effective_from=D(2018, 2, 1),
        substance=law["midazolam"],
        actor=actor,
    )
    before = Change.objects.head()
    response = token.post(
        f"/api/v1/listings/{listing.uid}/reschedule/",
        {"to_schedule": "cn-nps", "instrument": "cn-2025-55", "effective_on": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "2025-07-28" in response.json()["effective_on"][0]
    assert Change.objects.head() == before


def test_api_instruments_carry_their_item_dates(law, token):
    response = token.post(
        "/api/v1/instruments/",
        {
            "jurisdiction": "cn",
            "reference": "2026年第9号",
            "effective_on": "2026-07-01",
            "item_dates": {"midazolam": "2026-10-01"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["item_dates"] == {"midazolam": "2026-10-01"}
    assert Change.objects.last().data["item_dates"] == {"midazolam": "2026-10-01"}


def test_import_dated_otherwise_than_its_instrument_is_a_form_error(law, client):
    client.force_login(make_user("chief", superuser=True))
    sheet = SimpleUploadedFile("items.csv", b"name_en\nNew one\n", content_type="text/csv")
    response = client.post(
        reverse("admin:substances_substance_import"),
        {
            "sheet": sheet,
            "schedule": law["nps"].pk,
            "instrument": law["a2025"].pk,
            "effective_on": "2026-03-01",
        },
    )
    assert response.status_code == 200
    assert "2025-07-28" in str(response.context["form"].errors["effective_on"])
    assert not Listing.objects.exists()


# --- the real data ----------------------------------------------------------------------------


def test_every_real_fixture_listing_agrees_with_its_instruments():
    """Checked by the loader with file and line; here for every listing of the real data."""
    fx = read_fixtures()
    assert not [p for p in fx.problems if "takes effect" in p]
    instruments = {row.values["uid"]: row.values for row in fx.rows["instrument"]}
    checked = 0
    for row in fx.rows["listing"]:
        v = row.values
        for column, by in (("effective_from", "listed_by"), ("effective_to", "ended_by")):
            if v.get(column) and instruments[v[by]].get("effective_on"):
                assert v[column] == instruments[v[by]]["effective_on"], row.where
                checked += 1
    assert checked > 1500


def test_the_loader_reports_a_listing_dated_otherwise_with_file_and_line(tmp_path):
    from django.core.management import CommandError, call_command

    from tests.registry.test_loading import _small_fixtures

    folder = _small_fixtures(tmp_path)
    path = folder / "listings.csv"
    path.write_text(path.read_text().replace("2025-07-28,,cn-2025-55", "2025-08-01,,cn-2025-55"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_registry", "--check", "--fixtures", str(folder), stderr=err)
    assert (
        "fixtures/listings.csv:3: effective_from 2025-08-01 is not the day cn-2025-55 takes "
        "effect for fentanyl (2025-07-28)"
    ) in err.getvalue()


def test_a_day_outside_the_registrys_years_is_refused_by_the_model(law):
    """0202 for 2022: a slip every face refuses, naming the field."""
    instrument = law["a2025"]
    instrument.effective_on = D(202, 7, 28)
    with pytest.raises(ValidationError) as refused:
        instrument.full_clean()
    assert refused.value.message_dict["effective_on"] == [
        "Choose a date between 1900-01-01 and 2999-12-31."
    ]
