"""The REST API other systems read and sync from, /api/v1/.

Every response says which feed position it reflects (the `Registry-Seq` header): reads run in one
snapshot transaction (registry.api.snapshot), so the header and the body agree. Reads carry an
ETag and answer If-None-Match with 304. Writes need a token and the Django model permission, and
go through registry.services, so each leaves its row in the change feed. Under review
(settings.REGISTRY_REQUIRE_REVIEW) a write of a legal fact (listing, class, instrument) is held
as a draft instead: 202 Accepted, the draft in the body and its URL in `Location`, published
through /api/v1/drafts/<id>/publish/ by a reviewer other than its author.
"""

import datetime
import hashlib
import json
from collections.abc import Mapping
from contextlib import ExitStack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from registry import drafts, filtersets, history, lists, services
from registry.api import SEQ_HEADER
from registry.api import serializers as api
from registry.api.exceptions import PreconditionFailed
from registry.api.pagination import KeysetPagination, url_with
from registry.api.renderers import MAX_CSV_ROWS, CSVRenderer
from registry.api.snapshot import read_snapshot
from registry.api.throttling import DEFAULT_THROTTLES, ExportThrottle
from registry.models import Change, DraftChangeSet, Instrument, Jurisdiction, Listing, Schedule
from registry.representations import iter_all, resource_type_of
from registry.stats import schedule_counts
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass


def actor_of(request) -> services.Actor:
    return services.Actor.of(request.user, via="api")


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


# --- what every endpoint shares -------------------------------------------------------------


class RegistryAPIView(APIView):
    """Throttled, snapshot-consistent, conditional: the behaviour common to every endpoint."""

    throttle_classes = DEFAULT_THROTTLES
    # Reads run in one snapshot; the export manages its own, which outlives the view.
    read_in_snapshot = True
    conditional = True

    def dispatch(self, request, *args, **kwargs):
        if self.read_in_snapshot and request.method in permissions.SAFE_METHODS:
            with read_snapshot():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, values in request.query_params.lists():
            # No database stores a NUL character in text; refuse it here, by name.
            if any("\x00" in value for value in values):
                raise serializers.ValidationError({name: ["NUL characters are not allowed."]})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not response.has_header(SEQ_HEADER):
            response[SEQ_HEADER] = str(Change.objects.head())
        if (
            self.conditional
            and request.method in ("GET", "HEAD")
            and response.status_code == status.HTTP_200_OK
            and not response.streaming
        ):
            # The ETag is the body's digest: whatever changed it (a write, another day for a
            # date-dependent answer, another language), the tag changes with it.
            response.render()
            response["ETag"] = etag_of(response.content)
            patch_vary_headers(response, ["Accept", "Authorization"])
            not_modified = get_conditional_response(
                request._request, etag=response["ETag"], response=response
            )
            if not_modified is not response:
                not_modified[SEQ_HEADER] = response[SEQ_HEADER]
                return not_modified
        return response


