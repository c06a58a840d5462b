"""How the API shows and accepts each public resource.

Field names follow the sync representation (registry.representations): what a client reads from a
list, a detail, the export and the feed is named the same everywhere. References are uids. Reads
and writes have separate serializers: reads add links and embedded summaries, writes accept only
what a curator may set, and hand it to registry.services, which validates and records the change.
"""

import copy
import datetime
import json
import re
from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import relations, serializers
from rest_framework.reverse import reverse

from registry.models import (
    ATTRIBUTES_APART,
    Change,
    DraftChangeSet,
    DraftOperation,
    Instrument,
    Jurisdiction,
    Listing,
    Schedule,
    attributes_problem,
)
from registry.representations import BY_NAME
from substances import links
from substances.models import (
    ClassRule,
    Name,
    PrecursorUse,
    Relation,
    Substance,
    SubstanceClass,
)
from substances.validators import UID_RE, validate_day_held, validate_uid


class DayField(serializers.DateField):
    """A calendar day as YYYY-MM-DD. A day written right that the calendar does not have
    (2000-02-30) is told apart from a wrong format, which DRF's field reports for both."""

    default_error_messages = {
        "not_a_day": _("{value} is not a day of the calendar (YYYY-MM-DD)."),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_day_held)  # the days the site and the models hold

    def to_internal_value(self, value):
        if isinstance(value, str) and DAY_RE.fullmatch(value.strip()):
            try:
                datetime.date.fromisoformat(value.strip())
            except ValueError:
                self.fail("not_a_day", value=value.strip())
        return super().to_internal_value(value)


DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UidRelatedField(serializers.SlugRelatedField):
    """A reference to another resource by its uid."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    default_error_messages = {
        "does_not_exist": "No such resource: {value}.",
        "invalid": "Give the uid as a string.",
    }

    def to_internal_value(self, data):
        # A detail embeds the resource it refers to ({"uid": ..., ...}): what was read can be
        # sent back as it is.
        if isinstance(data, Mapping) and isinstance(data.get("uid"), str):
            data = data["uid"]
        return super().to_internal_value(data)


class StrictInput:
    """Input is strict: a key this request does not take is refused with a 400 naming it.

    Silently ignoring a misspelt field (`nmae_en`, `smile`, `date`) answers a client as if its
    data had been taken when it was not.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            accepted = [name for name, field in self.fields.items() if not field.read_only]
            unknown = [key for key in data if key not in accepted]
            if unknown:
                raise serializers.ValidationError(
                    {key: [unknown_field_message(key, accepted)] for key in unknown}
                )
            refuse_numbers_for_text(self.fields, data)
        return super().to_internal_value(data)


def refuse_repeated(data) -> None:
    """A parameter or form field given more than once (a QueryDict's lists) is a 400 naming
    it: no endpoint takes a list in one, and read as the last value, ?schedule=a&schedule=b
    answered for b alone (a second file was screened, the first dropped unsaid)."""
    if not hasattr(data, "lists"):
        return  # no body at all: DRF gives a plain dict, with nothing in it repeated
    repeated = {name: len(values) for name, values in data.lists() if len(values) > 1}
    if repeated:
        raise serializers.ValidationError(
            {name: [f"Given {count} times: give it once."] for name, count in repeated.items()}
        )


def refuse_numbers_for_text(fields: Mapping, data: Mapping) -> None:
    """A number (or true, a list...) sent where text is wanted is a 400 naming the field: DRF
    stored it as its digits (name_en: 5 became "5"). JSON only; a form sends text anyway."""
    untyped = {
        key: type(value).__name__
        for key, value in data.items()
        if isinstance(fields.get(key), serializers.CharField)
        and value is not None
        and not isinstance(value, str)
    }
    if untyped:
        raise serializers.ValidationError(
            {key: [f"Give text (a string), not {kind}."] for key, kind in untyped.items()}
        )


def unknown_field_message(key: str, accepted) -> str:
    return f"Unknown field {key!r}: this request takes only {', '.join(accepted)}."


def unknown_parameter_message(key: str, accepted) -> str:
    if not accepted:
        return f"Unknown parameter {key!r}: this endpoint takes no query parameters."
    return f"Unknown parameter {key!r}: this endpoint takes only {', '.join(accepted)}."


