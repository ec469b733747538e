"""The roster as three flat tables (townships, villages, people), whatever file it came from.

Both file formats read into these rows and write from them, so YAML and Excel share one set
of rules and one wording of errors: every error names the file, sheet, row and field.
"""
from dataclasses import dataclass, field
from datetime import date

KINDS = ("secretary", "leader", "member", "auxiliary", "supervisor", "admin")


@dataclass(frozen=True)
class Where:
    """Where a row came from: the file, its sheet (for YAML: the path to the entry) and row (line)."""

    file: str
    sheet: str
    row: int
    yaml: bool = False

    def error(self, field_name: str, problem: str) -> str:
        """One error line naming file, sheet, row and field."""
        place = f"{self.sheet} (line {self.row})" if self.yaml else f"sheet {self.sheet}, row {self.row}"
        return f"{self.file}: {place}, field {field_name}: {problem}"


@dataclass
class TownshipRow:
    """A township and its station-day rule (ISO weekday, morning or afternoon)."""

    county: str
    name: str
    code: str = ""
    weekday: int = 2
    half: str = "afternoon"
    where: Where | None = field(default=None, compare=False)


@dataclass
class VillageRow:
    """A village of a township, with its station place and fortnightly flag."""

    county: str
    township: str
    name: str
    aliases: list[str] = field(default_factory=list)
    place: str = "村委会办公楼"
    remote: bool = False
    anchor: date | None = None
    where: Where | None = field(default=None, compare=False)


@dataclass
class PersonRow:
    """One person in one place: ``kind`` says which (a village's leader, a township's secretary...)."""

    kind: str
    name: str
    phone: str
    position: str = ""
    wechat: str = ""
    wecom_userid: str = ""
    categories: list[str] = field(default_factory=list)
    county: str = ""
    township: str = ""
    village: str = ""
    where: Where | None = field(default=None, compare=False)


@dataclass
class Roster:
    """Everything one roster file says."""

    townships: list[TownshipRow] = field(default_factory=list)
    villages: list[VillageRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)


class RosterError(Exception):
    """The roster cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s) in the roster:\n" + "\n".join(errors[:50]))
        self.errors = errors
