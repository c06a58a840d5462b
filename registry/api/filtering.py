"""The API's filter backend: django-filter's, built only from the filters a request names.

A FilterSet copies every declared filter, builds a form field for each and cleans them all, on
every request: a third of a name search's time went to the twenty filters that `?q=` alone
does not use. A filter the request does not name filters nothing, so the backend uses the
resource's FilterSet narrowed to the filters named by the request's parameters (a parameter
`name` or `name_<suffix>` names the filter `name`). The narrowed classes are made once per
combination and kept. The browsable API's filter form and the schema still show every filter.

`parameter_names` says which query parameters a FilterSet reads: the API refuses the others
(registry.api.base.RegistryAPIView.accepted_query_parameters).
"""

import copy
from functools import cache, lru_cache

from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import SuffixedMultiWidget


@lru_cache(maxsize=512)
def narrowed(filterset_class, names: frozenset):
    """`filterset_class` with only the filters in `names` (the class itself if that is all)."""
    if names >= set(filterset_class.base_filters):
        return filterset_class
    subclass = type(filterset_class.__name__, (filterset_class,), {"__module__": __name__})
    subclass.base_filters = {
        name: field for name, field in filterset_class.base_filters.items() if name in names
    }
    return subclass


@cache
def parameter_names(filterset_class) -> frozenset[str]:
    """The query parameters `filterset_class` reads: each filter's name, or, for a filter of
    several parts (a range's `name_min` and `name_max`), the name of each part."""
    names: set[str] = set()
    for name, declared in filterset_class.base_filters.items():
        # A copy, as each FilterSet makes: building the field caches it on the filter.
        widget = copy.deepcopy(declared).field.widget
        if isinstance(widget, SuffixedMultiWidget):
            names.update(widget.suffixed(name, suffix) for suffix in widget.suffixes)
        elif isinstance(widget, forms.MultiWidget):
            names.update(f"{name}{suffix}" for suffix in widget.widgets_names)
        else:
            names.add(name)
    return frozenset(names)


def named_filters(filterset_class, parameters) -> frozenset:
    return frozenset(
        name
        for name in filterset_class.base_filters
        if any(key == name or key.startswith(f"{name}_") for key in parameters)
    )


class RegistryFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        if getattr(request.accepted_renderer, "format", "") != "api":
            filterset_class = narrowed(
                filterset_class, named_filters(filterset_class, request.query_params)
            )
        return filterset_class(**self.get_filterset_kwargs(request, queryset, view))
