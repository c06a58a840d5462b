"""The public pages: what a visitor sees, in both languages, with bad input handled."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from registry.models import Change, Listing
from tests.factories import ListingFactory, SubstanceFactory
from tests.web.sample import ANALOGUE_SMILES, D2014, D2025

pytestmark = pytest.mark.django_db


def page(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def test_home_shows_counts_chart_and_latest(client, sample):
    html = page(client, "/")
    assert "Catalogue of Medical Narcotic Drugs (2025 edition)" in html
    assert 'role="img"' in html and '<path class="series s-narcotic"' in html
    assert "The chart&#x27;s figures as a table" in html or "The chart's figures" in html
    assert "2025年第55号" in html  # latest announcements
    assert "Latest changes to the registry" in html


def test_home_answers_for_a_chosen_date(client, sample):
    html = page(client, "/", on="2015-01-01")
    assert "The registry on 2015-01-01" in html
    counts = html[html.index('<table class="counts">') : html.index("</table>")]
    assert "Catalogue of Narcotic Drugs (2013 edition)" in counts
    assert "Catalogue of Medical Narcotic Drugs (2025 edition)" not in counts


@pytest.mark.parametrize("bad", ["garbage", "2020-13-45", "<b>x</b>", "99999-01-01"])
def test_home_says_so_when_the_date_is_bad(client, sample, bad):
    html = page(client, "/", on=bad)
    assert "errorlist" in html
    assert "<b>x</b>" not in html


def test_substance_page_shows_identifiers_structure_and_status(client, sample):
    html = page(client, "/substances/fentanyl/")
    assert "437-38-7" in html
    assert sample.fentanyl.inchikey in html
    assert "<svg" in html
    assert "Controlled" in html
    assert "Catalogue of Medical Narcotic Drugs (2025 edition)" in html
    assert "芬太尼碱" in html


def test_substance_timeline_makes_the_2025_move_clear(client, sample):
    html = page(client, "/substances/carfentanil/")
    timeline = html[html.index('class="timeline"') :]
    assert "2014-01-01" in timeline and "2025-07-28" in timeline
    assert 'class="moved"' in timeline
    moved = timeline[timeline.index('class="moved"') :]
    assert moved.index("Catalogue of Narcotic Drugs (2013 edition)") < moved.index(
        "Catalogue of Non-medical Narcotic Drugs"
    )
    assert "2025年第55号" in moved


def test_substance_page_names_the_classes_its_structure_belongs_to(client, sample):
    html = page(client, "/substances/carfentanil/")
    assert "Fentanyl-related substances" in html
    assert "anilidopiperidine" in html


def test_substance_page_shows_precursor_relations_both_ways(client, sample):
    from substances.models import PrecursorUse

    npp = SubstanceFactory(uid="npp", name_en="NPP", smiles="O=C1CCN(CCc2ccccc2)CC1")
    from registry import services
    from tests.factories import TEST_ACTOR

    services.save_resource(
        PrecursorUse(
            uid="u-npp-fentanyl", precursor=npp, product=sample.fentanyl, role="precursor"
        ),
        actor=TEST_ACTOR,
    )
    assert "NPP" in page(client, "/substances/fentanyl/")
    assert "Fentanyl" in page(client, "/substances/npp/")


def test_unknown_substance_is_a_404_page(client, sample):
    html = page(client, "/substances/no-such-thing/", status=404)
    assert "Page not found" in html
    assert 'role="search"' in html


def test_schedule_page_lists_members_on_a_date(client, sample):
    html = page(client, "/schedules/cn-narcotic-2013/", on="2020-01-01")
    assert "Fentanyl" in html and "Carfentanil" in html
    html = page(client, "/schedules/cn-narcotic-2013/")
    assert "Nothing on this list was in force on that day." in html


def test_schedule_page_shows_the_whole_list_on_one_page(client, sample):
    # A list is printed as published, whole: no pages (it used to stop at 50 entries).
    for n in range(55):
        ListingFactory(
            schedule=sample.nonmedical_2025,
            substance=SubstanceFactory(name_en=f"Compound {n:02d}"),
            effective_from=D2025,
            listed_by=sample.reorganisation,
        )
    first = page(client, "/schedules/cn-nonmedical-2025/")
    assert "Page 1 of" not in first
    assert "Compound 00" in first and "Compound 54" in first and "α-PVP" in first
    assert page(client, "/schedules/cn-nonmedical-2025/", page="zzz")  # ignored


def test_instrument_page_tells_added_moved_and_removed(client, sample):
    html = page(client, "/instruments/cn-2025-55/")
    moved = html[html.index('id="moved-heading"') :]
    assert "Carfentanil" in moved and "Fentanyl-related substances" in moved
    assert "Catalogue of Narcotic Drugs (2013 edition) → Catalogue of Non-medical" in moved
    html = page(client, "/instruments/cn-2013-230/")
    added = html[html.index('id="added-heading"') : html.index("</section>")]
    assert "Fentanyl" in added


def test_an_evidence_documents_page_says_it_shows_entries_listed_not_that_it_added_them(
    client, sample
):
    from registry.models import Instrument
    from tests.factories import InstrumentFactory

    fentanyl = Listing.objects.filter(substance__name_en="Fentanyl").first()
    document = InstrumentFactory(
        uid="cn-evidence-2020",
        title_en="A compilation showing the list as of 2020",
        jurisdiction=fentanyl.schedule.jurisdiction,
        effective_on=datetime.date(2020, 1, 1),
        effective_precision=Instrument.Precision.NOT_AFTER,
        effective_bound=datetime.date(2014, 1, 1),
        evidence=True,
    )
    ListingFactory(
        substance=SubstanceFactory(name_en="Shown compound"),
        schedule=fentanyl.schedule,
        listed_by=document,
        effective_from=datetime.date(2020, 1, 1),
    )
    html = page(client, "/instruments/cn-evidence-2020/")
    assert 'id="added-heading">Shown listed</h2>' in html
    assert "1 entry shown listed" in html and "entry added" not in html
    assert "evidence, not the act" in html and "before 2014-01-01" in html
    assert "Shows the entries listed by" in html and "In force from" not in html
    chinese = page(client, "/zh-hans/instruments/cn-evidence-2020/")
    assert "证据" in chinese and "Shown listed" not in chinese


def test_instrument_without_a_number_is_cited_by_its_title(client, sample):
    html = page(client, "/instruments/")
    assert "Announcement adding fentanyl-related substances as a class" in html


def test_class_page_shows_text_rules_and_members(client, sample):
    html = page(client, "/classes/class-fentanyls/")
    assert "芬太尼类物质是指" in html and "compared with fentanyl" in html
    assert "O=C[NX3](c1ccccc1)C1CCNCC1" in html
    members = html[html.index("registry substances meet the rules") :]
    assert "Fentanyl" in members and "Carfentanil" in members
    assert "5F-ADB" not in members


def test_class_page_shows_an_acts_own_wording_in_both_languages(client, sample):
    sample.class_2019.refresh_from_db()
    sample.class_2019.attributes = {
        "legal_text_zh": "已列入……的芬太尼类物质依原有目录予以管制。",
        "legal_text_en": "Fentanyl-related substances already listed remain under their lists.",
        "legal_text_source": "http://shanghaiinvest.com/cn/viewfile.php?id=13701",
        "exceptions_note_en": "No member is known to have been taken out of the class.",
        "exceptions_note_zh": "登记库未知有任何成员据此被调出类别。",
    }
    sample.class_2019.save()
    html = page(client, "/classes/class-fentanyls/")
    wording = html[html.index('class="wording"') :]
    assert "依原有目录予以管制" in wording and "remain under their lists" in wording
    assert "No member is known" in wording and "shanghaiinvest.com" in wording
    assert "2019-05-01" in wording
    zh = page(client, "/zh-hans/classes/class-fentanyls/")
    assert "登记库未知有任何成员" in zh[zh.index('class="wording"') :]


def test_index_pages(client, sample):
    assert "Supplementary List" in page(client, "/schedules/")
    assert "2025年第55号" in page(client, "/instruments/")
    assert "Fentanyl-related substances" in page(client, "/classes/")


def test_check_page_explains_a_class_match_with_highlighted_atoms(client, sample):
    html = page(client, "/check/", items=ANALOGUE_SMILES)
    assert "Controlled" in html
    assert "Fentanyl-related substances" in html
    assert "<svg" in html
    # RDKit draws highlighted atoms and bonds with a coloured fill
    assert "Highlighted: the atoms the class rule matched." in html


def test_check_page_handles_several_items_and_bad_ones(client, sample):
    html = page(client, "/check/", items="fentanyl\n437-38-7\n437-38-6\nxyzzy-unknown\nCCO")
    assert html.count('class="verdict') == 5
    assert "Cannot be read" in html
    assert "Unknown" in html
    assert "Not controlled" in html


def test_check_page_refuses_empty_and_too_many(client, sample):
    assert "Type at least one compound." in page(client, "/check/", items="   ")
    html = page(client, "/check/", items="\n".join(["CCO"] * 51))
    assert "At most 50 compounds" in html
    html = page(client, "/check/", items="CCO", on="1800-01-01")
    assert "errorlist" in html


def test_changes_name_the_listed_substance_and_list(client, sample):
    html = page(client, "/changes/")
    assert "Carfentanil → Catalogue of Non-medical Narcotic Drugs" in html
    assert "卡芬太尼 → 非药用类麻醉药品和精神药品目录" in page(client, "/zh-hans/changes/")


def test_changes_page_and_feed(client, sample):
    html = page(client, "/changes/")
    assert "What changed" in html and "#1" not in html[:200]
    response = client.get("/changes/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert body.count("<entry>") == min(50, Change.objects.count())
    assert "/changes/#change-" in body


def test_pages_are_escaped(client, sample):
    evil = '<script>alert("x")</script>'
    SubstanceFactory(uid="evil", name_en=f"Evil {evil}", name_zh=evil, notes=evil)
    for url, params in (
        ("/substances/evil/", {}),
        ("/search/", {"q": "evil"}),
        ("/search/", {"q": evil}),
        ("/check/", {"items": evil}),
        ("/changes/", {}),
    ):
        html = page(client, url, **params)
        assert evil not in html, url
        assert "&lt;script&gt;" in html, url


def test_chinese_pages_show_chinese_first(client, sample):
    html = page(client, "/zh-hans/substances/fentanyl/")
    assert '<html lang="zh-Hans">' in html
    h1 = html[html.index("<h1") : html.index("</h1>")]
    assert "芬太尼" in h1
    assert "药用类麻醉药品目录（2025年版）" in html
    assert "今日状态" in html


def test_language_switch_links_to_the_same_page_in_the_other_language(client, sample):
    english = page(client, "/substances/fentanyl/", x="1")
    assert 'class="lang-switch"><a href="/zh-hans/substances/fentanyl/?x=1"' in english
    chinese = page(client, "/zh-hans/substances/fentanyl/")
    assert 'class="lang-switch"><a href="/substances/fentanyl/"' in chinese


def test_pages_set_no_cookie(client, sample):
    # the same answer for every visitor: nothing personal, so a shared cache may keep it
    response = client.get("/substances/fentanyl/")
    assert not response.cookies


def test_every_page_has_a_language_switch_and_landmarks(client, sample):
    for url in (
        "/",
        "/search/",
        "/substances/fentanyl/",
        "/schedules/",
        "/schedules/cn-nonmedical-2025/",
        "/instruments/",
        "/instruments/cn-2025-55/",
        "/classes/",
        "/classes/class-fentanyls/",
        "/check/",
        "/changes/",
    ):
        html = page(client, url)
        assert 'class="lang-switch"' in html, url
        assert "<main" in html and "<nav" in html and "<header" in html, url
        assert html.count("<h1") == 1, url
        assert "https://" not in html.split("</head>")[0], url  # no outside assets
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), f"{url}: repeated ids"
        for label_for in re.findall(r'<label for="([^"]+)"', html):
            assert label_for in ids, f"{url}: label for a missing field {label_for}"


def test_urls_of_models_resolve(sample):
    assert sample.fentanyl.get_absolute_url() == reverse("web:substance", args=["fentanyl"])
    assert sample.narcotic_2025.get_absolute_url() == "/schedules/cn-narcotic-2025/"
    assert sample.reorganisation.get_absolute_url() == "/instruments/cn-2025-55/"
    assert sample.fentanyls.get_absolute_url() == "/classes/class-fentanyls/"


def test_listing_history_counts_on_the_day_before_and_after(sample):
    # the sample's own premise, so the page tests above read true
    assert Listing.objects.in_force(on=D2025 - datetime.timedelta(days=1)).count() == 5
    assert Listing.objects.in_force(on=D2025).count() == 5
    assert Listing.objects.in_force(on=D2014).count() == 2


@pytest.mark.parametrize(
    "url, params",
    [
        ("/search/", {"q": "x" * 2001}),
        ("/search/", {"q": "C" * 1999}),
        ("/search/", {"q": "fentanyl", "schedule": "no-such-list"}),
        ("/search/", {"q": "fentanyl", "regime": "<i>"}),
        ("/search/", {"q": "fentanyl", "page": "-1"}),
        ("/search/", {"q": "fentanyl", "sort": "sideways"}),
        ("/search/", {"q": "\x00"}),
        ("/schedules/cn-narcotic-2025/", {"page": "999", "on": "0000-00-00"}),
        ("/check/", {"items": "C1CC(", "on": "2025-02-30"}),
        ("/check/", {"items": "[Na+].[Cl-]"}),
        ("/changes/", {"page": "abc"}),
    ],
)
def test_bad_input_gets_a_page_not_an_error(client, sample, url, params):
    response = client.get(url, params)
    assert response.status_code == 200


def test_a_check_link_with_items_twice_checks_each(client, sample):
    # items=a&items=b checked b alone.
    response = client.get("/check/", {"items": ["fentanyl", "CCO"]})
    assert len(response.context["results"]) == 2


def test_not_found_page_speaks_chinese(client, sample):
    html = page(client, "/zh-hans/no-such-page/", status=404)
    assert "页面不存在" in html


def test_class_members_follow_new_substances(client, sample):
    before = page(client, "/classes/class-fentanyls/")
    assert "Para-fluorofentanyl" not in before
    SubstanceFactory(
        uid="para-fluorofentanyl", name_en="Para-fluorofentanyl", smiles=ANALOGUE_SMILES
    )
    assert "Para-fluorofentanyl" in page(client, "/classes/class-fentanyls/")


def test_changes_page_by_page_is_the_whole_feed_newest_first(client, sample):
    from tests.factories import NameFactory

    for i in range(80):
        NameFactory(substance=sample.fentanyl, name=f"Synonym {i}")
    seqs = list(Change.objects.order_by("-seq").values_list("seq", flat=True))
    assert len(seqs) > 100
    shown = []
    pages = (len(seqs) + 49) // 50
    for number in range(1, pages + 1):
        response = client.get("/changes/", {"page": number})
        assert response.status_code == 200
        assert response.context["page"].paginator.count == len(seqs)
        shown += [view.change.seq for view in response.context["changes"]]
    assert shown == seqs
    # Past the end, the last page, as for every list on the site.
    last = client.get("/changes/", {"page": pages + 5}).context["changes"]
    assert [view.change.seq for view in last] == seqs[(pages - 1) * 50 :]
    # Below the first, the first (it was the last page, as Django's paginator reads it).
    for number in ("0", "-1"):
        first = client.get("/changes/", {"page": number}).context["changes"]
        assert [view.change.seq for view in first] == seqs[:50]
        assert client.get("/search/", {"q": "fentanyl", "page": number}).context["page"].number == 1


def test_announcements_that_ended_nothing_say_zero_not_none(client, sample):
    html = page(client, "/instruments/")
    assert ">None<" not in html
    assert '<td class="num">0</td>' in html


def test_check_page_says_since_when_and_names_each_part(client, sample):
    html = page(client, "/check/", items=f"{ANALOGUE_SMILES}.CCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)O")
    assert "Controlled without a break since:" in html
    assert "Parts of the structure:" in html
    assert "controlled through its component" in html


def test_the_site_has_an_icon_where_browsers_look_for_it(client, sample):
    icon = static("web/favicon.svg")
    for path in ("/", "/zh-hans/substances/fentanyl/", "/no-such-page/"):
        html = client.get(path).content.decode()
        assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == icon
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 302
    assert client.post("/favicon.ico").status_code == 405
    with open(finders.find("web/favicon.svg"), encoding="utf-8") as file:
        assert file.read().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
