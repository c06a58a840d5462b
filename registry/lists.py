"""A list as the office publishes it: every entry in force on a day, in the official item order.

The gazette prints a list as numbered items (序号), each with its Chinese and English name, its
CAS number and what the entry covers; the registry keeps the item number of every listing, so the
list on any date can be printed in that order. The site's list page, its CSV and XLSX downloads
and the API's CSV all read the list through `official_list`, so they cannot disagree.
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q

from registry import spreadsheet
from registry.models import Listing, Schedule

_NUMBER_PARTS = re.compile(r"(\d+)")
# Where a row of `official_list`'s query holds the listing's first day.
_SINCE = 12


@dataclass(frozen=True)
class ListEntry:
    """One entry of a list in force on a day: a named substance or a whole class."""

    item_number: str
    subject_type: str  # "substance" or "class"
    uid: str
    name_zh: str
    name_en: str
    cas: str
    scope: str
    effective_from: datetime.date
    produced_in_china: bool
    instrument_uid: str
    instrument_reference: str
    instrument_title_en: str
    instrument_title_zh: str

    @property
    def is_class(self) -> bool:
        return self.subject_type == "class"

    @property
    def instrument(self) -> str:
        """The instrument as cited: its number, or its title when it has no known number."""
        reference = self.instrument_reference
        if reference and not reference.lower().startswith("no number"):
            return reference
        return self.instrument_title_zh or self.instrument_title_en or reference


def item_order(item_number: str) -> tuple:
    """A sort key that puts items in the gazette's order: 2 before 10, 12a after 12.

    Entries without a number (rare; added by a later instrument that gave none) come last.
    """
    if not item_number:
        return (1, ())
    parts = _NUMBER_PARTS.split(item_number.strip())
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p))


def official_list(schedule: Schedule, *, on: datetime.date, query: str = "") -> list[ListEntry]:
    """Every entry of `schedule` in force on `on`, in item order, optionally filtered.

    `query` keeps the entries whose item number, Chinese or English name, CAS number or scope
    contains it (case-insensitive). One query; the lists hold a few hundred entries at most.
    """
    rows = (
        Listing.objects.filter(schedule=schedule)
        .in_force(on=on)
        .order_by()
        .values_list(
            "pk",
            "substance_id",
            "substance_class_id",
            "item_number",
            "substance__uid",
            "substance__name_zh",
            "substance__name_en",
            "substance__cas",
            "substance_class__uid",
            "substance_class__name_zh",
            "substance_class__name_en",
            "scope",
            "effective_from",
            "attributes",
            "listed_by__uid",
            "listed_by__reference",
            "listed_by__title_en",
            "listed_by__title_zh",
        )
    )
    rows = list(rows)
    runs = _runs_from(schedule, rows)  # since when, without a break
    entries = []
    for (
        pk,
        _substance_id,
        _class_id,
        item,
        s_uid,
        s_zh,
        s_en,
        cas,
        c_uid,
        c_zh,
        c_en,
        scope,
        since,
        attributes,
        i_uid,
        i_ref,
        i_en,
        i_zh,
    ) in rows:
        is_class = s_uid is None
        run = runs.get(pk)
        if run is not None:
            # Held without a break since an earlier listing on this list (a restated entry):
            # since then, by the act that began it, as the subject's page says.
            since, act = run.effective_from, run.listed_by
            i_uid, i_ref, i_en, i_zh = act.uid, act.reference, act.title_en, act.title_zh
        entries.append(
            ListEntry(
                item_number=item or "",
                subject_type="class" if is_class else "substance",
                uid=c_uid if is_class else s_uid,
                name_zh=(c_zh if is_class else s_zh) or "",
                name_en=(c_en if is_class else s_en) or "",
                cas="" if is_class else (cas or ""),
                scope=scope or "",
                effective_from=since,
                produced_in_china=Listing.produced_in_china_of(attributes),
                instrument_uid=i_uid,
                instrument_reference=i_ref or "",
                instrument_title_en=i_en or "",
                instrument_title_zh=i_zh or "",
            )
        )
    entries.sort(key=lambda e: (item_order(e.item_number), e.name_en.lower(), e.uid))
    needle = query.strip().casefold()
    if needle:
        entries = [e for e in entries if needle in _haystack(e)]
    return entries


def _runs_from(schedule: Schedule, rows: list[tuple]) -> dict[int, Listing]:
    """For each listing in `rows` (its pk, substance id and class id first, its first day at
    `_SINCE`) that continues an earlier one on `schedule`, the listing that began its run
    (`Listing.run_start`, by `registry.history.mark_runs`). Two queries: the list's ended
    listings, then every listing of the subjects whose entry may continue one."""
    from registry.history import mark_runs

    ended = set(
        Listing.objects.filter(schedule=schedule, effective_to__isnull=False).values_list(
            "substance_id", "substance_class_id", "effective_to"
        )
    )
    restarted = [row for row in rows if (row[1], row[2], row[_SINCE]) in ended]
    if not restarted:
        return {}
    held: dict[tuple, list[Listing]] = defaultdict(list)
    for listing in (
        Listing.objects.filter(
            Q(substance_id__in={row[1] for row in restarted if row[1]})
            | Q(substance_class_id__in={row[2] for row in restarted if row[2]})
        )
        .select_related("schedule__jurisdiction", "listed_by")
        .order_by("effective_from", "schedule__sort_order", "id")
    ):
        held[listing.substance_id, listing.substance_class_id].append(listing)
    runs: dict[int, Listing] = {}
    for listings in held.values():
        mark_runs(listings)
        runs.update((li.pk, li.run_start) for li in listings if li.run_start is not li)
    return runs


def item_rows(entries: Sequence[ListEntry]) -> list[tuple[ListEntry, int]]:
    """Each entry with the number of rows its item spans, on the item's first row (0 on the
    rows after it): an item of the gazette may name more than one subject (item 68 of China's
    2025 Class II list, tramadol "including compound preparations containing tramadol"), which
    the registry holds as one listing per subject, in item order side by side. Entries without
    an item number are an item each."""
    rows: list[tuple[ListEntry, int]] = []
    first = 0
    for place, entry in enumerate(entries):
        if place and entry.item_number and entry.item_number == entries[place - 1].item_number:
            rows[first] = (rows[first][0], rows[first][1] + 1)
            rows.append((entry, 0))
        else:
            first = len(rows)
            rows.append((entry, 1))
    return rows


def _haystack(entry: ListEntry) -> str:
    return "\x1f".join(
        (entry.item_number, entry.name_zh, entry.name_en, entry.cas, entry.scope)
    ).casefold()


# --- downloads ------------------------------------------------------------------------------

COLUMNS = (
    ("item_number", "item"),
    ("name_zh", "name_zh"),
    ("name_en", "name_en"),
    ("cas", "cas"),
    ("subject_type", "type"),
    ("scope", "scope"),
    ("effective_from", "since"),
    ("produced_in_china", "produced_in_china"),
    ("instrument", "instrument"),
    ("uid", "uid"),
)
"""The download's columns: (attribute of ListEntry, header)."""


def plain_cell(value) -> str:
    """A value as the text of a cell: dates as YYYY-MM-DD, flags as "yes" or empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def safe_cell(value) -> str:
    """A value as a CSV cell that a spreadsheet can never run as a formula (see
    registry.spreadsheet)."""
    return spreadsheet.safe_cell(plain_cell(value))


def entry_rows(entries: Iterable[ListEntry]) -> Iterable[list]:
    for entry in entries:
        yield [getattr(entry, attr) for attr, _ in COLUMNS]


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A UTF-8 CSV document (with a byte-order mark, so that spreadsheets read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An XLSX workbook of one sheet; every cell stored as text, so none is read as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "list")

    def text_cell(value) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=plain_cell(value))
        cell.data_type = "s"  # a string cell: shown as written, never evaluated
        return cell

    sheet.append([text_cell(h) for h in header])
    for row in rows:
        sheet.append([text_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
