"""Whether a preparation has one active ingredient or more (`Substance.ingredients`), as the
lists' words turn on it: China covers the single-ingredient preparations of what it lists
(单方制剂) and names some compound ones (复方制剂); US schedule V's narcotic preparations and the
1961 Convention's Schedule III are compounded "with one or more" other ingredients."""

import datetime
import html as html_lib
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

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
    # The 1971 Convention puts a preparation under its substance's controls (article 3(1)).
    assert by_code["UN"].status == "controlled"
    [un] = [m for m in result.matches if m.listed.schedule.jurisdiction == "UN"]
    assert (un.substance, un.listed.schedule.code) == ("gamma-hydroxybutyrate", "UN-1971-II")


def test_dronabinol_products_answer_from_dronabinol_where_they_have_no_entry(real_registry):
    for name in (
        "Dronabinol in sesame oil in soft gelatin capsule",
        "Dronabinol in an oral solution in an FDA-approved drug product",
    ):
        _result, by_code = _by_code(name)
        assert by_code["US"].status == "controlled", name
        # Not "not controlled" with no reason, as before: China's entry for dronabinol (on the
        # non-medical list since 2025) says nothing of preparations; the 1971 Convention's
        # article 3(1) reaches it.
        assert by_code["CN"].status == "uncertain", name
        assert "Dronabinol" in by_code["CN"].reason
        assert by_code["UN"].status == "controlled", name


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


@pytest.mark.parametrize(
    ("name", "ingredient", "schedules"),
    [
        # 1961, article 2(3): "Preparations other than those in Schedule III are subject to
        # the same measures of control as the drugs which they contain"; where Schedule III
        # names preparations of the same drug within limits the record does not state, it may
        # be one of them (article 2(4)).
        (
            "Codeine-containing compound oral liquid preparations",
            "codeine",
            ["UN-1961-II", "UN-1961-III"],
        ),
        ("Oxycodone-containing compound oral solid preparations", "oxycodone", ["UN-1961-I"]),
        (
            "Diphenoxylate-containing compound preparations",
            "diphenoxylate",
            ["UN-1961-I", "UN-1961-III"],
        ),
        # 1971, article 3(1): a preparation "is subject to the same measures of control as the
        # psychotropic substance which it contains".
        (
            "Buprenorphine and naloxone compound oral solid preparations",
            "buprenorphine",
            ["UN-1971-III"],
        ),
        ("Buprenorphine transdermal patch", "buprenorphine", ["UN-1971-III"]),
        ("Dronabinol in sesame oil in soft gelatin capsule", "dronabinol", ["UN-1971-II"]),
    ],
)
def test_the_conventions_put_a_preparation_under_its_drug_s_controls(
    real_registry, name, ingredient, schedules
):
    result, by_code = _by_code(name)
    assert by_code["UN"].status == "controlled", by_code["UN"]
    assert sorted(by_code["UN"].schedules) == schedules
    assert "UN" not in result.preparation_open
    [un] = [
        m
        for m in result.matches
        if m.listed.schedule.jurisdiction == "UN" and m.substance == ingredient
    ]
    assert un.substance == ingredient
    relation = un.route.steps[-1].relation
    assert relation in ("single_ingredient", "preparation_ingredient")
    covered = (
        "(the entry covers compound preparations)"
        if relation == "preparation_ingredient"
        else "(the entry covers single-ingredient preparations)"
    )
    assert un.explanation.endswith(covered), un.explanation
    # One entry or the other where Schedule III may name it; certainly its drug's otherwise.
    assert bool(un.entry_uncertain) == (len(schedules) > 1)


