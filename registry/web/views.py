"""The public site's pages: find a substance, see whether and how it is controlled, and why.

Every page answers for a day: today unless the visitor picks another (`?on=YYYY-MM-DD`). A bad
date or filter is said on the page, never turned into an error. Pages read what they show in a
fixed, small number of queries (the view tests count them), and what is costly to compute (the
chart, class coverage, drawings) is cached under the change feed's position, so
any change to the registry is seen at once.

A page translates a request into calls of the core and their results into HTML: the legal
history (registry.history), verdicts, class members and their drawings (registry.check), the
lists (registry.lists), drawings and files of structures (registry.depictions). No page reads
a structure itself.
"""

import dataclasses
import datetime
import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from registry import check as check_service
from registry import coverage as relation_words
from registry import depictions, filtersets, history, lists
from registry import jurisdictions as per_jurisdiction
from registry.cache import DERIVED_SECONDS, derived
from registry.models import Change, Instrument, Listing, Schedule, chinese_language, citation
from registry.stats import schedule_counts
from registry.verdicts import ClassBasis, ListingBasis
from registry.web import charts, phrases
from registry.web.forms import (
    CheckForm,
    DiffForm,
    ListFilterForm,
    OnDateForm,
    SearchForm,
    WhatsNewForm,
)
from registry.web.templatetags import web as web_tags
from registry.web.templatetags.web import loc
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass

PAGE_SIZE = 50
MAX_PAGE = 10**9
"""A page number read as the last page without asking the database to skip that many rows."""
LINKED_TYPES = {"substance", "schedule", "instrument", "class"}


# --- shared helpers -------------------------------------------------------------------------


def registry_version() -> str:
    """The registry's version (see `ChangeQuerySet.version`): every cache of the site is kept
    under it, so a change shows at once."""
    return Change.objects.version()


def _page_number(request) -> int:
    """The page asked for: the first for anything but a number or for a number below 1
    (Paginator.get_page shows the last page for 0 and below), at most MAX_PAGE."""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def _paginate(request, items, size: int = PAGE_SIZE):
    """The page asked for (`_page_number`), the last one for a number past it."""
    return Paginator(items, size).get_page(_page_number(request))


def _date_form(request) -> tuple[OnDateForm, datetime.date]:
    form = OnDateForm(request.GET or None)
    return form, form.chosen_date()


def _listings_today(on: datetime.date) -> Prefetch:
    """A substance's listings in force on `on`, with their lists, as `listings_on`."""
    return Prefetch(
        "listings",
        queryset=Listing.objects.in_force(on=on)
        .select_related("schedule")
        .order_by("schedule__sort_order"),
        to_attr="listings_on",
    )


# --- home -----------------------------------------------------------------------------------


def _counts_by_jurisdiction(counts) -> list[dict]:
    """The counts per list, grouped by jurisdiction (in the lists' order), with subtotals."""
    groups: dict[int, dict] = {}
    for c in counts:
        j = c.schedule.jurisdiction
        group = groups.setdefault(
            j.pk, {"jurisdiction": j, "counts": [], "substances": 0, "classes": 0}
        )
        group["counts"].append(c)
        group["substances"] += c.substances
        group["classes"] += c.classes
    return list(groups.values())


def home(request):
    form, on = _date_form(request)
    today = timezone.localdate()
    token = registry_version()
    chart_end = max(on, today)
    chart = derived(f"web:chart:{token}:{chart_end}", lambda: charts.build_chart(end=chart_end))
    counts = schedule_counts(on=on)
    context = {
        "form": form,
        "on": on,
        "today": today,
        "counts": counts,
        "count_groups": _counts_by_jurisdiction(counts),
        "total_substances": sum(c.substances for c in counts),
        "total_classes": sum(c.classes for c in counts),
        "chart": chart,
        "instruments": Instrument.objects.select_related("jurisdiction")
        .exclude(effective_on__isnull=True)
        .order_by("-effective_on", "-published_on", "uid")[:8],
        "changes": _describe_changes(Change.objects.order_by("-seq")[:10]),
        "search_form": SearchForm(),
    }
    return render(request, "web/home.html", context)


# --- changes --------------------------------------------------------------------------------


@dataclass
class DescribedChange:
    """A change of the feed, as the site shows it."""

    change: Change
    title: str
    url: str