class DetailURLField(serializers.HyperlinkedIdentityField):
    """A record's detail URL, reversed once per response rather than once per record.

    A list of 50 spent an eighth of its time in `reverse`. The URL of a placeholder uid is
    reversed for the first record, then each record's uid takes the placeholder's place:
    uids are lowercase letters, digits and hyphens (`validate_uid`), which a URL carries as
    they are, so the result is the one `reverse` gives. One field instance serves one
    response (DRF copies the fields of each serializer it makes).
    """

    PLACEHOLDER = links.PLACEHOLDER

    def to_representation(self, value):
        # After the first record, each one's link is the template's with its uid, without
        # DRF's walk up to the serializer's context (three walks a record).
        template = self.__dict__.get("_template")
        uid = getattr(value, "uid", None)
        if template is not None and uid and UID_RE.match(uid):
            return relations.Hyperlink(template.replace(self.PLACEHOLDER, uid, 1), value)
        return super().to_representation(value)

    def get_url(self, obj, view_name, request, format):
        uid = getattr(obj, "uid", None)
        if not uid or not UID_RE.match(uid):  # nothing to link, or not a plain uid: as DRF
            return super().get_url(obj, view_name, request, format)
        key = (view_name, format, id(request))
        if getattr(self, "_template_key", None) != key:
            self._template = self.reverse(
                view_name, kwargs={"uid": self.PLACEHOLDER}, request=request, format=format
            )
            self._template_key = key
        return self._template.replace(self.PLACEHOLDER, uid, 1)


def _url_field(view_name: str) -> serializers.HyperlinkedIdentityField:
    return DetailURLField(view_name=f"api:{view_name}-detail", lookup_field="uid")


class ModelSerializer(serializers.ModelSerializer):
    """DRF's model serializer, its fields built from the model once per class and copied for
    each serializer made.

    DRF builds a model serializer's fields again for every serializer it makes (the model's
    field information, each field's arguments, its validators): for a page of 50 substances
    that took longer (0.47 ms) than representing the rows. What is built depends on the class
    alone (its Meta and declared fields), never on the instance, the data or the context; a
    copy is what DRF makes of the declared fields for every serializer anyway (0.11 ms here).
    A test compares the copies with fields built afresh, for every model serializer of the API.
    """

    def built_fields(self) -> dict:
        """The class's fields as built, neither copied nor bound: to be read, never changed."""
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built  # the class's own, never a parent's
        return built

    def get_fields(self):
        return copy.deepcopy(self.built_fields())


class PlainFieldsFast:
    """A read serializer whose plain fields (text, numbers, booleans, choices read from one
    attribute) are copied as they are stored, the rest represented by their field as usual.

    For lists of many rows: DRF's generic path (a field lookup, a source walk and a conversion
    per value) cost a 50-row substance page 3 ms. What comes out is the same; a test compares
    both on every real row. Only the other fields are copied and bound for each serializer
    made (DRF copies every field: a fifth of a name search's representation).
    """

    PLAIN = (
        serializers.CharField,
        serializers.IntegerField,
        serializers.BooleanField,
        serializers.ChoiceField,
    )

    def to_representation(self, instance):
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._plan = self._representation_plan()
        row = {}
        for name, attribute, field in plan:
            if attribute is not None:
                row[name] = getattr(instance, attribute)
            else:
                value = field.get_attribute(instance)
                row[name] = None if value is None else field.to_representation(value)
        return row

    def _representation_plan(self) -> list:
        """(name, attribute, None) for each plain field, (name, None, bound field) for another,
        in the fields' order."""
        if "fields" in self.__dict__:  # already copied and bound: use them
            readable = [(field.field_name, field) for field in self._readable_fields]
        else:
            built = self.built_fields()
            readable = [(name, field) for name, field in built.items() if not field.write_only]
        plan = []
        for name, field in readable:
            source = field.source or name
            if type(field) in self.PLAIN and source != "*" and "." not in source:
                plan.append((name, source, None))
            else:
                if field.parent is not self:
                    field = copy.deepcopy(field)
                    field.bind(name, self)
                plan.append((name, None, field))
        return plan


# --- embedded summaries ---------------------------------------------------------------------


class ScheduleSummarySerializer(ModelSerializer):
    jurisdiction = serializers.CharField(source="jurisdiction.code", read_only=True)

    class Meta:
        model = Schedule
        fields = ["uid", "jurisdiction", "code", "name", "name_zh", "regime"]


