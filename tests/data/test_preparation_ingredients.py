"""Whether a preparation has one active ingredient or more (`Substance.ingredients`), as the
lists' words turn on it: China covers the single-ingredient preparations of what it lists
(单方制剂) and names some compound ones (复方制剂); US schedule V's narcotic preparations and the
1961 Convention's Schedule III are compounded "with one or more" other ingredients."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry.check import check_items
from registry.jurisdictions import jurisdictions, verdicts_of
from substances.models import Substance

ON = datetime.date(2026, 12, 1)

pytestmark = pytest.mark.django_db


def _by_code(text):
    [result] = check_items([text], on=ON)
    return result, {v.jurisdiction: v for v in verdicts_of(result, jurisdictions())}


def test_the_approved_ghb_product_is_a_single_ingredient_preparation_of_ghb(real_registry):
    # Sodium oxybate solution: China's GHB entry covers its single-ingredient preparations;
    # in the US its own schedule III entry governs it, not GHB's schedule I entry.
    assert Substance.objects.get(uid="ghb-in-fda-approved-drug-product").ingredients == "single"
    result, by_code = _by_code("GHB in FDA-approved drug product")
    assert by_code["CN"].status == "controlled"
    [cn] = [m for m in result.matches if m.listed.schedule.jurisdiction == "CN"]
    assert cn.substance == "gamma-hydroxybutyrate"
    assert [s.relation for s in cn.route.steps] == ["single_ingredient"]
    us = [m for m in result.matches if m.listed.schedule.jurisdiction == "US"]
    assert [m.substance for m in us] == ["ghb-in-fda-approved-drug-product"]
    assert by_code["UN"].status == "uncertain"  # the conventions' reach is not recorded


def test_dronabinol_products_answer_from_dronabinol_where_they_have_no_entry(real_registry):
    for name in (
        "Dronabinol in sesame oil in soft gelatin capsule",
        "Dronabinol in an oral solution in an FDA-approved drug product",
    ):
        _result, by_code = _by_code(name)
        assert by_code["US"].status == "controlled", name
        for code in ("CN", "UN"):  # not "not controlled" with no reason, as before
            assert by_code[code].status == "uncertain", (name, code)
            assert "Dronabinol" in by_code[code].reason


@pytest.mark.parametrize(
    ("name", "like"),
    [
        # US schedule V, "with one or more nonnarcotic active medicinal ingredients".
        ("Codeine preparations within schedule V limits", "Codeine-containing compound oral"),
        ("Diphenoxylate and atropine preparations within schedule V limits", "Diphenoxylate"),
        # 1961 Schedule III: "compounded with one or more other ingredients".
        ("Preparations of codeine within the 1961 Convention's Schedule III limits", "Codeine"),
    ],
)
def test_a_compound_preparation_is_no_single_ingredient_one_in_china(real_registry, name, like):
    # It was controlled in China as "a single-ingredient preparation of codeine", or not
    # controlled though China lists diphenoxylate's compound preparations: it may be of the
    # compound preparations China names, and which is not recorded.
    result, by_code = _by_code(name)
    assert by_code["CN"].status == "uncertain", by_code["CN"]
    assert (
        like in by_code["CN"].reason and "whether this one is of that kind" in by_code["CN"].reason
    )
    assert not [m for m in result.matches if m.listed.schedule.jurisdiction == "CN"]


def test_a_compound_preparation_china_names_nothing_like_is_left_out_there(real_registry):
    # Difenoxin with atropine: China's difenoxin entry covers its single-ingredient
    # preparations only, and China names no compound preparation of difenoxin.
    _result, by_code = _by_code("Difenoxin and atropine preparations within schedule V limits")
    assert by_code["CN"].status == "not_controlled"
    assert "covers only its single-ingredient preparations" in by_code["CN"].reason


def test_only_a_preparation_says_how_many_active_ingredients_it_has(real_registry):
    fentanyl = Substance.objects.get(uid="fentanyl")
    fentanyl.ingredients = "single"
    with pytest.raises(ValidationError) as refused:
        fentanyl.full_clean()
    assert "ingredients" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Substance.objects.filter(uid="fentanyl").update(ingredients="single")
    with pytest.raises(IntegrityError), transaction.atomic():
        Substance.objects.filter(uid="codeine-combination-product").update(ingredients="some")


def test_the_substance_page_says_how_many_active_ingredients(real_registry, client):
    page = client.get("/substances/codeine-preparations-schedule-v/").content.decode()
    assert "compound: more than one active ingredient" in page
    chinese = client.get("/zh-hans/substances/codeine-preparations-schedule-v/").content.decode()
    assert "有效成分" in chinese and "复方" in chinese
    assert "Active ingredients" not in client.get("/substances/fentanyl/").content.decode()


@pytest.mark.parametrize("item", ["pholcodine", "morphine", "dihydrocodeine", "ethylmorphine"])
def test_a_1961_schedule_iii_preparation_may_have_one_active_ingredient(real_registry, item):
    # "Compounded with one or more other ingredients", which may be inert: a pholcodine linctus
    # is a single-ingredient preparation China controls, a compound one may not be.
    name = f"Preparations of {item} within the 1961 Convention's Schedule III limits"
    assert Substance.objects.get(uid=f"un-1961-iii-{item}-preparations").ingredients == "either"
    _result, by_code = _by_code(name)
    assert by_code["CN"].status == "uncertain", by_code["CN"]
    assert "whether this one has another active ingredient" in by_code["CN"].reason
    assert by_code["UN"].status == "controlled"
