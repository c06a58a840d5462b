"""Every filter of every resource, and a 400 naming the parameter for every bad value."""

import datetime

import pytest

from substances.models import Substance

pytestmark = pytest.mark.django_db


def uids(client, path: str) -> set[str]:
    response = client.get(path, {"page_size": 500} if "?" not in path else None)
    assert response.status_code == 200, response.content
    return {row["uid"] for row in response.json()["results"]}


FILTER_CASES = [
    # substances: names in any language and form, identifiers, listings
    ("/api/v1/substances/?q=芬太尼", {"fentanyl"}),
    ("/api/v1/substances/?q=FENTANYL", {"fentanyl", "fentanyl-citrate"}),
    ("/api/v1/substances/?q=a-PVP", {"a-pvp"}),
    ("/api/v1/substances/?q=alpha-PVP", {"a-pvp"}),
    ("/api/v1/substances/?q=alpha pyrrolidinovalerophenone", {"a-pvp"}),
    ("/api/v1/substances/?q=5fmdmbpica", {"5f-mdmb-pica"}),
    ("/api/v1/substances/?q=437387", {"fentanyl"}),
    ("/api/v1/substances/?cas=437-38-7", {"fentanyl"}),
    ("/api/v1/substances/?cas=43738 7", {"fentanyl"}),
    ("/api/v1/substances/?cas=437387", {"fentanyl"}),
    ("/api/v1/substances/?inchikey=PJMPHNIQZUBGLI-UHFFFAOYSA-N", {"fentanyl"}),
    ("/api/v1/substances/?inchikey=pjmphniqzubgli", {"fentanyl"}),
    ("/api/v1/substances/?kind=form", {"fentanyl-citrate"}),
    ("/api/v1/substances/?related_to=fentanyl", {"fentanyl-citrate"}),
    ("/api/v1/relations/?target=fentanyl", {"r-fentanyl-citrate"}),
    ("/api/v1/relations/?kind=member_of", set()),
    ("/api/v1/substances/?schedule=cn-psy1", {"fentanyl", "a-pvp"}),
    ("/api/v1/substances/?schedule=cn-nps", {"a-pvp", "5f-mdmb-pica"}),
    ("/api/v1/substances/?jurisdiction=un", {"fentanyl"}),
    ("/api/v1/substances/?regime=nonmedical", {"a-pvp", "5f-mdmb-pica"}),
    ("/api/v1/substances/?instrument=cn-2019", {"a-pvp"}),
    ("/api/v1/substances/?in_force_on=2018-01-01", {"fentanyl", "a-pvp"}),
    ("/api/v1/substances/?in_force_on=2018-01-01&jurisdiction=CN", {"fentanyl", "a-pvp"}),
    ("/api/v1/substances/?in_force_on=2021-07-01&regime=nonmedical", {"a-pvp", "5f-mdmb-pica"}),
    ("/api/v1/substances/?in_force_on=2021-06-30&regime=nonmedical", {"a-pvp"}),
    # one listing meets all conditions: a-PVP left PSY1 on the day it joined NPS
    ("/api/v1/substances/?schedule=cn-psy1&in_force_on=2019-05-01", {"fentanyl"}),
    ("/api/v1/substances/?schedule=cn-psy1&in_force_on=2019-04-30", {"fentanyl", "a-pvp"}),
    ("/api/v1/substances/?listed_between=2019-01-01,2021-12-31", {"a-pvp", "5f-mdmb-pica"}),
    ("/api/v1/substances/?listed_between=2021-01-01,", {"5f-mdmb-pica"}),
    ("/api/v1/substances/?listed_between=,1999-12-31", {"fentanyl"}),
    # names
    ("/api/v1/names/?q=Alpha-Pyrrolidino", {"n-apvp-1"}),
    ("/api/v1/names/?substance=fentanyl", {"n-fent-zh"}),
    ("/api/v1/names/?language=zh", {"n-fent-zh"}),
    ("/api/v1/names/?kind=code&language=und", None),  # the code name, whatever its uid
    # classes
    ("/api/v1/classes/?q=fentanyl", {"fentanyl-related"}),
    ("/api/v1/classes/?q=FENTANYL%20related", {"fentanyl-related"}),
    ("/api/v1/classes/?q=fentanyls", {"fentanyl-related"}),
    ("/api/v1/classes/?q=fe", set()),
    ("/api/v1/classes/?in_force_on=2019-05-01", {"fentanyl-related"}),
    ("/api/v1/classes/?in_force_on=2019-04-30", set()),
    ("/api/v1/classes/?schedule=cn-nps&jurisdiction=CN&regime=nonmedical", {"fentanyl-related"}),
    ("/api/v1/classes/?instrument=cn-2019", {"fentanyl-related"}),
    ("/api/v1/classes/?listed_between=2019-05-01,2019-05-01", {"fentanyl-related"}),
    ("/api/v1/classes/?schedule=cn-psy1", set()),
    # jurisdictions and schedules
    ("/api/v1/jurisdictions/?code=un", {"un"}),
    ("/api/v1/schedules/?jurisdiction=CN", {"cn-psy1", "cn-nps"}),
    ("/api/v1/schedules/?regime=narcotic", {"un-1"}),
    ("/api/v1/schedules/?code=nps", {"cn-nps"}),
    # instruments
    ("/api/v1/instruments/?q=2019-12", {"cn-2019"}),
    ("/api/v1/instruments/?jurisdiction=UN", {"un-1961"}),
    ("/api/v1/instruments/?effective_between=2019-01-01,2019-12-31", {"cn-2019"}),
    # listings
    ("/api/v1/listings/?substance=a-pvp", {"l-apvp-psy1", "l-apvp-nps"}),
    ("/api/v1/listings/?class=fentanyl-related", {"l-fentanyl-class"}),
    ("/api/v1/listings/?subject=class", {"l-fentanyl-class"}),
    ("/api/v1/listings/?q=芬太尼", {"l-fentanyl", "l-un-fentanyl"}),
    ("/api/v1/listings/?cas=437387&jurisdiction=cn", {"l-fentanyl"}),
    ("/api/v1/listings/?inchikey=PJMPHNIQZUBGLI-UHFFFAOYSA-N&regime=narcotic", {"l-un-fentanyl"}),
    ("/api/v1/listings/?schedule=cn-psy1", {"l-fentanyl", "l-apvp-psy1"}),
    ("/api/v1/listings/?instrument=cn-2019", {"l-apvp-psy1", "l-apvp-nps", "l-fentanyl-class"}),
    (
        "/api/v1/listings/?in_force_on=2019-05-01&jurisdiction=cn",
        {"l-fentanyl", "l-apvp-nps", "l-fentanyl-class"},
    ),
    ("/api/v1/listings/?in_force_on=2019-04-30&substance=a-pvp", {"l-apvp-psy1"}),
    ("/api/v1/listings/?listed_between=2021-07-01,2021-07-01", {"l-mdmb"}),
    ("/api/v1/listings/?ended_between=2019-01-01,2019-12-31", {"l-apvp-psy1"}),
    # precursor uses
    ("/api/v1/precursor-uses/?precursor=npp", {"pu-npp-fentanyl"}),
    ("/api/v1/precursor-uses/?product=fentanyl", {"pu-npp-fentanyl"}),
    ("/api/v1/precursor-uses/?q=芬太尼", {"pu-npp-fentanyl"}),
    ("/api/v1/precursor-uses/?product=npp", set()),
]