def change_title(change: Change, names: dict[tuple[str, str], object] | None = None):
    """A change's subject in words and its page's address, from its stored representation.

    `names` maps ("substance" | "class" | "schedule", uid) to the object, so that a listing's
    change can name its subject and list rather than show their uids.
    """
    data = change.data or {}
    names = names or {}
    zh = chinese_language()
    if change.resource_type == "listing":
        kind = "substance" if data.get("substance") else "class"
        uid = data.get("substance") or data.get("class") or ""
        subject = names.get((kind, uid))
        schedule = names.get(("schedule", data.get("schedule", "")))
        subject_name = loc(subject) if subject else uid
        schedule_name = loc(schedule) if schedule else data.get("schedule", "")
        title = f"{subject_name} → {schedule_name}" if data else change.uid
    else:
        candidates = [
            (data.get("name_zh") or data.get("title_zh")) if zh else None,
            data.get("name_en"),
            data.get("reference"),
            data.get("title_en"),
            data.get("name"),
            data.get("code"),
        ]
        title = next((n for n in candidates if n), change.uid)
        kind, uid = change.resource_type, change.uid
        if kind == "name":
            kind, uid = "substance", data.get("substance", "")
        elif kind == "precursor_use":
            kind, uid = "substance", data.get("precursor", "")
    url = ""
    if kind in LINKED_TYPES and uid and change.action != Change.Action.DELETED:
        try:
            url = reverse(f"web:{kind}", kwargs={"uid": uid})
        except NoReverseMatch:
            url = ""
    return title, url


def listing_names(changes) -> dict[tuple[str, str], object]:
    """The subjects and lists that listing changes refer to, read in three queries at most."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        if change.resource_type == "listing" and change.data:
            if change.data.get("substance"):
                wanted["substance"].add(change.data["substance"])
            if change.data.get("class"):
                wanted["class"].add(change.data["class"])
            wanted["schedule"].add(change.data.get("schedule", ""))
    found: dict[tuple[str, str], object] = {}
    if not wanted:
        return found
    for kind, model in (
        ("substance", Substance),
        ("class", SubstanceClass),
        ("schedule", Schedule),
    ):
        # Always asked, even for nothing, so that a page's query count does not depend on
        # which kinds of change happen to be the latest.
        for obj in model.objects.filter(uid__in=sorted(wanted[kind]) or [""]).order_by():
            found[(kind, obj.uid)] = obj
    return found


def _describe_changes(changes) -> list[DescribedChange]:
    changes = list(changes)
    names = listing_names(changes)
    return [DescribedChange(c, *change_title(c, names)) for c in changes]


class _FeedNewestFirst:
    """The change feed, newest first, for a paginator: counted and sliced by sequence number.

    The feed is gap-free (see DESIGN.md), so its length is its last seq less its first, plus
    one, and a page is a range of seq numbers read from their index. Counting rows and paging
    with OFFSET would take time in proportion to the feed's length, a million changes and more.
    """

    def __init__(self) -> None:
        first = Change.objects.order_by("seq").values_list("seq", flat=True).first()
        self._last = Change.objects.head()
        self._first = first if first is not None else 1

    def count(self) -> int:
        return max(self._last - self._first + 1, 0)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice):
        newest, oldest = self._last - window.start, self._last - window.stop
        return list(Change.objects.filter(seq__gt=oldest, seq__lte=newest).order_by("-seq"))


def changes(request):
    page = _paginate(request, _FeedNewestFirst())
    return render(
        request,
        "web/changes.html",
        {"page": page, "changes": _describe_changes(page.object_list)},
    )


# --- the law's changes: between two dates, and day by day ----------------------------------

WHATS_NEW_DAYS = 12


def _group_by_schedule(entries: list[history.DiffEntry]) -> list[tuple]:
    """Entries grouped by their list, in the lists' order: [(schedule, [entries])]."""
    groups: dict[str, tuple] = {}
    for entry in entries:
        groups.setdefault(entry.schedule.uid, (entry.schedule, []))[1].append(entry)
    return list(groups.values())


def diff_page(request):
    """What a jurisdiction's lists gained, lost and moved between two dates."""
    today = timezone.localdate()
    params = request.GET.copy()
    params.setdefault("jurisdiction", "CN")
    form = DiffForm(params if request.GET else None)
    result = None
    if form.is_bound and form.is_valid() and form.cleaned_data.get("start"):
        data = form.cleaned_data
        result = history.diff(
            jurisdiction=data["jurisdiction"],
            start=data["start"],
            end=data["end"],
            schedule=data.get("schedule") or None,
        )
    if not form.is_bound:
        form = DiffForm(
            initial={
                "jurisdiction": "CN",
                "start": today.replace(year=today.year - 1, day=min(today.day, 28)),
                "end": today,
            }
        )
    context = {"form": form, "result": result, "chinese": chinese_language()}
    if result is not None:
        api_query = {
            "jurisdiction": result.jurisdiction,
            "from": result.start.isoformat(),
            "to": result.end.isoformat(),
        }
        if form.cleaned_data.get("schedule"):
            api_query["schedule"] = form.cleaned_data["schedule"]
        context.update(
            {
                "api_query": urlencode(api_query),
                "added_groups": _group_by_schedule(result.added),
                "removed_groups": _group_by_schedule(result.removed),
                "moved_groups": _group_by_schedule(result.moved),
            }
        )
    return render(request, "web/diff.html", context)


