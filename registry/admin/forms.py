"""Forms of the curators' admin: validation that says what is wrong, and the edit lock.

Two curators may open the same substance (or class) at once. Each form carries the version it
was opened at; a save from an older version is refused with the other curator's changes shown,
and the form is re-armed with the current version, so that saving again (after looking) is a
deliberate choice rather than a silent overwrite.
"""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from registry import drafts, services
from registry.admin.history import diff, representation_at_version
from registry.admin.pickers import InstrumentChoiceField
from registry.models import DraftChangeSet, Instrument, Listing, Schedule
from registry.representations import represent
from substances import chemistry
from substances.models import RULE_KEYS, Name, Relation, Substance, SubstanceClass
from substances.normalize import normalize_cas
from substances.validators import validate_cas


def clean_cas_text(raw: str) -> str:
    """A typed CAS RN in canonical form; any spacing or hyphenation is accepted.

    Raises a ValidationError saying what is wrong: the shape, or the check digit and the digit
    it should be.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    cas = normalize_cas(raw)
    if not cas:
        raise ValidationError(
            "%(value)s is not a CAS Registry Number: expected 2 to 7 digits, 2 digits and a "
            "check digit, such as 50-00-0.",
            code="cas_format",
            params={"value": raw},
        )
    validate_cas(cas)
    return cas


def clean_smiles_text(raw: str) -> str:
    """A typed SMILES, refused with RDKit's reason and the position of the mistake."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        chemistry.describe(raw)
    except chemistry.ChemistryError as exc:
        raise ValidationError(
            "This SMILES cannot be used: %(reason)s.", code="smiles", params={"reason": exc.reason}
        ) from exc
    return raw


def refuse_a_used_uid(model, uid: str) -> None:
    """A new resource's uid that any resource of its type has or ever had (deleted ones
    included) is a form error, not a refusal when the services save it (a server error)."""
    if uid and services.uid_ever_used(model, uid):
        raise ValidationError(
            "The uid %(uid)s was used before and is never reused: choose another.",
            code="uid_reused",
            params={"uid": uid},
        )


