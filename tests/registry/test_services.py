"""Each service: the rows it writes and the exact change rows it appends (Zulip style)."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from registry import services
from registry.models import Change, Listing
from substances.models import Name, Substance, SubstanceClass
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    ScheduleFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _new_changes(since: int) -> list[Change]:
    return list(Change.objects.after(since))


def _head() -> int:
    last = Change.objects.order_by("-seq").first()
    return last.seq if last else 0


def test_create_substance_writes_it_and_one_change(actor):
    head = _head()
    s = services.create_substance(
        actor=actor, name_en="Fentanyl", name_zh="芬太尼", cas="437-38-7", smiles=FENTANYL
    )
    assert s.uid == "fentanyl"
    assert s.inchikey == "PJMPHNIQZUBGLI-UHFFFAOYSA-N"
    assert s.formula == "C22H28N2O"
    [change] = _new_changes(head)
    assert (change.seq, change.action, change.resource_type, change.uid) == (
        head + 1,
        "created",
        "substance",
        "fentanyl",
    )
    assert change.data["inchikey"] == s.inchikey
    assert change.data["name_zh"] == "芬太尼"
    assert change.actor_name == "tests" and change.via == "command"


def test_create_substance_with_bad_smiles_leaves_nothing(actor):
    head = _head()
    with pytest.raises(ValidationError) as info:
        services.create_substance(actor=actor, name_en="Broken", smiles="C1CC(")
    assert "smiles" in info.value.message_dict
    assert not Substance.objects.filter(name_en="Broken").exists()
    assert _head() == head


def test_update_substance_records_update_and_bumps_version(actor):
    s = SubstanceFactory(name_en="Carfentanil")
    head = _head()
    services.update_substance(substance=s, actor=actor, expected_version=1, name_zh="卡芬太尼")
    s.refresh_from_db()
    assert s.version == 2
    [change] = _new_changes(head)
    assert change.action == "updated" and change.data["name_zh"] == "卡芬太尼"


def test_update_without_change_records_nothing(actor):
    s = SubstanceFactory(name_en="Same")
    head = _head()
    services.update_substance(substance=s, actor=actor, name_en="Same")
    assert _head() == head


def test_update_substance_refuses_a_stale_version(actor):
    s = SubstanceFactory()
    services.update_substance(substance=s, actor=actor, expected_version=1, notes="first")
    head = _head()
    with pytest.raises(ValidationError, match="changed by someone else"):
        services.update_substance(substance=s, actor=actor, expected_version=1, notes="second")
    assert _head() == head
    s.refresh_from_db()
    assert s.notes == "first"


def test_add_name_records_name_change(actor):
    s = SubstanceFactory()
    head = _head()
    name = services.add_name(substance=s, name="5F-ADB", language="und", kind="code", actor=actor)
    assert name.search_key == "5fadb"
    [change] = _new_changes(head)
    assert (change.resource_type, change.uid, change.data["substance"]) == ("name", name.uid, s.uid)


def test_delete_substance_records_its_names_then_itself(actor):
    s = SubstanceFactory()
    n = services.add_name(substance=s, name="x-1", language="und", actor=actor)
    head = _head()
    services.delete_resource(s, actor=actor)
    changes = _new_changes(head)
    assert [(c.action, c.resource_type, c.uid, c.data) for c in changes] == [
        ("deleted", "name", n.uid, None),
        ("deleted", "substance", s.uid, None),
    ]


def test_delete_listed_substance_is_refused_and_nothing_is_lost(actor):
    listing = ListingFactory()
    services.add_name(substance=listing.substance, name="kept", language="en", actor=actor)
    head = _head()
    with pytest.raises(ValidationError, match="cannot be deleted while these refer to it"):
        services.delete_resource(listing.substance, actor=actor)
    assert _head() == head
    assert Name.objects.filter(name="kept").exists()


def test_deleted_uid_is_never_reused(actor):
    s = SubstanceFactory(uid="gone")
    services.delete_resource(s, actor=actor)
    with pytest.raises(ValidationError, match="never reused"):
        services.create_substance(actor=actor, uid="gone", name_en="New")
    assert services.new_uid(Substance, "gone") != "gone"


def test_record_instrument(actor):
    cn = JurisdictionFactory()
    head = _head()
    inst = services.record_instrument(
        actor=actor,
        jurisdiction=cn,
        reference="2025年第55号",
        title_en="Reorganisation",
        effective_on=D(2025, 7, 28),
    )
    [change] = _new_changes(head)
    assert change.resource_type == "instrument" and change.data["effective_on"] == "2025-07-28"
    assert inst.uid


def test_list_substance_and_delist(actor):
    schedule = ScheduleFactory()
    listed_by = InstrumentFactory(jurisdiction=schedule.jurisdiction)
    ended_by = InstrumentFactory(
        jurisdiction=schedule.jurisdiction,
        published_on=D(2025, 7, 28),
        effective_on=D(2025, 7, 28),
    )
    s = SubstanceFactory()
    head = _head()
    listing = services.list_substance(
        schedule=schedule,
        instrument=listed_by,
        substance=s,
        effective_from=D(2019, 5, 1),
        actor=actor,
    )
    services.delist(listing=listing, instrument=ended_by, effective_to=D(2025, 7, 28), actor=actor)
    created, updated = _new_changes(head)
    assert created.action == "created" and created.data["effective_to"] is None
    assert updated.action == "updated"
    assert (updated.data["effective_to"], updated.data["ended_by"]) == ("2025-07-28", ended_by.uid)


def test_delist_twice_is_refused(actor):
    listing = ListingFactory()
    inst = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2020, 1, 1),
        effective_on=D(2020, 1, 1),
    )
    services.delist(listing=listing, instrument=inst, effective_to=D(2020, 1, 1), actor=actor)
    head = _head()
    with pytest.raises(ValidationError, match="already ended"):
        services.delist(listing=listing, instrument=inst, effective_to=D(2021, 1, 1), actor=actor)
    assert _head() == head


def test_amend_listing_in_force_with_an_end_is_a_delisting(actor):
    listing = ListingFactory(effective_from=D(2019, 5, 1), item_number="7")
    ender = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2025, 7, 28),
        effective_on=D(2025, 7, 28),
    )
    head = _head()
    services.amend_listing(
        listing=listing, actor=actor, item_number="8", effective_to=D(2025, 7, 28), ended_by=ender
    )
    corrected, ended = _new_changes(head)
    assert (corrected.action, corrected.data["item_number"]) == ("updated", "8")
    assert corrected.data["effective_to"] is None
    assert (ended.data["effective_to"], ended.data["ended_by"]) == ("2025-07-28", ender.uid)


def test_amend_listing_refuses_an_end_without_its_instrument(actor):
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    head = _head()
    with pytest.raises(ValidationError, match="needs both effective_to and ended_by"):
        services.amend_listing(listing=listing, actor=actor, effective_to=D(2025, 7, 28))
    assert _head() == head


def test_amend_listing_corrects_an_ended_listing(actor):
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    inst = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2020, 1, 1),
        effective_on=D(2020, 1, 1),
    )
    listing = services.delist(
        listing=listing, instrument=inst, effective_to=D(2020, 1, 1), actor=actor
    )
    other = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2020, 2, 1),
        effective_on=D(2020, 2, 1),
    )
    head = _head()
    services.amend_listing(listing=listing, actor=actor, effective_to=D(2020, 2, 1), ended_by=other)
    (change,) = _new_changes(head)
    assert (change.action, change.data["effective_to"]) == ("updated", "2020-02-01")
    assert change.data["ended_by"] == other.uid


def test_add_precursor_use_records_it(actor):
    precursor, product = SubstanceFactory(), SubstanceFactory()
    head = _head()
    use = services.add_precursor_use(
        precursor=precursor, product=product, role="precursor", actor=actor
    )
    assert use.uid.startswith(f"pu-{precursor.uid}")
    (change,) = _new_changes(head)
    assert (change.action, change.resource_type, change.uid) == (
        "created",
        "precursor_use",
        use.uid,
    )
    assert (change.data["precursor"], change.data["product"]) == (precursor.uid, product.uid)


def test_list_substance_refuses_overlap_and_leaves_nothing(actor):
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    head = _head()
    with pytest.raises(ValidationError, match="already on this list"):
        services.list_substance(
            schedule=listing.schedule,
            instrument=listing.listed_by,
            substance=listing.substance,
            effective_from=D(2019, 5, 1),
            actor=actor,
        )
    assert _head() == head
    assert Listing.objects.count() == 1


def test_list_substance_refuses_instrument_of_another_jurisdiction(actor):
    schedule = ScheduleFactory()
    un = JurisdictionFactory(code="UN", name="United Nations")
    foreign = InstrumentFactory(jurisdiction=un)
    with pytest.raises(ValidationError, match="another jurisdiction"):
        services.list_substance(
            schedule=schedule,
            instrument=foreign,
            substance=SubstanceFactory(),
            effective_from=D(2020, 1, 1),
            actor=actor,
        )


def test_reschedule_ends_one_listing_and_starts_another(actor):
    listing = ListingFactory(effective_from=D(2014, 1, 1))
    target = ScheduleFactory(jurisdiction=listing.schedule.jurisdiction, regime="psychotropic")
    inst = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2023, 10, 1),
        effective_on=D(2023, 10, 1),
    )
    head = _head()
    ended, started = services.reschedule(
        listing=listing,
        to_schedule=target,
        instrument=inst,
        effective_on=D(2023, 10, 1),
        actor=actor,
    )
    assert (ended.effective_to, ended.ended_by) == (D(2023, 10, 1), inst)
    assert (started.schedule, started.effective_from, started.listed_by) == (
        target,
        D(2023, 10, 1),
        inst,
    )
    assert [(c.action, c.uid) for c in _new_changes(head)] == [
        ("updated", ended.uid),
        ("created", started.uid),
    ]


def test_reschedule_rolls_back_whole_when_the_new_listing_is_refused(actor):
    listing = ListingFactory(effective_from=D(2014, 1, 1))
    inst = InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction,
        published_on=D(2023, 10, 1),
        effective_on=D(2023, 10, 1),
    )
    foreign = ScheduleFactory(jurisdiction=JurisdictionFactory(code="UN", name="UN"))
    head = _head()
    with pytest.raises(ValidationError):
        services.reschedule(
            listing=listing,
            to_schedule=foreign,
            instrument=inst,
            effective_on=D(2023, 10, 1),
            actor=actor,
        )
    listing.refresh_from_db()
    assert listing.effective_to is None
    assert _head() == head


def test_define_and_update_class_records_rules_in_representation(actor):
    head = _head()
    cls = services.define_class(
        actor=actor,
        uid="class-x",
        name_en="X-related substances",
        rules=[{"label": "core", "kind": "include", "smarts": "c1ccccc1N"}],
    )
    services.update_class(
        substance_class=cls,
        actor=actor,
        rules=[{"label": "core", "kind": "include", "smarts": "c1ccccc1O"}],
    )
    created, updated = _new_changes(head)
    assert created.data["rules"][0]["smarts"] == "c1ccccc1N"
    assert updated.data["rules"][0]["smarts"] == "c1ccccc1O"


def test_define_class_with_bad_smarts_leaves_nothing(actor):
    head = _head()
    with pytest.raises(ValidationError, match=r"rules\[0\]"):
        services.define_class(
            actor=actor,
            uid="class-bad",
            name_en="Bad",
            rules=[{"label": "r", "kind": "include", "smarts": "[C"}],
        )
    assert not SubstanceClass.objects.filter(uid="class-bad").exists()
    assert _head() == head


@pytest.mark.django_db(transaction=True)
def test_record_change_outside_a_transaction_is_refused(actor):
    s = SubstanceFactory()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.record_change(action="updated", instance=s, actor=actor)


def test_sequence_is_gap_free_after_a_failed_write(actor):
    SubstanceFactory()
    head = _head()
    with pytest.raises(ValidationError):
        services.create_substance(actor=actor, name_en="")
    SubstanceFactory()
    assert list(Change.objects.values_list("seq", flat=True)) == list(range(1, head + 2))


def test_the_feed_position_moves_with_every_change(actor):
    Change.objects.all().delete()
    assert Change.objects.position() == (0, "0") and Change.objects.head() == 0
    services.create_substance(actor=actor, name_en="Position one")
    first = Change.objects.position()
    assert first[0] == Change.objects.order_by("-seq").first().seq == Change.objects.head()
    services.create_substance(actor=actor, name_en="Position two")
    second = Change.objects.position()
    assert second[0] == first[0] + 1 and second[1] != first[1]
    assert Change.objects.version() == second[1]
    # It goes into cache keys: nothing a cache could refuse (memcached: no spaces, no controls).
    assert re.fullmatch(r"[0-9]+-[0-9]+", second[1])
    with pytest.raises(TypeError, match="whole feed"):
        Change.objects.filter(seq__lt=second[0]).position()