@pytest.mark.parametrize(("path", "expected"), FILTER_CASES)
def test_filter(anon, registry, path, expected):
    found = uids(anon, path)
    if expected is None:
        assert len(found) == 1
    else:
        assert found == expected


def test_in_force_on_agrees_with_the_controlled_queryset(anon, registry):
    for day in ("1970-01-01", "2014-01-01", "2019-04-30", "2019-05-01", "2021-07-01"):
        on = datetime.date.fromisoformat(day)
        expected = set(Substance.objects.controlled(on=on).values_list("uid", flat=True))
        assert uids(anon, f"/api/v1/substances/?in_force_on={day}") == expected
        cn = set(
            Substance.objects.controlled(on=on, jurisdiction="CN").values_list("uid", flat=True)
        )
        assert uids(anon, f"/api/v1/substances/?in_force_on={day}&jurisdiction=CN") == cn


@pytest.mark.parametrize(
    ("path", "ordering", "expected"),
    [
        ("substances", "name_en", ["5f-mdmb-pica", "fentanyl", "fentanyl-citrate"]),
        ("substances", "-uid", ["npp", "fentanyl-citrate", "fentanyl"]),
        ("instruments", "effective_on", ["un-1961", "cn-2013", "cn-2019"]),
        ("instruments", "-effective_on", ["cn-2021", "cn-2019", "cn-2013"]),
        # still in force (no end) first, then the latest end; the uid breaks ties
        ("listings", "-effective_to", ["l-apvp-nps", "l-fentanyl", "l-fentanyl-class"]),
    ],
)
def test_ordering(anon, registry, path, ordering, expected):
    body = anon.get(f"/api/v1/{path}/", {"ordering": ordering, "page_size": 3}).json()
    assert [row["uid"] for row in body["results"]] == expected


