"""POST /api/v1/check/: is each of these compounds controlled on a date, and why?"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.response import Response

from registry import jurisdictions as per_jurisdiction
from registry import verdicts
from registry.api.base import RegistryAPIView
from registry.api.serializers import DayField, StrictInput
from registry.api.snapshot import read_snapshot
from registry.check import MAX_ITEMS, check_items
from registry.models import Jurisdiction


class StrictCharField(serializers.CharField):
    """A string, and only a string: a number in the list is a client's mistake, not a name."""

    default_error_messages = {"not_a_string": "Each item must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class CheckRequestSerializer(StrictInput, serializers.Serializer):
    items = serializers.ListField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False),
        max_length=MAX_ITEMS,
        help_text=(
            f"Up to {MAX_ITEMS} inputs: names (any language), CAS numbers, InChIKeys, SMILES "
            "or molfiles."
        ),
    )
    on = DayField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="The date the question is about, YYYY-MM-DD; today when left out.",
    )
    jurisdiction = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Jurisdiction code, e.g. CN; every jurisdiction when left out.",
    )

    def validate_jurisdiction(self, value):
        if not value:
            return None
        match = Jurisdiction.objects.filter(code__iexact=value.strip()).first()
        if match is None:
            raise serializers.ValidationError(f"No jurisdiction has the code {value}.")
        return match.code


@extend_schema_field(verdicts.verdict_schema())
class CheckResultField(serializers.JSONField):
    """One verdict: `registry.verdicts.verdict_json`, described field by field from the same
    declarations."""


class CheckResponseSerializer(serializers.Serializer):
    on = DayField()
    jurisdiction = serializers.CharField(allow_null=True)
    results = serializers.ListField(child=CheckResultField())


@extend_schema(
    summary="Check a batch of compounds: controlled on a date, and on what basis",
    description=(
        "For each input, in order: whether it is controlled on `on` and why: the named listing "
        "it resolves to (same compound, salt or stereoisomer of a listed parent, name, CAS), "
        "and every whole class whose rules the structure meets. Unreadable input gets the "
        "status `invalid` with a reason; one bad item does not spoil the batch."
    ),
    request=CheckRequestSerializer,
    responses={200: CheckResponseSerializer},
    examples=[
        OpenApiExample(
            "A name, a CAS number and a structure",
            value={
                "items": ["fentanyl", "437-38-7", "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"],
                "on": "2024-01-01",
                "jurisdiction": "CN",
            },
            request_only=True,
        )
    ],
)
class CheckView(RegistryAPIView):
    """Anyone may ask (throttled like every read); the check changes nothing."""

    permission_classes = [permissions.AllowAny]
    changes_nothing = True  # a read-only token may ask

    def post(self, request):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ['Send an object: {"items": [...], "on": "YYYY-MM-DD"}.']}
            )
        query = CheckRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        jurisdiction = query.validated_data.get("jurisdiction")
        with read_snapshot():
            results = check_items(
                query.validated_data["items"], on=on, jurisdiction=jurisdiction, suggest=True
            )
            among = [
                j
                for j in per_jurisdiction.jurisdictions()
                if jurisdiction is None or j.code == jurisdiction
            ]
            body = {
                "on": on.isoformat(),
                "jurisdiction": jurisdiction,
                "results": [verdicts.verdict_json(result, among) for result in results],
            }
        return Response(body)
