"""The site's menus (registry.web.forms.PlainSelect) are Django's select markup, to the
character, written without a template per option."""

import pytest
from django import forms as django_forms
from django.utils import translation

from registry.web import forms

pytestmark = pytest.mark.django_db

FORMS = [
    (forms.SearchForm, {"q": "x", "schedule": "cn-nonmedical-2025", "regime": "narcotic"}),
    (forms.SearchForm, {"q": "x", "schedule": "no-such-list", "sort": "name"}),
    (forms.SearchForm, {"q": "x", "regime": "<b>&\"'"}),
    (forms.SearchForm, {}),
    (forms.DiffForm, {"jurisdiction": "CN", "schedule": "cn-nonmedical-2025"}),
    (forms.DiffForm, {"jurisdiction": "XX", "start": "2025-07-28", "end": "2025-07-27"}),
    (forms.WhatsNewForm, {"jurisdiction": "CN"}),
    (forms.WhatsNewForm, None),  # unbound: the initial values
]


def selects(form) -> list[str]:
    return [
        name for name, field in form.fields.items() if isinstance(field.widget, django_forms.Select)
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("form_class", "data"), FORMS)
def test_every_menu_is_djangos_markup(sample, language, form_class, data):
    with translation.override(language):
        form = form_class(data)
        form.is_valid()
        names = selects(form)
        assert names, "the form has menus"
        for name in names:
            field = form.fields[name]
            assert isinstance(field.widget, forms.PlainSelect)
            ours = str(form[name])
            plain = django_forms.Select(attrs=field.widget.attrs, choices=field.widget.choices)
            field.widget, kept = plain, field.widget
            try:
                theirs = str(form[name])
            finally:
                field.widget = kept
            assert ours == theirs
            assert ours.count("<option") >= 1


def test_a_multiple_value_is_refused_by_django_not_by_the_markup(sample):
    form = forms.SearchForm({"q": "x", "regime": "nonmedical"})
    form.is_valid()
    html = str(form["regime"])
    assert '<option value="nonmedical" selected>' in html
    assert html.startswith('<select name="regime" id="id_regime">')