BAD_PARAMETERS = [
    ("substances", "in_force_on", "2019-13-01"),
    ("substances", "in_force_on", "01/05/2019"),
    ("substances", "in_force_on", "yesterday"),
    ("substances", "listed_between", "2019-01-01"),
    ("substances", "listed_between", "2019-12-31,2019-01-01"),
    ("substances", "listed_between", "2019-01-01,2019-02-30"),
    ("substances", "listed_between", ","),
    ("substances", "schedule", "no-such-list"),
    ("substances", "jurisdiction", "XX"),
    ("substances", "regime", "opioid"),
    ("substances", "instrument", "no-such-act"),
    ("substances", "cas", "fentanyl"),
    ("substances", "inchikey", "not-a-key"),
    ("substances", "kind", "gas"),
    ("substances", "related_to", "nobody"),
    ("relations", "kind", "parent"),
    ("substances", "ordering", "smiles"),
    ("substances", "page_size", "0"),
    ("substances", "page_size", "501"),
    ("substances", "page_size", "ten"),
    ("substances", "cursor", "garbage"),
    ("substances", "cursor", "eyJ2IjogWzFdfQ"),
    ("names", "substance", "nobody"),
    ("names", "language", "fr"),
    ("names", "kind", "nickname"),
    ("classes", "in_force_on", "2019-5-1x"),
    ("schedules", "jurisdiction", "XX"),
    ("schedules", "regime", "x"),
    ("instruments", "effective_between", "soon,later"),
    ("instruments", "jurisdiction", "ZZ"),
    ("listings", "class", "no-such-class"),
    ("listings", "subject", "both"),
    ("listings", "ended_between", "2019"),
    ("listings", "in_force_on", "2019-02-29"),
    ("listings", "cas", "12"),
    ("precursor-uses", "precursor", "nobody"),
    ("precursor-uses", "product", "nobody"),
]


@pytest.mark.parametrize(("path", "param", "value"), BAD_PARAMETERS)
def test_bad_parameter_is_a_400_naming_it(anon, registry, path, param, value):
    response = anon.get(f"/api/v1/{path}/", {param: value})
    assert response.status_code == 400, response.content
    assert param in response.json()


def test_cursor_from_another_ordering_is_refused(anon, registry):
    first = anon.get("/api/v1/substances/", {"page_size": 1, "ordering": "name_en"}).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    response = anon.get("/api/v1/substances/", {"cursor": cursor, "ordering": "uid"})
    assert response.status_code == 400
    assert "ordering" in response.json()["cursor"][0]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/substances/?q=fen%00tanyl",
        "/api/v1/listings/?q=%00",
        "/api/v1/names/?q=x%00",
        "/api/v1/schedules/?code=%00",
        "/api/v1/substances/?schedule=a%00b",
        "/api/v1/changes/?after=%00",
        "/api/v1/stats/?jurisdiction=C%00N",
    ],
)
def test_nul_characters_in_a_parameter_are_a_400_on_every_database(anon, registry, path):
    response = anon.get(path)
    assert response.status_code == 400
    assert response.json()


def test_nul_characters_in_a_written_value_are_a_400(curator, registry):
    response = curator.post(
        "/api/v1/classes/",
        {"uid": "nul", "name_en": "Nul", "examples": [{"smiles": "C\u0000C"}]},
        format="json",
    )
    assert response.status_code == 400
    name = curator.post("/api/v1/substances/", {"name_en": "a\u0000b"}, format="json")
    assert name.status_code == 400
    assert "name_en" in name.json()
