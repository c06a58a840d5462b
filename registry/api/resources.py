"""The resources of /api/v1/: one viewset per public model, declared on the base views.

Each names its querysets, its serializers (list, detail, write) and its filterset, and the
service that performs its writes; registry.api.base does the rest. The root lists the entry
points.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from registry import drafts, filtersets, lists, services
from registry.api import serializers as api
from registry.api.base import (
    HELD,
    ReadOnlyRegistryViewSet,
    RegistryAPIView,
    RegistryViewSet,
    actor_of,
    documented,
)
from registry.models import Instrument, Jurisdiction, Listing, Schedule
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass


@documented
class JurisdictionViewSet(ReadOnlyRegistryViewSet):
    """States and treaty bodies that keep lists (curated in the admin)."""

    list_queryset = Jurisdiction.objects.order_by("uid")
    list_serializer_class = api.JurisdictionSerializer
    filterset_class = filtersets.JurisdictionFilterSet


@documented
class ScheduleViewSet(ReadOnlyRegistryViewSet):
    """The lists within each jurisdiction (curated in the admin)."""

    list_queryset = Schedule.objects.select_related("jurisdiction").order_by("uid")
    list_serializer_class = api.ScheduleSerializer
    filterset_class = filtersets.ScheduleFilterSet

    @extend_schema(
        summary="The list as published on a date: every entry in force, in item order",
        description=(
            "Every entry of the list in force on `on`, in the official item order, with its "
            "item number, Chinese and English names, CAS number, scope and since when. With "
            "`format=csv` (or `Accept: text/csv`), the same as a UTF-8 CSV file whose header "
            "row starts with the item number, as the site's download."
        ),
        parameters=[api.ListEntriesQuerySerializer],
        responses={
            200: api.ListEntriesSerializer,
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        pagination_class=None,
        query_serializer_class=api.ListEntriesQuerySerializer,
    )
    def entries(self, request, uid=None):
        schedule = self.get_object()
        query = self.read_query()
        on = query.get("on") or timezone.localdate()
        found = lists.official_list(schedule, on=on, query=query.get("q", ""))
        if getattr(request.accepted_renderer, "format", "") == "csv":
            header = [h for _, h in lists.COLUMNS]
            rows = [dict(zip(header, row, strict=True)) for row in lists.entry_rows(found)]
            response = Response({"csv_header": header, "rows": rows})
            name = f"{schedule.uid}-{on.isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        fields = api.ListEntrySerializer().fields
        return Response(
            {
                "schedule": schedule.uid,
                "on": on.isoformat(),
                "count": len(found),
                "entries": [{name: getattr(entry, name) for name in fields} for entry in found],
            }
        )


@documented
class InstrumentViewSet(RegistryViewSet):
    """Legal acts: the announcements that list, move and remove items."""

    list_queryset = Instrument.objects.select_related("jurisdiction").order_by("uid")
    list_serializer_class = api.InstrumentSerializer
    write_serializer_class = api.InstrumentSerializer
    filterset_class = filtersets.InstrumentFilterSet

    def perform_service_create(self, data):
        return services.record_instrument(actor=actor_of(self.request), **data)


@documented
class SubstanceViewSet(RegistryViewSet):
    """Substances: identity, names, and (in the detail) their legal history."""

    # A list row reads the columns its representation and its orderings use (the model's own,
    # name_en and id, where an empty `ordering` leaves it), not the structure's texts (SMILES,
    # InChI, notes) nor what only the detail shows; as a named tuple, not a model instance,
    # which cost a page of 50 more than reading it.
    list_queryset = Substance.objects.values_list(
        *(name for name in api.SubstanceListSerializer.Meta.fields if name != "url"),
        "updated_at",
        "id",
        named=True,
    ).order_by("uid")
    detail_queryset = Substance.objects.prefetch_related(
        "relations__target",
        "inverse_relations__subject",
        "names",
        "listings__schedule__jurisdiction",
        "listings__listed_by",
        "listings__ended_by",
        "uses__precursor",
        "uses__product",
        "precursor_uses__precursor",
        "precursor_uses__product",
    )
    list_serializer_class = api.SubstanceListSerializer
    detail_serializer_class = api.SubstanceDetailSerializer
    write_serializer_class = api.SubstanceWriteSerializer
    filterset_class = filtersets.SubstanceFilterSet

    def perform_service_create(self, data):
        return services.create_substance(actor=actor_of(self.request), **data)

    def perform_service_update(self, instance, data):
        return services.update_substance(substance=instance, actor=actor_of(self.request), **data)


@documented
class NameViewSet(RegistryViewSet):
    """The other names of substances: synonyms, code names, Chinese names, INNs, ..."""

    list_queryset = Name.objects.select_related("substance").order_by("uid")
    list_serializer_class = api.NameSerializer
    write_serializer_class = api.NameSerializer
    filterset_class = filtersets.NameFilterSet

    def perform_service_create(self, data):
        return services.add_name(actor=actor_of(self.request), **data)


@documented
class RelationViewSet(RegistryViewSet):
    """How substances stand to each other: form of, member of, contains, excepted from."""

    list_queryset = Relation.objects.select_related("subject", "target").order_by("uid")
    list_serializer_class = api.RelationSerializer
    write_serializer_class = api.RelationSerializer
    filterset_class = filtersets.RelationFilterSet

    def perform_service_create(self, data):
        return services.relate(actor=actor_of(self.request), **data)


@documented
class PrecursorUseViewSet(RegistryViewSet):
    """What precursor chemicals are used to make."""

    list_queryset = PrecursorUse.objects.select_related("precursor", "product").order_by("uid")
    list_serializer_class = api.PrecursorUseSerializer
    write_serializer_class = api.PrecursorUseSerializer
    filterset_class = filtersets.PrecursorUseFilterSet

    def perform_service_create(self, data):
        return services.add_precursor_use(actor=actor_of(self.request), **data)


@documented
class SubstanceClassViewSet(RegistryViewSet):
    """Whole classes controlled by a structural definition, with their machine rules."""

    list_queryset = SubstanceClass.objects.prefetch_related("rules").order_by("uid")
    detail_queryset = SubstanceClass.objects.prefetch_related(
        "rules",
        "listings__schedule__jurisdiction",
        "listings__listed_by",
        "listings__ended_by",
    )
    list_serializer_class = api.SubstanceClassSerializer
    detail_serializer_class = api.SubstanceClassDetailSerializer
    write_serializer_class = api.SubstanceClassSerializer
    filterset_class = filtersets.SubstanceClassFilterSet

    def perform_service_create(self, data):
        return services.define_class(actor=actor_of(self.request), **data)

    def perform_service_update(self, instance, data):
        return services.update_class(substance_class=instance, actor=actor_of(self.request), **data)

    def plan_update(self, instance, data):
        return [drafts.update_step(instance, data, rules=data.pop("rules", None))]


class ListingWritePermission(permissions.DjangoModelPermissions):
    """A rescheduling ends one listing and creates another: it needs both permissions."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "POST": ["%(app_label)s.add_%(model_name)s", "%(app_label)s.change_%(model_name)s"],
    }