class InstrumentSummarySerializer(ModelSerializer):
    class Meta:
        model = Instrument
        fields = ["uid", "reference", "title_zh", "title_en", "published_on", "effective_on"]


class SubstanceSummarySerializer(ModelSerializer):
    class Meta:
        model = Substance
        fields = ["uid", "name_en", "name_zh", "kind"]


class EmbeddedNameSerializer(ModelSerializer):
    class Meta:
        model = Name
        fields = ["uid", "name", "language", "kind", "source"]


class EmbeddedListingSerializer(ModelSerializer):
    """A listing as seen from its subject: the list, the period, the instruments."""

    schedule = ScheduleSummarySerializer(read_only=True)
    listed_by = InstrumentSummarySerializer(read_only=True)
    ended_by = InstrumentSummarySerializer(read_only=True, allow_null=True)
    produced_in_china = serializers.BooleanField(read_only=True)
    attributes = serializers.JSONField(source="published_attributes", read_only=True)

    class Meta:
        model = Listing
        fields = [
            "uid",
            "schedule",
            "effective_from",
            "effective_to",
            "listed_by",
            "ended_by",
            "item_number",
            "scope",
            "coverage",
            "produced_in_china",
            "attributes",
        ]


class EmbeddedRelationSerializer(ModelSerializer):
    """A relation as seen from its subject: what the subject is to the target."""

    target = SubstanceSummarySerializer(read_only=True)

    class Meta:
        model = Relation
        fields = ["uid", "kind", "form", "target", "source", "notes"]


class EmbeddedInverseRelationSerializer(ModelSerializer):
    """A relation as seen from its target: the subject is a form, member, ... of this one."""

    subject = SubstanceSummarySerializer(read_only=True)

    class Meta:
        model = Relation
        fields = ["uid", "kind", "form", "subject", "source", "notes"]


class EmbeddedPrecursorUseSerializer(ModelSerializer):
    precursor = SubstanceSummarySerializer(read_only=True)
    product = SubstanceSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = PrecursorUse
        fields = ["uid", "precursor", "product", "product_name", "role"]


# --- jurisdictions and schedules (read only: curated in the admin) --------------------------


class JurisdictionSerializer(ModelSerializer):
    url = _url_field("jurisdiction")

    class Meta:
        model = Jurisdiction
        fields = [
            "uid",
            "url",
            "code",
            "name",
            "name_zh",
            "records_from",
            "analogue_law",
            "analogue_law_zh",
            "analogue_law_from",
        ]


class ScheduleSerializer(ModelSerializer):
    url = _url_field("schedule")
    jurisdiction = UidRelatedField(read_only=True)

    class Meta:
        model = Schedule
        fields = [
            "uid",
            "url",
            "jurisdiction",
            "code",
            "name",
            "name_zh",
            "regime",
            "sort_order",
            "description",
            "description_zh",
            "analogue_basis",
            "coverage",
        ]


# --- instruments ----------------------------------------------------------------------------


class InstrumentSerializer(ModelSerializer):
    url = _url_field("instrument")
    jurisdiction = UidRelatedField(queryset=Jurisdiction.objects.all())
    uid = serializers.CharField(required=False, validators=[validate_uid], max_length=100)

    class Meta:
        model = Instrument
        fields = [
            "uid",
            "url",
            "jurisdiction",
            "reference",
            "title_zh",
            "title_en",
            "issuers",
            "published_on",
            "effective_on",
            "source_url",
            "confidence",
            "notes",
            "item_dates",
            "effective_precision",
            "effective_bound",
            "evidence",
        ]


# --- substances and names -------------------------------------------------------------------


class SubstanceListSerializer(PlainFieldsFast, ModelSerializer):
    """A lean row: enough to recognise the substance and follow its link."""

    url = _url_field("substance")

    class Meta:
        model = Substance
        fields = [
            "uid",
            "url",
            "name_en",
            "name_zh",
            "kind",
            "cas",
            "inchikey",
            "formula",
            "version",
        ]


