"""The drafts of /api/v1/drafts/: changes to legal facts held for a reviewer.

Under review a write of a listing, a class or an instrument is held as a draft (registry.drafts);
these endpoints show the open drafts and let a reviewer publish one, or its author or a reviewer
discard it.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response

from registry import drafts
from registry.api import serializers as api
from registry.api.base import RegistryAPIView
from registry.models import DraftChangeSet


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


class DraftDecisionView(DraftAPIView):
    # A decision on a draft (`decide`): answered with the draft as it is after, or refused. A
    # comment, not a docstring: the schema would show it as the endpoints' description.

    def decide(self, changeset: DraftChangeSet, user) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        changeset = self.changeset(pk)
        try:
            self.decide(changeset, request.user)
        except ValidationError as exc:
            return _refusal(exc)
        return self.answer(changeset)


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
class DraftPublishView(DraftDecisionView):
    def decide(self, changeset, user):
        drafts.publish(changeset, reviewer=user)


@extend_schema(
    summary="Discard a draft (its author, or a reviewer); it stays on record as discarded",
    request=None,
    responses={
        200: api.DraftChangeSetSerializer,
        403: OpenApiResponse(description="Neither the author nor a reviewer."),
        409: OpenApiResponse(description="The draft was already published or discarded."),
    },
)
class DraftDiscardView(DraftDecisionView):
    def decide(self, changeset, user):
        drafts.discard(changeset, user=user)
