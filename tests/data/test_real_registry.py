"""The real data: the official figures it must reproduce, and the validity of every identifier."""

import datetime

import pytest
from django.core.management import call_command

from registry.loading import read_fixtures
from registry.models import Change, Instrument, Listing
from substances import chemistry
from substances.models import Substance
from substances.validators import validate_cas

pytestmark = pytest.mark.django_db

D = datetime.date
REORGANISATION = D(2025, 7, 28)  # cn-2025-55's effective_on; see fixtures/README.md


def _named(on: datetime.date, schedules=None):
    listings = Listing.objects.in_force(on=on).in_jurisdiction("CN").of_substances()
    listings = listings.exclude(schedule__regime="precursor")
    if schedules:
        listings = listings.filter(schedule__uid__in=schedules)
    return listings


def _classes(on: datetime.date):
    return Listing.objects.in_force(on=on).in_jurisdiction("CN").of_classes()


def test_fixtures_check_clean():
    fx = read_fixtures()
    assert fx.problems == []


def test_449_named_entries_and_2_classes_at_the_end_of_2021(real_registry):
    # 121 narcotic + 149 psychotropic + 4 preparation entries + remimazolam + 174 non-medical.
    assert _named(D(2021, 12, 31)).count() == 449
    assert _classes(D(2021, 12, 31)).count() == 2
    # unchanged from 2021-07-01 to 2023-06-30
    assert _named(D(2021, 7, 1)).count() == _named(D(2023, 6, 30)).count() == 449


def test_the_2013_lists_as_they_took_effect(real_registry):
    on = D(2014, 1, 1)
    assert _named(on, ["cn-narcotic-2013"]).count() == 121
    assert _named(on, ["cn-psychotropic-1-2013"]).count() == 68
    assert _named(on, ["cn-psychotropic-2-2013"]).count() == 81


def test_58_non_medical_additions_from_2017_to_2021(real_registry):
    added = Listing.objects.filter(schedule__uid="cn-nonmedical-2015", substance__isnull=False)
    assert added.started_between(D(2017, 1, 1), D(2021, 12, 31)).count() == 58
    assert added.filter(effective_from=D(2015, 10, 1)).count() == 116


def test_precursor_list_23_items_in_2005_and_38_at_the_end_of_2021(real_registry):
    def precursors(on):
        return Listing.objects.in_force(on=on).filter(
            schedule__regime="precursor", schedule__jurisdiction__code="CN"
        )

    assert precursors(D(2005, 11, 1)).count() == 23
    assert precursors(D(2021, 12, 31)).count() == 38


def test_the_2025_reorganisation_32_18_78_396_and_3_classes(real_registry):
    on = REORGANISATION
    assert _named(on, ["cn-narcotic-2025"]).count() == 32
    assert _named(on, ["cn-psychotropic-1-2025"]).count() == 18
    # 78 entries; item 68 names tramadol and, within it, the compound preparations containing
    # tramadol (包括含曲马多复方制剂): one entry, two listings.
    class_ii = _named(on, ["cn-psychotropic-2-2025"])
    assert class_ii.values("item_number").distinct().count() == 78
    assert class_ii.count() == 79
    assert _named(on, ["cn-nonmedical-2025"]).count() == 396
    assert _classes(on).exclude(schedule__regime="precursor").count() == 3
    # Besides the three drug classes, the 2024 precursor entries "X and its esters", held as
    # structure-defined groups.
    assert _classes(on).filter(schedule__regime="precursor").count() == 3
    # No listing of the old lists survives the reorganisation.
    old = [
        "cn-narcotic-2013",
        "cn-psychotropic-1-2013",
        "cn-psychotropic-2-2013",
        "cn-nonmedical-2015",
    ]
    assert not Listing.objects.in_force(on=on).filter(schedule__uid__in=old).exists()


def test_the_day_before_the_reorganisation(real_registry):
    # The official tally is 521 entries; the registry holds 522 listings because midazolam's
    # two parts (Class I: substance and injections; Class II: the rest) are two listings since
    # 2024-07-01. fixtures/README.md explains it.
    before = REORGANISATION - datetime.timedelta(days=1)
    assert _named(before).count() == 522
    assert (
        _named(before)
        .exclude(substance__uid="midazolam", schedule__uid="cn-psychotropic-1-2013")
        .count()
        == 521
    )
    assert _classes(before).exclude(schedule__regime="precursor").count() == 3