class SubstanceDetailSerializer(ModelSerializer):
    """The whole substance: identity, names, legal history, relations, precursor links."""

    url = _url_field("substance")
    relations = EmbeddedRelationSerializer(
        many=True,
        read_only=True,
        help_text="What this substance is to others: form of, member of, contains, excepted from.",
    )
    inverse_relations = EmbeddedInverseRelationSerializer(
        many=True,
        read_only=True,
        help_text="What others are to this one: its forms, members, preparations, exceptions.",
    )
    names = EmbeddedNameSerializer(many=True, read_only=True)
    listings = EmbeddedListingSerializer(many=True, read_only=True)
    uses = EmbeddedPrecursorUseSerializer(
        many=True, read_only=True, help_text="What this precursor is used to make."
    )
    precursor_uses = EmbeddedPrecursorUseSerializer(
        many=True, read_only=True, help_text="The precursors used to make this substance."
    )

    class Meta:
        model = Substance
        fields = [
            "uid",
            "url",
            "name_en",
            "name_zh",
            "kind",
            "ingredients",
            "cas",
            "smiles",
            "structure_source",
            "canonical_smiles",
            "inchi",
            "inchikey",
            "formula",
            "molecular_weight",
            "notes",
            "version",
            "created_at",
            "updated_at",
            "relations",
            "inverse_relations",
            "names",
            "listings",
            "uses",
            "precursor_uses",
        ]


class SubstanceWriteSerializer(ModelSerializer):
    """What a curator sets; the identifiers are derived from the SMILES by the registry."""

    uid = serializers.CharField(
        required=False,
        validators=[validate_uid],
        max_length=100,
        help_text="Permanent public id; made from the English name when left out.",
    )

    class Meta:
        model = Substance
        fields = [
            "uid",
            "name_en",
            "name_zh",
            "kind",
            "ingredients",
            "cas",
            "smiles",
            "structure_source",
            "notes",
        ]
        # Uniqueness and the other invariants are the database's and the services' to check.
        validators: list = []
        extra_kwargs = {"cas": {"validators": []}}


class NameSerializer(ModelSerializer):
    url = _url_field("name")
    substance = UidRelatedField(queryset=Substance.objects.all())
    uid = serializers.CharField(required=False, validators=[validate_uid], max_length=100)

    class Meta:
        model = Name
        fields = ["uid", "url", "substance", "name", "language", "kind", "source"]
        validators: list = []


class RelationSerializer(ModelSerializer):
    """How one substance stands to another in law (see the model's documentation)."""

    url = _url_field("relation")
    subject = UidRelatedField(queryset=Substance.objects.all())
    target = UidRelatedField(queryset=Substance.objects.all())
    uid = serializers.CharField(required=False, validators=[validate_uid], max_length=100)

    class Meta:
        model = Relation
        fields = ["uid", "url", "subject", "kind", "form", "target", "source", "notes"]
        validators: list = []


class PrecursorUseSerializer(ModelSerializer):
    url = _url_field("precursor-use")
    precursor = UidRelatedField(queryset=Substance.objects.all())
    product = UidRelatedField(queryset=Substance.objects.all(), required=False, allow_null=True)
    uid = serializers.CharField(required=False, validators=[validate_uid], max_length=100)

    class Meta:
        model = PrecursorUse
        fields = ["uid", "url", "precursor", "product", "product_name", "role", "source"]
        validators: list = []


# --- classes --------------------------------------------------------------------------------


class ClassRuleSerializer(ModelSerializer):
    class Meta:
        model = ClassRule
        fields = ["label", "label_zh", "kind", "smarts", "explanation", "explanation_zh"]

    def to_internal_value(self, data):
        # A rule's misspelt key ("smartz") was dropped, and the rule saved without it.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: a rule has no such field."] for name in unknown}
                )
            refuse_numbers_for_text(self.fields, data)
        return super().to_internal_value(data)


class SubstanceClassSerializer(ModelSerializer):
    """A whole class controlled by structure: legal text, machine rules and worked examples."""

    url = _url_field("class")
    uid = serializers.CharField(validators=[validate_uid], max_length=100)
    rules = ClassRuleSerializer(many=True, required=False)
    examples = serializers.JSONField(required=False)

    class Meta:
        model = SubstanceClass
        fields = [
            "uid",
            "url",
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
            "rules",
            "version",
        ]
        read_only_fields = ["version"]
        validators: list = []

    def validate_examples(self, value):
        if "\\u0000" in json.dumps(value):
            # PostgreSQL's jsonb cannot hold it; refuse it on every database alike.
            raise serializers.ValidationError("NUL characters are not allowed.")
        if not isinstance(value, list):
            raise serializers.ValidationError("Give the worked examples as a list.")
        return value


class SubstanceClassDetailSerializer(SubstanceClassSerializer):
    listings = EmbeddedListingSerializer(many=True, read_only=True)

    class Meta(SubstanceClassSerializer.Meta):
        fields = [*SubstanceClassSerializer.Meta.fields, "listings"]


