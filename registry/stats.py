"""The registry at a glance: how many named substances and classes each list holds on a date."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from registry.models import Schedule
from substances.querysets import _in_force_q


@dataclass(frozen=True)
class ScheduleCount:
    schedule: Schedule
    substances: int
    classes: int

    def as_dict(self) -> dict:
        return {
            "uid": self.schedule.uid,
            "code": self.schedule.code,
            "name": self.schedule.name,
            "name_zh": self.schedule.name_zh,
            "regime": self.schedule.regime,
            "substances": self.substances,
            "classes": self.classes,
        }


def schedule_counts(
    *, on: datetime.date, jurisdiction: str | None = None, include_empty: bool = False
) -> list[ScheduleCount]:
    """Named substances and whole classes in force on `on`, per schedule, in one query."""
    in_force = _in_force_q(on, prefix="listings__")
    schedules = Schedule.objects.select_related("jurisdiction").annotate(
        n_substances=Count("listings", filter=in_force & Q(listings__substance__isnull=False)),
        n_classes=Count("listings", filter=in_force & Q(listings__substance_class__isnull=False)),
    )
    if jurisdiction:
        schedules = schedules.filter(jurisdiction__code__iexact=jurisdiction)
    counts = [ScheduleCount(s, s.n_substances, s.n_classes) for s in schedules]
    if not include_empty:
        counts = [c for c in counts if c.substances or c.classes]
    return counts
