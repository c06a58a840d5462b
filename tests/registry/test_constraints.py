"""Every invariant is a database constraint with a named message, refused on both databases."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from registry.models import Change, Instrument, Listing, Schedule
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass
from tests.factories import (
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    RelationFactory,
    ScheduleFactory,
    SubstanceClassFactory,
    SubstanceFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _refused_by_database(model, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_substance_cas_unique_refused_with_message():
    SubstanceFactory(uid="fentanyl", name_en="Fentanyl", cas="437-38-7")
    dup = Substance(uid="other", name_en="Other", cas="437-38-7")
    with pytest.raises(ValidationError, match=r"Fentanyl \(fentanyl\) already has this CAS"):
        dup.full_clean()
    with pytest.raises(ValidationError, match="Another substance already has this CAS RN"):
        dup.validate_constraints()
    _refused_by_database(Substance, uid="other", name_en="Other", cas="437-38-7")


def test_substance_without_name_refused():
    with pytest.raises(ValidationError, match="name_en"):
        Substance(uid="x", name_en="").full_clean()
    # Past the form layer (a blank string set in code), the named constraint still refuses it.
    with pytest.raises(ValidationError, match="needs an English name"):
        Substance(uid="x", name_en="").validate_constraints()
    _refused_by_database(Substance, uid="x", name_en="")


def test_substance_bad_cas_check_digit_names_the_right_digit():
    with pytest.raises(
        ValidationError, match=r"76-42-5 has a wrong check digit: it should end in 6"
    ):
        Substance(uid="oxycodone", name_en="Oxycodone", cas="76-42-5").full_clean()


def test_substance_malformed_cas_refused():
    with pytest.raises(ValidationError, match="is not a CAS Registry Number"):
        Substance(uid="mescaline", name_en="Mescaline", cas="54-04--6").full_clean()


def test_substance_cannot_be_related_to_itself():
    s = SubstanceFactory()
    relation = Relation(uid="r-self", subject=s, kind="member_of", target=s)
    with pytest.raises(ValidationError, match="not related to itself"):
        relation.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(uid="r-self", subject=s, kind="member_of", target=s)


def test_relations_refuse_a_circle_and_a_form_without_its_form():
    # c contains a below: only a preparation (or a material) contains anything
    a, b, c = SubstanceFactory(), SubstanceFactory(), SubstanceFactory(kind="preparation")
    RelationFactory(subject=a, kind="form_of", form="salt", target=b)
    RelationFactory(subject=b, kind="member_of", target=c)
    with pytest.raises(ValidationError, match="go round in a circle"):
        Relation(uid="r-loop", subject=c, kind="form_of", form="salt", target=a).full_clean()
    # a preparation containing its own ingredient's salt is no circle of coverage
    Relation(uid="r-ok", subject=c, kind="contains", target=a).full_clean()
    with pytest.raises(ValidationError, match="Say which form"):
        Relation(uid="r-noform", subject=c, kind="form_of", target=a).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(uid="r-x", subject=c, kind="member_of", form="salt", target=b)


def test_coverage_words_are_checked():
    schedule = ScheduleFactory()
    schedule.coverage = ["salts", "enantiomers"]
    with pytest.raises(ValidationError, match='Unknown coverage "enantiomers"'):
        schedule.full_clean()
    schedule.coverage = "salts"
    with pytest.raises(ValidationError, match="A list of words"):
        schedule.full_clean()
    # A look-alike or a stray space is shown for what it is; thousands are not echoed back.
    schedule.coverage = [" materials", "m\u0430terials", *(f"w{i}" for i in range(5000))]
    with pytest.raises(ValidationError) as refused:
        schedule.full_clean()
    [message] = refused.value.message_dict["coverage"]
    assert message.startswith('Unknown coverage " materials", "m\\u0430terials", "w0"')
    assert "… (+4997)" in message and len(message) < 300


def test_bad_uid_refused():
    with pytest.raises(ValidationError, match="is not a valid uid"):
        Substance(uid="Has Spaces", name_en="x").full_clean()


def test_name_unique_per_substance_and_not_blank():
    s = SubstanceFactory()
    Name.objects.create(uid="n1", substance=s, name="5F-ADB", language="und")
    with pytest.raises(ValidationError, match="already has this name"):
        Name(uid="n2", substance=s, name="5F-ADB", language="und").full_clean()
    _refused_by_database(Name, uid="n2", substance=s, name="5F-ADB", language="und")
    _refused_by_database(Name, uid="n3", substance=s, name="", language="und")


def test_precursor_use_needs_a_product_and_not_itself():
    p = SubstanceFactory()
    with pytest.raises(ValidationError, match="Name the product"):
        PrecursorUse(uid="u1", precursor=p).full_clean()
    _refused_by_database(PrecursorUse, uid="u1", precursor=p)
    _refused_by_database(PrecursorUse, uid="u2", precursor=p, product=p)


def test_class_needs_a_name():
    with pytest.raises(ValidationError, match="A class needs an English name"):
        SubstanceClass(uid="c", name_en="").validate_constraints()


def test_schedule_code_unique_in_jurisdiction_and_regime_valid():
    s = ScheduleFactory(code="N")
    dup = Schedule(uid="dup", jurisdiction=s.jurisdiction, code="N", name="x", regime="narcotic")
    with pytest.raises(ValidationError, match="already has a list with this code"):
        dup.full_clean()
    _refused_by_database(
        Schedule, uid="bad", jurisdiction=s.jurisdiction, code="Z", name="x", regime="banned"
    )


def test_instrument_needs_identity_and_ordered_dates():
    cn = JurisdictionFactory()
    with pytest.raises(ValidationError, match="needs a reference number or a title"):
        Instrument(uid="i", jurisdiction=cn).full_clean()
    late = Instrument(
        uid="i2",
        jurisdiction=cn,
        reference="x",
        published_on=D(2020, 2, 1),
        effective_on=D(2020, 1, 1),
    )
    with pytest.raises(ValidationError, match="cannot take effect before it is published"):
        late.full_clean()
    _refused_by_database(
        Instrument,
        uid="i3",
        jurisdiction=cn,
        reference="x",
        published_on=D(2020, 2, 1),
        effective_on=D(2020, 1, 1),
    )


def test_evidence_shows_its_entries_listed_by_its_date_at_the_latest():
    """An evidence row stands for an act not identified, which took effect by the evidence's
    date: its precision is 'not-after', refused otherwise by validation and by the database."""
    cn = JurisdictionFactory()
    fields = {"jurisdiction": cn, "reference": "x", "effective_on": D(2020, 1, 1)}
    with pytest.raises(ValidationError, match="its precision is 'not-after'"):
        Instrument(uid="e1", evidence=True, **fields).full_clean()
    _refused_by_database(Instrument, uid="e2", evidence=True, effective_precision="day", **fields)
    Instrument(uid="e3", evidence=True, effective_precision="not-after", **fields).full_clean()


def test_listing_exactly_one_subject():
    listing = ListingFactory()
    both = Listing(
        uid="both",
        schedule=listing.schedule,
        substance=listing.substance,
        substance_class=SubstanceClassFactory(),
        effective_from=D(2021, 1, 1),
        listed_by=listing.listed_by,
    )
    with pytest.raises(ValidationError, match="exactly one substance or one class"):
        both.full_clean()
    neither = Listing(
        uid="neither",
        schedule=listing.schedule,
        effective_from=D(2021, 1, 1),
        listed_by=listing.listed_by,
    )
    with pytest.raises(ValidationError, match="exactly one substance or one class"):
        neither.full_clean()
    _refused_by_database(
        Listing,
        uid="neither",
        schedule=listing.schedule,
        effective_from=D(2021, 1, 1),
        listed_by=listing.listed_by,
    )


def test_listing_period_well_formed_and_end_needs_instrument():
    listing = ListingFactory()
    listing.effective_to = listing.effective_from
    listing.ended_by = listing.listed_by
    with pytest.raises(ValidationError, match="must end after it starts"):
        listing.full_clean()
    listing.effective_to = D(2030, 1, 1)
    listing.ended_by = None
    with pytest.raises(ValidationError, match="needs the instrument that ended the listing"):
        listing.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(effective_to=D(2030, 1, 1))


def _instrument_of(listing, day):
    """An instrument of the listing's jurisdiction that takes effect on `day`."""
    return InstrumentFactory(
        jurisdiction=listing.schedule.jurisdiction, published_on=day, effective_on=day
    )


