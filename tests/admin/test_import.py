"""Importing an announcement: the preview, and the all-or-nothing write."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry import importing, services
from registry.models import Change, DraftChangeSet, Listing
from substances.models import Name, Substance
from tests.admin.conftest import head
from tests.factories import ListingFactory, NameFactory, SubstanceFactory

pytestmark = pytest.mark.django_db

URL = "admin:substances_substance_import"
HEADER = "item_number,name_zh,name_en,cas,smiles,code_names\n"
FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
ADB_BUTINACA = "CCCCn1nc(C(=O)NC(C(N)=O)C(C)(C)C)c2ccccc21"
MDMB_4EN = "C=CCCn1cc(C(=O)NC(C(=O)OC)C(C)(C)C)c2ccccc21"


def _csv(*rows: str) -> SimpleUploadedFile:
    content = (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    return SimpleUploadedFile("announcement.csv", content, content_type="text/csv")


def _upload(client, sheet, schedule, instrument, **extra):
    return client.post(
        reverse(URL),
        {
            "sheet": sheet,
            "schedule": schedule.pk,
            "instrument": instrument.pk,
            "effective_on": "",
            "preview": "1",
            **extra,
        },
    )


def _confirm(client, preview, **extra):
    analysis = preview.context["analysis"]
    return client.post(
        reverse(URL),
        {
            "token": preview.context["token"],
            "schedule": analysis.schedule.pk,
            "instrument": analysis.instrument.pk,
            "effective_on": analysis.effective_from.isoformat(),
            "confirm": "1",
            **extra,
        },
    )


def _statuses(response):
    return [(item.line, item.status) for item in response.context["analysis"].items]


def test_import_page_offers_the_upload(curator_client):
    response = curator_client.get(reverse(URL))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_preview_marks_new_existing_and_error_rows(curator_client, nps_list, announcement):
    by_structure = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    by_cas = SubstanceFactory(uid="x-cas", name_en="Something", cas="50-00-0")
    by_name = SubstanceFactory(uid="by-name", name_en="Unrelated English")
    NameFactory(substance=by_name, name="ADB-4en-PINACA")
    before = head()
    response = _upload(
        curator_client,
        _csv(
            f"1,丁酰苯胺,Brand new,,{ADB_BUTINACA},ADB-BUTINACA",
            f"2,芬太尼盐,Fentanyl under another name,,{FENTANYL}.Cl,",
            "3,,Formaldehyde,50 00 0,,",
            "4,,adb 4en pinaca,,,",
            "5,,Bad CAS,76-42-5,,",
            "6,,Bad SMILES,,CC(=O,",
            "7,只有中文,,,,",
        ),
        nps_list,
        announcement,
    )
    assert response.status_code == 200
    assert _statuses(response) == [
        (2, "new"),
        (3, "existing"),
        (4, "existing"),
        (5, "existing"),
        (6, "error"),
        (7, "error"),
        (8, "error"),
    ]
    items = response.context["analysis"].items
    assert items[1].match == by_structure and items[1].matched_by.startswith("same parent")
    assert items[2].match == by_cas and items[2].matched_by == "CAS"
    assert items[3].match == by_name and items[3].matched_by.startswith("name")
    assert "should end in 6" in items[4].errors[0]
    assert items[5].errors[0].startswith("SMILES: unparseable SMILES")
    assert "needs an English name" in items[6].errors[0]
    assert ("ADB-BUTINACA", "und", "code") in items[0].new_names
    html = response.content.decode()
    assert "Confirm" not in html and "Correct the rows marked as errors" in html
    assert head() == before and not Listing.objects.exists()


def test_preview_refuses_a_substance_already_on_the_list(curator_client, nps_list, announcement):
    listing = ListingFactory(
        schedule=nps_list, substance=SubstanceFactory(name_en="Listed", cas="50-00-0")
    )
    response = _upload(curator_client, _csv("1,,Listed,50-00-0,,"), nps_list, announcement)
    [item] = response.context["analysis"].items
    assert item.status == "error" and listing.uid in item.errors[0]


def test_preview_refuses_the_same_substance_twice(curator_client, nps_list, announcement):
    response = _upload(
        curator_client,
        _csv(f"1,,One,,{FENTANYL},", f"2,,Two,,{FENTANYL},"),
        nps_list,
        announcement,
    )
    assert _statuses(response) == [(2, "new"), (3, "error")]
    assert response.context["analysis"].items[1].errors == ["Same structure as line 2."]


def test_preview_refuses_a_cas_that_contradicts_the_structure(
    curator_client, nps_list, announcement
):
    SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    SubstanceFactory(uid="formaldehyde", name_en="Formaldehyde", cas="50-00-0")
    response = _upload(
        curator_client, _csv(f"1,,Fentanyl,50-00-0,{FENTANYL},"), nps_list, announcement
    )
    [item] = response.context["analysis"].items
    assert item.status == "error" and item.errors[0].startswith("Conflict")


def test_confirm_writes_substances_names_and_listings(curator_client, nps_list, announcement):
    existing = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    preview = _upload(
        curator_client,
        _csv(
            f"1,丁酰苯胺,ADB-BUTINACA,,{ADB_BUTINACA},ADB-BINACA; 丁基",
            f"2,芬太尼,Fentanyl,,{FENTANYL},",
        ),
        nps_list,
        announcement,
    )
    before = head()
    response = _confirm(curator_client, preview)
    assert response.status_code == 302
    new = Substance.objects.get(name_en="ADB-BUTINACA")
    assert (new.name_zh, new.inchikey) == ("丁酰苯胺", new.inchikey) and new.inchikey
    assert set(Name.objects.filter(substance=new).values_list("name", "kind")) == {
        ("ADB-BINACA", "code"),
        ("丁基", "code"),
    }
    assert Name.objects.filter(substance=existing, name="芬太尼", language="zh").exists()
    listings = Listing.objects.filter(schedule=nps_list).order_by("item_number")
    assert [(x.substance, x.item_number, x.effective_from) for x in listings] == [
        (new, "1", datetime.date(2024, 7, 1)),
        (existing, "2", datetime.date(2024, 7, 1)),
    ]
    kinds = [(c.resource_type, c.action) for c in Change.objects.after(before)]
    assert kinds.count(("substance", "created")) == 1
    assert kinds.count(("listing", "created")) == 2
    assert kinds.count(("name", "created")) == 3
    assert {c.actor_name for c in Change.objects.after(before)} == {"curator"}


def test_confirm_rechecks_and_writes_nothing_if_the_registry_changed(
    curator_client, nps_list, announcement
):
    existing = SubstanceFactory(uid="fentanyl", name_en="Fentanyl", smiles=FENTANYL)
    preview = _upload(
        curator_client,
        _csv(f"1,,New one,,{ADB_BUTINACA},", f"2,,Fentanyl,,{FENTANYL},"),
        nps_list,
        announcement,
    )
    assert _statuses(preview) == [(2, "new"), (3, "existing")]
    # Meanwhile, someone else lists fentanyl on the same list.
    ListingFactory(
        schedule=nps_list,
        substance=existing,
        listed_by=announcement,
        effective_from=announcement.effective_on,
    )
    before = head()
    response = _confirm(curator_client, preview)
    assert response.status_code == 200
    assert _statuses(response) == [(2, "new"), (3, "error")]
    assert head() == before
    assert not Substance.objects.filter(name_en="New one").exists()


def test_a_refusal_during_the_write_rolls_back_every_row(
    curator_client, nps_list, announcement, monkeypatch
):
    preview = _upload(
        curator_client,
        _csv(f"1,,First,,{ADB_BUTINACA},", f"2,,Second,,{MDMB_4EN},"),
        nps_list,
        announcement,
    )
    real = services.list_substance
    calls = []

    def refuse_second(**kwargs):
        calls.append(kwargs["substance"])
        if len(calls) == 2:
            raise services.ValidationError("refused for the test")
        return real(**kwargs)

    monkeypatch.setattr(services, "list_substance", refuse_second)
    before = head()
    response = _confirm(curator_client, preview)
    assert response.status_code == 200
    assert "Line 3 (Second): refused for the test" in response.content.decode()
    assert len(calls) == 2
    assert head() == before
    assert not Substance.objects.filter(name_en__in=["First", "Second"]).exists()
    assert not Listing.objects.exists()


def test_import_with_listings_as_draft(curator_client, nps_list, announcement):
    preview = _upload(
        curator_client, _csv(f"1,,First,,{ADB_BUTINACA},"), nps_list, announcement, as_draft="on"
    )
    response = _confirm(curator_client, preview, as_draft="on")
    assert response.status_code == 302
    assert Substance.objects.filter(name_en="First").exists()
    assert not Listing.objects.exists()
    draft = DraftChangeSet.objects.get()
    assert [op.service for op in draft.operations.all()] == ["list_substance"]


def test_xlsx_with_chinese_headers_is_read():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["序号", "中文名称", "英文名称", "CAS号", "SMILES", "别名", "备注"])
    sheet.append([1, "丁酰苯胺", "ADB-BUTINACA", "2682867-55-4", ADB_BUTINACA, "ADB-BINACA", "x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = importing.read_sheet("items.xlsx", buffer.getvalue())
    assert read.ignored_columns == ["备注"]
    [row] = read.rows
    assert row.line == 2
    assert row.values == {
        "item_number": "1",
        "name_zh": "丁酰苯胺",
        "name_en": "ADB-BUTINACA",
        "cas": "2682867-55-4",
        "smiles": ADB_BUTINACA,
        "code_names": "ADB-BINACA",
    }


def test_gb18030_csv_is_read():
    content = "中文名,英文名\n芬太尼,Fentanyl\n".encode("gb18030")
    [row] = importing.read_sheet("items.csv", content).rows
    assert (row.values["name_zh"], row.values["name_en"]) == ("芬太尼", "Fentanyl")


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("items.pdf", b"%PDF", "Upload a .csv or .xlsx file."),
        ("items.csv", b"", "file is empty"),
        ("items.csv", b"\n ,\n", "The file is empty."),
        ("items.csv", b"colour,size\nred,1\n", "No known column in the first row"),
        ("items.xlsx", b"not a zip", "not a readable XLSX file"),
        ("items.csv", b"name_en,cas\n", "no items"),
    ],
)
def test_unreadable_files_are_a_form_error(
    curator_client, nps_list, announcement, filename, content, message
):
    sheet = SimpleUploadedFile(filename, content)
    response = _upload(curator_client, sheet, nps_list, announcement)
    assert response.status_code == 200
    assert message in response.context["form"].errors["sheet"][0]


def test_instrument_of_another_jurisdiction_is_a_form_error(curator_client, nps_list):
    from tests.factories import InstrumentFactory, JurisdictionFactory

    un = JurisdictionFactory(code="UN", uid="un", name="UN")
    decision = InstrumentFactory(jurisdiction=un)
    response = _upload(curator_client, _csv("1,,A,,,"), nps_list, decision)
    assert "another jurisdiction" in response.context["form"].errors["instrument"][0]
