"""The public site's forms: what a visitor can ask, and the messages when the asking goes wrong.

All are GET forms, so every answer has an address that can be bookmarked and shared. A bad
value never fails a page: the view shows the form's message and answers for today instead.
"""

import datetime

from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from registry.models import Jurisdiction, Schedule, chinese_language
from substances.validators import validate_day_held


class PlainSelect(forms.Select):
    """Django's select, written in Python rather than through a template for each option.

    The list menu holds every list of every jurisdiction: rendered through Django's widget
    templates, an include for each option and for each option's attributes, it cost the search
    page 3 ms of about 25. The markup is Django's, to the character: a test renders every
    select of the site's forms both ways, with and without a value, an error and the language.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"{}>', widget["name"], _attributes(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                html.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        _attributes(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # each part built by format_html


def _attributes(attrs: dict) -> str:
    """HTML attributes as Django's widget templates write them: True alone, False left out."""
    return mark_safe(  # each attribute built by format_html
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


class DateField(forms.DateField):
    """A day, written YYYY-MM-DD, within the years the registry can speak about."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_validators = [validate_day_held]

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class OnDateForm(forms.Form):
    """The day a page answers for: "what was in force on this date?" (today when blank)."""

    on = DateField(label=_("On date"), help_text=_("Format YYYY-MM-DD; today when empty."))

    def chosen_date(self) -> datetime.date:
        if self.is_valid() and self.cleaned_data.get("on"):
            return self.cleaned_data["on"]
        return timezone.localdate()


class ListFilterForm(OnDateForm):
    """A list on a day, optionally narrowed to the entries that contain some text."""

    q = forms.CharField(
        label=_("Filter"),
        required=False,
        max_length=200,
        help_text=_("Item number, name, CAS number or scope."),
    )


class SearchForm(forms.Form):
    """A search for substances, with optional filters on where and when they are listed."""

    SORT_CHOICES = [("relevance", _("Best match first")), ("name", _("Name, A to Z"))]
    MAX_QUERY_CHARS = 2000

    q = forms.CharField(
        label=_("Name, CAS number, InChIKey or SMILES"),
        required=False,
        max_length=MAX_QUERY_CHARS,
        strip=True,
    )
    schedule = forms.ModelChoiceField(
        label=_("List"),
        queryset=Schedule.objects.select_related("jurisdiction"),
        required=False,
        to_field_name="uid",
        empty_label=_("Any list"),
        widget=PlainSelect,
    )
    regime = forms.ChoiceField(label=_("Regime"), required=False, widget=PlainSelect)
    on = DateField(
        label=_("In force on"),
        help_text=_("Only substances listed on that day. Empty: listed at any time."),
    )
    sort = forms.ChoiceField(
        label=_("Sort"), choices=SORT_CHOICES, required=False, widget=PlainSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regime"].choices = [("", _("Any regime")), *Schedule.Regime.choices]
        self.fields["schedule"].label_from_instance = schedule_label


def schedule_label(schedule: Schedule) -> str:
    """A list's name in the page's language, for choice menus."""
    if chinese_language() and schedule.name_zh:
        return schedule.name_zh
    return schedule.name


class CheckForm(forms.Form):
    """Compounds to check, one per line (a molfile counts as one), and the day to check on."""

    MAX_ITEMS = 50
    MAX_CHARS = 100_000

    items = forms.CharField(
        label=_("SMILES, names, CAS numbers or InChIKeys, one per line"),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocapitalize": "off"}),
        max_length=MAX_CHARS,
        strip=False,
    )
    on = DateField(label=_("Check on date"), help_text=_("Today when empty."))

    def clean_items(self) -> list[str]:
        text = self.cleaned_data["items"]
        if "M  END" in text:
            lines = [text]  # a molfile is one structure, whatever its lines
        else:
            lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError(_("Type at least one compound."), code="empty")
        if len(lines) > self.MAX_ITEMS:
            raise forms.ValidationError(
                _("At most %(limit)d compounds at a time; you gave %(count)d."),
                code="too_many",
                params={"limit": self.MAX_ITEMS, "count": len(lines)},
            )
        return lines

    def chosen_date(self) -> datetime.date:
        return self.cleaned_data.get("on") or timezone.localdate()


def jurisdiction_choices() -> list[tuple[str, str]]:
    zh = chinese_language()
    codes = Jurisdiction.objects.order_by("code").values_list("code", "name", "name_zh")
    return [
        (code, f"{code} · {(name_zh or name) if zh else name}") for code, name, name_zh in codes
    ]


def schedule_choices() -> list[tuple[str, str]]:
    zh = chinese_language()
    schedules = Schedule.objects.order_by("jurisdiction__code", "sort_order", "code").values_list(
        "uid", "jurisdiction__code", "name", "name_zh"
    )
    return [("", _("All lists"))] + [
        (uid, f"{code} · {(name_zh or name) if zh else name}")
        for uid, code, name, name_zh in schedules
    ]


class DiffForm(forms.Form):
    """Two dates to compare a jurisdiction's lists on (optionally one list)."""

    jurisdiction = forms.ChoiceField(label=_("Jurisdiction"), required=False, widget=PlainSelect)
    start = DateField(label=_("From"), help_text=_("Format YYYY-MM-DD."))
    end = DateField(label=_("To"), help_text=_("Format YYYY-MM-DD; today when empty."))
    schedule = forms.ChoiceField(label=_("List"), required=False, widget=PlainSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].choices = jurisdiction_choices()
        self.fields["schedule"].choices = schedule_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end") or timezone.localdate()
        data["end"] = end
        if start and start > end:
            self.add_error("end", _("Give a date on or after the first one."))
        schedule = data.get("schedule")
        jurisdiction = data.get("jurisdiction")
        if (
            schedule
            and jurisdiction
            and not Schedule.objects.filter(uid=schedule, jurisdiction__code=jurisdiction).exists()
        ):
            self.add_error("schedule", _("This list belongs to another jurisdiction."))
        return data


class WhatsNewForm(forms.Form):
    """The law's latest changes, for one jurisdiction or list, before a day."""

    jurisdiction = forms.ChoiceField(label=_("Jurisdiction"), required=False, widget=PlainSelect)
    schedule = forms.ChoiceField(label=_("List"), required=False, widget=PlainSelect)
    before = DateField(label=_("Before"), help_text=_("Format YYYY-MM-DD."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].choices = [
            ("", _("All jurisdictions")),
            *jurisdiction_choices(),
        ]
        self.fields["schedule"].choices = schedule_choices()


class CheckUploadForm(forms.Form):
    """A file of compounds to check at once: SMILES lines (an optional id after the structure),
    an SD file, or a CSV file with an id column and a structure (or smiles) column.

    The page answers while the visitor waits, so it takes what the API's check takes in one
    request: `MAX_RECORDS` records (the check's batch limit), in a file of at most `MAX_BYTES`.
    """

    MAX_BYTES = 5 * 1024 * 1024
    MAX_RECORDS = 1000

    file = forms.FileField(
        label=_("File of compounds"),
        help_text=_(
            "SMILES (one a line, an optional id after a space), SD file (.sdf) or CSV (.csv) "
            "with an id column and a structure or smiles column; at most 1000 records, 5 MB."
        ),
    )
    on = DateField(label=_("Check on date"), help_text=_("Today when empty."))
    column = forms.CharField(
        label=_("CSV structure column"),
        required=False,
        max_length=100,
        help_text=_("Only if it is not called structure or smiles."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if len(self.files.getlist("file")) > 1:
            # Read as the last one: the first file was dropped without a word.
            raise forms.ValidationError(_("Send one file at a time."), code="several")
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB; send it as a check job."),
                code="too_large",
                params={"limit": self.MAX_BYTES // (1024 * 1024)},
            )
        return upload

    def chosen_date(self) -> datetime.date:
        return self.cleaned_data.get("on") or timezone.localdate()