@documented
@extend_schema_view(
    partial_update=extend_schema(
        summary="End a listing, or correct it (token and model permission needed)",
        description=(
            "Setting `effective_to` (the first day it no longer applies) and `ended_by` (the "
            "instrument) on a listing in force ends it: the delisting is recorded in the feed "
            "as an update of the listing. Other fields correct how the listing was entered. "
            "The subject and the schedule cannot change: sending another value is a 400; to "
            "move the subject to another list, POST to the listing's `reschedule/`."
        ),
        request=api.ListingUpdateSerializer,
        responses={200: api.ListingSerializer, 202: HELD},
    )
)
class ListingViewSet(RegistryViewSet):
    """Listings: a substance or class on a schedule for [effective_from, effective_to)."""

    list_queryset = Listing.objects.select_related(
        "schedule", "substance", "substance_class", "listed_by", "ended_by"
    ).order_by("uid")
    list_serializer_class = api.ListingSerializer
    write_serializer_class = api.ListingCreateSerializer
    update_serializer_class = api.ListingUpdateSerializer
    filterset_class = filtersets.ListingFilterSet

    def get_serializer_class(self):
        if self.action == "reschedule":
            return api.RescheduleSerializer
        return super().get_serializer_class()

    def read_only_message(self, key, stored):
        if key == "schedule":
            return (
                "A listing's schedule cannot change. To move the subject to another list, "
                f"POST /api/v1/listings/{self.kwargs[self.lookup_field]}/reschedule/ with "
                "to_schedule, instrument and effective_on: this listing ends and another "
                "starts, both citing the instrument."
            )
        if key in ("substance", "class"):
            return (
                "A listing's subject cannot change. To move the subject to another list, "
                f"POST /api/v1/listings/{self.kwargs[self.lookup_field]}/reschedule/; a listing "
                "entered for the wrong subject is deleted and the right one created."
            )
        return super().read_only_message(key, stored)

    def perform_service_create(self, data):
        return services.list_substance(
            actor=actor_of(self.request),
            instrument=data.pop("listed_by"),
            schedule=data.pop("schedule"),
            effective_from=data.pop("effective_from"),
            **data,
        )

    def plan_update(self, instance, data):
        return drafts.amend_listing_steps(instance, data)

    def perform_service_update(self, instance, data):
        return services.amend_listing(listing=instance, actor=actor_of(self.request), **data)

    @extend_schema(
        summary="Move the listed subject to another schedule (token and permissions needed)",
        description=(
            "Ends this listing on `effective_on` and starts a listing of the same subject on "
            "`to_schedule` that day, both citing `instrument`. Needs the add and change "
            "permissions on listings. Answers with both listings."
        ),
        request=api.RescheduleSerializer,
        responses={201: api.ListingSerializer(many=True), 202: HELD},
        filters=False,  # an action on one listing: the list's filters are no parameters of it
    )
    # Answered with both listings, unpaged: without pagination_class=None the schema would offer
    # it `cursor` and `page_size`, which the API refuses as parameters it does not read.
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[ListingWritePermission],
        pagination_class=None,
    )
    def reschedule(self, request, uid=None):
        try:
            return self._reschedule(request)
        except ValidationError as exc:
            # The services speak of the two listings' dates; the request gave one: effective_on.
            dates = ("effective_from", "effective_to")
            if hasattr(exc, "error_dict") and set(exc.error_dict) & set(dates):
                said = [m for key in dates for m in exc.message_dict.get(key, [])]
                raise serializers.ValidationError({"effective_on": said}) from exc
            raise

    def _reschedule(self, request):
        listing = self.get_object()
        serializer = api.RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if self.held():
            step = drafts.reschedule_step(
                listing,
                to_schedule=data.pop("to_schedule"),
                instrument=data.pop("instrument"),
                effective_on=data.pop("effective_on"),
                **data,
            )
            return self.held_response(request, f"Reschedule listing {listing.uid}", [step])
        ended, started = services.reschedule(
            listing=listing,
            to_schedule=data.pop("to_schedule"),
            instrument=data.pop("instrument"),
            effective_on=data.pop("effective_on"),
            actor=actor_of(request),
            **data,
        )
        fresh = self.list_queryset.filter(pk__in=[ended.pk, started.pk]).order_by("effective_from")
        body = api.ListingSerializer(fresh, many=True, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
class RootView(RegistryAPIView):
    """The entry points of /api/v1/."""

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        names = [
            "substance",
            "name",
            "class",
            "jurisdiction",
            "schedule",
            "instrument",
            "listing",
            "precursor-use",
        ]
        links = {n: reverse(f"api:{n}-list", request=request) for n in names}
        for name in ("changes", "export", "stats", "check", "diff"):
            links[name] = reverse(f"api:{name}", request=request)
        links["schema"] = reverse("api:schema", request=request)
        return Response(links)