def test_a_preparation_schedule_iii_may_name_is_on_one_of_two_lists(real_registry):
    # China's codeine compound oral liquids: a preparation of codeine (Schedule II's controls,
    # article 2(3)), or, within the limits of strength the record does not state, one of
    # Schedule III's preparations of codeine (article 2(4)).
    result, by_code = _by_code("Codeine-containing compound oral liquid preparations")
    assert by_code["UN"].status == "controlled"
    un = {
        m.listed.schedule.code: m for m in result.matches if m.listed.schedule.jurisdiction == "UN"
    }
    assert sorted(un) == ["UN-1961-II", "UN-1961-III"]
    assert un["UN-1961-II"].substance == "codeine"
    assert un["UN-1961-III"].substance == "un-1961-iii-codeine-group-preparations"
    assert [s.relation for s in un["UN-1961-III"].route.steps] == ["alike_preparation", "member_of"]
    assert un["UN-1961-II"].entry_uncertain == un["UN-1961-III"].entry_uncertain
    assert "Preparations of codeine within the 1961 Convention's Schedule III limits governs" in (
        un["UN-1961-III"].entry_uncertain
    )
    assert "if it is one of Preparations of codeine" in un["UN-1961-III"].explanation
    # China's own entry names it: no doubt there.
    assert not [
        m for m in result.matches if m.listed.schedule.jurisdiction == "CN" and m.entry_uncertain
    ]
    with translation.override("zh-hans"):
        [chinese] = check_items(["含可待因复方口服液体制剂"], on=ON, jurisdiction="UN")
    assert all("本登记库未记录" in m.entry_uncertain for m in chinese.matches)


def test_a_preparation_a_schedule_iii_entry_names_is_in_schedule_iii_alone(real_registry):
    # Preparations of codeine within the limits are an item of the entry for the codeine
    # group's preparations: that entry governs them, with its lighter measures (article 2(4)),
    # not codeine's Schedule II entry.
    result, by_code = _by_code(
        "Preparations of codeine within the 1961 Convention's Schedule III limits"
    )
    assert by_code["UN"].schedules == ("UN-1961-III",)
    page_only_three = [
        m.listed.schedule.code for m in result.matches if m.listed.schedule.jurisdiction == "UN"
    ]
    assert page_only_three == ["UN-1961-III"]


def test_the_conventions_reach_no_preparation_of_what_they_do_not_list(real_registry):
    # Tramadol is under no convention; ergotamine is in the 1988 Convention's Table I, whose
    # article 12 "shall not apply to pharmaceutical preparations" (paragraph 14): open there.
    _result, by_code = _by_code("Tramadol compound preparations")
    assert by_code["UN"].status == "not_controlled"
    _result, by_code = _by_code("Ergotamine and caffeine tablets")
    assert by_code["UN"].status == "uncertain"


def test_a_preparation_s_page_says_how_the_convention_reaches_it(real_registry, client):
    page = client.get("/substances/codeine-compound-oral-liquids/").content.decode()
    assert "a preparation containing Codeine" in page
    assert "compound preparations" in page
    chinese = client.get("/zh-hans/substances/codeine-compound-oral-liquids/").content.decode()
    assert "含可待因的制剂" in chinese and "复方制剂" in chinese


@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("Diphenoxylate and atropine preparations within schedule V limits", "diphenoxylate"),
        ("Difenoxin and atropine preparations within schedule V limits", "difenoxin"),
        ("Codeine preparations within schedule V limits", "codeine"),
        ("Ethylmorphine preparations within schedule V limits", "ethylmorphine"),
    ],
)
def test_a_us_entry_within_a_schedule_iii_item_s_limits_is_in_schedule_iii(
    real_registry, name, item
):
    # 21 CFR 1308.15(c)(4): not more than 2.5 mg of diphenoxylate and not less than 25 micrograms
    # of atropine sulfate a dose; the 1961 Convention's item: not more than 2.5 mg and atropine
    # sulphate at least 1.0 per cent of the dose. Every such US preparation is one of them.
    result, by_code = _by_code(name)
    assert by_code["UN"].status == "controlled"
    assert by_code["UN"].schedules == ("UN-1961-III",), by_code["UN"]
    un = [m for m in result.matches if m.listed.schedule.jurisdiction == "UN"]
    assert not any(m.entry_uncertain for m in un)
    assert any(
        step.substance.startswith(f"un-1961-iii-{item}") for m in un for step in m.route.steps
    )


