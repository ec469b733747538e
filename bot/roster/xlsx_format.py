"""The Excel roster: three sheets, ``townships``, ``villages`` and ``cadres``, one row per entry.

The first row of each sheet holds the column names below (any order; extra empty columns are
ignored). Lists (aliases, categories) are written in one cell separated by 、 or commas.
"""
from pathlib import Path
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from bot.reports.sheet_cells import xlsx_row
from bot.roster.clean import Cleaner
from bot.roster.rows import Roster, RosterError, Where

COLUMNS = {
    "townships": ["county", "name", "code", "weekday", "half"],
    "villages": ["county", "township", "name", "aliases", "place", "remote", "anchor"],
    "cadres": ["role", "county", "township", "village", "name", "position", "phone", "wechat",
               "wecom_userid", "categories"],
}
# Which place columns each role fills in: a village's team, a township's secretary, a county's supervisor.
PLACE = {"leader": 3, "member": 3, "auxiliary": 3, "secretary": 2, "supervisor": 1, "admin": 0}


def _rows(book, file: str, sheet: str, clean: Cleaner):
    """Yield (row as dict, Where) for the non-empty rows of ``sheet``."""
    if sheet not in book.sheetnames:
        clean.errors.append(f"{file}: sheet {sheet} is missing")
        return
    rows = book[sheet].iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
    for name in header:
        if name and name not in COLUMNS[sheet]:
            clean.fail(Where(file, sheet, 1), name, "is not a known column")
    for number, values in enumerate(rows, start=2):
        if all(value in (None, "") for value in values):
            continue
        yield {name: value for name, value in zip(header, values) if name}, Where(file, sheet, number)


def read(path: Path, categories) -> Roster:
    """Read and check an Excel roster; raise RosterError listing every bad cell."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError):
        raise RosterError([f"{path.name}: not a readable .xlsx workbook"]) from None
    clean, roster = Cleaner(categories), Roster()
    try:
        for raw, where in _rows(book, path.name, "townships", clean):
            roster.townships.append(clean.township(raw, where))
        for raw, where in _rows(book, path.name, "villages", clean):
            county = clean.text(where, "county", raw.get("county"), required=True)
            township = clean.text(where, "township", raw.get("township"), required=True)
            roster.villages.append(clean.village(raw, where, county, township))
        for raw, where in _rows(book, path.name, "cadres", clean):
            kind = clean.kind(where, raw.get("role"))
            place = [clean.text(where, key, raw.get(key), required=True)
                     for key in ("county", "township", "village")[:PLACE.get(kind, 0)]]
            roster.people.append(clean.person(raw, where, kind, *place))
    finally:
        book.close()
    if clean.errors:
        raise RosterError(clean.errors)
    return roster


def _cell(value):
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write(roster: Roster, path: Path) -> None:
    """Write a roster as an Excel workbook (write-only mode: fast at Guangdong scale)."""
    book = Workbook(write_only=True)
    tables = {
        "townships": [[t.county, t.name, t.code, t.weekday, t.half] for t in roster.townships],
        "villages": [[v.county, v.township, v.name, v.aliases, v.place, v.remote, v.anchor] for v in roster.villages],
        "cadres": [[p.kind, p.county, p.township, p.village, p.name, p.position, p.phone, p.wechat,
                    p.wecom_userid, p.categories] for p in roster.people],
    }
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        sheet.append(COLUMNS[name])
        for row in rows:
            sheet.append(xlsx_row(sheet, [_cell(value) for value in row]))
    book.save(path)
