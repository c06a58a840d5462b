"""Whole classes among the search results, and since when a class-controlled compound has been
controlled: from its class's start when the class came first."""

import datetime
import re

import pytest

from registry import check, services
from substances.models import SubstanceClass
from tests.factories import ListingFactory, SubstanceFactory
from tests.web.sample import ANALOGUE_SMILES, D2019, D2025, FENTANYL_SMILES

pytestmark = pytest.mark.django_db

ACTOR = services.Actor(name="test")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(
    "query",
    [
        "fentanyl",
        "Fentanyl-related",
        "FENTANYL RELATED SUBSTANCES",
        "fentanyls",
        "芬太尼",
        "芬太尼类",
    ],
)
def test_a_class_is_found_by_its_names_however_written(sample, query):
    assert list(SubstanceClass.objects.matching(query)) == [sample.fentanyls]


@pytest.mark.parametrize("query", ["", "fe", "芬", "cannabinoid", "ketamine"])
def test_a_class_is_not_found_by_too_little_or_another_name(sample, query):
    assert list(SubstanceClass.objects.matching(query)) == []


def test_a_class_control_starts_at_its_first_listing_across_the_reorganisation(sample):
    (control,) = check.class_controls([sample.fentanyls], on=datetime.date(2026, 1, 1))
    assert [li.schedule.uid for li in control.in_force] == ["cn-nonmedical-2025"]
    assert control.since == {"CN": "2019-05-01"}
    (before,) = check.class_controls([sample.fentanyls], on=datetime.date(2019, 4, 30))
    assert before.in_force == [] and before.since == {}


@pytest.mark.parametrize(
    ("prefix", "name", "whole_class", "since"),
    [
        ("", "Fentanyl-related substances", "(whole class)", "Controlled without a break since:"),
        ("/zh-hans", "芬太尼类物质", "（整类）", "自以下日期起持续受管制："),
    ],
)
def test_the_search_page_shows_the_class_with_its_list_and_start(
    client, sample, prefix, name, whole_class, since
):
    html = client.get(f"{prefix}/search/", {"q": "fentanyl"}).content.decode()
    section = html.split('class="class-results"')[1].split("</section>")[0]
    assert f'href="{prefix}/classes/class-fentanyls/"' in section
    text = text_of(section)
    assert name in text and whole_class in text
    assert f"{since} CN 2019-05-01" in text.replace(f"{since}CN", f"{since} CN")
    assert f'href="{prefix}/schedules/cn-nonmedical-2025/"' in section


def test_a_class_is_shown_even_when_no_substance_bears_its_name(client, sample):
    html = client.get("/search/", {"q": "fentanyl-related substances"}).content.decode()
    assert "class-results" in html and "No substance in the registry is named" in html
    assert "Nothing in the registry matches" not in html


def test_a_structure_query_does_not_list_classes(client, sample):
    html = client.get("/search/", {"q": FENTANYL_SMILES}).content.decode()
    assert "class-results" not in html


def test_a_compound_controlled_only_through_its_class_counts_from_the_class_s_start(client, sample):
    SubstanceFactory(uid="4-fluorofentanyl", name_en="4-Fluorofentanyl", smiles=ANALOGUE_SMILES)
    html = client.get("/search/", {"q": "fluorofentanyl"}).content.decode()
    result = text_of(html.split('<ol class="results"')[1].split("</ol>")[0])
    assert "Controlled" in result and "Not on a list by name" not in result
    assert "Fentanyl-related substances (whole class)" in result
    assert "Controlled without a break since: CN 2019-05-01" in result


def test_a_compound_named_after_its_class_counts_from_the_class_s_start(sample):
    later = SubstanceFactory(uid="4-fluorofentanyl", smiles=ANALOGUE_SMILES)
    ListingFactory(
        schedule=sample.nonmedical_2025,
        substance=later,
        effective_from=D2025,
        listed_by=sample.reorganisation,
    )
    on = datetime.date(2026, 1, 1)
    standing = check.standings([later, sample.adb], on=on)
    assert [c.substance_class for c in standing[later.pk].classes] == [sample.fentanyls]
    assert standing[later.pk].since == {"CN": "2019-05-01"}
    # The check counts the same.
    (verdict,) = check.check_items([ANALOGUE_SMILES], on=on)
    assert verdict.since == standing[later.pk].since
    # A compound in no class keeps its own listings' start.
    assert standing[sample.adb.pk].classes == []
    assert standing[sample.adb.pk].since == {"CN": sample.adb_2015.effective_from.isoformat()}
    assert D2019 < D2025


@pytest.mark.parametrize(
    ("filters", "shown"),
    [
        ({"schedule": "cn-nonmedical-2025"}, True),
        ({"schedule": "cn-narcotic-2025"}, False),  # fentanyl itself is there, not the class
        ({"on": "2019-05-01"}, True),
        ({"on": "2019-04-30"}, False),  # before the class was listed
        ({"regime": "nonmedical"}, True),
    ],
)
def test_the_class_block_keeps_to_the_search_filters(client, sample, filters, shown):
    html = client.get("/search/", {"q": "fentanyl", **filters}).content.decode()
    assert ("class-results" in html) is shown


def test_a_page_whose_class_verdicts_are_kept_is_judged_without_compiling_a_rule(
    sample, monkeypatch
):
    """The classes covering a page of results are read back once judged: the rules are compiled
    only for a structure not judged yet, so that a worker serving such a page needs no RDKit."""
    analogue = SubstanceFactory(uid="4-fluorofentanyl", smiles=ANALOGUE_SMILES)
    on = datetime.date(2026, 1, 1)
    check._MEMBERSHIP_MEMO.clear()  # judged here, kept in the shared cache
    first = check.standings([analogue, sample.adb], on=on)
    check._MEMBERSHIP_MEMO.clear()  # read back from the shared cache, as a new worker would

    def no_compiling(*args, **kwargs):
        raise AssertionError("a rule was compiled for verdicts already kept")

    monkeypatch.setattr(check.matching, "compile_class", no_compiling)
    again = check.standings([analogue, sample.adb], on=on)
    assert [c.substance_class for c in again[analogue.pk].classes] == [sample.fentanyls]
    assert again[analogue.pk].since == first[analogue.pk].since == {"CN": "2019-05-01"}
    with pytest.raises(AssertionError, match="already kept"):
        check.standings([SubstanceFactory(uid="new", smiles="CCN(CC)C(=O)c1ccccc1")], on=on)