def whats_new(request):
    """The law's latest changes by effective date (not the registry's edit log)."""
    form = WhatsNewForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    before = data.get("before")
    days = history.legal_changes(
        jurisdiction=data.get("jurisdiction") or None,
        schedule=data.get("schedule") or None,
        until=before - datetime.timedelta(days=1) if before else None,
        days=WHATS_NEW_DAYS + 1,
    )
    older = (
        days[WHATS_NEW_DAYS].day + datetime.timedelta(days=1)
        if len(days) > WHATS_NEW_DAYS
        else None
    )
    days = days[:WHATS_NEW_DAYS]
    older_query = ""
    if older:
        keep = {k: v for k, v in request.GET.items() if k in ("jurisdiction", "schedule") and v}
        older_query = urlencode({**keep, "before": older.isoformat()})
    schedule = None
    if data.get("schedule"):
        schedule = Schedule.objects.filter(uid=data["schedule"]).first()
    return render(
        request,
        "web/whats_new.html",
        {
            "form": form,
            "days": [
                (
                    day,
                    _group_by_schedule(day.added),
                    _group_by_schedule(day.moved),
                    _group_by_schedule(day.removed),
                )
                for day in days
            ],
            "older_query": older_query,
            "schedule": schedule,
            "chinese": chinese_language(),
        },
    )


# --- search ---------------------------------------------------------------------------------


def search_page(request):
    form = SearchForm(request.GET or None)
    today = timezone.localdate()
    context = {"form": form, "today": today, "query": "", "outcome": None}
    if not form.is_valid():
        return render(request, "web/search.html", context)
    data = form.cleaned_data
    query = data.get("q") or ""
    context["query"] = query
    if not query:
        return render(request, "web/search.html", context)
    filtered = bool(data.get("schedule") or data.get("regime") or data.get("on"))
    listing_filters = {
        "schedule": data.get("schedule"),
        "regime": data.get("regime"),
        "in_force_on": data.get("on"),
    }
    within = None
    if filtered:  # the substances with a listing on the list, regime and day asked
        listings = Listing.objects.filter(substance__isnull=False)
        within = filtersets.select_listings(listings, listing_filters).values("substance_id")
    order = "rank"
    if data.get("sort") == "name":
        order = "name_zh" if chinese_language() else "name_en"
    schedule = data.get("schedule")
    question = (query, schedule.pk if schedule else None, data.get("regime"), data.get("on"))
    outcome, page = _search_page(request, query, repr((*question, order)), within, order)
    if not outcome.detected:  # read as a name: the whole classes it names, with their lists
        classes = SubstanceClass.objects.matching(query)
        if filtered:  # as the substances below: only classes on the list, regime and day asked
            listed = filtersets.select_listings(
                Listing.objects.filter(substance_class__isnull=False), listing_filters
            )
            classes = classes.filter(pk__in=listed.values("substance_class_id"))
        context["classes"] = check_service.class_controls(classes, on=today)
    hits = outcome.hits.for_substances(page.object_list)
    rows = _result_rows(list(page.object_list), today)
    results = [(rows[pk], hits[pk]) for pk in page.object_list if pk in rows]
    context.update(
        {
            "outcome": outcome,
            "page": page,
            "results": results,
            "total": outcome.kept,
            "filtered_out": outcome.total - outcome.kept,
        }
    )
    return render(request, "web/search.html", context)


@dataclass(frozen=True)
class ResultRow:
    """A search result as the page shows it, rendered (see `_result_rows`)."""

    uid: str
    name_en: str
    name_zh: str
    cas: str
    name_html: str  # its name, a link to its page, and its name in the other language
    status_html: str  # its status today (`status_today`) and since when (`since_line`)


