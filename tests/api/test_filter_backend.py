"""The filter backend builds a resource's FilterSet from the filters a request names only."""

from registry.api.filtering import named_filters, narrowed
from registry.filtersets import ListingFilterSet, SubstanceFilterSet


def test_only_the_named_filters_are_built():
    names = named_filters(SubstanceFilterSet, {"q": "x", "cursor": "c", "page_size": "5"})
    assert names == {"q"}
    assert set(narrowed(SubstanceFilterSet, names).base_filters) == {"q"}
    assert narrowed(SubstanceFilterSet, names) is narrowed(SubstanceFilterSet, names)
    everything = frozenset(SubstanceFilterSet.base_filters)
    assert narrowed(SubstanceFilterSet, everything) is SubstanceFilterSet


def test_a_narrowed_filterset_still_refuses_a_bad_value_by_name(anon, registry):
    response = anon.get("/api/v1/substances/", {"q": "fentanyl", "cas": "not-a-cas"})
    assert response.status_code == 400
    assert "cas" in response.json()
    assert anon.get("/api/v1/listings/", {"in_force_on": "05/01/2019"}).status_code == 400


def test_the_listing_filters_still_meet_in_one_listing():
    # schedule and in_force_on are applied together by ListedSubjectFilterSet.filter_queryset,
    # which reads both from the narrowed form.
    names = named_filters(SubstanceFilterSet, {"schedule": "s", "in_force_on": "2020-01-01"})
    assert names == {"schedule", "in_force_on"}
    assert {"in_force_on"} <= named_filters(ListingFilterSet, {"in_force_on": "2020-01-01"})


def test_the_browsable_api_shows_every_filter(anon, registry):
    page = anon.get("/api/v1/substances/?q=fentanyl", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("inchikey", "related_to", "in_force_on", "listed_between"):
        assert f'name="{name}"' in html


def test_a_detail_takes_no_filters(anon, registry):
    # Filters choose rows of a list: on a detail, kept or not, each is a 400 naming it, not a
    # 404 that a client syncing could read as the record deleted.
    url = f"/api/v1/substances/{registry.fentanyl.uid}/"
    assert anon.get(url).status_code == 200  # built and kept
    assert anon.get(url).status_code == 200  # read back
    for query in (
        {"kind": "bogus"},
        {"q": "zzzzqq"},
        {"kind": "preparation"},
        {"in_force_on": "1960-01-01"},
    ):
        refused = anon.get(url, query)
        assert refused.status_code == 400, query
        [name] = query
        assert "this endpoint takes only format" in refused.json()[name][0]
    listing = registry.fentanyl.listings.first()
    refused = anon.get(f"/api/v1/listings/{listing.uid}/", {"in_force_on": "2020-01-01"})
    assert refused.status_code == 400 and "in_force_on" in refused.json()
    assert anon.get(url, {"format": "json"}).status_code == 200
    assert anon.get(url, {"junk": "1"}).status_code == 400  # a parameter it does not read


def test_a_filter_day_outside_the_registrys_years_is_named(anon, registry):
    response = anon.get("/api/v1/listings/", {"in_force_on": "0202-01-01"})
    assert response.status_code == 400
    assert response.json() == {"in_force_on": ["Choose a date between 1900-01-01 and 2999-12-31."]}