class PermanentUidForm(forms.ModelForm):
    """A public resource's uid: chosen once, on add, and never again.

    On add it is prefilled from the name as typed (the admin's prepopulated field) and may be
    edited until the first save; left empty, a free slug of the name is made. A uid that any
    resource of the type has or ever had (deleted ones included) is refused. Once saved, the
    admin shows it read-only, and the services refuse any change whoever asks.
    """

    uid_source_fields = ("name_en", "name", "reference", "title_en", "code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "uid" in self.fields and not self.instance.pk:
            self.fields["uid"].required = False
            self.fields["uid"].help_text = (
                "Permanent public id, made from the name: check it now, it cannot change after "
                "the first save. Left empty, a free one is made."
            )

    def clean_uid(self):
        uid = (self.cleaned_data.get("uid") or "").strip()
        model = self._meta.model
        if self.instance.pk:
            if uid and uid != self.instance.uid:
                raise ValidationError(
                    "A uid is permanent: %(old)s cannot become %(new)s.",
                    code="uid_permanent",
                    params={"old": self.instance.uid, "new": uid},
                )
            return self.instance.uid
        if not uid:
            typed = (self.data.get(self.add_prefix(f)) for f in self.uid_source_fields)
            return services.new_uid(model, next((str(t) for t in typed if t), ""))
        refuse_a_used_uid(model, uid)
        return uid


class VersionLockForm(PermanentUidForm):
    """A model form that refuses a save made from an outdated version of the object."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    resource_type = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data is not None and hasattr(self.data, "copy"):
            # Mutable, so that a refused save can be re-armed with the current version.
            self.data = self.data.copy()
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        expected = cleaned.get("expected_version")
        current = type(self.instance)._default_manager.get(pk=self.instance.pk)
        if expected is not None and expected != current.version:
            self.data[self.add_prefix("expected_version")] = current.version
            raise ValidationError(self.stale_message(expected, current), code="stale")
        return cleaned

    def stale_message(self, expected: int, current):
        uid = current.uid
        before = representation_at_version(self.resource_type, uid, expected)
        changes = diff(before, represent(current)) if before is not None else []
        listing = format_html_join(
            "", "<li><b>{}</b>: {} → {}</li>", ((f, _show(a), _show(b)) for f, a, b in changes)
        )
        return format_html(
            "Someone else saved {} while you were editing it (you opened version {}, it is now "
            "version {}). Their changes:<ul>{}</ul>Your edits are still in the form below. "
            "Check them against these and save again to keep yours.",
            uid,
            expected,
            current.version,
            listing or format_html("<li>(not recorded in the change feed)</li>"),
        )


def _show(value) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


class SubstanceAdminForm(VersionLockForm):
    resource_type = "substance"

    class Meta:
        model = Substance
        fields = (
            "uid",
            "name_en",
            "name_zh",
            "kind",
            "ingredients",
            "cas",
            "smiles",
            "structure_source",
            "notes",
        )
        widgets = {
            "smiles": forms.Textarea(attrs={"rows": 2, "cols": 80, "spellcheck": "false"}),
            "notes": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }

    def clean_cas(self):
        return clean_cas_text(self.cleaned_data.get("cas", ""))

    def clean_smiles(self):
        return clean_smiles_text(self.cleaned_data.get("smiles", ""))


class SubstanceClassAdminForm(VersionLockForm):
    resource_type = "class"

    class Meta:
        model = SubstanceClass
        fields = (
            "uid",
            "name_en",
            "name_zh",
            "definition_zh",
            "definition_en",
            "notes",
            "notes_zh",
            "reference_smiles",
            "condition",
            "condition_zh",
            "examples",
        )

    def clean_reference_smiles(self):
        return clean_smiles_text(self.cleaned_data.get("reference_smiles", ""))


class ListingForm(forms.ModelForm):
    """The listing's admin form (the admin supplies the model and fields)."""

    def clean_uid(self):
        # A listing's uid is typed (it names the entry, the list and the day).
        uid = (self.cleaned_data.get("uid") or "").strip()
        if not self.instance.pk:
            refuse_a_used_uid(Listing, uid)
        return uid

    def clean_attributes(self):
        # An empty box means no attributes (an empty object), not a missing value.
        return self.cleaned_data.get("attributes") or {}


def class_fields(form: SubstanceClassAdminForm) -> dict[str, Any]:
    """The class's own fields as the curator left them (the uid and the version aside)."""
    return {
        name: form.cleaned_data[name]
        for name in SubstanceClassAdminForm.Meta.fields
        if name != "uid" and name in form.cleaned_data
    }


def rules_in_order(formset) -> list[dict[str, Any]]:
    """The rules of a class's inline formset, as the services take them, in the curator's order.

    Rows marked for deletion are left out; the order is the rows' sort order.
    """
    kept = sorted(
        (
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ),
        key=lambda data: data.get("sort_order") or 0,
    )
    return [{key: data.get(key, "") for key in RULE_KEYS} for data in kept]


# --- legal actions --------------------------------------------------------------------------

APPLY_NOW = "apply"
NEW_DRAFT = "new"


def refuse_a_date_the_instrument_does_not_state(form: forms.Form, instrument) -> None:
    """A legal act takes effect on its instrument's date (or a date the instrument states for
    single items; the services check which item): any other typed date is a form error."""
    day = form.cleaned_data.get("effective_on")
    if not instrument or not day or not instrument.effective_on or day == instrument.effective_on:
        return
    stated = {value for value in (instrument.item_dates or {}).values()}
    if day.isoformat() in stated:
        return
    form.add_error(
        "effective_on",
        f"{instrument} took effect on {instrument.effective_on}: what it lists, ends or moves "
        f"takes effect that day, not {day}. Leave the date empty, or choose the instrument "
        "that made this change.",
    )


class LegalActionForm(forms.Form):
    """What every legal act needs: the instrument that makes it and the day it takes effect.

    And where the result goes: into a draft for a reviewer (the default), or, unless review
    is required (drafts.review_required), into the registry now.
    """

    instrument = InstrumentChoiceField(
        queryset=Instrument.objects.select_related("jurisdiction").order_by("-effective_on"),
        help_text="The announcement or notice that makes this change: type its date, "
        "reference or title.",
    )
    effective_on = forms.DateField(
        label="Effective date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to use the instrument's own effective date.",
    )
    save_as = forms.ChoiceField(label="Save", initial=NEW_DRAFT)
    draft_title = forms.CharField(
        required=False, max_length=300, help_text="Title of a new draft (optional)."
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NEW_DRAFT, "as a new draft, for a reviewer to publish")]
        if not drafts.review_required():
            choices.append((APPLY_NOW, "apply now: publish at once"))
        if user is not None:
            open_drafts = DraftChangeSet.objects.filter(
                author=user, status=DraftChangeSet.Status.DRAFT
            )
            choices += [(str(d.pk), f"add to my draft “{d.title}”") for d in open_drafts]
        self.fields["save_as"].choices = choices

    def clean(self):
        cleaned = super().clean()
        instrument = cleaned.get("instrument")
        if instrument and not cleaned.get("effective_on"):
            if not instrument.effective_on:
                self.add_error(
                    "effective_on",
                    f"{instrument} has no effective date on record: give the date here.",
                )
            else:
                cleaned["effective_on"] = instrument.effective_on
        refuse_a_date_the_instrument_does_not_state(self, instrument)
        return cleaned

    @property
    def effective_date(self) -> datetime.date:
        """The day the act takes effect: as typed, or the instrument's own."""
        return self.cleaned_data["effective_on"]

    def draft(self, *, user, default_title: str):
        """The draft this action goes into, or None to apply it now."""
        choice = self.cleaned_data["save_as"]
        if choice == APPLY_NOW:
            return None
        if choice == NEW_DRAFT:
            return drafts.start(
                title=self.cleaned_data["draft_title"] or default_title, author=user
            )
        return DraftChangeSet.objects.get(pk=int(choice), author=user)


