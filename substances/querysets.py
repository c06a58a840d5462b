"""Read questions about substances, asked as querysets."""

import datetime

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

from substances.normalize import normalize_cas, search_key


def _in_force_q(on: datetime.date, prefix: str = "") -> Q:
    """Half-open [effective_from, effective_to): in force on the first day, not on the last."""
    return Q(**{f"{prefix}effective_from__lte": on}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gt": on})
    )


class SubstanceQuerySet(models.QuerySet):
    def _listings_in_force(self, *, on: datetime.date, jurisdiction: str | None, field: str):
        # The listing model belongs to the registry app; it is named, not imported, so that
        # this app keeps no import of the registry (dependencies point one way).
        listing_model = apps.get_model("registry", "Listing")
        listings = listing_model.objects.filter(_in_force_q(on), **{field: OuterRef("pk")})
        if jurisdiction:
            listings = listings.filter(schedule__jurisdiction__code__iexact=jurisdiction)
        return listings

    def controlled(self, *, on: datetime.date, jurisdiction: str | None = None):
        """Substances with at least one named listing in force on `on` (by name, not by class)."""
        return self.filter(
            Exists(self._listings_in_force(on=on, jurisdiction=jurisdiction, field="substance"))
        )

    def search(self, text: str):
        """Substances whose preferred name, any other name or CAS number matches `text`.

        Matching is on the normalized search key (see substances.normalize): an exact key, a
        key that starts with it, or one that contains it.
        """
        key = search_key(text)
        cas = normalize_cas(text)
        condition = Q(pk__in=[])
        if key:
            name_model = apps.get_model("substances", "Name")
            names = name_model.objects.filter(search_key__contains=key, substance=OuterRef("pk"))
            condition = (
                Q(search_key_en__contains=key) | Q(search_key_zh__contains=key) | Exists(names)
            )
        if cas:
            condition |= Q(cas=cas)
        return self.filter(condition)


class NameQuerySet(models.QuerySet):
    def matching(self, text: str):
        """Names whose normalized key contains the normalized `text`."""
        key = search_key(text)
        return self.filter(search_key__contains=key) if key else self.none()
