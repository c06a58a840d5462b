"""Cells that a spreadsheet reads as text, never as a formula.

A CSV or XLSX cell whose text starts with =, +, - or @ (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula when the file is opened: a name or a
reason that came from outside could then compute, fetch or link. Every CSV the registry writes
passes its cells through `safe_cell`, which puts an apostrophe in front of such text, the
spreadsheets' own mark for "this is text".
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as the text of one cell, neutralised if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