@functools.cache
def _result_release() -> str:
    """What a kept search result was rendered with, as a digest: the shape of `ResultRow`, its
    templates, the template filters, the code that works out a standing and says a relation
    (`registry.check`, `registry.coverage`) and the compiled translations. A release that
    changes any of them, in a rolling deployment too, renders its own rows."""
    digest = hashlib.sha256(repr(dataclasses.fields(ResultRow)).encode())
    files = [
        Path(get_template(name).origin.name)
        for name in (
            "web/includes/search_result_name.html",
            "web/includes/search_result_status.html",
        )
    ]
    files += [Path(module.__file__) for module in (web_tags, check_service, relation_words)]
    files += sorted(p for root in settings.LOCALE_PATHS for p in Path(root).rglob("*.mo"))
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _result_rows(ids: list[int], today: datetime.date) -> dict[int, ResultRow]:
    """Per substance id, its search result as the page shows it whatever the query: its name
    (a link), its CAS number, and its status today with the lists, relations and classes that
    make it (`status_today`) and since when it has been controlled (`since_line`).

    A result is the same on every page that shows it until the registry or the day changes:
    rendered once, it is kept under the registry's version, the day, the language and the
    path the site is served under, and a page renders only the results not kept. Rendering
    one costs its listings, its relations and the classes around it, and most of a page's
    time went there (50 results a page). The key also names the release (`_result_release`),
    so that no worker reads a row a release before it rendered.
    """
    prefix = ":".join(
        (
            f"web:result:{_result_release()}",
            registry_version(),
            today.isoformat(),
            get_language(),
            get_script_prefix(),
        )
    )
    keys = {pk: f"{prefix}:{pk}" for pk in ids}
    kept = cache.get_many(list(keys.values()))
    rows = {pk: kept[key] for pk, key in keys.items() if key in kept}
    missing = [pk for pk in ids if pk not in rows]
    if not missing:
        return rows
    found = list(Substance.objects.filter(pk__in=missing).prefetch_related(_listings_today(today)))
    # The classes that cover each result, and since when it has been controlled without a
    # break (from its class's start when a class came first), as the check counts.
    standings = check_service.standings(found, on=today)
    name, status = (
        get_template("web/includes/search_result_name.html"),
        get_template("web/includes/search_result_status.html"),
    )
    made = {}
    for substance in found:  # beside its listings in force today (`listings_on`)
        substance.standing = standings[substance.pk]
        made[substance.pk] = ResultRow(
            uid=substance.uid,
            name_en=substance.name_en,
            name_zh=substance.name_zh,
            cas=substance.cas,
            # Rendered by the templates, which escape what they insert.
            name_html=mark_safe(name.render({"s": substance}).strip()),
            status_html=mark_safe(status.render({"s": substance}).strip()),
        )
    cache.set_many({keys[pk]: row for pk, row in made.items()}, DERIVED_SECONDS)
    return rows | made


def _search_page(request, query: str, question: str, within, order: str) -> tuple:
    """The page of hits asked for (`_page_number`; the last one for a number past it), ranked in the
    database: (the search's outcome with that page's hits, the page). `question` says
    everything the page depends on besides the registry and its number.

    A page changes only with the registry: kept under its version, a question many people
    ask is ranked once (at a million substances a common name takes the database a few
    hundred milliseconds to rank), and a write is seen by the next search.
    """
    number = _page_number(request)
    digest = hashlib.sha256(question.encode()).hexdigest()

    def read(number: int):
        return derived(
            f"web:search:p2:{registry_version()}:{digest}:{number}",
            lambda: Substance.objects.ranked_search(
                query, within=within, order=order, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
            ),
        )

    outcome = read(number)
    paginator = Paginator(range(outcome.kept), PAGE_SIZE)
    if number > paginator.num_pages:
        number = paginator.num_pages
        outcome = read(number)
    return outcome, Page(outcome.hits.substance_ids, number, paginator)


# --- substance ------------------------------------------------------------------------------


def substance_detail(request, uid: str):
    today = timezone.localdate()
    substance = get_object_or_404(
        Substance.objects.prefetch_related(
            Prefetch("names", queryset=Name.objects.order_by("language", "kind", "name")),
            Prefetch(
                "uses", queryset=PrecursorUse.objects.select_related("product").order_by("id")
            ),
            Prefetch(
                "precursor_uses",
                queryset=PrecursorUse.objects.select_related("precursor").order_by("id"),
            ),
        ),
        uid=uid,
    )
    legal = history.subject_history(substance=substance, on=today)
    listings, in_force = legal.listings, legal.in_force
    # The listings that reach it through its relations (as a form, a member, a single-ingredient
    # preparation), with the reason, from the same core that answers the check.
    both_ways = list(
        Relation.objects.filter(Q(subject=substance) | Q(target=substance))
        .select_related("subject", "target")
        .order_by("kind", "subject__name_en", "target__name_en")
    )
    relations = [r for r in both_ways if r.subject_id == substance.pk]
    inverse_relations = [r for r in both_ways if r.target_id == substance.pk]
    related = {r.target_id for r in relations} | {r.subject_id for r in inverse_relations}
    covered_through, not_covered = (
        check_service.reach_through(substance, on=today)
        if any(r.kind in Relation.CHAINED or r.kind == "contains" for r in relations)
        # an entry for it (in bulk, under another name) reaches it too, read the other way
        or any(r.form == Relation.Form.ENTRY for r in inverse_relations)
        else ([], {})
    )
    isomers = []
    if substance.skeleton_key:
        isomers = list(
            Substance.objects.filter(skeleton_key=substance.skeleton_key)
            .exclude(pk=substance.pk)
            .exclude(pk__in=related)
            .order_by("name_en")
        )
    class_matches = check_service.substance_classes(substance, today)
    # A class whose definition also asks what a structure cannot show (CB1 agonism) makes it
    # a member or not: said apart, and not counted as control.
    possible_classes = [m for m in class_matches if m.condition]
    class_matches = [m for m in class_matches if not m.condition]
    names = list(substance.names.all())
    # Entries that may reach it as a positional isomer of theirs: uncertain, as the check says.
    feed_seq, version = Change.objects.position()
    isomer_of = check_service.positional_isomer_of(substance, today, version=version)
    # A preparation on one list or another, an entry for a group answered from its members, a
    # compound that an entry on another list names in one form or setting (cannabis,
    # dextropropoxyphene): as the check answers the record.
    asked = (
        check_service.record_check(substance, on=today)
        if substance.kind == Substance.Kind.PREPARATION
        or any(
            r.kind == Relation.Kind.MEMBER_OF or r.form == Relation.Form.ENTRY
            for r in inverse_relations
        )
        else None
    )
    context = {
        "substance": substance,
        "isomer_of": isomer_of,
        "today": today,
        "names_by_language": _group_names(names),
        "listings": listings,
        "in_force": in_force,
        "covered_through": covered_through,
        "relations": relations,
        "inverse_relations": inverse_relations,
        "events": legal.events,
        "ever_listed": bool(listings),
        "class_matches": class_matches,
        "possible_classes": possible_classes,
        "isomers": isomers,
        "svg": depictions.structure_svg(substance.smiles, **depictions.RECORD_DRAWING),
        "controlled": bool(in_force or covered_through or class_matches),
        "by_jurisdiction": _side_by_side(
            listings,
            [*class_matches, *possible_classes],
            covered_through,
            today,
            isomer_of,
            *check_service.preparation_reasons(substance, on=today),
            not_covered,
            check_service.members_reasons(asked),
            check_service.one_entry_or_another(asked),
        ),
        "links_out": depictions.records_elsewhere(substance),
        "feed_seq": feed_seq,
        "page_url": request.build_absolute_uri(substance.get_absolute_url()),
    }
    return render(request, "web/substance.html", context)


