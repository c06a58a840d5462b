"""A curator imports a small announcement in a real browser; the feed and the search show it."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from playwright.sync_api import expect

from registry import roles
from registry.models import Change, Listing
from tests.factories import InstrumentFactory, JurisdictionFactory, ScheduleFactory

# Playwright's sync API keeps an event loop in this thread; the live server's database access
# from here is safe (one test at a time), so Django is told not to refuse it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNOUNCEMENT = (
    "序号,中文名称,英文名称,CAS号,SMILES,别名\n"
    '1,"N-(1-氨基-3,3-二甲基-1-氧代丁-2-基)-1-丁基-1H-吲唑-3-甲酰胺",ADB-BUTINACA,,'
    "CCCCn1nc(C(=O)NC(C(N)=O)C(C)(C)C)c2ccccc21,ADB-BINACA\n"
    '2,"甲基-2-(1-(丁-3-烯-1-基)-1H-吲哚-3-甲酰氨基)-3,3-二甲基丁酸酯",MDMB-4en-PINACA,,'
    "C=CCCn1cc(C(=O)NC(C(=O)OC)C(C)(C)C)c2ccccc21,\n"
)


@pytest.fixture
def registry_setup(transactional_db):
    cache.clear()
    china = JurisdictionFactory()
    schedule = ScheduleFactory(jurisdiction=china, code="NONMED", uid="cn-nonmedical")
    instrument = InstrumentFactory(jurisdiction=china, uid="cn-2021-test", reference="2021年第2号")
    if not Group.objects.filter(name=roles.CURATOR).exists():
        # The database of a transactional test is emptied afterwards, groups included.
        roles.grant_roles(Group, Permission)
    user = get_user_model().objects.create_user("curator", "c@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.CURATOR))
    yield schedule, instrument
    cache.clear()


def test_curator_imports_an_announcement(live_server, registry_setup, page, tmp_path):
    schedule, instrument = registry_setup
    sheet = tmp_path / "announcement.csv"
    sheet.write_text(ANNOUNCEMENT, encoding="utf-8")

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/substances/substance/")
    page.get_by_role("link", name="Import an announcement").click()

    page.set_input_files("input[name=sheet]", str(sheet))
    page.select_option("select[name=schedule]", str(schedule.pk))
    # The announcement picker is a search box: type part of the reference, pick the answer.
    page.locator("select[name=instrument] + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("2021年")
    page.locator(".select2-results__option", has_text="2021年第2号").click()
    assert page.locator("select[name=instrument]").input_value() == str(instrument.pk)
    # Listings wait in a draft unless the curator unticks the box (review is not required here).
    assert page.is_checked("input[name=as_draft]")
    page.uncheck("input[name=as_draft]")
    page.click("input[name=preview]")

    # The preview is posted to the page's own address: wait for its rows, not for a new URL.
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(2)
    assert rows.nth(0).locator("td.status").inner_text().lower() == "new"
    assert rows.nth(0).locator("svg").count() == 1
    assert not Listing.objects.exists()  # a preview writes nothing

    page.locator("input[name=confirm]").click()
    page.wait_for_url("**/admin/substances/substance/")
    assert "2 new substance(s)" in page.locator("ul.messagelist").inner_text()

    created = Change.objects.filter(resource_type="substance", action="created")
    assert {c.data["name_en"] for c in created} == {"ADB-BUTINACA", "MDMB-4en-PINACA"}
    assert {c.actor_name for c in created} == {"curator"}
    assert Listing.objects.filter(schedule=schedule, listed_by=instrument).count() == 2

    page.goto(live_server.url + "/search/?q=ADB-BINACA")
    assert "ADB-BUTINACA" in page.locator("main").inner_text()