def _overlapping(listing, start, end=None):
    return Listing(
        uid=f"overlap-{start:%Y%m%d}",
        schedule=listing.schedule,
        substance=listing.substance,
        effective_from=start,
        effective_to=end,
        ended_by=_instrument_of(listing, end) if end else None,
        listed_by=_instrument_of(listing, start),
    )


def test_listing_overlap_refused_in_validation_on_every_database():
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    with pytest.raises(ValidationError, match="already on this list for part of that period"):
        _overlapping(listing, D(2020, 1, 1)).full_clean()
    with pytest.raises(ValidationError, match="already on this list"):
        _overlapping(listing, D(2018, 1, 1), D(2019, 5, 2)).full_clean()
    # Touching periods do not overlap: [2018-01-01, 2019-05-01) ends as the listing starts.
    _overlapping(listing, D(2018, 1, 1), D(2019, 5, 1)).full_clean()


def test_class_listing_overlap_refused():
    listing = ListingFactory(substance=None, substance_class=SubstanceClassFactory())
    other = Listing(
        uid="again",
        schedule=listing.schedule,
        substance_class=listing.substance_class,
        effective_from=D(2022, 1, 1),
        listed_by=_instrument_of(listing, D(2022, 1, 1)),
    )
    with pytest.raises(ValidationError, match="This class is already on this list"):
        other.full_clean()