def _schedules():
    return Schedule.objects.select_related("jurisdiction")


class ListForm(LegalActionForm):
    schedule = forms.ModelChoiceField(
        queryset=_schedules(), label="List", help_text="The list the substances go on."
    )
    field_order = ["schedule", "instrument", "effective_on"]


class DelistForm(LegalActionForm):
    schedule = forms.ModelChoiceField(
        queryset=_schedules(), label="List", help_text="The list the substances come off."
    )
    field_order = ["schedule", "instrument", "effective_on"]


class RescheduleForm(LegalActionForm):
    from_schedule = forms.ModelChoiceField(queryset=_schedules(), label="From list")
    to_schedule = forms.ModelChoiceField(queryset=_schedules(), label="To list")
    field_order = ["from_schedule", "to_schedule", "instrument", "effective_on"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_schedule") and cleaned.get("from_schedule") == cleaned.get(
            "to_schedule"
        ):
            self.add_error("to_schedule", "Moving to the same list changes nothing.")
        return cleaned


class NameInlineForm(forms.ModelForm):
    """A name typed next to its substance; its uid is made on save when left empty, and is
    read-only once saved."""

    class Meta:
        model = Name
        fields = ("name", "language", "kind", "source", "uid")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["uid"].required = False
        if self.instance.pk:
            self.fields["uid"].disabled = True
            self.fields["uid"].help_text = "Permanent."
        else:
            self.fields["uid"].help_text = "Left empty, a new one is made on save."

    def clean_uid(self):
        uid = (self.cleaned_data.get("uid") or "").strip()
        if self.instance.pk:
            return self.instance.uid
        refuse_a_used_uid(Name, uid)
        return uid


class RelationInlineForm(forms.ModelForm):
    """A relation typed on its subject's page; its uid is made on save when left empty."""

    class Meta:
        model = Relation
        fields = ("kind", "form", "target", "source", "notes", "uid")
        widgets = {"notes": forms.Textarea(attrs={"rows": 1, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["uid"].required = False
        self.fields["uid"].help_text = "Left empty, a new one is made on save."


class ImportForm(forms.Form):
    """An announcement's items, and the legal act that puts them on a list."""

    sheet = forms.FileField(
        required=False,
        help_text="CSV or XLSX, one item a row; columns such as name_zh, name_en, cas, smiles, "
        "code_names, item_number (Chinese headers are understood too).",
    )
    schedule = forms.ModelChoiceField(queryset=_schedules(), label="List")
    instrument = InstrumentChoiceField(
        queryset=Instrument.objects.select_related("jurisdiction").order_by("-effective_on"),
        help_text="Type its date, reference or title.",
    )
    effective_on = forms.DateField(
        label="Effective date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to use the instrument's own effective date.",
    )
    as_draft = forms.BooleanField(
        required=False,
        initial=True,
        label="Listings as a draft",
        help_text="Enter the substances now, but hold the listings for a reviewer to publish.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if drafts.review_required():
            # Under review the listings always wait for a reviewer; a posted "no" is ignored.
            self.fields["as_draft"].disabled = True
            self.fields[
                "as_draft"
            ].help_text = (
                "Review is required: the listings wait in a draft for a reviewer to publish."
            )

    def clean(self):
        cleaned = super().clean()
        instrument, schedule = cleaned.get("instrument"), cleaned.get("schedule")
        if instrument and schedule and instrument.jurisdiction_id != schedule.jurisdiction_id:
            self.add_error(
                "instrument", f"{instrument} belongs to another jurisdiction than {schedule.code}."
            )
        if instrument and not cleaned.get("effective_on"):
            if instrument.effective_on:
                cleaned["effective_on"] = instrument.effective_on
            else:
                self.add_error(
                    "effective_on",
                    f"{instrument} has no effective date on record: give the date here.",
                )
        refuse_a_date_the_instrument_does_not_state(self, instrument)
        return cleaned
