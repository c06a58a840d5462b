"""The substance list's lean rows equal DRF's generic representation, on every real record, read
as the API's list reads them (named tuples of the list's columns) or as model instances."""

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from registry.api import serializers as api
from registry.api.resources import SubstanceViewSet
from substances.models import Substance

pytestmark = pytest.mark.django_db


class GenericRows(serializers.ModelSerializer):
    """The list serializer's fields, represented the generic way."""

    url = (
        api.SubstanceListSerializer()
        .fields["url"]
        .__class__(view_name="api:substance-detail", lookup_field="uid")
    )

    class Meta:
        model = Substance
        fields = api.SubstanceListSerializer.Meta.fields


def test_every_real_row_is_the_same_both_ways(real_registry):
    request = APIRequestFactory().get("/api/v1/substances/")
    context = {"request": Request(request)}
    rows = list(Substance.objects.order_by("uid"))
    assert len(rows) > 700
    lean = api.SubstanceListSerializer(rows, many=True, context=context).data
    generic = GenericRows(rows, many=True, context=context).data
    assert [dict(row) for row in lean] == [dict(row) for row in generic]
    assert any(row["name_zh"] for row in lean) and any(row["cas"] for row in lean)
    as_listed = list(SubstanceViewSet.list_queryset.all())
    assert not isinstance(as_listed[0], Substance)
    listed = api.SubstanceListSerializer(as_listed, many=True, context=context).data
    assert [dict(row) for row in listed] == [dict(row) for row in generic]
