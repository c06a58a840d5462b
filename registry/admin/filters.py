"""List filters of the admin."""

import datetime

from django.contrib import admin
from django.utils import timezone

from registry.models import Listing


class ControlledOnFilter(admin.SimpleListFilter):
    """Whether a substance is on a list on a given day, by its listings in force that day.

    The date is any YYYY-MM-DD (typed in the filter's box) or one of the days the law changed.
    """

    title = "status on a date"
    parameter_name = "controlled_on"
    template = "admin/registry/controlled_on_filter.html"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        days = (
            Listing.objects.filter(effective_from__lte=today)
            .order_by("-effective_from")
            .values_list("effective_from", flat=True)
            .distinct()[:8]
        )
        return [("today", "controlled today"), ("not-today", "not controlled today")] + [
            (day.isoformat(), f"controlled on {day}") for day in days
        ]

    def _day(self) -> tuple[datetime.date, bool] | None:
        value = (self.value() or "").strip()
        if not value:
            return None
        negate = value.startswith("not-")
        value = value.removeprefix("not-")
        if value == "today":
            return timezone.localdate(), negate
        try:
            return datetime.date.fromisoformat(value), negate
        except ValueError:
            raise admin.options.IncorrectLookupParameters(
                f"{value!r} is not a date: use YYYY-MM-DD."
            ) from None

    def queryset(self, request, queryset):
        found = self._day()
        if found is None:
            return queryset
        day, negate = found
        in_force = Listing.objects.in_force(on=day)
        if queryset.model is Listing:
            ids = in_force.values("pk")
        else:
            ids = in_force.filter(substance__isnull=False).values("substance_id")
        return queryset.exclude(pk__in=ids) if negate else queryset.filter(pk__in=ids)