# --- listings -------------------------------------------------------------------------------


# A listing's fields in the API are those of its sync representation (registry.representations),
# in the same order: a field added there is served, created and corrected here too.
_LISTING_KEYS = BY_NAME["listing"].keys

# China's mark is a listing attribute that the representation publishes as its own key and
# leaves out of `attributes` (registry.models.ATTRIBUTES_APART): read so, and written so.
_PUBLISHED_ATTRIBUTES_HELP = (
    "What the jurisdiction's list says of the entry besides its place, by name (dea_code, "
    "narcotic and cfr_paragraph: US; legal_text_*: any; ...); China's mark is produced_in_china."
)
_MARK_HELP = "CN: the list marks the entry * (produced and used in China)."


def _attributes_apart_problems(attrs: dict, schedule: Schedule | None) -> dict:
    """The attributes sent as keys of their own, checked as the listing will check them, each
    reported under its own key. Their value when absent (false) is taken on any list, so that
    a client can send back what it read."""
    code = schedule.jurisdiction.code if schedule is not None else None
    problems = {}
    inside = attrs.get("attributes")
    for name, absent in ATTRIBUTES_APART.items():
        if (
            name in attrs
            and isinstance(inside, dict)
            and name in inside
            and (type(inside[name]) is not type(attrs[name]) or inside[name] != attrs[name])
        ):
            # Stored, one would silently win over the other.
            problems[name] = [
                f"{name} is {attrs[name]!r} here and {inside[name]!r} in attributes: "
                "send it once, or the same in both."
            ]
            continue
        if name in attrs and attrs[name] != absent:
            problem = attributes_problem({name: attrs[name]}, code)
            if problem:
                problems[name] = [problem]
    return problems


class ListingSerializer(ModelSerializer):
    """A substance or a class on a schedule for [effective_from, effective_to)."""

    url = _url_field("listing")
    schedule = UidRelatedField(read_only=True)
    # A listing names a substance or a class, never both; an open listing has no ended_by.
    substance = UidRelatedField(read_only=True, allow_null=True)
    listed_by = UidRelatedField(read_only=True)
    ended_by = UidRelatedField(read_only=True, allow_null=True)
    produced_in_china = serializers.BooleanField(read_only=True, help_text=_MARK_HELP)
    attributes = serializers.JSONField(
        source="published_attributes", read_only=True, help_text=_PUBLISHED_ATTRIBUTES_HELP
    )

    class Meta:
        model = Listing
        # The listing's representation, with its address after its uid.
        fields = ["uid", "url", *_LISTING_KEYS[1:]]

    def build_field(self, field_name, info, model_class, nested_depth):
        if field_name == "class":  # named like the sync representation; a Python keyword
            return UidRelatedField, {
                "source": "substance_class",
                "read_only": True,
                "allow_null": True,
            }
        return super().build_field(field_name, info, model_class, nested_depth)


