"""The roster: what answers "who serves which village?".

Read it from YAML or Excel, import it into the database, export it back; the cadres' invite
codes. May import ``models`` and the spine.
"""
from collections.abc import Collection
from pathlib import Path

from bot.roster.rows import Roster, RosterError


def read_roster(path: str | Path, categories: Collection[str]) -> Roster:
    """Read a roster file (format by suffix: .yaml/.yml or .xlsx); cadres' categories must be in ``categories``."""
    from bot.roster import xlsx_format, yaml_format

    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return yaml_format.read(path, categories)
    if path.suffix.lower() == ".xlsx":
        return xlsx_format.read(path, categories)
    raise RosterError([f"{path.name}: unknown format (use .yaml, .yml or .xlsx)"])


def write_roster(roster: Roster, path: str | Path) -> None:
    """Write a roster file in the format its suffix names."""
    from bot.roster import xlsx_format, yaml_format

    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        yaml_format.write(roster, path)
    elif path.suffix.lower() == ".xlsx":
        xlsx_format.write(roster, path)
    else:
        raise RosterError([f"{path.name}: unknown format (use .yaml, .yml or .xlsx)"])


__all__ = ["Roster", "RosterError", "read_roster", "write_roster"]