def _side_by_side(
    listings,
    class_matches,
    covered_through,
    today,
    isomer_of=(),
    preparation_open=None,
    preparation_closed=None,
    not_covered=None,
    members_open=None,
    one_or_another=None,
) -> list[dict]:
    """The substance's status in each jurisdiction: lists in force (its own, and those that
    reach it through its relations), classes, the entries it may be a positional isomer of
    and, for a preparation, why its answer is open (`preparation_open`, uncertain, as the check
    answers) or why its ingredient's entry leaves it out (`preparation_closed`), past listings,
    why a list that a relation reaches does not cover it (`not_covered`), and, for an entry
    for a group, which of its members are controlled where nothing answers for the entry
    itself (`members_open`, uncertain, as the check answers), and the lists a preparation is on
    one of, where its record does not say which (`one_or_another`, with why); each by code."""
    among = per_jurisdiction.jurisdictions()
    named = per_jurisdiction.side_by_side(listings, today, among)
    classes = per_jurisdiction.verdicts(NOT_CONTROLLED, class_matches, among)

    def alternatives(n) -> dict:
        """The lists it is on one of that the row does not show already, and why."""
        lists, why = (one_or_another or {}).get(n.jurisdiction.code, ([], ""))
        shown = {li.schedule.code for li in n.in_force} | {
            t.listing.schedule.code
            for t in covered_through
            if t.listing.schedule.jurisdiction_id == n.jurisdiction.pk
        }
        return {"alternatives": [s for s in lists if s.code not in shown], "one_or_another": why}

    return [
        {
            **alternatives(n),
            "jurisdiction": n.jurisdiction,
            "in_force": n.in_force,
            "past": len(n.history) - len(n.in_force),
            "classes": [
                m for m in class_matches if m.listed.schedule.jurisdiction == c.jurisdiction
            ],
            "through": _one_per_list(covered_through, n.jurisdiction.pk),
            "controlled": n.controlled
            or c.status == per_jurisdiction.CONTROLLED
            or any(
                t.listing.schedule.jurisdiction_id == n.jurisdiction.pk for t in covered_through
            ),
            "isomer_of": [
                (listing, record)
                for listing, record in isomer_of
                if listing.schedule.jurisdiction_id == n.jurisdiction.pk
            ],
            "uncertain": c.status == per_jurisdiction.UNCERTAIN,
            "preparation_of": (preparation_open or {}).get(n.jurisdiction.code, ""),
            "members_of": (members_open or {}).get(n.jurisdiction.code, ""),
            "not_covered": (not_covered or {}).get(n.jurisdiction.code, "")
            or (preparation_closed or {}).get(n.jurisdiction.code, ""),
        }
        for n, c in zip(named, classes, strict=True)
    ]


NOT_CONTROLLED = per_jurisdiction.NOT_CONTROLLED


def _one_per_list(covered_through, jurisdiction_pk) -> list:
    """The coverages of one jurisdiction, the first for each list: an extract reaches UN Table I
    through each of its alkaloids, and the table names the list once."""
    seen, out = set(), []
    for coverage in covered_through:
        listing = coverage.listing
        if listing.schedule.jurisdiction_id == jurisdiction_pk and listing.schedule_id not in seen:
            seen.add(listing.schedule_id)
            out.append(coverage)
    return out