class ListingCreateSerializer(ModelSerializer):
    """Placing a substance or a class on a schedule from a date, by an instrument."""

    uid = serializers.CharField(required=False, validators=[validate_uid], max_length=100)
    schedule = UidRelatedField(queryset=Schedule.objects.all())
    substance = UidRelatedField(queryset=Substance.objects.all(), required=False, allow_null=True)
    listed_by = UidRelatedField(
        queryset=Instrument.objects.all(), help_text="The instrument that makes the listing."
    )
    produced_in_china = serializers.BooleanField(required=False, help_text=_MARK_HELP)

    class Meta:
        model = Listing
        # What a listing is born with: never already ended (ending it is services.delist).
        fields = [key for key in _LISTING_KEYS if key not in {"effective_to", "ended_by"}]
        validators: list = []

    def build_field(self, field_name, info, model_class, nested_depth):
        if field_name == "class":
            return UidRelatedField, {
                "source": "substance_class",
                "queryset": SubstanceClass.objects.all(),
                "required": False,
                "allow_null": True,
            }
        return super().build_field(field_name, info, model_class, nested_depth)

    def validate(self, attrs):
        if bool(attrs.get("substance")) == bool(attrs.get("substance_class")):
            raise serializers.ValidationError(
                {"substance": ["Name exactly one subject: a substance or a class."]}
            )
        problems = _attributes_apart_problems(attrs, attrs.get("schedule"))
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class ListingUpdateSerializer(ModelSerializer):
    """Ending a listing, or correcting how it was entered.

    Setting `effective_to` and `ended_by` on a listing in force ends it (services.delist): the
    legal act of delisting. The other fields are corrections of the record. The subject and the
    schedule are what the listing is: moving the subject to another list is a rescheduling
    (`reschedule/`), and a listing entered for the wrong subject is deleted and the right one
    created.
    """

    listed_by = UidRelatedField(queryset=Instrument.objects.all(), required=False)
    ended_by = UidRelatedField(queryset=Instrument.objects.all(), required=False, allow_null=True)
    produced_in_china = serializers.BooleanField(required=False, help_text=_MARK_HELP)

    class Meta:
        model = Listing
        # What a listing is (its uid, list and subject) is not changed; the rest may be.
        fields = [
            key for key in _LISTING_KEYS if key not in {"uid", "schedule", "substance", "class"}
        ]
        validators: list = []

    def validate(self, attrs):
        problems = _attributes_apart_problems(attrs, self.instance.schedule)
        if problems:
            raise serializers.ValidationError(problems)
        if "attributes" in attrs and isinstance(attrs["attributes"], dict):
            # `attributes` as read leaves China's mark out: sent without it, the mark stays.
            for name in ATTRIBUTES_APART:
                if name not in attrs and name not in attrs["attributes"]:
                    attrs[name] = getattr(self.instance, name)
        return attrs


class RescheduleSerializer(StrictInput, serializers.Serializer):
    """Moving a listed subject to another schedule: this listing ends, a new one starts."""

    to_schedule = UidRelatedField(queryset=Schedule.objects.all())
    instrument = UidRelatedField(queryset=Instrument.objects.all())
    effective_on = DayField(help_text="First day on the new schedule.")
    item_number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    scope = serializers.CharField(required=False, allow_blank=True)


# --- drafts: legal changes held for review -------------------------------------------------


class DraftOperationSerializer(ModelSerializer):
    class Meta:
        model = DraftOperation
        fields = ["position", "service", "summary", "arguments"]


class DraftChangeSetSerializer(ModelSerializer):
    """A draft change set: legal changes that exist nowhere in the registry until a reviewer
    other than their author publishes them (then `first_seq`..`last_seq` are their feed rows)."""

    url = serializers.SerializerMethodField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    operations = DraftOperationSerializer(many=True, read_only=True)

    class Meta:
        model = DraftChangeSet
        fields = [
            "id",
            "url",
            "title",
            "status",
            "author",
            "created_at",
            "reviewer",
            "decided_at",
            "first_seq",
            "last_seq",
            "operations",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:draft", args=[obj.pk], request=self.context.get("request"))


# --- the feed, the export, the statistics, the check ----------------------------------------


class ChangeSerializer(ModelSerializer):
    type = serializers.CharField(source="resource_type")
    data = serializers.JSONField(
        allow_null=True, help_text="The resource's representation after it; null for a deletion."
    )

    class Meta:
        model = Change
        fields = ["seq", "at", "action", "type", "uid", "data"]


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    last_seq = serializers.IntegerField(
        help_text="The last sequence number in this page (or `after` when it is empty): "
        "store it and ask again with after=last_seq."
    )
    next = serializers.URLField(
        allow_null=True, help_text="More changes are waiting; null when the client is caught up."
    )


class ChangesQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        default=0,
        help_text="The last sequence number the client has applied.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=1000, default=100, help_text="Changes per page, 1 to 1000."
    )


class ScheduleCountSerializer(serializers.Serializer):
    uid = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    regime = serializers.CharField()
    substances = serializers.IntegerField(help_text="Named substances in force.")
    classes = serializers.IntegerField(help_text="Whole classes in force.")


class StatsSerializer(serializers.Serializer):
    on = DayField()
    jurisdiction = serializers.CharField(allow_null=True)
    schedules = ScheduleCountSerializer(many=True)


class StatsQuerySerializer(serializers.Serializer):
    jurisdiction = serializers.CharField(
        required=False, help_text="Jurisdiction code, e.g. CN; all jurisdictions when left out."
    )
    on = DayField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="The date, YYYY-MM-DD; today when left out.",
    )

    def validate_jurisdiction(self, value):
        if not Jurisdiction.objects.filter(code__iexact=value).exists():
            raise serializers.ValidationError(f"No jurisdiction has the code {value}.")
        return value.upper()