class ReadOnlyRegistryViewSet(RegistryAPIView, viewsets.GenericViewSet):
    """A public resource addressed by uid, read by anyone."""

    lookup_field = "uid"
    lookup_value_regex = "[^/]+"
    pagination_class = KeysetPagination
    http_method_names = ["get", "head", "options"]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    list_serializer_class: type[serializers.Serializer]
    detail_serializer_class: type[serializers.Serializer] | None = None
    write_serializer_class: type[serializers.Serializer] | None = None
    update_serializer_class: type[serializers.Serializer] | None = None  # else the write one
    list_queryset = None
    detail_queryset = None

    def get_queryset(self):
        if self.action == "list" or self.detail_queryset is None:
            return self.list_queryset.all()
        return self.detail_queryset.all()

    def get_serializer_class(self):
        if self.action == "partial_update" and self.update_serializer_class:
            return self.update_serializer_class
        if self.action in ("create", "partial_update") and self.write_serializer_class:
            return self.write_serializer_class
        if self.action == "list":
            return self.list_serializer_class
        return self.detail_serializer_class or self.list_serializer_class

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if getattr(request.accepted_renderer, "format", "") == "csv":
            return self.csv_response(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def csv_response(self, queryset) -> Response:
        """Every selected row at once, as CSV (see registry.api.renderers)."""
        rows = list(queryset[: MAX_CSV_ROWS + 1])
        if len(rows) > MAX_CSV_ROWS:
            raise serializers.ValidationError(
                {
                    "format": [
                        f"A CSV answer holds at most {MAX_CSV_ROWS} rows: narrow the filters, "
                        "or read the JSON pages or the export."
                    ]
                }
            )
        response = Response(self.get_serializer(rows, many=True).data)
        name = self.get_queryset().model._meta.model_name
        response["Content-Disposition"] = f'attachment; filename="{name}s.csv"'
        return response


class RegistryViewSet(ReadOnlyRegistryViewSet):
    """A public resource that curators also write, through the services (PATCH, never PUT)."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def represent(self, instance) -> dict:
        """The detail representation of a freshly written instance, read again in full."""
        queryset = self.list_queryset if self.detail_queryset is None else self.detail_queryset
        fresh = queryset.get(pk=instance.pk)
        serializer_class = self.detail_serializer_class or self.list_serializer_class
        return serializer_class(fresh, context=self.get_serializer_context()).data

    # Writes: validated by the write serializer, performed (and recorded) by a service.

    def refuse_unknown_fields(self, serializer) -> None:
        """A field the resource does not know is a 400 naming it, never silently dropped (a
        client still sending a substance's former `parent` learns that it was not stored).
        Read-only fields of the representation are read_only_fields_sent's to judge."""
        data = serializer.initial_data
        if isinstance(data, dict):
            readable = set(self.list_serializer_class().fields)
            if self.detail_serializer_class is not None:
                readable |= set(self.detail_serializer_class().fields)
            unknown = sorted(set(data) - set(serializer.fields) - readable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: this resource has no such field."] for name in unknown}
                )

    def create(self, request, *args, **kwargs):
        self.read_only_fields_sent(request.data, creating=True)
        serializer = self.get_serializer(data=request.data)
        self.refuse_unknown_fields(serializer)
        serializer.is_valid(raise_exception=True)
        if self.held():
            data = dict(serializer.validated_data)
            rules = data.pop("rules", None)
            step = drafts.create_step(self.model, data, uid=data.pop("uid", ""), rules=rules)
            return self.held_response(request, f"Add {self.model._meta.verbose_name}", [step])
        with transaction.atomic():
            instance = self.perform_service_create(dict(serializer.validated_data))
        return Response(self.represent(instance), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        read_only = self.read_only_fields_sent(request.data, creating=False)
        instance = self.get_object()
        if isinstance(request.data, dict) and request.data.get("uid", instance.uid) != instance.uid:
            # Whatever the resource's write serializer takes: a uid never changes.
            raise serializers.ValidationError({"uid": ["A uid is permanent; it cannot change."]})
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        self.refuse_unknown_fields(serializer)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "uid" in data and data.pop("uid") != instance.uid:
            raise serializers.ValidationError({"uid": ["A uid is permanent; it cannot change."]})
        if self.held():
            with transaction.atomic():
                instance = self.lock_for_write(request, instance)
                self.refuse_read_only_changes(request.data, read_only, instance)
            title = f"Amend {self.model._meta.verbose_name} {instance.uid}"
            return self.held_response(request, title, self.plan_update(instance, data))
        with transaction.atomic():
            # The service applies only the fields sent, to the row as it is once locked.
            instance = self.lock_for_write(request, instance)
            self.refuse_read_only_changes(request.data, read_only, instance)
            instance = self.perform_service_update(instance, data)
        return Response(self.represent(instance))

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.lock_for_write(request, self.get_object())
            if not self.held():
                services.delete_resource(instance, actor=actor_of(request))
                return Response(status=status.HTTP_204_NO_CONTENT)
        title = f"Delete {self.model._meta.verbose_name} {instance.uid}"
        return self.held_response(request, title, [drafts.delete_step(instance)])

    # Under review: the write becomes a draft for a reviewer.

    @property
    def model(self):
        return self.list_queryset.model

    def held(self) -> bool:
        """Whether this write is held as a draft (a legal fact, under review)."""
        return drafts.holds(self.model)

    def plan_update(self, instance, data: dict) -> list[drafts.Step]:
        """The draft's steps for a PATCH of `instance` with `data`."""
        return [drafts.update_step(instance, data)]

    def held_response(self, request, title: str, steps: list[drafts.Step]) -> Response:
        """Open the draft (tried first: a step that would fail now is a 400) and answer 202."""
        changeset = drafts.propose(title=f"{title} (API)", author=request.user, steps=steps)
        return held_response(request, changeset)

    # Input is strict: a field the resource does not take is a 400 naming it, and so is a
    # read-only field sent with another value than the stored one. The same value is taken
    # (and ignored), so that a client can send back what it read.

    def read_only_fields_sent(self, data, *, creating: bool) -> list[str]:
        """Refuse the keys this write does not know; return the read-only ones sent."""
        if not isinstance(data, Mapping):
            return []  # the serializer refuses anything but an object
        writable = [n for n, f in self.get_serializer().fields.items() if not f.read_only]
        readable = set(self.list_serializer_class().fields)
        if self.detail_serializer_class is not None:
            readable |= set(self.detail_serializer_class().fields)
        errors, read_only = {}, []
        for key in data:
            if key in writable:
                continue
            if key not in readable:
                errors[key] = [api.unknown_field_message(key, writable)]
            elif creating:
                errors[key] = [f"{key} is set by the registry, not by a client: leave it out."]
            else:
                read_only.append(key)
        if errors:
            raise serializers.ValidationError(errors)
        return read_only

    def refuse_read_only_changes(self, data, keys: list[str], instance) -> None:
        """A read-only field sent with another value than the one stored: 400, naming it."""
        if not keys:
            return
        stored = json.loads(JSONRenderer().render(self.represent(instance)))
        errors = {
            key: [self.read_only_message(key, stored.get(key))]
            for key in keys
            if not _same_value(data[key], stored.get(key))
        }
        if errors:
            raise serializers.ValidationError(errors)

    def read_only_message(self, key: str, stored) -> str:
        shown = json.dumps(stored, ensure_ascii=False)
        return f"{key} is read-only (it is {shown}): send it unchanged or leave it out."

    def lock_for_write(self, request, instance):
        """Lock the resource's row, read it again, and honour If-Match on that fresh state.

        The tag to send is the ETag of the resource's JSON detail: the write happens only if
        the resource is still as the client last read it, else 412. Without If-Match the write
        goes ahead on the fresh row (the last writer of a field wins; other fields are kept).
        """
        model = type(instance)
        locked = model.objects.select_for_update().filter(pk=instance.pk).first()
        header = request.headers.get("If-Match")
        if locked is None and header is None:
            raise NotFound(f"{model._meta.verbose_name} {instance.uid} was deleted meanwhile.")
        if locked is None:
            raise PreconditionFailed("The resource no longer exists.")
        if header is None or header.strip() == "*":
            return locked
        fresh = self.represent(locked)
        body = JSONRenderer().render(fresh, "application/json", {"request": request})
        # If-Match uses the strong comparison (RFC 9110, 13.1.1): a weak tag never matches.
        wanted = {tag.strip() for tag in header.split(",")}
        if etag_of(body) not in wanted:
            raise PreconditionFailed(
                f"{model._meta.verbose_name} {instance.uid} changed since you read it "
                "(If-Match does not hold); read it again and retry."
            )
        return locked

    def perform_service_create(self, data: dict):
        raise NotImplementedError

    def perform_service_update(self, instance, data: dict):
        services.update_resource(instance, actor=actor_of(self.request), fields=data)
        return instance


def held_response(request, changeset: DraftChangeSet) -> Response:
    body = api.DraftChangeSetSerializer(changeset, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


HELD = OpenApiResponse(
    response=api.DraftChangeSetSerializer,
    description=(
        "Held for review (when the registry requires review, for listings, classes and "
        "instruments): nothing has changed yet. The body is the draft that holds the change, "
        "and `Location` its URL; a reviewer other than you publishes it "
        "(`POST /api/v1/drafts/{id}/publish/`)."
    ),
)


def _same_value(sent, stored) -> bool:
    """Whether a value sent equals the stored one (a form sends every value as text)."""
    if sent == stored:
        return True
    return isinstance(sent, str) and not isinstance(stored, dict | list) and sent == str(stored)


def documented(viewset):
    """Tell the schema that writes take the write serializer and answer with the detail one."""
    detail = viewset.detail_serializer_class or viewset.list_serializer_class
    name = viewset.list_queryset.model._meta.verbose_name
    uid = OpenApiParameter(
        "uid",
        str,
        OpenApiParameter.PATH,
        description=f"The {name}'s permanent public id.",
    )
    overrides = {
        "list": extend_schema(summary=f"List {name}s (cursor pages)"),
        "retrieve": extend_schema(summary=f"One {name}, by uid", parameters=[uid]),
    }
    if_match = OpenApiParameter(
        "If-Match",
        str,
        OpenApiParameter.HEADER,
        required=False,
        description=(
            f"The ETag of the {name}'s JSON detail as you last read it: the write is refused "
            "with 412 if it has changed since. Without it, the last write wins."
        ),
    )
    changed = OpenApiResponse(description=f"The {name} changed since the If-Match tag was read.")
    if getattr(viewset, "write_serializer_class", None):
        type_name = resource_type_of(viewset.list_queryset.model()).name
        held = {202: HELD} if type_name in drafts.LEGAL_TYPES else {}
        overrides |= {
            "create": extend_schema(
                summary=f"Create a {name} (token and model permission needed)",
                request=viewset.write_serializer_class,
                responses={201: detail, **held},
            ),
            "partial_update": extend_schema(
                summary=f"Change a {name} (token and model permission needed)",
                request=viewset.update_serializer_class or viewset.write_serializer_class,
                responses={200: detail, **held, 412: changed},
                parameters=[uid, if_match],
            ),
            "destroy": extend_schema(
                summary=f"Delete a {name} entered in error (token and permission needed)",
                responses={204: None, **held, 412: changed},
                parameters=[uid, if_match],
            ),
        }
    return extend_schema_view(**overrides)(viewset)


# --- the resources --------------------------------------------------------------------------


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
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def entries(self, request, uid=None):
        schedule = self.get_object()
        query = api.ListEntriesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        found = lists.official_list(schedule, on=on, query=query.validated_data.get("q", ""))
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

    list_queryset = Substance.objects.order_by("uid")
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
    )
    @action(detail=True, methods=["post"], permission_classes=[ListingWritePermission])
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


# --- drafts ---------------------------------------------------------------------------------


class DraftPermission(permissions.BasePermission):
    """Drafts are the curators' work in progress: seen by those who may see drafts."""

    message = "Drafts are seen by curators and reviewers only."

    def has_permission(self, request, view):
        return bool(
            request.user
            and request.user.is_authenticated
            and request.user.has_perm("registry.view_draftchangeset")
        )


class DraftAPIView(RegistryAPIView):
    permission_classes = [DraftPermission]

    def changeset(self, pk: int) -> DraftChangeSet:
        return get_object_or_404(DraftChangeSet.objects.select_related("author", "reviewer"), pk=pk)

    def answer(self, changeset: DraftChangeSet) -> Response:
        changeset = self.changeset(changeset.pk)
        return Response(
            api.DraftChangeSetSerializer(changeset, context={"request": self.request}).data
        )


@extend_schema(
    summary="The drafts still waiting for a reviewer, newest first (curators and reviewers)",
    responses={200: api.DraftChangeSetSerializer(many=True)},
)
class DraftListView(DraftAPIView):
    def get(self, request):
        open_drafts = (
            DraftChangeSet.objects.filter(status=DraftChangeSet.Status.DRAFT)
            .select_related("author", "reviewer")
            .prefetch_related("operations")[:200]
        )
        context = {"request": request}
        return Response(api.DraftChangeSetSerializer(open_drafts, many=True, context=context).data)


@extend_schema(
    summary="One draft, with its steps (curators and reviewers)",
    responses={200: api.DraftChangeSetSerializer},
)
class DraftDetailView(DraftAPIView):
    def get(self, request, pk: int):
        return self.answer(self.changeset(pk))


def _refusal(exc: ValidationError) -> Response:
    """A draft that cannot be decided: who may not (403), already decided (409), or a step
    that fails now (400); each with the reason."""
    code = getattr(exc, "code", None)
    status_code = {
        "not_reviewer": status.HTTP_403_FORBIDDEN,
        "own_draft": status.HTTP_403_FORBIDDEN,
        "decided": status.HTTP_409_CONFLICT,
    }.get(code, status.HTTP_400_BAD_REQUEST)
    return Response({"detail": " ".join(exc.messages)}, status=status_code)


@extend_schema(
    summary="Publish a draft: every step at once, or none (a reviewer, not its author)",
    request=None,
    responses={
        200: api.DraftChangeSetSerializer,
        400: OpenApiResponse(description="A step cannot be applied now; nothing was."),
        403: OpenApiResponse(description="Not a reviewer, or the draft is your own."),
        409: OpenApiResponse(description="The draft was already published or discarded."),
    },
)
class DraftPublishView(DraftAPIView):
    def post(self, request, pk: int):
        changeset = self.changeset(pk)
        try:
            drafts.publish(changeset, reviewer=request.user)
        except ValidationError as exc:
            return _refusal(exc)
        return self.answer(changeset)


@extend_schema(
    summary="Discard a draft (its author, or a reviewer); it stays on record as discarded",
    request=None,
    responses={
        200: api.DraftChangeSetSerializer,
        403: OpenApiResponse(description="Neither the author nor a reviewer."),
        409: OpenApiResponse(description="The draft was already published or discarded."),
    },
)
class DraftDiscardView(DraftAPIView):
    def post(self, request, pk: int):
        changeset = self.changeset(pk)
        try:
            drafts.discard(changeset, user=request.user)
        except ValidationError as exc:
            return _refusal(exc)
        return self.answer(changeset)


# --- the feed -------------------------------------------------------------------------------


@extend_schema(
    summary="The change feed: every change after a sequence number, in order",
    parameters=[api.ChangesQuerySerializer],
    responses={200: api.ChangePageSerializer},
)
class ChangesView(RegistryAPIView):
    """Changes with a sequence number above `after`, in sequence (= commit) order.

    The feed is gap-free and append-only, so a client that stores `last_seq` after applying a
    page and asks again with `after=last_seq` sees every change exactly once, even after a crash.
    """

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        query = api.ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        changes = list(Change.objects.after(after)[:limit])
        head = Change.objects.head()
        last_seq = changes[-1].seq if changes else after
        next_url = None
        if last_seq < head:
            next_url = url_with(request, after=last_seq)
        body = {
            "results": api.ChangeSerializer(changes, many=True).data,
            "last_seq": last_seq,
            "next": next_url,
        }
        return Response(body, headers={SEQ_HEADER: str(head)})


# --- the export -----------------------------------------------------------------------------


class _ExportStream:
    """The NDJSON lines of one snapshot; closing it (or reaching the end) ends the snapshot."""

    CHUNK = 64 * 1024

    def __init__(self, snapshot: ExitStack, seq: int) -> None:
        self._snapshot = snapshot
        self._seq = seq
        self._lines = self._generate()

    def _generate(self):
        try:
            header = {"seq": self._seq, "generated_at": timezone.localtime().isoformat()}
            buffer = [json.dumps(header, ensure_ascii=False)]
            size = 0
            for type_name, uid, data in iter_all():
                line = json.dumps({"type": type_name, "uid": uid, "data": data}, ensure_ascii=False)
                buffer.append(line)
                size += len(line)
                if size >= self.CHUNK:
                    yield ("\n".join(buffer) + "\n").encode()
                    buffer, size = [], 0
            yield ("\n".join(buffer) + "\n").encode() if buffer else b""
        finally:
            self.close()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return next(self._lines)

    def close(self) -> None:
        self._snapshot.close()


@extend_schema(
    summary="A complete, consistent copy of the registry, as NDJSON",
    description=(
        'The first line is `{"seq": N, "generated_at": ...}`; then one line '
        '`{"type": ..., "uid": ..., "data": ...}` per resource, in dependency order (a line '
        "only refers to uids met before it). All lines come from one snapshot, exactly the "
        "registry at feed position N: load them, then follow `/api/v1/changes/?after=N`."
    ),
    responses={
        (200, "application/x-ndjson"): OpenApiResponse(
            response=OpenApiTypes.STR, description="Newline-delimited JSON."
        )
    },
)
class ExportView(RegistryAPIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [*DEFAULT_THROTTLES, ExportThrottle]
    throttle_scope = "export"
    read_in_snapshot = False
    conditional = False

    def get(self, request):
        snapshot = ExitStack()
        snapshot.enter_context(read_snapshot())
        try:
            seq = Change.objects.head()
        except BaseException:
            snapshot.close()
            raise
        response = StreamingHttpResponse(
            _ExportStream(snapshot, seq), content_type="application/x-ndjson; charset=utf-8"
        )
        response[SEQ_HEADER] = str(seq)
        return response


# --- statistics -----------------------------------------------------------------------------


@extend_schema(
    summary="How many named substances and classes each list holds on a date",
    parameters=[api.StatsQuerySerializer],
    responses={200: api.StatsSerializer},
)
class StatsView(RegistryAPIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        query = api.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on: datetime.date = query.validated_data.get("on") or timezone.localdate()
        jurisdiction = query.validated_data.get("jurisdiction")
        counts = schedule_counts(on=on, jurisdiction=jurisdiction)
        return Response(
            {
                "on": on.isoformat(),
                "jurisdiction": jurisdiction,
                "schedules": [count.as_dict() for count in counts],
            }
        )


@extend_schema(
    summary="What changed on a jurisdiction's lists between two dates",
    description=(
        "Compares the listings in force on `from` with those in force on `to` (the legal "
        "history, by effective dates; not the edit log, which is `/api/v1/changes/`). "
        "`added`: subjects on a list on `to` that were on no list of the jurisdiction on "
        "`from`; `removed`: the reverse; `moved`: subjects that left some lists and joined "
        "others (reschedulings). Each entry names its subject, its list's uid and code, and "
        "the instrument."
    ),
    parameters=[api.DiffQuerySerializer],
    responses={200: api.DiffSerializer},
)
class DiffView(RegistryAPIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        query = api.DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = history.diff(
            jurisdiction=data["jurisdiction"],
            start=data["from"],
            end=data["to"],
            schedule=data.get("schedule"),
        )
        # Built by hand rather than through DiffSerializer (which documents it): a reorganisation
        # moves hundreds of entries, and field-by-field serialization takes seconds.
        return Response(
            {
                "jurisdiction": result.jurisdiction,
                "start": result.start.isoformat(),
                "end": result.end.isoformat(),
                "added": [_diff_entry(e) for e in result.added],
                "removed": [_diff_entry(e) for e in result.removed],
                "moved": [_diff_entry(e) for e in result.moved],
            }
        )


def _diff_schedule(schedule: history.ScheduleRef) -> dict:
    return {
        "uid": schedule.uid,
        "code": schedule.code,
        "name": schedule.name,
        "name_zh": schedule.name_zh,
    }


def _diff_entry(entry: history.DiffEntry) -> dict:
    instrument = entry.instrument
    return {
        "subject": {
            "type": entry.subject.type,
            "uid": entry.subject.uid,
            "name_en": entry.subject.name_en,
            "name_zh": entry.subject.name_zh,
        },
        "schedule": _diff_schedule(entry.schedule),
        "instrument": None
        if instrument is None
        else {
            "uid": instrument.uid,
            "reference": instrument.reference,
            "title_en": instrument.title_en,
            "title_zh": instrument.title_zh,
        },
        "effective_on": entry.effective_on.isoformat() if entry.effective_on else None,
        "item_number": entry.item_number,
        "from_schedules": [_diff_schedule(s) for s in entry.from_schedules],
    }


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
