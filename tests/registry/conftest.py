"""Shared data for the check's tests: a small registry with a listing and a class."""

import datetime

import pytest

from registry import services
from tests.factories import (
    InstrumentFactory,
    ListingFactory,
    ScheduleFactory,
    SubstanceFactory,
)

D = datetime.date
FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
AMFETAMINE = "CC(N)Cc1ccccc1"
DEXAMFETAMINE = "C[C@H](N)Cc1ccccc1"


@pytest.fixture
def registry(actor):
    schedule = ScheduleFactory(code="NM", name="Non-medical", name_zh="非药用类")
    instrument = InstrumentFactory(
        jurisdiction=schedule.jurisdiction,
        reference="2017-A",
        effective_on=D(2017, 3, 1),
        published_on=D(2017, 2, 1),
    )
    fentanyl = SubstanceFactory(
        uid="fentanyl", name_en="Fentanyl", name_zh="芬太尼", cas="437-38-7", smiles=FENTANYL
    )
    services.add_name(substance=fentanyl, name="Sublimaze", language="en", actor=actor)
    ListingFactory(
        schedule=schedule, substance=fentanyl, listed_by=instrument, effective_from=D(2017, 3, 1)
    )
    amf = SubstanceFactory(uid="amfetamine", name_en="Amfetamine", smiles=AMFETAMINE)
    ListingFactory(
        schedule=schedule, substance=amf, listed_by=instrument, effective_from=D(2017, 3, 1)
    )
    fentanyls = services.define_class(
        actor=actor,
        uid="class-fentanyls",
        name_en="Fentanyl-related substances",
        rules=[
            {
                "label": "4-anilidopiperidine",
                "kind": "include",
                "smarts": "O=C-N(-c1ccccc1)-C1CCN(-[!#1])CC1",
            }
        ],
    )
    ListingFactory(
        schedule=schedule,
        substance=None,
        substance_class=fentanyls,
        listed_by=InstrumentFactory(jurisdiction=schedule.jurisdiction, effective_on=D(2019, 5, 1)),
        effective_from=D(2019, 5, 1),
    )
    return schedule