# --- lists as published, and what changed between two dates ---------------------------------


class ListEntriesQuerySerializer(serializers.Serializer):
    on = DayField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="The date, YYYY-MM-DD; today when left out.",
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Keep the entries whose item number, name, CAS number or scope contains this.",
    )
    format = serializers.ChoiceField(
        choices=["json", "csv", "api"],
        required=False,
        help_text="csv: the list as a UTF-8 CSV file; api: the browsable page, as elsewhere.",
    )


class ListEntrySerializer(serializers.Serializer):
    """One entry of a list as published, in the official item order."""

    item_number = serializers.CharField()
    subject_type = serializers.CharField(help_text='"substance" or "class".')
    uid = serializers.CharField(help_text="The substance's or the class's uid.")
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    cas = serializers.CharField()
    scope = serializers.CharField()
    effective_from = DayField()
    produced_in_china = serializers.BooleanField()
    instrument_uid = serializers.CharField(help_text="The instrument that made the listing.")
    instrument_reference = serializers.CharField()


class ListEntriesSerializer(serializers.Serializer):
    schedule = serializers.CharField()
    on = DayField()
    count = serializers.IntegerField()
    entries = ListEntrySerializer(many=True)


class DiffQuerySerializer(serializers.Serializer):
    jurisdiction = serializers.CharField(help_text="Jurisdiction code, e.g. CN.")
    schedule = serializers.CharField(
        required=False, help_text="A list's uid: compare only that list."
    )

    def validate_jurisdiction(self, value):
        if not Jurisdiction.objects.filter(code__iexact=value).exists():
            raise serializers.ValidationError(f"No jurisdiction has the code {value}.")
        return value.upper()

    def validate_schedule(self, value):
        if not Schedule.objects.filter(uid=value).exists():
            raise serializers.ValidationError(f"No schedule has the uid {value}.")
        return value

    def validate(self, attrs):
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["Give a date on or after `from`."]})
        schedule = attrs.get("schedule")
        if (
            schedule
            and not Schedule.objects.filter(
                uid=schedule, jurisdiction__code__iexact=attrs["jurisdiction"]
            ).exists()
        ):
            raise serializers.ValidationError(
                {"schedule": ["This list belongs to another jurisdiction."]}
            )
        return attrs


# "from" is a Python keyword: declared here rather than in the class body.
DiffQuerySerializer._declared_fields["from"] = DayField(
    input_formats=["%Y-%m-%d"], help_text="The earlier date, YYYY-MM-DD."
)
DiffQuerySerializer._declared_fields["to"] = DayField(
    input_formats=["%Y-%m-%d"], help_text="The later date, YYYY-MM-DD."
)


class DiffSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='"substance" (a named substance) or "class".')
    uid = serializers.CharField()
    name_en = serializers.CharField()
    name_zh = serializers.CharField()


class DiffScheduleSerializer(serializers.Serializer):
    uid = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()


class DiffInstrumentSerializer(serializers.Serializer):
    uid = serializers.CharField()
    reference = serializers.CharField()
    title_en = serializers.CharField()
    title_zh = serializers.CharField()


class DiffEntrySerializer(serializers.Serializer):
    """A subject added to, removed from or moved to a list (registry.history.DiffEntry)."""

    subject = DiffSubjectSerializer()
    schedule = DiffScheduleSerializer(help_text="The list joined (added, moved) or left (removed).")
    instrument = DiffInstrumentSerializer(
        allow_null=True,
        help_text="The instrument that made the listing (added, moved) or ended it (removed).",
    )
    effective_on = DayField(allow_null=True)
    item_number = serializers.CharField()
    from_schedules = DiffScheduleSerializer(
        many=True, help_text="For a move: the lists the subject left."
    )


class DiffSerializer(serializers.Serializer):
    """What changed on a jurisdiction's lists between two dates (registry.history.ListDiff)."""

    jurisdiction = serializers.CharField()
    start = DayField(help_text="The `from` date.")
    end = DayField(help_text="The `to` date.")
    added = DiffEntrySerializer(
        many=True, help_text="On a list on `to`, on no list of the jurisdiction on `from`."
    )
    removed = DiffEntrySerializer(
        many=True, help_text="On a list on `from`, on no list of the jurisdiction on `to`."
    )
    moved = DiffEntrySerializer(many=True, help_text="Left some lists and joined others.")