def test_a_us_entry_whose_limits_reach_past_the_item_s_is_on_one_list_or_the_other(real_registry):
    # US schedule IV's difenoxin preparations: up to 1 mg a dose, where the 1961 item stops at
    # 0.5 mg; the morphine combination products: the item also asks that the drug cannot be
    # readily recovered, which the US entry does not say.
    for name in (
        "Difenoxin preparation",
        "Morphine combination product 50 mg/100 mL or 100 g",
        "Codeine combination product 90 mg/du",
    ):
        result, by_code = _by_code(name)
        assert len(by_code["UN"].schedules) == 2, (name, by_code["UN"])
        un = [m for m in result.matches if m.listed.schedule.jurisdiction == "UN"]
        assert all(m.entry_uncertain for m in un), name


def test_before_its_own_entry_s_uncertain_day_a_preparation_is_its_drug_s(real_registry):
    # Dover's powder is on the 1961 Convention's Schedule III from a day the registry knows only
    # as "by 2013-12-31"; before, opium's Schedule I entry reached it as opium's preparation
    # (article 2(3)): controlled, on one list or the other, not "uncertain".
    name = Substance.objects.get(uid="dovers-powder").name_en
    [result] = check_items([name], on=datetime.date(2000, 1, 1), jurisdiction="UN")
    assert result.status == "controlled"
    by_schedule = {m.listed.schedule.code: m for m in result.matches}
    assert sorted(by_schedule) == ["UN-1961-I", "UN-1961-III"]
    assert by_schedule["UN-1961-I"].entry_uncertain and by_schedule["UN-1961-III"].date_uncertain
    assert result.since == {"UN": "1964-12-13"}
    [now] = check_items([name], on=ON, jurisdiction="UN")
    assert [m.listed.schedule.code for m in now.matches] == ["UN-1961-III"]


def test_a_preparation_of_a_salt_or_a_member_reaches_the_entry_that_covers_it(real_registry):
    # The walk goes on from the ingredient as from a record of its own: a preparation of
    # etorphine hydrochloride is one of etorphine's salt (1961 Schedules I and IV cover salts).
    from tests.factories import RelationFactory, SubstanceFactory

    salt = Substance.objects.get(uid="etorphine-hydrochloride")
    for kind in ("single", "compound"):
        preparation = SubstanceFactory(
            uid=f"etorphine-hydrochloride-{kind}",
            name_en=f"Etorphine hydrochloride {kind} preparation",
            kind="preparation",
            ingredients=kind,
        )
        RelationFactory(subject=preparation, kind="contains", form="", target=salt)
        _result, by_code = _by_code(preparation.name_en)
        assert by_code["UN"].status == "controlled", kind
        assert sorted(by_code["UN"].schedules) == ["UN-1961-I", "UN-1961-IV"], kind


@pytest.mark.parametrize(
    ("name", "on", "schedules", "in_doubt"),
    [
        # 21 CFR 1308.12(b)(1): "any salt, compound, derivative, or preparation of opium or
        # opiate"; 1308.14(c): "any material, compound, mixture, or preparation which contains
        # any quantity of" tramadol; 1308.13(e): buprenorphine.
        ("Oxycodone-containing compound oral solid preparations", ON, ["US-II"], False),
        ("Tramadol compound preparations", ON, ["US-IV"], False),
        ("Buprenorphine transdermal patch", ON, ["US-III"], False),
        # Codeine's: schedule II, or III or V within the limits of their entries, which the
        # record does not state.
        (
            "Codeine-containing compound oral liquid preparations",
            ON,
            ["US-II", "US-III", "US-V"],
            True,
        ),
        # Hydrocodone's combination products were in schedule III until 2014-10-06.
        (
            "Hydrocodone-containing compound oral solid preparations",
            datetime.date(2010, 1, 1),
            ["US-II", "US-III"],
            True,
        ),
        ("Hydrocodone-containing compound oral solid preparations", ON, ["US-II"], False),
    ],
)
def test_the_us_schedules_reach_a_preparation_containing_what_they_list(
    real_registry, name, on, schedules, in_doubt
):
    [result] = check_items([name], on=on, jurisdiction="US")
    assert result.status == "controlled", result.reason
    us = [m for m in result.matches if m.listed.schedule.jurisdiction == "US"]
    assert sorted({m.listed.schedule.code for m in us}) == schedules
    assert all(bool(m.entry_uncertain) == in_doubt for m in us)


