"""What the public pages derive with RDKit, made ahead of their visitors.

A substance page shows the whole classes its structure falls under and a drawing of it; a
search page, the classes that cover each result; a class page, its members and the drawings of
its rules. Each is worked out once and kept in the shared cache (`registry.cache.derived`):

- the class verdicts of a structure, under every class's rules and under those of the classes
  in force on a day, kept by structure and rules (they outlive writes to anything else);
- drawings, kept by content (those of the first `WARM_DRAWINGS_MAX` structures by id: 6-8 KB
  each, a national registry's fit in a few MB, a million synthetic ones would not);
- the classes a substance page shows, kept per registry version and day (a write makes them
  anew: a class listing's dates or a record's own lists can change them);
- the isomer signatures a substance page reads to say whether the record may be a positional
  isomer of an entry's (US hallucinogens), kept by structure: those of the entries' records and
  of the records that share a formula with one.

Worked out by the web worker that first needs one, they bring RDKit (and numpy) into it, 65-70
MB that stay until the worker is replaced. `warm` works them all out ahead instead: at release
(`manage.py warm_pages`), after every write when a Celery broker is configured (the task
`registry.warm_pages`, queued once the write has committed), and once a day just after
midnight, when the day in the keys changes (docs/deployment.md). What was kept already is read
back and skipped, so a run after one write works out only what that write changed. A page
asked before its values are made still works them out itself: the answer never waits for the
job.

The same runs rank the SQLite search document again where a write left a substance without a
rank (`substances.search.order_document`): its search pages read it apart until then.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from registry import check, depictions
from substances import search
from substances.models import Substance, SubstanceClass

log = logging.getLogger(__name__)

CHUNK = 1000
"""Structures read, looked up in the cache and worked out at a time."""


@dataclass
class Warmed:
    """How many values a run worked out (those already kept are not counted)."""

    structures: int = 0
    class_verdicts: int = 0
    drawings: int = 0
    substance_classes: int = 0
    isomer_signatures: int = 0
    classes: int = 0
    ranked: int = 0  # search documents ranked anew (`substances.search.order_document`)


def warm(
    on: datetime.date | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    refresh: bool = False,
) -> Warmed:
    """Work out and keep what the public pages of `on` (today by default) derive with RDKit,
    where it is not kept yet. With `refresh` (the daily run), what is kept already is kept anew
    (`registry.cache.KEPT_AHEAD_SECONDS`), so that nothing made ahead runs out."""
    on = on or timezone.localdate()
    done = Warmed()
    # A substance written where its neighbours in uid order left no room has no rank in the
    # search document, and every search page reads it apart: ranked again here, on the run that
    # follows each write (with a Celery broker) and the daily one, not only by the next load.
    done.ranked = search.order_document()
    total = Substance.objects.exclude(smiles="").count()
    for chunk in _chunks():
        structures = sorted({s.smiles for s in chunk})
        room = settings.WARM_DRAWINGS_MAX - done.structures
        done.structures += len(chunk)
        done.class_verdicts += check.keep_class_verdicts(structures, on, refresh=refresh)
        if room > 0:
            done.drawings += depictions.keep_drawings(
                structures[:room], **depictions.RECORD_DRAWING, refresh=refresh
            )
        done.substance_classes += check.keep_substance_classes(chunk, on, refresh=refresh)
        done.isomer_signatures += check.keep_isomer_signatures(chunk, refresh=refresh)
        if progress:
            progress(f"{done.structures:,} of {total:,} structures")
    for cls in SubstanceClass.objects.prefetch_related("rules").order_by("uid"):
        check.keep_class_members(cls, refresh=refresh)
        for rule in cls.rules.all():
            depictions.keep_pattern_drawing(rule.smarts, refresh=refresh)
        # (the class page draws its reference at structure_svg's own size)
        depictions.keep_drawings([cls.reference_smiles], width=300, height=220, refresh=refresh)
        done.classes += 1
    return done


def _chunks() -> Iterator[list[Substance]]:
    """The substances with a structure, `CHUNK` at a time, by id."""
    last = 0
    while True:
        chunk = list(
            Substance.objects.exclude(smiles="")
            .filter(pk__gt=last)
            .only("pk", "smiles", "formula")
            .order_by("pk")[:CHUNK]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


# --- after a write --------------------------------------------------------------------------

QUEUED_KEY = "warming:queued"
RUNNING_KEY = "warming:running"
AGAIN_KEY = "warming:again"
RUN_SECONDS = 3600
"""How long a run may hold the flag that keeps a second one from starting meanwhile."""


def on_commit() -> None:
    """Have `after_write` run once the current transaction commits: once per transaction, however
    many changes it records (`registry.services.record_change` calls this for each)."""
    connection = transaction.get_connection()
    # Where it was registered, looked at directly: a transaction of 100,000 changes holds as
    # many callbacks (the cache's bump), too many to search for each change. A rollback gives
    # the connection a new list, where the place no longer holds it.
    pending, at = connection.run_on_commit, getattr(connection, "_warming_at", None)
    if at is not None and at < len(pending) and pending[at][1] is after_write:
        return
    transaction.on_commit(after_write)
    connection._warming_at = len(connection.run_on_commit) - 1


def after_write() -> None:
    """Queue a run, once a write has committed. Only with a Celery broker: without one there is
    no shared cache to fill and no process but the web workers' to fill it.

    One run is queued at a time: writes that commit before the queued run starts ask only that
    it go round once more (`warm_once_at_a_time`)."""
    from registry import jobs

    if not jobs.uses_broker():
        return
    if not cache.add(QUEUED_KEY, 1, RUN_SECONDS):
        cache.set(AGAIN_KEY, 1, RUN_SECONDS)
        return
    try:
        _queue_run()
    except Exception:  # the broker away: the pages work their values out themselves
        cache.delete(QUEUED_KEY)
        log.exception("the warming of the public pages could not be queued")


def _queue_run() -> None:
    import config.celery  # noqa: F401  (the application, configured from the settings)
    from registry.tasks import warm_pages

    warm_pages.apply_async()


def warm_once_at_a_time() -> Warmed | None:
    """`warm`, unless a run is under way: then that run goes round once more when it ends, so
    that the writes it did not see are seen. None when it was left to that run."""
    cache.delete(QUEUED_KEY)  # a write from now on queues another run
    if not cache.add(RUNNING_KEY, 1, RUN_SECONDS):
        cache.set(AGAIN_KEY, 1, RUN_SECONDS)
        return None
    try:
        while True:
            cache.delete(AGAIN_KEY)
            done = warm()
            if not cache.get(AGAIN_KEY):
                return done
    finally:
        cache.delete(RUNNING_KEY)
