"""Importing an announcement: the items of a new legal act, from a spreadsheet, in one go.

An announcement that adds 46 substances to a list is typed or pasted into a CSV or XLSX sheet,
one item a row (columns such as name_zh, name_en, cas, smiles, code_names, item_number; headers
in English or Chinese). `read_sheet` reads it; `analyse` decides for every row whether it is a
new substance or one the registry already has (matched by structure, then CAS, then name) and
what is wrong with it; `write` enters the whole announcement through registry.services in one
transaction, or nothing. Nothing is written until the curator has seen the analysis.
"""

import csv
import io
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from registry import drafts, services
from registry.models import DraftOperation, Instrument, Listing, Schedule
from substances import chemistry
from substances.models import Name, Substance
from substances.normalize import normalize_cas, search_key
from substances.validators import validate_cas

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
MAX_COLUMNS = 20
"""Widest row accepted: an import has six columns, a curator's sheet a few more."""
MAX_CELL_CHARS = 4000
"""Longest cell accepted (a structure is at most 2,000 characters)."""
MAX_XLSX_PART_BYTES = 1_500_000
"""Largest part of an XLSX file once unzipped (a sheet, its shared strings, its styles).

A zip can expand a thousandfold (a 409 KB file held a 400 MB shared string) and openpyxl parses
each part whole, at about a megabyte a second; a full 2,000-row import is about 800 KB of sheet.
Checked on the sizes the zip declares, which the zip reader holds each part to."""
MAX_XLSX_PARTS = 200

COLUMNS = ("item_number", "name_zh", "name_en", "cas", "smiles", "code_names")
# Headers as announcements' tables and curators' sheets write them, by their search key.
_ALIASES = {
    "item_number": ("itemnumber", "item", "no", "number", "序号", "编号"),
    "name_zh": ("namezh", "chinesename", "chinese", "中文名", "中文名称", "品种名称", "名称"),
    "name_en": ("nameen", "englishname", "english", "name", "英文名", "英文名称"),
    "cas": ("cas", "casno", "casrn", "casnumber", "cas号", "casregistrynumber"),
    "smiles": ("smiles", "structure", "结构"),
    "code_names": ("codenames", "codename", "codes", "code", "synonyms", "aliases", "别名", "代号"),
}
_HEADER = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
# A separator, or a comma followed by a space; the parts are stripped after. (Written with
# \s* around the separators, the pattern took quadratic time on a long run of spaces.)
_SPLIT_NAMES = re.compile(r"[;；、|]|,(?=\s)")


class SheetError(ValueError):
    """The file cannot be read as a sheet of announcement items; the message says why."""


@dataclass
class SheetRow:
    line: int
    values: dict[str, str]


@dataclass
class Sheet:
    rows: list[SheetRow]
    ignored_columns: list[str] = field(default_factory=list)


def _column_of(header: str) -> str | None:
    return _HEADER.get(search_key(header).replace("_", ""))


