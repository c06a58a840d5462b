"""Answers computed over the registry, read-only: how many entries each list holds on a date
(`stats/`) and what changed on a jurisdiction's lists between two dates (`diff/`, from
registry.history).
"""

import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response

from registry import history
from registry.api import serializers as api
from registry.api.base import RegistryAPIView
from registry.stats import schedule_counts


@extend_schema(
    summary="How many named substances and classes each list holds on a date",
    parameters=[api.StatsQuerySerializer],
    responses={200: api.StatsSerializer},
)
class StatsView(RegistryAPIView):
    permission_classes = [permissions.AllowAny]
    query_serializer_class = api.StatsQuerySerializer

    def get(self, request):
        query = self.read_query()
        on: datetime.date = query.get("on") or timezone.localdate()
        jurisdiction = query.get("jurisdiction")
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
    query_serializer_class = api.DiffQuerySerializer

    def get(self, request):
        data = self.read_query()
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
