"""One FilterSet per public resource: the questions a client may ask of a list.

The point-in-time and listing questions (`in_force_on`, `schedule`, `jurisdiction`, `regime`,
`instrument`, `listed_between`) ask the listing querysets. On substances and classes they all
describe ONE listing: `?schedule=X&in_force_on=D` finds the substances that were on list X on day
D, not those once on X and controlled on some list on D.
"""

import datetime

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from registry.models import Instrument, Jurisdiction, Listing, Schedule
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass
from substances.normalize import normalize_cas, search_key
from substances.validators import validate_day_held

# --- fields and filters that speak the API's language (uids, codes, date ranges) -------------


class DateRangeField(forms.Field):
    """Two ISO dates separated by a comma, either end may be left open: `2019-01-01,2019-12-31`."""

    default_error_messages = {
        "invalid": "Give two dates as YYYY-MM-DD,YYYY-MM-DD (either may be empty for open).",
        "order": "The first date must not be after the second.",
    }

    def to_python(self, value):
        if value in (None, ""):
            return None
        parts = [part.strip() for part in str(value).split(",")]
        if len(parts) != 2 or not any(parts):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            start, end = (datetime.date.fromisoformat(p) if p else None for p in parts)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if start and end and start > end:
            raise forms.ValidationError(self.error_messages["order"], code="order")
        return (start or datetime.date.min, end or datetime.date.max)


class StrictDateField(forms.DateField):
    """Only the ISO form: a client sending 05/01/2019 should hear that it is ambiguous."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD."}
    default_validators = [validate_day_held]


class IsoDateFilter(filters.DateFilter):
    field_class = StrictDateField


class DateRangeFilter(filters.CharFilter):
    """A period given as two dates in one parameter; the method receives (start, end)."""

    field_class = DateRangeField


class CasField(forms.CharField):
    """A CAS RN in any hyphenation or spacing, cleaned to its canonical form."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        cas = normalize_cas(value)
        if not cas:
            raise forms.ValidationError(
                "%(value)s is not shaped like a CAS RN (e.g. 50-00-0).",
                code="invalid",
                params={"value": value},
            )
        return cas


class InchiKeyField(forms.CharField):
    """A standard InChIKey, or its first block (the skeleton shared by stereoisomers)."""

    def to_python(self, value):
        value = (super().to_python(value) or "").upper()
        if not value:
            return ""
        full = len(value) == 27 and value[14] == "-" and value[25] == "-"
        if not (full or (len(value) == 14 and value.isalpha())):
            raise forms.ValidationError(
                "Give a full InChIKey (27 characters) or its first block (14 letters).",
                code="invalid",
            )
        return value


class CasFilter(filters.CharFilter):
    field_class = CasField


class InchiKeyFilter(filters.CharFilter):
    field_class = InchiKeyField

    def filter(self, qs, value):
        if not value:
            return qs
        if len(value) == 14:
            return qs.filter(**{f"{self.field_name}__startswith": f"{value}-"})
        return qs.filter(**{self.field_name: value})


class UidChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": "No %(model)s has the uid %(value)s."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.queryset.get(uid=value)
        except (self.queryset.model.DoesNotExist, ValueError, TypeError):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"model": self.queryset.model._meta.verbose_name, "value": value},
            ) from None


class UidFilter(filters.CharFilter):
    """A reference to another resource by its uid; an unknown uid is a 400, not an empty page."""

    field_class = UidChoiceField


class JurisdictionCodeField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": "No jurisdiction has the code %(value)s."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = self.queryset.filter(code__iexact=str(value).strip()).first()
        if match is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return match


class JurisdictionFilter(filters.CharFilter):
    field_class = JurisdictionCodeField


def _ordering(*fields: str, help_text: str = "") -> filters.OrderingFilter:
    return filters.OrderingFilter(
        fields=fields,
        help_text=(
            help_text
            or "Sort by one of the fields, prefixed with '-' for descending. The uid always "
            "breaks ties, so pages stay stable while the registry changes."
        ),
    )


# --- the listing questions, shared by listings, substances and classes ----------------------


class ListingQuestions(filters.FilterSet):
    """The filters that select listings; declared once, inherited by three resources."""

    schedule = UidFilter(
        queryset=Schedule.objects.all(),
        method="collect_listing_filter",
        help_text="Uid of a schedule (list), e.g. cn-psychotropic-1-2013.",
    )
    jurisdiction = JurisdictionFilter(
        queryset=Jurisdiction.objects.all(),
        method="collect_listing_filter",
        help_text="Code of the jurisdiction whose lists count, e.g. CN (any case).",
    )
    regime = filters.ChoiceFilter(
        choices=Schedule.Regime.choices,
        method="collect_listing_filter",
        help_text="Kind of control of the list.",
    )
    instrument = UidFilter(
        queryset=Instrument.objects.all(),
        method="collect_listing_filter",
        help_text="Uid of the legal instrument that made or ended the listing.",
    )
    in_force_on = IsoDateFilter(
        method="collect_listing_filter",
        help_text=(
            "A date, YYYY-MM-DD: only listings in force that day "
            "(effective_from <= date < effective_to)."
        ),
    )
    listed_between = DateRangeFilter(
        method="collect_listing_filter",
        help_text=(
            "Two dates, YYYY-MM-DD,YYYY-MM-DD (either may be empty): only listings that took "
            "effect within that period, both ends included."
        ),
    )

    LISTING_FILTERS = (
        "schedule",
        "jurisdiction",
        "regime",
        "instrument",
        "in_force_on",
        "listed_between",
    )

    def collect_listing_filter(self, queryset, name, value):
        raise NotImplementedError