def test_listing_overlap_refused_by_postgres_exclusion_constraint(on_postgres):
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    with pytest.raises(IntegrityError, match="listing_no_overlap_substance"), transaction.atomic():
        _overlapping(listing, D(2020, 1, 1)).save()
    # Adjacent periods are fine for the database too.
    _overlapping(listing, D(2018, 1, 1), D(2019, 5, 1)).save()


def test_overlap_is_not_a_database_constraint_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    listing = ListingFactory(effective_from=D(2019, 5, 1))
    # SQLite cannot enforce it; the services' validation (above) is what refuses it there.
    _overlapping(listing, D(2020, 1, 1)).save()


def test_change_rows_are_checked():
    _refused_by_database(
        Change, seq=0, at="2020-01-01T00:00Z", action="created", resource_type="x", uid="x", data={}
    )
    _refused_by_database(
        Change, seq=5, at="2020-01-01T00:00Z", action="deleted", resource_type="x", uid="x", data={}
    )
    _refused_by_database(
        Change, seq=6, at="2020-01-01T00:00Z", action="updated", resource_type="x", uid="x"
    )


def test_class_rule_too_expensive_to_search_is_refused_with_its_reason():
    from substances.models import ClassRule

    def tree(depth: int) -> str:  # a ternary tree: every permutation of branches is tried
        return "*" + "".join(f"(~{tree(depth - 1)})" for _ in range(3)) if depth else "*"

    full = tree(3)
    last = full.rindex("*")
    explosive = full[:last] + "[#9]" + full[last + 1 :]  # one leaf no worst-case tree has
    cls = SubstanceClassFactory()
    rule = ClassRule(substance_class=cls, label="tree", kind="include", smarts=explosive)
    with pytest.raises(ValidationError, match="pattern too expensive"):
        rule.full_clean()


@pytest.mark.parametrize(
    ("precision", "on", "bound", "field", "says"),
    [
        ("month", D(2025, 2, 15), None, "effective_on", "2025-02-01"),
        ("year", D(2025, 2, 1), None, "effective_on", "2025-01-01"),
        ("day", D(2025, 2, 1), D(2025, 3, 1), "effective_bound", "Only a window"),
        ("month", D(2025, 2, 1), D(2025, 3, 1), "effective_bound", "Only a window"),
        ("not-before", D(2025, 2, 1), D(2025, 1, 1), "effective_bound", "or later"),
        ("not-after", D(2025, 2, 1), D(2025, 3, 1), "effective_bound", "or earlier"),
        ("month", None, None, "effective_on", "Give the date"),
        ("not-before", None, D(2025, 3, 1), "effective_on", "Give the date"),
    ],
)
def test_an_instruments_date_and_precision_say_one_thing(precision, on, bound, field, says):
    # Each was accepted: a "month" of 2025-02-15 read as all February by the check, a bound
    # that no window reads.
    instrument = Instrument(
        uid="i",
        jurisdiction=JurisdictionFactory(),
        reference="x",
        effective_on=on,
        effective_precision=precision,
        effective_bound=bound,
    )
    with pytest.raises(ValidationError) as refused:
        instrument.full_clean()
    assert says in " ".join(refused.value.message_dict[field])


def test_an_instruments_window_and_whole_month_are_taken():
    cn = JurisdictionFactory()
    for uid, precision, on, bound in [
        ("a", "month", D(2025, 2, 1), None),
        ("b", "not-before", D(2025, 2, 1), D(2025, 2, 3)),
        ("c", "not-after", D(2025, 2, 3), D(2025, 2, 1)),
        ("d", "not-after", D(2025, 2, 3), None),
    ]:
        Instrument(
            uid=uid,
            jurisdiction=cn,
            reference=uid,
            effective_on=on,
            effective_precision=precision,
            effective_bound=bound,
        ).full_clean()