def test_the_us_lists_of_chemicals_do_not_reach_a_drug_product(real_registry):
    # List I's entries carry no such words: ergotamine and caffeine tablets stay open.
    _result, by_code = _by_code("Ergotamine and caffeine tablets")
    assert by_code["US"].status == "uncertain"


def test_co_codamol_may_be_a_schedule_iii_codeine_preparation(real_registry):
    # Paracetamol and codeine tablets name two ingredients; Schedule III's codeine item names
    # one and admits others ("compounded with one or more other ingredients").
    from tests.factories import RelationFactory, SubstanceFactory

    tablets = SubstanceFactory(
        uid="paracetamol-codeine-tablets",
        name_en="Paracetamol and codeine tablets",
        kind="preparation",
        ingredients="compound",
    )
    for uid in ("codeine", "paracetamol"):
        RelationFactory(
            subject=tablets, kind="contains", form="", target=Substance.objects.get(uid=uid)
        )
    _result, by_code = _by_code(tablets.name_en)
    assert by_code["UN"].schedules == ("UN-1961-II", "UN-1961-III")
    # Named by the 1961 entry, not by another jurisdiction's record within it (US schedule V's
    # codeine preparations, an item of it too).
    [result] = check_items(
        ["Codeine-containing compound oral liquid preparations"], on=ON, jurisdiction="UN"
    )
    said = {m.entry_uncertain for m in result.matches}
    assert said and all(
        why.startswith("Preparations of codeine within the 1961 Convention's Schedule III")
        and "schedule V" not in why
        for why in said
    )


def test_before_the_schedule_iii_day_a_codeine_syrup_is_on_one_list_or_the_other(real_registry):
    # The codeine item is listed by 2013 (its day not known precisely): in 2000 the syrup is
    # Schedule II's as codeine's preparation, or Schedule III's, in doubt: both lists said.
    [result] = check_items(
        ["Codeine-containing compound oral liquid preparations"],
        on=datetime.date(2000, 1, 1),
        jurisdiction="UN",
    )
    verdict = {v.jurisdiction: v for v in verdicts_of(result, jurisdictions())}["UN"]
    assert verdict.status == "controlled"
    assert verdict.schedules == ("UN-1961-II", "UN-1961-III")
    three = [m for m in result.matches if m.listed.schedule.code == "UN-1961-III"]
    assert three and all(m.entry_uncertain and m.date_uncertain for m in three)


def test_the_check_page_says_the_lists_are_alternatives(real_registry, client):
    syrup = "Codeine-containing compound oral liquid preparations"
    page = client.get("/check/", {"items": syrup, "on": ON.isoformat()}).content.decode()
    table = page[page.index("<table") : page.index("</table>")]
    assert "UN-1961-II, UN-1961-III" in table
    assert table.count("on one of these lists") == 2  # the UN's row and the US's
    chinese = client.get("/zh-hans/check/", {"items": syrup, "on": ON.isoformat()})
    assert "属于其中一个目录" in chinese.content.decode()
    tablets = "Oxycodone-containing compound oral solid preparations"
    page = client.get("/check/", {"items": tablets, "on": ON.isoformat()}).content.decode()
    assert "on one of these lists" not in page


def _side_by_side_rows(html):
    """The substance page's "side by side" table, one text per jurisdiction code."""
    table = html[html.index('class="by-jurisdiction"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<th scope="row">(\w+)</th>(.*?)</tr>', table, re.S)
    return {
        code: html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)))
        for code, text in rows
    }


def test_the_substance_page_says_the_lists_are_alternatives_as_the_check_does(
    real_registry, client
):
    # It said UN-1961-II alone, through codeine, where the check says II or III.
    rows = _side_by_side_rows(
        client.get("/substances/codeine-compound-oral-liquids/").content.decode()
    )
    assert "UN-1961-II (through its relations); UN-1961-III (or this list)" in rows["UN"]
    assert "Preparations of codeine within the 1961 Convention's Schedule III limits" in rows["UN"]
    assert "(or this list)" not in rows["CN"]  # China names it: no doubt there
    rows = _side_by_side_rows(
        client.get("/zh-hans/substances/codeine-compound-oral-liquids/").content.decode()
    )
    assert "UN-1961-III （或此目录）" in rows["UN"] and "本登记库未记录" in rows["UN"]
    # A preparation on one list only says nothing of the kind.
    rows = _side_by_side_rows(
        client.get("/substances/ghb-in-fda-approved-drug-product/").content.decode()
    )
    assert not any("(or this list)" in text for text in rows.values())


