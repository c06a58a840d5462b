"""The API's model serializers build their fields once per class: the copies each serializer is
given are the fields DRF would have built for it, and no two serializers share one."""

import pytest
from rest_framework import serializers

from registry.api import jobs
from registry.api import serializers as api


def model_serializers() -> list[type[api.ModelSerializer]]:
    found, todo = [], [api.ModelSerializer]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__ in (api.__name__, jobs.__name__):
                found.append(subclass)
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_model_serializer_of_the_api_builds_its_fields_once():
    classes = model_serializers()
    assert len(classes) >= 27
    assert api.SubstanceListSerializer in classes and jobs.CheckJobSerializer in classes
    plain = [
        cls.__name__
        for module in (api, jobs)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, serializers.ModelSerializer)
        and not issubclass(cls, api.ModelSerializer)
    ]
    assert plain == []


@pytest.mark.django_db  # a field's repr shows its queryset's rows
@pytest.mark.parametrize("cls", model_serializers(), ids=lambda cls: cls.__name__)
def test_the_copies_are_the_fields_drf_builds(cls):
    first, second = cls(), cls()
    # A field's repr shows its class and every argument it was made with.
    built_by_drf = serializers.ModelSerializer.get_fields(cls())
    fresh = {name: repr(field) for name, field in built_by_drf.items()}
    assert {name: repr(field) for name, field in first.fields.items()} == fresh
    assert {name: repr(field) for name, field in second.fields.items()} == fresh
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field.parent is first and second.fields[name].parent is second


def test_a_copy_changed_in_one_serializer_is_not_changed_in_the_next():
    first = api.SubstanceListSerializer()
    first.fields["name_en"].label = "changed"
    first.fields.pop("cas")
    second = api.SubstanceListSerializer()
    assert second.fields["name_en"].label != "changed"
    assert "cas" in second.fields