def test_class_controls_take_effect_on_their_dates(real_registry):
    fentanyls = _classes(D(2019, 5, 1)).filter(substance_class__uid="class-fentanyls")
    assert fentanyls.exists()
    assert not _classes(D(2019, 4, 30)).filter(substance_class__uid="class-fentanyls").exists()
    cannabinoids = "class-synthetic-cannabinoids"
    assert not _classes(D(2021, 6, 30)).filter(substance_class__uid=cannabinoids).exists()
    assert _classes(D(2021, 7, 1)).filter(substance_class__uid=cannabinoids).exists()


def _history(uid: str) -> list[tuple[str, str, str | None, str]]:
    """China's history of a substance (the UN and US lists hold it too)."""
    return [
        (
            li.schedule.uid,
            li.effective_from.isoformat(),
            li.effective_to.isoformat() if li.effective_to else None,
            li.listed_by.uid,
        )
        for li in Listing.objects.filter(substance__uid=uid)
        .in_jurisdiction("CN")
        .select_related("schedule", "listed_by")
        .order_by("effective_from", "schedule__uid")
    ]


def test_carfentanil_history_crosses_the_reorganisation(real_registry):
    assert _history("carfentanil") == [
        ("cn-nonmedical-2015", "2017-03-01", "2025-07-28", "cn-2017-carfentanil"),
        ("cn-nonmedical-2025", "2025-07-28", None, "cn-2025-nonmedical-list"),
    ]


def test_jwh_018_moved_from_a_medical_list_to_the_non_medical_list(real_registry):
    assert _history("jwh-018") == [
        ("cn-psychotropic-1-2013", "2014-01-01", "2025-07-28", "cn-2013-230"),
        ("cn-nonmedical-2025", "2025-07-28", None, "cn-2025-nonmedical-list"),
    ]


def test_modafinil_rescheduled_from_class_i_to_class_ii(real_registry):
    history = _history("modafinil")
    assert ("cn-psychotropic-1-2013", "2014-01-01", "2023-10-01", "cn-2013-230") in history
    assert any(h[0] == "cn-psychotropic-2-2013" and h[1] == "2023-10-01" for h in history)


def test_every_listing_history_is_continuous_across_the_reorganisation(real_registry):
    """Every substance listed the day before the reorganisation is listed on it, but for the
    entries the reorganisation dropped (named in fixtures/README.md)."""
    before = set(
        _named(REORGANISATION - datetime.timedelta(days=1)).values_list("substance__uid", flat=True)
    )
    after = set(_named(REORGANISATION).values_list("substance__uid", flat=True))
    dropped = before - after
    assert "suvorexant" in dropped
    assert len(dropped) <= 3, dropped


def test_every_identifier_is_valid(real_registry):
    for s in Substance.objects.all():
        validate_cas(s.cas)
        if s.smiles:
            identity = chemistry.describe(s.smiles)
            assert s.inchikey == identity.inchikey and chemistry.is_inchikey(s.inchikey)
            assert s.formula == identity.formula
    assert Substance.objects.exclude(smiles="").count() >= 540
    assert Substance.objects.exclude(cas="").count() >= 540


def test_isomers_are_related_to_their_racemate(real_registry):
    dex = Substance.objects.get(uid="dexamfetamine")
    [relation] = dex.relations.all()
    assert (relation.kind, relation.form, relation.target.uid) == (
        "form_of",
        "stereoisomer",
        "amfetamine",
    )
    assert dex.skeleton_key == relation.target.skeleton_key


def test_every_listing_starts_and_ends_with_its_instruments(real_registry):
    dates = dict(Instrument.objects.values_list("pk", "effective_on"))
    for listing in Listing.objects.all():
        assert listing.effective_from == dates[listing.listed_by_id], listing.uid
        if listing.ended_by_id:
            assert listing.effective_to == dates[listing.ended_by_id], listing.uid


def test_loading_again_changes_nothing(real_registry):
    head = Change.objects.count()
    call_command("load_registry", verbosity=0)
    assert Change.objects.count() == head
    assert head == sum(len(rows) for rows in read_fixtures().rows.values())