def test_a_preparation_of_opium_reaches_the_us_entries_for_opium(real_registry):
    # The US lists opium by its forms (raw, powdered, granulated: 21 CFR 1308.12(b)(1), "any
    # ... preparation of opium"); a preparation of opium was left `uncertain` there.
    name = Substance.objects.get(uid="dovers-powder").name_en
    [result] = check_items([name], on=ON, jurisdiction="US")
    assert result.status == "controlled"
    us = {m.listed.schedule.code: m for m in result.matches}
    # Schedule II as opium's preparation, or schedule III's opium combination product within
    # limits its record does not state (25 mg of opium a dosage unit); never schedule V's 100 mg
    # per 100 g, below the powder's 10 per cent (that listing excepts it).
    assert sorted(us) == ["US-II", "US-III"]
    assert all(m.entry_uncertain for m in us.values())
    assert "Opium, raw" in " ".join(
        m.explanation for m in result.matches if m.listed.schedule.code == "US-II"
    )
    # The US's nicocodeine is nicocodine under another name: its schedule I entry reaches the
    # 1961 Convention's Schedule III preparations of nicocodine.
    name = Substance.objects.get(uid="un-1961-iii-nicocodine-preparations").name_en
    [result] = check_items([name], on=ON, jurisdiction="US")
    assert [(m.listed.schedule.code, m.substance) for m in result.matches] == [
        ("US-I", "nicocodeine")
    ]


def test_a_bulk_entry_does_not_reach_a_preparation(real_registry):
    # "Dextropropoxyphene, bulk (non-dosage forms)" (schedule II) names the compound in bulk;
    # its dosage forms are schedule IV's.
    name = Substance.objects.get(uid="un-1961-iii-dextropropoxyphene-preparations").name_en
    [result] = check_items([name], on=ON, jurisdiction="US")
    assert [m.listed.schedule.code for m in result.matches] == ["US-IV"]
    [compound] = check_items(["Dextropropoxyphene"], on=ON, jurisdiction="US")
    assert sorted(m.listed.schedule.code for m in compound.matches) == ["US-II", "US-IV"]


def test_a_record_s_answer_does_not_depend_on_what_is_asked_with_it(real_registry):
    # The entries for what a preparation contains were read only when the batch held a record
    # next to them: Dover's powder was `uncertain` in the US alone, `controlled` in a batch
    # with raw opium.
    name = Substance.objects.get(uid="dovers-powder").name_en
    [alone] = check_items([name], on=ON, jurisdiction="US")
    together, _raw = check_items([name, "Opium, raw"], on=ON, jurisdiction="US")
    assert alone.status == together.status == "controlled"
    assert [m.listed.schedule.code for m in alone.matches] == [
        m.listed.schedule.code for m in together.matches
    ]


@pytest.mark.parametrize("on", [datetime.date(1978, 6, 1), datetime.date(2000, 1, 1)])
def test_a_preparation_of_an_ether_listed_by_name_is_not_in_its_parent_s_schedule(
    real_registry, on
):
    # Before its own Schedule III entry's day, a preparation of norcodeine is norcodeine's
    # (Schedule II), not normorphine's ether's (Schedule I): norcodeine's own entry governs it.
    name = Substance.objects.get(uid="un-1961-iii-norcodeine-preparations").name_en
    [result] = check_items([name], on=on, jurisdiction="UN")
    assert "UN-1961-I" not in {m.listed.schedule.code for m in result.matches}
    assert "UN-1961-II" in {m.listed.schedule.code for m in result.matches}


def test_the_us_schedule_v_opium_item_is_not_offered_for_dovers_powder_under_the_un(
    real_registry,
):
    name = Substance.objects.get(uid="opium-preparations-schedule-v").name_en
    [result] = check_items([name], on=ON, jurisdiction="UN")
    assert not any("Dover" in m.entry_uncertain for m in result.matches)
