"""The feed of /api/v1/: every change in order (`changes/`) and a consistent copy (`export/`).

A client loads the export, whose first line gives its feed position N, then follows the change
feed from N: the feed is gap-free and append-only, so it sees every change exactly once.
"""

import json
from contextlib import ExitStack

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response

from registry.api import SEQ_HEADER
from registry.api import serializers as api
from registry.api.base import RegistryAPIView
from registry.api.pagination import url_with
from registry.api.snapshot import read_snapshot
from registry.api.throttling import DEFAULT_THROTTLES, ExportThrottle
from registry.models import Change
from registry.representations import iter_all

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
    query_serializer_class = api.ChangesQuerySerializer

    def get(self, request):
        query = self.read_query()
        after, limit = query["after"], query["limit"]
        head = Change.objects.head()
        if after > head:
            # No client can have applied a change this registry has not made: its copy is of
            # another registry, or this one was restored from an older backup. An empty page
            # would let it skip the changes that will take those numbers.
            raise serializers.ValidationError(
                {
                    "after": [
                        f"The feed ends at {head}: no change {after} was ever served here. "
                        "A copy that has applied it is not of this registry (or the registry "
                        "was restored from a backup): start again from the export."
                    ]
                }
            )
        changes = list(Change.objects.after(after)[:limit])
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
