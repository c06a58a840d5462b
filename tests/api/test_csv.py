"""CSV through the API: the list endpoints and a list as published, whole, in item order."""

import csv
import io

import pytest

from tests.factories import ListingFactory, SubstanceFactory

pytestmark = pytest.mark.django_db


def rows_of(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def listed(db):
    from tests.factories import InstrumentFactory, ScheduleFactory

    schedule = ScheduleFactory(uid="test-list")
    instrument = InstrumentFactory(jurisdiction=schedule.jurisdiction)
    for n in (10, 2, 1):
        ListingFactory(
            schedule=schedule,
            substance=SubstanceFactory(name_en=f"Item {n}", uid=f"item-{n}"),
            listed_by=instrument,
            item_number=str(n),
        )
    return schedule


def test_list_endpoint_answers_csv_for_format_csv(client, listed):
    rows = rows_of(client.get("/api/v1/listings/", {"schedule": "test-list", "format": "csv"}))
    assert "item_number" in rows[0] and "uid" in rows[0]
    assert len(rows) == 4


def test_list_endpoint_answers_csv_for_accept_text_csv(client, listed):
    response = client.get("/api/v1/substances/", HTTP_ACCEPT="text/csv")
    rows = rows_of(response)
    assert rows[0][0] == "uid" and len(rows) == 4


def test_csv_holds_every_row_not_one_page(client, listed):
    rows = rows_of(client.get("/api/v1/listings/", {"format": "csv", "page_size": "1"}))
    assert len(rows) == 4


def test_list_entries_in_item_order_as_json_and_csv(client, listed):
    body = client.get("/api/v1/schedules/test-list/entries/", {"on": "2020-01-01"}).json()
    assert [e["item_number"] for e in body["entries"]] == ["1", "2", "10"]
    assert body["count"] == 3
    rows = rows_of(
        client.get("/api/v1/schedules/test-list/entries/", {"on": "2020-01-01", "format": "csv"})
    )
    assert rows[0][0] == "item"
    assert [r[0] for r in rows[1:]] == ["1", "2", "10"]


def test_list_entries_refuse_a_bad_date_by_name(client, listed):
    response = client.get("/api/v1/schedules/test-list/entries/", {"on": "2020-99-01"})
    assert response.status_code == 400 and "on" in response.json()
