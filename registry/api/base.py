"""What every endpoint of /api/v1/ shares: the base views the resources, the feed and the
other endpoints are made of.

Every response says which feed position it reflects (the `Registry-Seq` header): reads run in one
snapshot transaction (registry.api.snapshot), so the header and the body agree. Reads carry an
ETag and answer If-None-Match with 304. Writes need a token and the Django model permission, and
go through registry.services, so each leaves its row in the change feed. Under review
(settings.REGISTRY_REQUIRE_REVIEW) a write of a legal fact (listing, class, instrument) is held
as a draft instead: 202 Accepted, the draft in the body and its URL in `Location`, published
through /api/v1/drafts/<id>/publish/ by a reviewer other than its author.

- `RegistryAPIView`: throttled, snapshot-consistent, conditional (ETag, If-None-Match), and
  strict about its query: a parameter the endpoint does not read is a 400 naming it;
- `ReadOnlyRegistryViewSet`: a resource addressed by uid, listed in cursor pages or as CSV;
- `RegistryViewSet`: one that curators also write, strictly (unknown and changed read-only
  fields are refused by name), with If-Match, through a service or held as a draft;
- `documented`: the schema of a resource's endpoints, from its serializers.
"""

import hashlib
import json
from collections.abc import Mapping

from django.db import transaction
from django.http import Http404
from django.utils.cache import get_conditional_response, patch_vary_headers
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from registry import drafts, services
from registry.api import SEQ_HEADER, detail_cache
from registry.api import serializers as api
from registry.api.exceptions import PreconditionFailed
from registry.api.filtering import parameter_names
from registry.api.pagination import KeysetPagination
from registry.api.renderers import MAX_CSV_ROWS, CSVRenderer, JSONRenderer
from registry.api.snapshot import read_snapshot
from registry.api.throttling import DEFAULT_THROTTLES
from registry.models import Change, DraftChangeSet
from registry.representations import resource_type_of


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
    # The query parameters the view reads itself (see accepted_query_parameters): those of its
    # query serializer (read with `read_query`), and any other names it reads.
    query_serializer_class: type[serializers.Serializer] | None = None
    query_parameters: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if (
            self.read_in_snapshot
            and request.method in permissions.SAFE_METHODS
            and not self.reads_own_snapshot(request)
        ):
            with read_snapshot():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def reads_own_snapshot(self, request) -> bool:
        """Whether the view opens the snapshot itself, only where it reads more than the feed
        position (a kept detail: see retrieve)."""
        return False

    def perform_content_negotiation(self, request, force=False):
        """DRF's, except that a `format` the endpoint does not answer in is a 400 naming it and
        the formats it has, not a 404 (which says the record is not there)."""
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = sorted({renderer.format for renderer in self.get_renderers()})
            name = self.settings.URL_FORMAT_OVERRIDE or "format"
            asked = request.query_params.get(name) or self.format_kwarg
            raise serializers.ValidationError(
                {
                    name: [
                        f"Unknown format {asked!r}: this endpoint answers in {', '.join(formats)}."
                    ]
                }
            ) from None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, values in request.query_params.lists():
            # No database stores a NUL character in text; refuse it here, by name.
            if any("\x00" in value for value in values):
                raise serializers.ValidationError({name: ["NUL characters are not allowed."]})
        api.refuse_repeated(request.query_params)
        self.refuse_unknown_query_parameters(request)

    # Input is strict in the query too: a parameter the endpoint does not read is a 400 naming
    # it. Ignored, a misspelt filter (`?jurisdicton=US`) answers with the whole list.

    def accepted_query_parameters(self) -> set[str]:
        """The query parameters this request may carry: the view's filters (`ordering`
        included), its pages' (on a list), `format`, and what the view reads itself."""
        accepted = set(self.query_parameters)
        if self.settings.URL_FORMAT_OVERRIDE:
            accepted.add(self.settings.URL_FORMAT_OVERRIDE)
        if self.query_serializer_class is not None:
            fields = self.query_serializer_class().fields
            accepted.update(name for name, field in fields.items() if not field.read_only)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None and self.query_action() in (None, "list"):
            # Filters choose rows of a list. On a detail they would only turn a record that
            # exists into a 404 (`?kind=preparation` on fentanyl's), which a client syncing
            # may read as deleted: there they are parameters the endpoint does not take.
            accepted |= parameter_names(filterset_class)
        paginator = getattr(self, "paginator", None)
        if paginator is not None and self.query_action() in (None, "list"):
            # The names the schema documents, from the paginator itself.
            accepted.update(p["name"] for p in paginator.get_schema_operation_parameters(self))
        return accepted

    def query_action(self) -> str | None:
        """The viewset action whose parameters the request may carry (None outside a viewset):
        HEAD and OPTIONS take what GET takes."""
        action_map = getattr(self, "action_map", None) or {}
        if self.request.method in ("HEAD", "OPTIONS") and "get" in action_map:
            return action_map["get"]
        return getattr(self, "action", None)

    def refuse_unknown_query_parameters(self, request) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return  # dispatch answers 405, whatever the query
        accepted = self.accepted_query_parameters()
        unknown = [name for name in request.query_params if name not in accepted]
        if unknown:
            listed = sorted(accepted)
            raise serializers.ValidationError(
                {name: [api.unknown_parameter_message(name, listed)] for name in unknown}
            )

    def read_query(self) -> dict:
        """The request's query, validated by the view's query serializer (a 400 names a bad
        value)."""
        query = self.query_serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not response.has_header(SEQ_HEADER):
            # As of the snapshot the answer was read in (an error raised in it included).
            seq = getattr(request, "registry_seq", None)
            response[SEQ_HEADER] = str(Change.objects.head() if seq is None else seq)
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

    def reads_own_snapshot(self, request) -> bool:
        # A kept detail is answered from one read of the feed position, a statement that is its
        # own snapshot; the detail is built, on a miss, in a snapshot of its own (detail_cache).
        # A transaction around every read cost a kept detail a tenth of its time.
        # The browsable API (a browser's request, or ?format=api) reads more to draw its page:
        # all of it in the request's snapshot, as before.
        actions = getattr(self, "action_map", None) or {}
        browsed = request.GET.get(api_settings.URL_FORMAT_OVERRIDE or "format") == "api" or (
            "text/html" in request.headers.get("Accept", "")
        )
        return actions.get(request.method.lower()) == "retrieve" and not browsed

    def retrieve(self, request, *args, **kwargs):
        def build():
            return self.get_serializer(self.get_object()).data

        # A detail takes no filters (refuse_unknown_query_parameters): built once per registry
        # version (and base URL, language, day); see detail_cache.
        kept, seq = detail_cache.get_or_build(request, type(self).__name__, build)
        # JSON is answered as kept; another format (the browsable API) renders the data.
        as_kept = isinstance(request.accepted_renderer, JSONRenderer)
        return Response(kept if as_kept else kept.data(), headers={SEQ_HEADER: str(seq)})

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

    def detail_representation(self, instance) -> dict:
        """The resource's JSON detail (its serializer's, not the feed's representation in
        registry.representations), read again from the database in full."""
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
            api.refuse_numbers_for_text(serializer.fields, data)

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
        return Response(self.detail_representation(instance), status=status.HTTP_201_CREATED)

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
        return Response(self.detail_representation(instance))

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
        stored = json.loads(JSONRenderer().render(self.detail_representation(instance)))
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
        fresh = self.detail_representation(locked)
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
