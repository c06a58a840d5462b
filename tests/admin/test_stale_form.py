"""An admin form opened before someone else's save writes only what its curator changed."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from registry import services
from registry.models import Instrument, Listing
from substances.models import Name, PrecursorUse
from tests.factories import (
    InstrumentFactory,
    ListingFactory,
    NameFactory,
    PrecursorUseFactory,
)

pytestmark = pytest.mark.django_db


class FormValues(HTMLParser):
    """What a browser would post for the page's main form, as it was rendered."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox", "file"):
            self.values[name] = attrs.get("value") or ""
        elif tag == "input" and name and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.values[name] = attrs.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += (
                data.removeprefix("\n") if not self.values[self._textarea] else data
            )


def open_form(client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    parser = FormValues()
    parser.feed(page.content.decode())
    values = parser.values
    values.pop("csrfmiddlewaretoken", None)
    values.pop("q", None)  # the admin's search box
    return values


CASES = [
    # model, factory, the field the curator edits, the field someone else saves meanwhile
    (Name, NameFactory, "name", "source"),
    (PrecursorUse, PrecursorUseFactory, "role", "source"),
    (Instrument, InstrumentFactory, "title_en", "notes"),
    (Listing, ListingFactory, "item_number", "notes"),
]


@pytest.mark.parametrize(("model", "factory", "mine", "theirs"), CASES)
def test_a_stale_form_keeps_what_someone_else_saved_meanwhile(
    admin_client, actor, model, factory, mine, theirs
):
    obj = factory()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    form = open_form(admin_client, url)
    # Someone else saves another field of the same record while the form is open.
    services.update_resource(
        model.objects.get(pk=obj.pk), actor=actor, fields={theirs: "saved meanwhile"}
    )
    form[mine] = "12" if mine == "item_number" else "changed in the form"
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = model.objects.get(pk=obj.pk)
    assert getattr(stored, mine) == form[mine]
    assert getattr(stored, theirs) == "saved meanwhile"