def _structure_download(request, uid: str, *, sdf: bool) -> HttpResponse:
    substance = get_object_or_404(Substance, uid=uid)
    if not substance.smiles:
        raise Http404("This entry has no structure.")
    url = request.build_absolute_uri(substance.get_absolute_url())
    text = depictions.structure_file(substance, url=url, sdf=sdf)
    if text is None:
        raise Http404("This entry's structure cannot be written.")
    extension = "sdf" if sdf else "mol"
    response = HttpResponse(
        text.encode("utf-8"), content_type="chemical/x-mdl-" + ("sdfile" if sdf else "molfile")
    )
    response["Content-Disposition"] = f'attachment; filename="{substance.uid}.{extension}"'
    return response


def substance_mol(request, uid: str):
    """The substance's structure as an MDL molfile."""
    return _structure_download(request, uid, sdf=False)


def substance_sdf(request, uid: str):
    """The substance's structure as an SD file, with its names, CAS number and address."""
    return _structure_download(request, uid, sdf=True)


def _group_names(names: list[Name]) -> list[tuple[str, str, list[Name]]]:
    """Other names grouped by language, the page's language first."""
    labels = dict(Name.Language.choices)
    order = ["zh", "en", "und"] if chinese_language() else ["en", "zh", "und"]
    grouped = defaultdict(list)
    for name in names:
        grouped[name.language].append(name)
    return [(code, labels.get(code, code), grouped[code]) for code in order if grouped[code]]


# --- schedules ------------------------------------------------------------------------------


def schedule_list(request):
    form, on = _date_form(request)
    counts = {c.schedule.pk: c for c in schedule_counts(on=on, include_empty=True)}
    schedules = [(c.schedule, c) for c in counts.values()]
    return render(request, "web/schedule_list.html", {"form": form, "on": on, "rows": schedules})


def _schedule_and_entries(request, uid: str):
    schedule = get_object_or_404(Schedule.objects.select_related("jurisdiction"), uid=uid)
    form = ListFilterForm(request.GET or None)
    on = form.chosen_date()
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    return schedule, form, on, query, lists.official_list(schedule, on=on, query=query)


def schedule_detail(request, uid: str):
    """A list as the office publishes it: every entry in force on the day, in item order."""
    schedule, form, on, query, entries = _schedule_and_entries(request, uid)
    totals = Listing.objects.filter(schedule=schedule).aggregate(
        ever=Count("id"),
        first=Min("effective_from"),
    )
    download = {"on": on.isoformat()}
    if query:
        download["q"] = query
    rows = lists.item_rows(entries)
    return render(
        request,
        "web/schedule.html",
        {
            "schedule": schedule,
            "form": form,
            "on": on,
            "query": query,
            "entries": entries,
            "rows": rows,
            "items": sum(1 for _entry, span in rows if span),
            "totals": totals,
            "download_query": urlencode(download),
            "chinese": chinese_language(),
            "any_made_in_china": any(e.produced_in_china for e in entries),
            "unrecorded": not schedule.jurisdiction.records_reach(on),
        },
    )


def _download_name(schedule: Schedule, on: datetime.date, extension: str) -> str:
    return f"{schedule.uid}-{on.isoformat()}.{extension}"


