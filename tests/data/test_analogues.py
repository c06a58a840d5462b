"""The US Federal Analogue Act (21 U.S.C. 813, 802(32)) beside a verdict of not controlled: a
structure close to a substance of US schedule I or II is told so, and the verdict stays what the
lists make it (registry.analogues)."""

import datetime

import pytest
from django.utils import translation

from registry.analogues import CLOSE
from registry.check import check_items

ON = datetime.date(2026, 12, 1)

# 2,5-Dimethoxy-4-(trifluoromethyl)phenethylamine (2C-TFM): a 2C phenethylamine no US list names.
TFM = "COc1cc(CCN)c(OC)cc1C(F)(F)F"
# 1-Butanoyl-LSD: LSD with an acyl on the indole nitrogen.
BUTANOYL_LSD = "CCCC(=O)n1cc2c3c1cccc3C1=C[C@@H](C(=O)N(CC)CC)CN(C)[C@@H]1C2"
# Ordinary medicines and chemicals, far from every schedule I and II substance.
FAR = {
    "caffeine": "Cn1c(=O)c2c(ncn2C)n(C)c1=O",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "sertraline": "CN[C@H]1CC[C@@H](c2ccc(Cl)c(Cl)c2)c2ccccc21",
    "ibuprofen": "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "bupropion": "CC(NC(C)(C)C)C(=O)c1cccc(Cl)c1",
}

pytestmark = pytest.mark.django_db


def _us(text, on=ON):
    [result] = check_items([text], on=on, jurisdiction="US")
    return result


@pytest.mark.parametrize(("text", "close_to"), [(TFM, "2c-"), (BUTANOYL_LSD, "lsd")])
def test_a_structure_close_to_a_schedule_i_substance_is_told_the_law(real_registry, text, close_to):
    result = _us(text)
    assert result.status == "not_controlled" and not result.matches
    found = result.analogue_of["US"]
    assert found.substance.startswith(close_to) and found.schedule in ("US-I", "US-II")
    assert CLOSE <= found.likeness <= 1
    for said in (result.reasons["US"], result.reason):
        assert "Federal Analogue Act, 21 U.S.C. 813" in said
        assert "whether it is such an analogue the registry does not judge" in said
    with translation.override("zh-hans"):
        chinese = _us(text)
    assert "《联邦类似物法》" in chinese.reasons["US"] and "登记库不作判断" in chinese.reasons["US"]


@pytest.mark.parametrize("name", sorted(FAR))
def test_an_ordinary_medicine_is_told_nothing(real_registry, name):
    result = _us(FAR[name])
    assert result.status == "not_controlled"
    assert result.analogue_of == {}
    assert "Analogue Act" not in result.reason


def test_a_record_is_told_nothing(real_registry):
    # Controlled: its own listing answers. Excepted by name: the law leaves it out. Naloxone, an
    # approved drug the US schedules name only to leave out, is held by name: its likeness to
    # oxymorphone says nothing of the law.
    for text in ("fentanyl", "ketamine", "dextromethorphan", "naloxone"):
        result = _us(text)
        assert result.analogue_of == {} and "Analogue Act" not in result.reason, text


def test_a_mixture_is_told_what_its_part_is_close_to(real_registry):
    caffeine = FAR["caffeine"]
    [everywhere] = check_items([f"{TFM}.{caffeine}"], on=ON)
    assert set(everywhere.analogue_of) == {"US"}
    assert everywhere.analogue_of["US"].substance == _us(TFM).analogue_of["US"].substance


def test_the_law_is_told_from_the_day_it_took_effect_and_where_it_is(real_registry):
    # Enacted 1986-10-27 (Pub. L. 99-570, 1202); LSD has been in schedule I since 1971.
    assert _us(BUTANOYL_LSD, datetime.date(1986, 10, 26)).analogue_of == {}
    assert _us(BUTANOYL_LSD, datetime.date(1986, 10, 27)).analogue_of["US"].substance == "lsd"
    for code in ("CN", "UN"):
        [result] = check_items([TFM], on=ON, jurisdiction=code)
        assert result.analogue_of == {}, code
    [everywhere] = check_items([TFM], on=ON)
    assert set(everywhere.analogue_of) == {"US"}


def test_the_api_and_the_page_say_it(real_registry, client):
    body = client.post(
        "/api/v1/check/", {"items": [TFM], "on": ON.isoformat()}, content_type="application/json"
    ).json()
    [result] = body["results"]
    assert set(result["analogue_of"]["US"]) == {
        "substance",
        "name_en",
        "name_zh",
        "schedule",
        "likeness",
    }
    page = client.get("/check/", {"items": TFM, "on": ON.isoformat()}).content.decode()
    assert (
        "close in structure to" in page
        and f'href="/substances/{result["analogue_of"]["US"]["substance"]}/"' in page
    )


def test_a_check_job_s_csv_says_it(real_registry):
    from registry import jobs
    from registry.jurisdictions import jurisdictions
    from registry.verdicts import verdict_json

    [result, far] = check_items([TFM, FAR["caffeine"]], on=ON)
    rows = [verdict_json(r, jurisdictions()) for r in (result, far)]
    cells = [dict(zip(jobs.CSV_COLUMNS, jobs.csv_cells(row), strict=True)) for row in rows]
    ref = result.analogue_of["US"]
    assert cells[0]["analogue_of"] == (
        f"US: {ref.substance} ({ref.schedule}, likeness {ref.likeness:.2f})"
    )
    assert cells[1]["analogue_of"] == ""
