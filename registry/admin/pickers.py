"""The admin's announcement pickers: each instrument labelled "date · reference · title", found
by typing any of them.

An instrument's own name (`str`) is its reference, and several joint announcements have none
that was found, so a plain menu showed them as identical lines. The pickers here are Django's
autocomplete boxes (searched through `InstrumentAdmin.search_fields`, and by date), served by
a view of the instrument admin whose answers carry the full label.
"""

import re

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse

from registry.models import Instrument, Listing

AUTOCOMPLETE_URL_NAME = "registry_instrument_autocomplete"
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def instrument_label(instrument: Instrument) -> str:
    """ "2025-07-28 · 2025年第55号 · Joint release of ...": enough to tell any two apart."""
    day = instrument.effective_on or instrument.published_on
    title = instrument.title_en or instrument.title_zh
    parts = [day.isoformat() if day else "no date", instrument.reference or "no reference"]
    if title and title != instrument.reference:
        parts.append(title if len(title) <= 120 else title[:119] + "…")
    return " · ".join(parts)


def search_by_date(queryset, term: str):
    """Instruments in force from the year, month or day typed (2025, 2025-07, 2025-07-28)."""
    found = _DATE_RE.match(term.strip())
    if not found:
        return queryset.none()
    year, month, day = found.groups()
    condition = Q(effective_on__year=int(year)) | Q(published_on__year=int(year))
    if month:
        condition = Q(effective_on__year=int(year), effective_on__month=int(month)) | Q(
            published_on__year=int(year), published_on__month=int(month)
        )
    if month and day:
        condition = Q(
            effective_on__year=int(year),
            effective_on__month=int(month),
            effective_on__day=int(day),
        ) | Q(
            published_on__year=int(year),
            published_on__month=int(month),
            published_on__day=int(day),
        )
    return queryset.filter(condition)


class InstrumentAutocompleteView(AutocompleteJsonView):
    """Django's autocomplete answers, newest first, each with `instrument_label`."""

    def get_queryset(self):
        return super().get_queryset().order_by("-effective_on", "-published_on", "uid")

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": instrument_label(obj)}


class TolerantAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete box, except that a submitted value that cannot be a key of the
    field's model (a uid typed where an id is expected) is drawn again as nothing chosen: the
    form's own error already names it. Django's box looked the value up as it was, and the page
    failed with a server error."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        key = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        readable = []
        for one in value:
            try:
                key.to_python(one)
            except ValidationError:
                continue
            readable.append(one)
        return super().optgroups(name, readable, attr)


class TolerantAutocompleteMixin:
    """For an admin or inline with `autocomplete_fields`: their boxes are tolerant ones."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class InstrumentSelect(TolerantAutocompleteSelect):
    """An autocomplete box for an instrument, asking `InstrumentAutocompleteView`."""

    def __init__(self, field=None, admin_site=None, attrs=None, choices=(), using=None):
        from django.contrib import admin

        field = field or Listing._meta.get_field("listed_by")
        super().__init__(field, admin_site or admin.site, attrs, choices, using)

    def get_url(self):
        return reverse(f"{self.admin_site.name}:{AUTOCOMPLETE_URL_NAME}")


class InstrumentChoiceField(forms.ModelChoiceField):
    """An instrument, picked in an `InstrumentSelect` and shown with `instrument_label`."""

    widget = InstrumentSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Instrument.objects.order_by("-effective_on"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj) -> str:
        return instrument_label(obj)