def schedule_csv(request, uid: str):
    """The list on a day as UTF-8 CSV, one row per entry in item order, with a header row."""
    schedule, _form, on, _query, entries = _schedule_and_entries(request, uid)
    body = lists.csv_text([h for _, h in lists.COLUMNS], lists.entry_rows(entries))
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    name = _download_name(schedule, on, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def schedule_xlsx(request, uid: str):
    """The list on a day as an XLSX workbook (same columns as the CSV)."""
    schedule, _form, on, _query, entries = _schedule_and_entries(request, uid)
    body = lists.xlsx_bytes(schedule.code, [h for _, h in lists.COLUMNS], lists.entry_rows(entries))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = _download_name(schedule, on, "xlsx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- instruments ----------------------------------------------------------------------------


def instrument_list(request):
    made = Listing.objects.filter(listed_by=OuterRef("pk")).order_by().values("listed_by")
    ended = Listing.objects.filter(ended_by=OuterRef("pk")).order_by().values("ended_by")
    instruments = (
        Instrument.objects.select_related("jurisdiction")
        .annotate(
            # An instrument that ended nothing has no row to count: 0, not NULL ("None").
            n_made=Coalesce(Subquery(made.annotate(n=Count("id")).values("n")), 0),
            n_ended=Coalesce(Subquery(ended.annotate(n=Count("id")).values("n")), 0),
        )
        .order_by("-effective_on", "uid")
    )
    return render(request, "web/instrument_list.html", {"instruments": instruments})


@dataclass
class ListingRow:
    """One listing as an instrument page shows it: plain values, ready to print.

    Announcements such as the 2025 reorganisation touch hundreds of entries; rows made of plain
    values keep such a page fast where model instances and per-row lookups would not.
    """

    subject: tuple[str, int]
    name: str
    other_name: str
    url: str
    is_class: bool
    schedule: str
    item_number: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    listed_by_id: int
    ended_by_id: int | None
    listed_by: tuple[str, str]  # (label, url)
    ended_by: tuple[str, str] | None


def _url_maker(name: str):
    """A fast maker of `web:<name>` addresses: reverse once, then fill in the uid."""
    template = reverse(f"web:{name}", kwargs={"uid": "UID"})
    return lambda uid: template.replace("UID", uid)


def _listing_rows(changes: history.InstrumentChanges):
    """The instrument's added, moved and removed listings as rows in the page's language:
    (added rows, moves as (rows before, row after), removed rows, continued rows)."""
    zh = chinese_language()
    substance_url, class_url, instrument_url = (
        _url_maker("substance"),
        _url_maker("class"),
        _url_maker("instrument"),
    )

    def pick(en: str, other: str) -> tuple[str, str]:
        first, second = (other or en, en) if zh else (en or other, other)
        return first, second if second != first else ""

    def cite(ref: history.InstrumentRef | None) -> tuple[str, str] | None:
        if ref is None:
            return None
        return citation(ref.reference, ref.title_en, ref.title_zh), instrument_url(ref.uid)

    def row(facts: history.ListingFacts) -> ListingRow:
        name, other = pick(facts.name_en, facts.name_zh)
        return ListingRow(
            subject=facts.subject,
            name=name,
            other_name=other,
            url=(class_url if facts.is_class else substance_url)(facts.subject_uid),
            is_class=facts.is_class,
            schedule=pick(facts.schedule_name, facts.schedule_name_zh)[0],
            item_number=facts.item_number,
            effective_from=facts.effective_from,
            effective_to=facts.effective_to,
            listed_by_id=facts.listed_by_id,
            ended_by_id=facts.ended_by_id,
            listed_by=cite(facts.listed_by),
            ended_by=cite(facts.ended_by),
        )

    return (
        [row(f) for f in changes.added],
        [([row(b) for b in before], row(after)) for before, after in changes.moves],
        [row(f) for f in changes.removed],
        [row(f) for f in changes.continued],
    )


@dataclass
class RowGroup:
    """Rows that share their lists (and, for moves, the instruments of the other half)."""

    key: tuple
    rows: list[ListingRow] = field(default_factory=list)


def _group_rows(rows: list[ListingRow], key) -> list[RowGroup]:
    groups: dict[tuple, RowGroup] = {}
    for row in rows:
        k = key(row)
        groups.setdefault(k, RowGroup(k)).rows.append(row)
    return list(groups.values())


def _group_moves(moves, instrument: Instrument) -> list[RowGroup]:
    """Moves grouped by (from lists, to list, other instruments involved)."""

    def key(move) -> tuple:
        before, row = move
        others = {b.ended_by for b in before if b.ended_by_id != instrument.pk}
        if row.listed_by_id != instrument.pk:
            others.add(row.listed_by)
        return (
            tuple(sorted({b.schedule for b in before})),
            row.schedule,
            tuple(sorted(o for o in others if o)),
        )

    groups: dict[tuple, RowGroup] = {}
    for move in moves:
        k = key(move)
        groups.setdefault(k, RowGroup(k)).rows.append(move[1])
    return list(groups.values())


def instrument_detail(request, uid: str):
    """What one instrument did: the entries it added, moved and removed (see
    `registry.history.instrument_changes`)."""
    instrument = get_object_or_404(Instrument.objects.select_related("jurisdiction"), uid=uid)
    added, moves, removed, continued = _listing_rows(history.instrument_changes(instrument))
    context = {
        "instrument": instrument,
        "added": added,
        "moves": moves,
        "removed": removed,
        "continued": continued,
        "continued_groups": _group_rows(continued, lambda row: (row.schedule,)),
        "added_groups": _group_rows(added, lambda row: (row.schedule,)),
        "removed_groups": _group_rows(removed, lambda row: (row.schedule,)),
        "move_groups": _group_moves(moves, instrument),
        "issuers": [
            phrases.issuer_name(i, chinese=chinese_language())
            for i in instrument.issuers.split(";")
            if i.strip()
        ],
    }
    return render(request, "web/instrument.html", context)


# --- classes --------------------------------------------------------------------------------


def class_list(request):
    today = timezone.localdate()
    classes = SubstanceClass.objects.annotate(
        n_rules=Count("rules", distinct=True),
        in_force=Exists(Listing.objects.in_force(on=today).filter(substance_class=OuterRef("pk"))),
    ).order_by("name_en")
    return render(request, "web/class_list.html", {"classes": classes, "today": today})


def _examples(examples) -> list[dict]:
    """A class's worked examples as rows of name (and its Chinese name, where the data gives
    one), SMILES, expected membership and why."""
    rows = []
    for example in examples if isinstance(examples, list) else []:
        if isinstance(example, dict):
            expected = example.get("expected")
            rows.append(
                {
                    "name": str(example.get("name", "")),
                    "name_zh": str(example.get("name_zh", "")),
                    "smiles": str(example.get("smiles", "")),
                    "expected": expected if isinstance(expected, bool) else None,
                    "why": str(example.get("why", "")),
                    "why_zh": str(example.get("why_zh", "")),
                }
            )
        elif example:
            rows.append(
                {
                    "name": str(example),
                    "name_zh": "",
                    "smiles": "",
                    "expected": None,
                    "why": "",
                    "why_zh": "",
                }
            )
    return rows


def _examples_on(legal) -> datetime.date | None:
    """The day a class's examples are checked on when it is in force today no longer: the last
    day one of its listings was (a link checking today would answer what the class no longer
    decides); None when it is in force, or was never listed."""
    if legal.in_force or not legal.listings:
        return None
    ends = [li.effective_to for li in legal.listings if li.effective_to]
    return max(ends) - datetime.timedelta(days=1) if ends else None


def class_detail(request, uid: str):
    today = timezone.localdate()
    cls = get_object_or_404(SubstanceClass.objects.prefetch_related("rules"), uid=uid)
    legal = history.subject_history(substance_class=cls, on=today)
    member_ids = check_service.class_members(cls)
    members = _paginate(
        request,
        Substance.objects.filter(pk__in=member_ids)
        .prefetch_related(_listings_today(today))
        .order_by("name_en"),
    )
    for member in members.object_list:  # whether the class's entries in force claim it
        member.not_claimed = check_service.why_not_claimed(
            cls, legal.in_force, member, {li.schedule.uid for li in member.listings_on}
        )
    context = {
        "cls": cls,
        "today": today,
        "rules": [(rule, depictions.pattern_svg(rule.smarts)) for rule in cls.rules.all()],
        "listings": legal.listings,
        "events": legal.events,
        "in_force": legal.in_force,
        "members": members,
        "reference_svg": depictions.structure_svg(cls.reference_smiles),
        "examples": _examples(cls.examples),
        "examples_on": _examples_on(legal),
        # China's acts are authoritative in Chinese; another jurisdiction's definition is in
        # English, and its Chinese is a translation for reference.
        "chinese_authoritative": not legal.listings
        or any(li.schedule.jurisdiction.code == "CN" for li in legal.listings),
        # The acts' own wording, where a class entry records it (China, 2019: the fentanyls).
        "wordings": [
            listing for listing in legal.listings if listing.attributes.get("legal_text_zh")
        ],
    }
    return render(request, "web/class.html", context)


# --- check ----------------------------------------------------------------------------------


@dataclass
class CheckVerdict:
    """One verdict of the check, as the page shows it: with its drawing, its matches by basis,
    and its status in each jurisdiction."""

    result: check_service.CheckResult
    svg: str
    listing_matches: list[ListingBasis]
    class_matches: list[ClassBasis]
    # class bases whose definitions also ask what a structure cannot show (said apart)
    possible_matches: list[ClassBasis] = field(default_factory=list)
    by_jurisdiction: list = field(default_factory=list)
    # (code, first day, whether that day is where the registry's record starts: control may be
    # older) for each jurisdiction in the result's `since`
    since: list = field(default_factory=list)


def check_page(request):
    query = request.GET
    if len(query.getlist("items")) > 1:
        # A link with items=a&items=b: each is checked, not only the last.
        query = query.copy()
        query["items"] = "\n".join(query.getlist("items"))
    form = CheckForm(query or None)
    context = {"form": form, "results": None}
    if form.is_bound and form.is_valid():
        on = form.chosen_date()
        results = check_service.check_items(form.cleaned_data["items"], on=on, suggest=True)
        context["on"] = on
        among = per_jurisdiction.jurisdictions()
        records_from = {j.code: j.records_from.isoformat() for j in among if j.records_from}
        context["results"] = [
            CheckVerdict(
                result=r,
                svg=r.drawing(),
                listing_matches=[m for m in r.matches if isinstance(m, ListingBasis)],
                class_matches=[
                    m for m in r.matches if isinstance(m, ClassBasis) and not m.condition
                ],
                possible_matches=[
                    m for m in r.matches if isinstance(m, ClassBasis) and m.condition
                ],
                by_jurisdiction=per_jurisdiction.verdicts_of(r, among),
                since=[
                    (code, day, day == records_from.get(code), code in r.since_at_latest)
                    for code, day in r.since.items()
                ],
            )
            for r in results
        ]
    return render(request, "web/check.html", context)


# --- the site's icon ------------------------------------------------------------------------

FAVICON = "web/favicon.svg"
FAVICON_MAX_AGE = 24 * 3600


@require_safe
def favicon(request):
    """The site's icon where browsers and crawlers ask for it unbidden (/favicon.ico): a
    redirect to the icon among the static files, which every page links to. Temporary, and
    kept a day: the static file's address changes with its content (hashed names)."""
    response = HttpResponseRedirect(static(FAVICON))
    patch_cache_control(response, public=True, max_age=FAVICON_MAX_AGE)
    return response
