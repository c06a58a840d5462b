"""The substance page's short cut: a structure that meets no class's rules needs no check for its
classes. Held to the check itself on every structure of the real registry."""

import datetime

import pytest

from registry import check
from registry.verdicts import ClassBasis
from substances.models import Substance

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "on",
    [
        datetime.date(1971, 4, 30),  # before any class (the US tetrahydrocannabinols: 1971-05-01)
        datetime.date(2018, 3, 1),  # the US fentanyl class order, before China's class
        datetime.date(2026, 12, 3),
    ],
)
def test_a_structure_meeting_no_class_rules_is_covered_by_no_class(real_registry, on):
    structures = sorted(
        set(
            Substance.objects.exclude(smiles="")
            .exclude(smiles__contains=".")
            .values_list("smiles", flat=True)
        )
    )
    results = check.check_items(structures, on=on)
    without, members = 0, 0
    for text, result in zip(structures, results, strict=True):
        bases = [m for m in result.matches if isinstance(m, ClassBasis)]
        if check.meets_no_class_rules(text):
            without += 1
            assert not bases, text
        elif bases:
            members += 1
    # The test saw both kinds: the registry's fentanyls and cannabinoids meet the rules (no
    # class was in force before 1971-05-01).
    assert without > 300
    assert members == 0 if on.year == 1971 else members > 50