def select_listings(listings, data: dict):
    """Narrow a listing queryset by the listing filters present in `data` (cleaned values)."""
    if data.get("schedule") is not None:
        listings = listings.filter(schedule=data["schedule"])
    if data.get("jurisdiction") is not None:
        listings = listings.filter(schedule__jurisdiction=data["jurisdiction"])
    if data.get("regime"):
        listings = listings.filter(schedule__regime=data["regime"])
    if data.get("instrument") is not None:
        listings = listings.filter(Q(listed_by=data["instrument"]) | Q(ended_by=data["instrument"]))
    if data.get("in_force_on") is not None:
        listings = listings.in_force(on=data["in_force_on"])
    if data.get("listed_between") is not None:
        listings = listings.started_between(*data["listed_between"])
    return listings


class ListedSubjectFilterSet(ListingQuestions):
    """For what listings name (substances, classes): the listing filters meet in one listing."""

    subject_field = ""  # the listing's foreign key to the subject

    def collect_listing_filter(self, queryset, name, value):
        # Applied together in filter_queryset, so that all of them describe the same listing.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = {name: self.form.cleaned_data.get(name) for name in self.LISTING_FILTERS}
        if all(value in (None, "") for value in data.values()):
            return queryset
        listings = select_listings(Listing.objects.all(), data)
        return queryset.filter(Exists(listings.filter(**{self.subject_field: OuterRef("pk")})))


# --- one FilterSet per resource -------------------------------------------------------------


class SubstanceFilterSet(ListedSubjectFilterSet):
    subject_field = "substance"

    q = filters.CharFilter(
        method="filter_q",
        help_text=(
            "Text searched in every name (English, Chinese, code names, synonyms) after "
            "normalization (case, width, punctuation, Greek letters), a salt's name for its "
            "parent, and as a CAS RN, InChIKey or SMILES. Close spellings are not guessed."
        ),
    )
    cas = CasFilter(
        field_name="cas", help_text="CAS Registry Number, with any hyphenation or spacing."
    )
    inchikey = InchiKeyFilter(
        field_name="inchikey",
        help_text="Standard InChIKey (27 characters); the first block alone finds all isomers.",
    )
    kind = filters.ChoiceFilter(choices=Substance.Kind.choices, help_text="Kind of substance.")
    related_to = UidFilter(
        field_name="relations__target",
        queryset=Substance.objects.all(),
        distinct=True,
        help_text="Uid of a substance: its forms, members, preparations and exceptions.",
    )
    ordering = _ordering("uid", "name_en", "updated_at")

    class Meta:
        model = Substance
        fields: list[str] = []

    def filter_q(self, queryset, name, value: str):
        return queryset.search(value)


class RelationFilterSet(filters.FilterSet):
    subject = UidFilter(queryset=Substance.objects.all(), help_text="Uid of the subject.")
    target = UidFilter(queryset=Substance.objects.all(), help_text="Uid of the target.")
    kind = filters.ChoiceFilter(choices=Relation.Kind.choices, help_text="Kind of relation.")
    form = filters.ChoiceFilter(choices=Relation.Form.choices, help_text="Kind of form.")
    ordering = _ordering("uid")

    class Meta:
        model = Relation
        fields: list[str] = []


class NameFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        help_text="Text contained in the name, compared in normalized form (case, punctuation).",
    )
    substance = UidFilter(
        queryset=Substance.objects.all(), help_text="Uid of the substance the names belong to."
    )
    language = filters.ChoiceFilter(choices=Name.Language.choices, help_text="Language.")
    kind = filters.ChoiceFilter(choices=Name.Kind.choices, help_text="Kind of name.")
    jurisdiction = JurisdictionFilter(
        queryset=Jurisdiction.objects.all(),
        method="filter_jurisdiction",
        help_text="Code of a jurisdiction, e.g. US: names of substances its lists hold or held.",
    )
    ordering = _ordering("uid", "name")

    class Meta:
        model = Name
        fields: list[str] = []

    def filter_q(self, queryset, name, value: str):
        return queryset.matching(value)

    def filter_jurisdiction(self, queryset, name, value):
        return queryset.filter(substance__in=_listed_in(value))


class SubstanceClassFilterSet(ListedSubjectFilterSet):
    subject_field = "substance_class"

    q = filters.CharFilter(
        method="filter_q",
        help_text=(
            "Text contained in the English or Chinese name, compared as the search compares "
            "names (case, width, spacing, hyphens, Greek letters; a final plural s aside), "
            "as the public search finds classes."
        ),
    )
    ordering = _ordering("uid", "name_en")

    class Meta:
        model = SubstanceClass
        fields: list[str] = []

    def filter_q(self, queryset, name, value: str):
        return queryset.matching(value)


