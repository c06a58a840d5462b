"""Lists as the office publishes them: whole, in item order, filterable, and downloadable."""

import csv
import io

import openpyxl
import pytest

from registry.lists import item_order, safe_cell
from tests.factories import ListingFactory, SubstanceFactory
from tests.web.sample import D2025

pytestmark = pytest.mark.django_db


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response


def test_item_order_is_the_gazettes_not_the_alphabets():
    numbers = ["10", "2", "", "12a", "12", "1"]
    assert sorted(numbers, key=item_order) == ["1", "2", "10", "12", "12a", ""]


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx"])
def test_cells_that_would_run_as_formulas_are_disarmed(text):
    assert safe_cell(text) == "'" + text


def test_plain_cells_are_left_alone():
    assert safe_cell("2C-B") == "2C-B" and safe_cell("(-)-ephedrine") == "(-)-ephedrine"


def _long_list(sample, count=60):
    for n in range(count):
        ListingFactory(
            schedule=sample.nonmedical_2025,
            substance=SubstanceFactory(name_en=f"Compound {n:02d}", cas=""),
            effective_from=D2025,
            listed_by=sample.reorganisation,
            item_number=str(count - n + 10),
        )


def test_list_page_shows_every_entry_in_item_order(client, sample):
    _long_list(sample)
    html = get(client, "/schedules/cn-nonmedical-2025/", on="2025-09-01").content.decode()
    assert "Page 1 of" not in html
    # Items 11 .. 70 come in numeric order: Compound 59 is item 11, Compound 00 is item 70.
    assert html.index("Compound 59") < html.index("Compound 58") < html.index("Compound 00")
    assert html.count('<td class="num">') >= 60
    assert "437-38-7" not in html  # fentanyl stays on the medical list


def test_list_page_filters_and_keeps_the_filter_in_the_downloads(client, sample):
    _long_list(sample, 5)
    html = get(client, "/schedules/cn-nonmedical-2025/", on="2025-09-01", q="compound 03")
    assert "Compound 03" in html.content.decode()
    assert "Compound 04" not in html.content.decode()
    assert "q=compound+03" in html.content.decode()


def test_list_page_is_chinese_on_the_chinese_site(client, sample):
    html = get(client, "/zh-hans/schedules/cn-nonmedical-2025/", on="2025-09-01").content.decode()
    head = html[html.index("<thead>") : html.index("</thead>")]
    assert head.index("中文名") < head.index("英文名")
    assert "卡芬太尼" in html


def test_csv_download_is_utf8_with_an_item_column(client, sample):
    _long_list(sample, 3)
    html = get(client, "/schedules/cn-nonmedical-2025/", on="2025-09-01").content.decode()
    assert 'href="/schedules/cn-nonmedical-2025/csv/?on=2025-09-01"' in html
    response = get(client, "/schedules/cn-nonmedical-2025/csv/", on="2025-09-01")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "item" and "cas" in rows[0] and "name_zh" in rows[0]
    names = [row[rows[0].index("name_en")] for row in rows[1:]]
    assert names[:3] == ["Compound 02", "Compound 01", "Compound 00"]
    assert "Carfentanil" in names


def test_csv_download_disarms_formulas_from_the_data(client, sample):
    ListingFactory(
        schedule=sample.nonmedical_2025,
        substance=SubstanceFactory(name_en="=HYPERLINK(1)", cas=""),
        effective_from=D2025,
        listed_by=sample.reorganisation,
        item_number="1",
    )
    body = get(client, "/schedules/cn-nonmedical-2025/csv/", on="2025-09-01").content
    assert "'=HYPERLINK(1)" in body.decode("utf-8-sig")


def test_xlsx_download_opens_with_the_same_rows(client, sample):
    _long_list(sample, 3)
    response = get(client, "/schedules/cn-nonmedical-2025/xlsx/", on="2025-09-01")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "item"
    assert [r[2] for r in rows[1:4]] == ["Compound 02", "Compound 01", "Compound 00"]


def test_xlsx_keeps_formula_like_text_as_text(client, sample):
    ListingFactory(
        schedule=sample.nonmedical_2025,
        substance=SubstanceFactory(name_en="=1+2", cas=""),
        effective_from=D2025,
        listed_by=sample.reorganisation,
        item_number="1",
    )
    response = get(client, "/schedules/cn-nonmedical-2025/xlsx/", on="2025-09-01")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=3)
    assert cell.value == "=1+2" and cell.data_type == "s"


def test_bad_date_on_a_download_answers_for_today(client, sample):
    response = get(client, "/schedules/cn-nonmedical-2025/csv/", on="2025-13-45")
    assert response.content.decode("utf-8-sig").startswith("item,")


def _entry(sample, name: str, item: str):
    ListingFactory(
        schedule=sample.nonmedical_2025,
        substance=SubstanceFactory(name_en=name, cas=""),
        effective_from=D2025,
        listed_by=sample.reorganisation,
        item_number=item,
    )


def _item_68_of_two_subjects(sample):
    # As item 68 of China's 2025 Class II list: tramadol "including compound preparations
    # containing tramadol", held as one listing per subject under one item number.
    for name in ("Tramadol", "Tramadol compound preparations"):
        _entry(sample, name, "68")


def test_an_item_naming_two_subjects_is_one_item_of_two_rows(client, sample):
    _item_68_of_two_subjects(sample)
    _entry(sample, "Zolpidem-like", "69")
    html = get(client, "/schedules/cn-nonmedical-2025/", on="2025-09-01").content.decode()
    entries = html.count("<tr>") - 1  # the head's row aside
    assert f"{entries} entries in force" in html
    assert f"They make up {entries - 1} items of the list" in html
    assert html.count('<td class="num" rowspan="2">68</td>') == 1
    # The item's rows are a group of their own, which printing keeps on one page.
    group = html[html.index('<tbody class="item">') :]
    group = group[: group.index("</tbody>")]
    assert ">68</td>" in group and "Tramadol compound preparations" in group
    assert html.count('<tbody class="item">') == 1
    assert ">68</td>" in html and html.count(">68</td>") == 1
    assert html.index("Tramadol<") < html.index("Tramadol compound preparations")
    # Filtered down to one of the two subjects, the item is a row of its own again.
    html = get(client, "/schedules/cn-nonmedical-2025/", on="2025-09-01", q="compound prep")
    assert '<td class="num">68</td>' in html.content.decode()
    assert "items of the list" not in html.content.decode()
    # The downloads keep a row per subject, each with its item number.
    download = get(client, "/schedules/cn-nonmedical-2025/csv/", on="2025-09-01")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert sum(1 for row in rows if row[0] == "68") == 2


def test_the_items_sentence_is_chinese_on_the_chinese_site(client, sample):
    _item_68_of_two_subjects(sample)
    html = get(client, "/zh-hans/schedules/cn-nonmedical-2025/", on="2025-09-01").content.decode()
    assert "个序号：一个序号可包含多个对象" in html
