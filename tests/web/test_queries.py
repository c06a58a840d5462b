"""Pages read what they show in a fixed number of queries, however much there is (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ListingFactory, NameFactory, SubstanceFactory
from tests.web.sample import D2025

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/search/?q=compound",
    "/search/?q=compound&sort=name&on=2025-08-01&regime=nonmedical",
    "/substances/fentanyl/",
    "/schedules/",
    "/schedules/cn-nonmedical-2025/",
    "/instruments/",
    "/instruments/cn-2025-55/",
    "/classes/",
    "/classes/class-fentanyls/",
    "/changes/",
    "/changes/feed/",
    "/schedules/cn-nonmedical-2025/csv/",
    "/schedules/cn-nonmedical-2025/feed/",
    "/diff/?jurisdiction=CN&start=2025-07-27&end=2025-07-28",
    "/new/",
    "/zh-hans/search/?q=compound",
]


def add_compounds(sample, start: int, count: int) -> None:
    for n in range(start, start + count):
        substance = SubstanceFactory(
            uid=f"compound-{n}",
            name_en=f"Compound {n}",
            # One compound each (the registry keeps one record per structure): a chain of n + 3.
            smiles="CCC(=O)N(c1ccccc1)C1CCN(C" + "C" * (n + 3) + "c2ccccc2)CC1",
        )
        NameFactory(substance=substance, name=f"Compound alias {n}")
        ListingFactory(
            schedule=sample.nonmedical_2025,
            substance=substance,
            effective_from=D2025,
            listed_by=sample.reorganisation,
        )


def count_queries(client, url: str) -> int:
    client.get(url)  # fill the caches first: what is counted is a page as usually served
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("url", PAGES)
def test_query_count_does_not_grow_with_the_data(client, sample, url):
    add_compounds(sample, 0, 3)
    few = count_queries(client, url)
    add_compounds(sample, 3, 20)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with 3 compounds, {many} with 23"
    assert many <= 10, f"{url}: {many} queries"