class JurisdictionFilterSet(filters.FilterSet):
    code = filters.CharFilter(
        field_name="code", lookup_expr="iexact", help_text="Code, e.g. CN (any case)."
    )
    ordering = _ordering("uid", "code")

    class Meta:
        model = Jurisdiction
        fields: list[str] = []


class ScheduleFilterSet(filters.FilterSet):
    jurisdiction = JurisdictionFilter(
        queryset=Jurisdiction.objects.all(), help_text="Code of the jurisdiction, e.g. CN."
    )
    regime = filters.ChoiceFilter(choices=Schedule.Regime.choices, help_text="Kind of control.")
    code = filters.CharFilter(field_name="code", lookup_expr="iexact", help_text="List code.")
    ordering = _ordering("uid", "code", "sort_order")

    class Meta:
        model = Schedule
        fields: list[str] = []


class InstrumentFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q", help_text="Text contained in the reference number or either title."
    )
    jurisdiction = JurisdictionFilter(
        queryset=Jurisdiction.objects.all(), help_text="Code of the issuing jurisdiction."
    )
    effective_between = DateRangeFilter(
        method="filter_effective_between",
        help_text="Two dates, YYYY-MM-DD,YYYY-MM-DD: instruments taking effect within them.",
    )
    ordering = _ordering("uid", "effective_on", "published_on", "reference")

    class Meta:
        model = Instrument
        fields: list[str] = []

    def filter_q(self, queryset, name, value: str):
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(title_en__icontains=value)
            | Q(title_zh__icontains=value)
        )

    def filter_effective_between(self, queryset, name, value):
        return queryset.filter(effective_on__gte=value[0], effective_on__lte=value[1])


class ListingFilterSet(ListingQuestions):
    q = filters.CharFilter(
        method="filter_q",
        help_text="Text searched in the listed substance's names and CAS RN (as on substances).",
    )
    substance = UidFilter(queryset=Substance.objects.all(), help_text="Uid of the substance.")
    cas = CasFilter(
        field_name="substance__cas", help_text="CAS RN of the listed substance, any hyphenation."
    )
    inchikey = InchiKeyFilter(
        field_name="substance__inchikey",
        help_text="InChIKey (or its first block) of the listed substance.",
    )
    subject = filters.ChoiceFilter(
        choices=[("substance", "substance"), ("class", "class")],
        method="filter_subject",
        help_text="Only listings of named substances, or only whole-class listings.",
    )
    ended_between = DateRangeFilter(
        method="filter_ended_between",
        help_text="Two dates, YYYY-MM-DD,YYYY-MM-DD: listings that ended within them.",
    )
    ordering = _ordering("uid", "effective_from", "effective_to", "item_number")

    class Meta:
        model = Listing
        fields: list[str] = []

    def collect_listing_filter(self, queryset, name, value):
        return select_listings(queryset, {name: value})

    def filter_q(self, queryset, name, value: str):
        return queryset.filter(substance__in=Substance.objects.search(value).values("pk"))

    def filter_subject(self, queryset, name, value: str):
        return queryset.of_substances() if value == "substance" else queryset.of_classes()

    def filter_ended_between(self, queryset, name, value):
        return queryset.ended_between(*value)


# A listing's class is called "class" in its representation; the filter carries the same name,
# which Python cannot declare in a class body.
ListingFilterSet.base_filters["class"] = UidFilter(
    field_name="substance_class",
    queryset=SubstanceClass.objects.all(),
    help_text="Uid of the substance class (whole-class listings).",
)


class PrecursorUseFilterSet(filters.FilterSet):
    precursor = UidFilter(queryset=Substance.objects.all(), help_text="Uid of the precursor.")
    product = UidFilter(queryset=Substance.objects.all(), help_text="Uid of the product.")
    jurisdiction = JurisdictionFilter(
        queryset=Jurisdiction.objects.all(),
        method="filter_jurisdiction",
        help_text="Code of a jurisdiction, e.g. UN: only precursors its lists hold or held.",
    )
    q = filters.CharFilter(
        method="filter_q",
        help_text="Text searched in the product's name (normalized), linked or only named.",
    )
    ordering = _ordering("uid")

    class Meta:
        model = PrecursorUse
        fields: list[str] = []

    def filter_q(self, queryset, name, value: str):
        key = search_key(value)
        return queryset.filter(
            Q(product__in=Substance.objects.search(value).values("pk"))
            | Q(product_name__icontains=value)
            | (Q(product_name__icontains=key) if key else Q(pk__in=[]))
        )

    def filter_jurisdiction(self, queryset, name, value):
        return queryset.filter(precursor__in=_listed_in(value))


def _listed_in(jurisdiction):
    """The substances that a jurisdiction's lists hold or held, as a subquery of their keys."""
    return Listing.objects.filter(
        schedule__jurisdiction=jurisdiction, substance__isnull=False
    ).values("substance_id")
