"""Spreadsheet cells that are always text: a name like ``=HYPERLINK(...)`` never becomes a formula.

openpyxl stores any string starting with ``=`` as a formula; Excel also runs CSV cells starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return. One place writes cells for every export.
"""
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xlsx_row(sheet, values) -> list:
    """``values`` as write-only cells; every string is stored as a string, never a formula."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl guessed "f" for a leading "="
        cells.append(cell)
    return cells


def csv_text(value: str) -> str:
    """A CSV cell Excel reads as text: a leading formula character is quoted with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value
