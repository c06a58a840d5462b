"""CSV answers for the list endpoints (`?format=csv` or `Accept: text/csv`).

A CSV answer holds every row the filters select (no cursor pages: a spreadsheet wants the whole
list), one column per field of the JSON representation; nested values are written as JSON and
lists of uids joined with "; ". Cells that a spreadsheet would run as a formula are disarmed
(registry.lists.safe_cell).
"""

import json

from rest_framework.renderers import BaseRenderer

from registry.lists import csv_text

MAX_CSV_ROWS = 50_000
"""A CSV answer holds at most this many rows; a whole copy is the export's job."""


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
