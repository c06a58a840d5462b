"""The API's renderers: JSON, which answers a kept detail as it was written, and CSV.

JSON: `Rendered` is JSON this renderer wrote earlier (registry.api.detail_cache keeps each
detail so); it is answered as those bytes, unless the client asked for an indented answer.

CSV answers for the list endpoints (`?format=csv` or `Accept: text/csv`).

A CSV answer holds every row the filters select (no cursor pages: a spreadsheet wants the whole
list), one column per field of the JSON representation; nested values are written as JSON and
lists of uids joined with "; ". Cells that a spreadsheet would run as a formula are disarmed
(registry.lists.safe_cell).
"""

import json
from dataclasses import dataclass

from rest_framework import renderers
from rest_framework.renderers import BaseRenderer

from registry.lists import csv_text

MAX_CSV_ROWS = 50_000
"""A CSV answer holds at most this many rows; a whole copy is the export's job."""


@dataclass(frozen=True)
class Rendered:
    """JSON as `JSONRenderer` writes it, kept (see registry.api.detail_cache)."""

    body: bytes

    def data(self):
        """The same as JSON types, for a renderer that needs them."""
        return json.loads(self.body)


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer (the settings' first), which answers `Rendered` JSON as it is."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, Rendered):
            if not self.get_indent(accepted_media_type or "", renderer_context or {}):
                return data.body
            data = data.data()
        return super().render(data, accepted_media_type, renderer_context)


def _cell(value):
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) or v is None for v in value):
            return "; ".join("" if v is None else str(v) for v in value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def rows_to_csv(rows: list[dict], header: list[str] | None = None) -> str:
    """Dictionaries (one per row, the same keys) as a UTF-8 CSV document with a header row."""
    if header is None:
        header = list(rows[0]) if rows else []
    return csv_text(header, ([_cell(row.get(key)) for key in header] for row in rows))


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict) and "csv_header" in data:
            text = rows_to_csv(data["rows"], data["csv_header"])
        elif isinstance(data, list):
            text = rows_to_csv(data)
        elif isinstance(data, dict) and isinstance(data.get("results"), list):
            text = rows_to_csv(data["results"])
        elif isinstance(data, dict):
            # One resource, or an error: its fields as one row (an error names its field).
            text = rows_to_csv([data])
        else:
            text = rows_to_csv([{"value": data}])
        return text.encode("utf-8")
