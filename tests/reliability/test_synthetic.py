"""The synthetic generator and the services' bulk path keep the change feed exact."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from registry import services
from registry.management.commands.generate_synthetic import synthetic_cas
from registry.models import Change, Listing
from substances.models import Name, Substance
from substances.validators import validate_cas
from tests.reliability.conftest import assert_feed_gap_free, registry_now, replay_feed

pytestmark = pytest.mark.django_db


def _generate(count: int, **options) -> None:
    call_command(
        "generate_synthetic",
        substances=count,
        i_know_this_is_not_production=True,
        verbosity=0,
        **options,
    )


def test_generator_refuses_without_being_told_the_database_is_not_production(small_registry):
    with pytest.raises(CommandError, match="not-production"):
        call_command("generate_synthetic", substances=10, verbosity=0)
    assert not Substance.objects.filter(uid__startswith="syn-").exists()


def test_generated_rows_are_marked_and_the_feed_replays_to_the_registry(small_registry):
    _generate(120, batch=50)
    synthetic = Substance.objects.filter(uid__startswith="syn-")
    assert synthetic.count() == 120
    assert not synthetic.exclude(notes__startswith="SYNTHETIC").exists()
    assert Name.objects.filter(uid__startswith="syn-").count() >= 120
    assert Listing.objects.filter(uid__startswith="syn-").count() >= 100
    assert synthetic.exclude(name_zh="").count() == 120
    for cas in synthetic.exclude(cas="").values_list("cas", flat=True):
        validate_cas(cas)
        assert int(cas.split("-")[0]) >= 9_900_000
    assert_feed_gap_free()
    assert replay_feed() == registry_now()


def test_purge_removes_every_synthetic_row_through_the_feed(small_registry):
    real = registry_now()
    _generate(60, batch=25)
    head = Change.objects.head()
    call_command("generate_synthetic", purge=True, i_know_this_is_not_production=True, verbosity=0)
    assert registry_now() == real
    deleted = Change.objects.after(head)
    assert deleted.exists()
    assert set(deleted.values_list("action", flat=True)) == {"deleted"}
    assert_feed_gap_free()
    assert replay_feed() == real


def test_a_second_run_after_a_purge_never_reuses_a_uid(small_registry):
    _generate(5)
    first = set(Substance.objects.filter(uid__startswith="syn-").values_list("uid", flat=True))
    call_command("generate_synthetic", purge=True, i_know_this_is_not_production=True, verbosity=0)
    _generate(5)
    second = set(Substance.objects.filter(uid__startswith="syn-").values_list("uid", flat=True))
    assert first and second and not first & second


def test_synthetic_cas_numbers_have_valid_check_digits_and_never_repeat():
    numbers = [synthetic_cas(i) for i in range(0, 300_000, 7)]
    for cas in numbers[:2000]:
        validate_cas(cas)
    assert len(set(numbers)) == len(numbers)


def test_bulk_create_validates_every_row_and_writes_nothing_on_error(small_registry, actor):
    head = Change.objects.head()
    rows = [Substance(uid="bulk-ok", name_en="Fine"), Substance(uid="Bad Uid", name_en="x")]
    with pytest.raises(ValidationError, match="uid"):
        services.bulk_create_resources(rows, actor=actor)
    assert Change.objects.head() == head
    assert not Substance.objects.filter(uid="bulk-ok").exists()


def test_bulk_create_refuses_a_uid_used_before(small_registry, actor):
    services.delete_resource(Name.objects.filter(substance__uid="fentanyl").get(), actor=actor)
    gone = Change.objects.filter(resource_type="name", action="deleted").get().uid
    with pytest.raises(ValidationError, match="used before"):
        services.bulk_create_resources(
            [
                Name(
                    uid=gone,
                    substance=Substance.objects.get(uid="fentanyl"),
                    name="x",
                    language="en",
                )
            ],
            actor=actor,
        )


def test_bulk_create_refuses_overlapping_listings(small_registry, actor):
    listing = Listing.objects.get(substance__uid="fentanyl")
    clash = Listing(
        uid="l-clash",
        schedule=listing.schedule,
        substance=listing.substance,
        effective_from=listing.effective_from,
        listed_by=listing.listed_by,
    )
    with pytest.raises(ValidationError, match="overlaps"):
        services.bulk_create_resources([clash], actor=actor)


def test_bulk_delete_refuses_what_others_still_refer_to(small_registry, actor):
    with pytest.raises(ValidationError):
        services.bulk_delete_resources(Substance.objects.filter(uid="fentanyl"), actor=actor)
    assert Substance.objects.filter(uid="fentanyl").exists()
    assert_feed_gap_free()
