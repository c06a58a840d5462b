"""A name the registry does not know is answered `unknown`, never matched to the name it is
closest to: "esketamine" is not ketamine, and "ketamin" may be a typing slip or another
substance. Asked by a person (the site, the API), the answer offers the records whose names are
close to it (`close_names`, and in words in the reason), for them to check instead; a job's rows
do not carry them."""

import datetime
import json

import pytest
from django.utils import translation

from registry import check
from registry.check import check_items

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 12, 3)


def _offered(text, **options):
    [result] = check_items([text], on=ON, suggest=True, **options)
    return result


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("ketamin", "ketamine"),  # a name it begins
        ("heroine", "heroin"),  # a close spelling
        ("ecstacy", "3-4-mdma"),  # a close spelling of another name of the record
        ("oxycontin", "oxycodone"),  # no hit: the search's suggestion
        ("芬太尼类", "fentanyl"),
    ],
)
def test_an_unknown_name_is_offered_the_names_close_to_it(real_registry, typed, first):
    result = _offered(typed)
    assert result.status == "unknown"
    assert result.substance is None and result.matches == []
    assert result.close_names[0]["uid"] == first
    assert len(result.close_names) <= check.CLOSE_NAMES
    assert "names close to it:" in result.reason
    assert result.as_dict()["close_names"][0]["uid"] == first


def test_a_name_is_offered_under_the_name_it_was_found_by(real_registry):
    [offered] = _offered("ecstacy").close_names
    assert offered == {
        "kind": "substance",
        "uid": "3-4-mdma",
        "name": "ecstasy",
        "name_en": "MDMA",
        "name_zh": "3,4-亚甲二氧基甲基苯丙胺",
    }
    assert _offered("ecstacy").reason.endswith("names close to it: ecstasy (MDMA)")


def test_a_stereoisomer_named_is_not_its_racemate(real_registry):
    # Offered ketamine, but answered unknown: the check does not read a name it does not hold.
    result = _offered("esketamine")
    assert result.status == "unknown"
    assert "ketamine" in [offered["uid"] for offered in result.close_names]


def test_nothing_is_offered_without_asking_or_for_what_is_known(real_registry):
    [plain] = check_items(["ketamin"], on=ON)
    assert plain.status == "unknown" and plain.close_names == []
    assert "close_names" not in plain.as_dict()
    assert "names close" not in plain.reason
    assert _offered("ketamine").close_names == []
    assert _offered("xanax").close_names == []  # nothing close
    assert _offered("ke").close_names == []  # too short to help
    assert _offered("50-37-3").close_names == []  # a CAS number is no name


def test_only_the_first_unknown_names_of_a_call_are_offered_names(real_registry):
    typed = ["ketamin"] * (check.CLOSE_NAMES_ITEMS + 3)
    results = check_items(typed, on=ON, suggest=True)
    assert [bool(r.close_names) for r in results] == [True] * check.CLOSE_NAMES_ITEMS + [False] * 3


def test_the_names_are_said_in_chinese(real_registry):
    with translation.override("zh-hans"):
        result = _offered("ketamin")
    assert "与之相近的名称：氯胺酮" in result.reason


def test_the_api_offers_them(real_registry, client):
    response = client.post(
        "/api/v1/check/",
        json.dumps({"items": ["heroine", "heroin"], "on": ON.isoformat()}),
        content_type="application/json",
    )
    assert response.status_code == 200
    unknown, known = response.json()["results"]
    assert unknown["status"] == "unknown"
    assert [offered["uid"] for offered in unknown["close_names"]] == ["heroin"]
    assert "close_names" not in known


def test_the_check_page_links_them(real_registry, client):
    page = client.get("/check/", {"items": "ketamin", "on": ON.isoformat()})
    body = page.content.decode()
    assert page.status_code == 200
    assert 'class="small close-names"' in body
    assert "?items=Ketamine&amp;on=2026-12-03" in body
    chinese = client.get("/zh-hans/check/", {"items": "ketamin", "on": ON.isoformat()})
    assert ">氯胺酮</a>" in chinese.content.decode()
    assert "与之相近的名称：氯胺酮" in chinese.content.decode()


def test_a_class_named_is_offered_as_a_class_to_check_by_structure(real_registry, client):
    result = _offered("芬太尼类物质")
    assert result.status == "unknown"
    classes = [offered for offered in result.close_names if offered["kind"] == "class"]
    assert "class-fentanyls" in [offered["uid"] for offered in classes]
    assert "names a class" in result.reason and "give the structure" in result.reason
    page = client.get("/zh-hans/check/", {"items": "芬太尼类物质"}).content.decode()
    assert 'href="/zh-hans/classes/class-fentanyls/"' in page
    assert "请提供结构" in page