def _bounded(records) -> list[list[str]]:
    """The first rows of a sheet as text, refusing what no announcement needs.

    Keeps at most `MAX_ROWS` + 50 rows (blank ones included): a row with text beyond them is
    refused at once, so a file of a million rows costs no more than one of two thousand. Refuses
    rows wider than `MAX_COLUMNS` and cells longer than `MAX_CELL_CHARS`, naming the line.
    """
    table: list[list[str]] = []
    for line, record in enumerate(records, start=1):
        row = ["" if c is None else str(c) for c in record]
        while row and not row[-1].strip():
            row.pop()
        if line > MAX_ROWS + 50:
            if row:
                raise SheetError(f"Too many rows: more than {MAX_ROWS} per import.")
            continue
        if len(row) > MAX_COLUMNS:
            raise SheetError(f"Line {line} has {len(row)} columns; at most {MAX_COLUMNS}.")
        for number, cell in enumerate(row, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise SheetError(
                    f"Line {line}, column {number}: the cell holds {len(cell)} characters; "
                    f"at most {MAX_CELL_CHARS}."
                )
        table.append([cell.strip() for cell in row])
    return table


def _check_xlsx_parts(content: bytes) -> None:
    """Refuse an XLSX whose parts would unzip to more than openpyxl can read quickly."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SheetError(f"This is not a readable XLSX file ({exc}).") from exc
    if len(parts) > MAX_XLSX_PARTS:
        raise SheetError(f"The XLSX file has {len(parts)} parts; at most {MAX_XLSX_PARTS}.")
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise SheetError(
                f"The XLSX part {part.filename} unzips to {part.file_size / 1e6:.1f} MB; at most "
                f"{MAX_XLSX_PART_BYTES / 1e6:.1f} MB. Save the items alone in a new sheet."
            )


def _rows_from_table(table: list[list[str]]) -> Sheet:
    start = next((i for i, row in enumerate(table) if any(row)), None)
    if start is None:
        raise SheetError("The file is empty.")
    headers = table[start]
    columns = [_column_of(h) for h in headers]
    if not any(columns):
        raise SheetError(
            "No known column in the first row. Name the columns, for example: "
            + ", ".join(COLUMNS)
            + "."
        )
    if not {"name_en", "name_zh", "cas", "smiles"} & set(columns):
        raise SheetError("The sheet needs at least a name, a CAS or a SMILES column.")
    ignored = [h for h, c in zip(headers, columns, strict=True) if h and c is None]
    rows = []
    for offset, record in enumerate(table[start + 1 :], start=start + 2):
        if not any(record):
            continue
        values = dict.fromkeys(COLUMNS, "")
        for column, cell in zip(columns, record, strict=False):
            if column and cell:
                values[column] = cell
        rows.append(SheetRow(line=offset, values=values))
    if not rows:
        raise SheetError("The sheet has a header row but no items.")
    if len(rows) > MAX_ROWS:
        raise SheetError(f"Too many rows: {len(rows)}, at most {MAX_ROWS} per import.")
    return Sheet(rows=rows, ignored_columns=ignored)


def read_sheet(filename: str, content: bytes) -> Sheet:
    """Read the rows of a CSV (UTF-8 or GB18030, as Chinese Excel writes) or XLSX file."""
    if len(content) > MAX_BYTES:
        raise SheetError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        _check_xlsx_parts(content)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            # The stored dimension may lie (A1:XFD1048576 in a 2 KB file): read what is there,
            # and no more columns or rows than an import can use.
            sheet.reset_dimensions()
            table = _bounded(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1))
            workbook.close()
        except SheetError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
            raise SheetError(f"This is not a readable XLSX file ({exc}).") from exc
        return _rows_from_table(table)
    if filename.lower().endswith((".csv", ".txt")):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SheetError("The CSV file is neither UTF-8 nor GB18030 text.")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            table = _bounded(csv.reader(io.StringIO(text), dialect))
        except csv.Error as exc:  # a field over the csv module's own limit, a stray NUL
            raise SheetError(f"This CSV file cannot be read: {exc}.") from exc
        return _rows_from_table(table)
    raise SheetError("Upload a .csv or .xlsx file.")


# --- analysis -------------------------------------------------------------------------------

NEW, EXISTING, ERROR = "new", "existing", "error"


@dataclass
class ItemAnalysis:
    """What one row of the announcement will do, and what stops it."""

    line: int
    values: dict[str, str]
    cas: str = ""
    structure: str = ""
    inchikey: str = ""
    parent_key: str = ""
    skeleton_key: str = ""
    match: Substance | None = None
    matched_by: str = ""
    new_names: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.errors:
            return ERROR
        return EXISTING if self.match else NEW

    @property
    def label(self) -> str:
        return self.values.get("name_en") or self.values.get("name_zh") or self.cas


@dataclass
class Analysis:
    items: list[ItemAnalysis]
    schedule: Schedule
    instrument: Instrument
    effective_from: Any

    @property
    def ok(self) -> bool:
        return not any(item.errors for item in self.items)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def _code_names(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT_NAMES.split(text or "") if part.strip()]


def _language_of(name: str) -> str:
    if re.search(r"[\u4e00-\u9fff]", name):
        return Name.Language.CHINESE
    return Name.Language.UNDETERMINED


class _Index:
    """What the registry already knows, loaded once per analysis (not once per row)."""

    def __init__(self) -> None:
        substances = list(
            Substance.objects.only(
                "id",
                "uid",
                "name_en",
                "name_zh",
                "cas",
                "inchikey",
                "parent_key",
                "skeleton_key",
                "search_key_en",
                "search_key_zh",
            )
        )
        self.by_id = {s.pk: s for s in substances}
        self.by_inchikey = {s.inchikey: s for s in substances if s.inchikey}
        self.by_parent: dict[str, list[Substance]] = {}
        self.by_skeleton: dict[str, list[Substance]] = {}
        self.by_cas = {s.cas: s for s in substances if s.cas}
        self.by_name: dict[str, set[int]] = {}
        for s in substances:
            if s.parent_key:
                self.by_parent.setdefault(s.parent_key, []).append(s)
                self.by_skeleton.setdefault(s.skeleton_key, []).append(s)
            for key in (s.search_key_en, s.search_key_zh):
                if key:
                    self.by_name.setdefault(key, set()).add(s.pk)
        self.names_of: dict[int, set[str]] = {}
        for substance_id, key in Name.objects.values_list("substance_id", "search_key"):
            self.by_name.setdefault(key, set()).add(substance_id)
            self.names_of.setdefault(substance_id, set()).add(key)

    def named(self, text: str) -> list[Substance]:
        return [self.by_id[pk] for pk in sorted(self.by_name.get(search_key(text), ()))]

    def known_keys(self, substance: Substance) -> set[str]:
        return {substance.search_key_en, substance.search_key_zh} | self.names_of.get(
            substance.pk, set()
        )


def _check_identifiers(item: ItemAnalysis) -> None:
    raw_cas = item.values.get("cas", "").strip()
    if raw_cas:
        item.cas = normalize_cas(raw_cas)
        if not item.cas:
            item.errors.append(f"CAS {raw_cas!r} is not shaped like a CAS number (50-00-0).")
        else:
            try:
                validate_cas(item.cas)
            except ValidationError as exc:
                item.errors.append(" ".join(exc.messages))
                item.cas = ""
    smiles = item.values.get("smiles", "").strip()
    if smiles:
        try:
            mol = chemistry.parse_smiles(smiles)
            item.inchikey = chemistry.describe(mol).inchikey
            item.parent_key, item.skeleton_key = chemistry.record_keys(mol)
            item.structure = smiles
        except chemistry.ChemistryError as exc:
            item.errors.append(f"SMILES: {exc.reason}.")


def _match(item: ItemAnalysis, index: _Index) -> None:
    """Find the registry's substance for the row: structure first, then CAS, then name."""
    candidates: list[tuple[str, Substance]] = []
    if item.inchikey and item.inchikey in index.by_inchikey:
        candidates.append(("same structure", index.by_inchikey[item.inchikey]))
    elif item.parent_key and item.parent_key in index.by_parent:
        same = index.by_parent[item.parent_key]
        candidates.append(("same parent structure (salt or free base)", same[0]))
    elif item.skeleton_key and item.skeleton_key in index.by_skeleton:
        same = index.by_skeleton[item.skeleton_key][0]
        item.warnings.append(
            f"{same} ({same.uid}) has the same skeleton with other stereochemistry: "
            "entered as a new substance; merge them by hand if they are one entry."
        )
    if item.cas and item.cas in index.by_cas:
        candidates.append(("CAS", index.by_cas[item.cas]))
    for column in ("name_en", "name_zh"):
        for substance in index.named(item.values.get(column, "")):
            candidates.append((f"name ({item.values[column]})", substance))
    if not candidates:
        return
    how, chosen = candidates[0]
    item.match, item.matched_by = chosen, how
    for other_how, other in candidates[1:]:
        if other.pk == chosen.pk:
            continue
        message = f"matched {chosen.uid} by {how}, but by {other_how} it is {other.uid}"
        if other_how == "CAS" or how == "CAS":
            item.errors.append(f"Conflict: {message}. Correct the row or the registry first.")
        else:
            item.warnings.append(message.capitalize() + ".")
    if (
        how.startswith("name")
        and item.parent_key
        and chosen.parent_key
        and item.parent_key != chosen.parent_key
    ):
        item.errors.append(
            f"Conflict: the name is that of {chosen.uid}, but the structure differs from the "
            "registry's. Correct the row or the registry first."
        )
    if item.cas and chosen.cas and item.cas != chosen.cas:
        item.warnings.append(
            f"The registry gives {chosen.uid} the CAS {chosen.cas}, the sheet {item.cas}; the "
            "registry's is kept."
        )


def _names_to_add(item: ItemAnalysis, index: _Index) -> None:
    known = index.known_keys(item.match) if item.match else set()
    if not item.match:
        known = {
            search_key(item.values.get("name_en", "")),
            search_key(item.values.get("name_zh", "")),
        }
    wanted = []
    if item.match:
        for column, language in (
            ("name_en", Name.Language.ENGLISH),
            ("name_zh", Name.Language.CHINESE),
        ):
            if item.values.get(column):
                wanted.append((item.values[column], language, Name.Kind.SYNONYM))
    for code in _code_names(item.values.get("code_names", "")):
        wanted.append((code, _language_of(code), Name.Kind.CODE))
    for name, language, kind in wanted:
        key = search_key(name)
        if key and key not in known:
            known.add(key)
            item.new_names.append((name, language, kind))


def analyse(
    sheet: Sheet, *, schedule: Schedule, instrument: Instrument, effective_from
) -> Analysis:
    """Decide, for every row, new or existing substance, and what is wrong; writes nothing."""
    index = _Index()
    items = []
    first_seen: dict[tuple[str, str], int] = {}
    if instrument.jurisdiction_id != schedule.jurisdiction_id:
        raise ValidationError(
            {"instrument": f"{instrument} belongs to another jurisdiction than {schedule.code}."}
        )
    listed = {
        listing.substance_id: listing
        for listing in Listing.objects.filter(schedule=schedule, substance__isnull=False)
        .overlapping(start=effective_from, end=None)
        .order_by("effective_from")
    }
    elsewhere: dict[int, list[Listing]] = {}
    for listing in (
        Listing.objects.in_force(on=effective_from)
        .filter(substance__isnull=False)
        .exclude(schedule=schedule)
        .select_related("schedule")
    ):
        elsewhere.setdefault(listing.substance_id, []).append(listing)
    for row in sheet.rows:
        item = ItemAnalysis(line=row.line, values=row.values)
        _check_identifiers(item)
        _match(item, index)
        if not item.match and not item.values.get("name_en"):
            item.errors.append("A new substance needs an English name (name_en).")
        if item.match and item.match.pk in listed:
            clash = listed[item.match.pk]
            item.errors.append(
                f"{item.match.uid} is already on {schedule.code} from {clash.effective_from} "
                f"({clash.uid})."
            )
        if item.match:
            for other in elsewhere.get(item.match.pk, []):
                item.warnings.append(
                    f"Also on {other.schedule.code} since {other.effective_from}: if the "
                    "announcement moves it, use the reschedule action instead."
                )
        keys = [("cas", item.cas), ("structure", item.parent_key)]
        keys.append(("substance", item.match.uid if item.match else ""))
        keys.append(("name", search_key(item.values.get("name_en", ""))))
        for kind, key in keys:
            if not key:
                continue
            if (kind, key) in first_seen:
                item.errors.append(f"Same {kind} as line {first_seen[(kind, key)]}.")
                break
        for kind, key in keys:
            if key:
                first_seen.setdefault((kind, key), item.line)
        _names_to_add(item, index)
        items.append(item)
    return Analysis(
        items=items, schedule=schedule, instrument=instrument, effective_from=effective_from
    )


# --- writing --------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[Substance]
    listed: int
    names: int
    changeset: Any = None


def write(analysis: Analysis, *, actor: services.Actor, draft_author=None) -> ImportResult:
    """Enter the announcement: new substances, their names, and a listing for every item.

    One transaction through the services; a refusal of any item (a form error elsewhere, a
    constraint) rolls everything back and is raised with the row's line. With `draft_author`,
    the substances and names are entered at once (they say what a thing is, not that it is
    controlled) and the listings go into a draft change set for a reviewer.
    """
    if not analysis.ok:
        raise ValidationError("The announcement has rows with errors; nothing was written.")
    created, names, listed = [], 0, 0
    with transaction.atomic():
        changeset = None
        if draft_author is not None:
            changeset = drafts.start(
                title=f"Import of {analysis.instrument} ({len(analysis.items)} items)",
                author=draft_author,
            )
        for item in analysis.items:
            try:
                substance = item.match
                if substance is None:
                    substance = services.create_substance(
                        actor=actor,
                        name_en=item.values["name_en"],
                        name_zh=item.values.get("name_zh", ""),
                        cas=item.cas,
                        smiles=item.structure,
                        structure_source=f"import of {analysis.instrument}"[:300],
                    )
                    created.append(substance)
                for name, language, kind in item.new_names:
                    services.add_name(
                        substance=substance,
                        name=name,
                        language=language,
                        kind=kind,
                        source=str(analysis.instrument)[:500],
                        uid=services.new_uid(Name, f"n-{secrets.token_hex(5)}"),
                        actor=actor,
                    )
                    names += 1
                arguments = {
                    "schedule": analysis.schedule,
                    "instrument": analysis.instrument,
                    "effective_from": analysis.effective_from,
                    "item_number": item.values.get("item_number", "")[:20],
                }
                if changeset is None:
                    services.list_substance(substance=substance, actor=actor, **arguments)
                else:
                    drafts.add_operation(
                        changeset,
                        service=DraftOperation.Service.LIST_SUBSTANCE,
                        summary=f"list {substance} on {analysis.schedule.code} from "
                        f"{analysis.effective_from} ({analysis.instrument})",
                        substance=substance.uid,
                        schedule=analysis.schedule.uid,
                        instrument=analysis.instrument.uid,
                        effective_from=analysis.effective_from.isoformat(),
                        item_number=arguments["item_number"],
                    )
                listed += 1
            except ValidationError as exc:
                raise ValidationError(
                    f"Line {item.line} ({item.label}): {'; '.join(exc.messages)}"
                ) from exc
    return ImportResult(created=created, listed=listed, names=names, changeset=changeset)
