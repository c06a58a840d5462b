"""Read questions about substances, asked as querysets."""

import datetime

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

from substances.normalize import search_key


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

    def with_cas(self, *numbers: str):
        """Substances that have one of `numbers` (normalized CAS numbers) as their CAS number or
        as another of their numbers (a racemate's, a stereoisomer's, a group member's: names of
        kind `cas`)."""
        name_model = apps.get_model("substances", "Name")
        others = name_model.objects.filter(kind="cas", name__in=numbers).values("substance_id")
        return self.filter(Q(cas__in=numbers) | Q(pk__in=others))

    def ranked_search(self, text: str, **options):
        """What `text` finds, ranked: a `substances.search.SearchOutcome` (see that module,
        whose `search` takes the `options`: a window of the hits, a condition, an order).

        The one search of the registry: the public site, the API's `?q=`, the admin and the
        check's name look-up all ask it.
        """
        from substances import search  # the search reads the models this module serves

        return search.search(text, using=self.db, **options)

    def named(self, keys):
        """Substances with a name (preferred or other) whose search key is one of `keys`: the
        search's exact tier for many keys at once, as the check looks up a batch."""
        keys = [key for key in keys if key]
        names = apps.get_model("substances", "Name").objects.filter(search_key__in=keys)
        return self.filter(
            Q(search_key_en__in=keys)
            | Q(search_key_zh__in=keys)
            | Q(pk__in=names.values("substance_id"))
        )

    def search(self, text: str, *, close: bool = False):
        """The substances `text` finds (`ranked_search`), unranked: a condition the database
        applies as it reads, for a filter or a page in any order. Close spellings only with
        `close` (see `substances.search.matching`)."""
        from substances import search  # the search reads the models this module serves

        return self.filter(search.matching(text, close=close, using=self.db))

    def narrowed_to_page(self, ordering: list[str], after: list | None, reverse: bool, rows: int):
        """This queryset for a page of `rows` rows in `ordering` after the cursor `after`
        (registry.api.pagination): a search alone, read in uid order, reads only that window of
        its index (`substances.search.narrowed_to_page`). The same rows either way."""
        from substances import search  # the search reads the models this module serves

        return search.narrowed_to_page(self, ordering, after, reverse, rows)


class NameQuerySet(models.QuerySet):
    def matching(self, text: str):
        """Names whose normalized key contains the normalized `text`."""
        key = search_key(text)
        return self.filter(search_key__contains=key) if key else self.none()


class SubstanceClassQuerySet(models.QuerySet):
    def matching(self, text: str):
        """Classes whose English or Chinese name contains `text`, both compared as the search
        compares names (`search_key`: case, width, spacing, hyphens, Greek letters), a final
        plural "s" of the text aside: "fentanyl", "芬太尼", "synthetic cannabinoid" and
        "nitazenes" find their classes. Too short a text (one Chinese character, two Latin
        letters) finds none. The classes are few: their names are compared here, not in SQL."""
        rows = self.values_list("pk", "name_en", "name_zh").order_by()
        return self.filter(pk__in=class_names_matching(text, rows))


def class_names_matching(text: str, rows) -> list:
    """The keys of the rows (key, English name, Chinese name) whose names contain `text`, as
    `SubstanceClassQuerySet.matching` compares them: for a caller that holds the classes' names
    already and asks for many texts."""
    key = search_key(text)
    if len(key) < (3 if key.isascii() else 2):
        return []
    keys = {key, key[:-1]} if key.endswith("s") and len(key) > 3 else {key}
    return [
        pk
        for pk, name_en, name_zh in rows
        if any(k in search_key(name_en) or k in search_key(name_zh) for k in keys)
    ]
