"""Field checks shared by the YAML and Excel readers: raw values in, typed rows and errors out."""
import re
from collections.abc import Collection
from datetime import date, datetime

from bot.roster.rows import KINDS, PersonRow, TownshipRow, VillageRow, Where

HALVES = {"morning": "morning", "afternoon": "afternoon", "上午": "morning", "下午": "afternoon"}
TRUE, FALSE = {"true", "yes", "1", "是", "y"}, {"false", "no", "0", "否", "n", ""}
LIST_SPLIT = re.compile(r"[,，、;；]\s*")
PHONE = re.compile(r"1\d{10}|0\d{9,11}")  # a mobile, or a landline with its area code
CODE = re.compile(r"[A-Z][A-Z0-9]{0,7}")
PERSON_FIELDS = {"name", "position", "phone", "wechat", "wecom_userid", "categories"}


class Cleaner:
    """Checks raw cell values into typed ones, collecting errors rather than stopping at the first."""

    def __init__(self, categories: Collection[str]) -> None:
        self.errors: list[str] = []
        # A cadre's categories must be configured ones, or routing would silently never reach them.
        self.categories = set(categories)

    def fail(self, where: Where, name: str, problem: str):
        self.errors.append(where.error(name, problem))
        return None

    def text(self, where, name, value, required=False, limit=64) -> str:
        """A trimmed string; numbers (Excel phone cells) are written without a decimal point."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = "" if value is None else str(value).strip()
        if required and not value:
            return self.fail(where, name, "is required") or ""
        if len(value) > limit:
            return self.fail(where, name, f"is longer than {limit} characters") or ""
        return value

    def phone(self, where, value) -> str:
        phone = re.sub(r"[\s-]", "", self.text(where, "phone", value, required=True))
        if phone and not PHONE.fullmatch(phone):
            return self.fail(where, "phone", f"{phone!r} is not a phone number") or ""
        return phone

    def code(self, where, value) -> str:
        code = self.text(where, "code", value, limit=8).upper()
        if code and not CODE.fullmatch(code):
            return self.fail(where, "code", f"{code!r} must be letters and digits, starting with a letter") or ""
        return code

    def weekday(self, where, value) -> int:
        text = self.text(where, "weekday", value)
        if not text.isdigit() or not 1 <= int(text) <= 7:
            return self.fail(where, "weekday", f"{value!r} must be 1 (Monday) to 7 (Sunday)") or 2
        return int(text)

    def half(self, where, value) -> str:
        text = self.text(where, "half", value or "afternoon")
        if text not in HALVES:
            return self.fail(where, "half", f"{value!r} must be morning or afternoon") or "afternoon"
        return HALVES[text]

    def flag(self, where, name, value) -> bool:
        if isinstance(value, bool):
            return value
        text = self.text(where, name, value).lower()
        if text not in TRUE | FALSE:
            return self.fail(where, name, f"{value!r} must be true or false") or False
        return text in TRUE

    def day(self, where, name, value) -> date | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            return self.fail(where, name, f"{value!r} is not a date like 2026-11-17")

    def names(self, where, name, value) -> list[str]:
        if value in (None, ""):
            return []
        items = value if isinstance(value, list) else LIST_SPLIT.split(str(value))
        return [self.text(where, name, item, limit=64) for item in items if str(item).strip()]

    def categories_of(self, where, value) -> list[str]:
        """A cadre's categories, each one configured in config.yaml."""
        names = self.names(where, "categories", value)
        unknown = [name for name in names if self.categories and name not in self.categories]
        if unknown:
            self.fail(where, "categories", f"{'、'.join(unknown)} not in config.yaml's categories")
        return names

    def kind(self, where, value) -> str:
        text = self.text(where, "role", value, required=True)
        if text and text not in KINDS:
            return self.fail(where, "role", f"{text!r} must be one of {', '.join(KINDS)}") or ""
        return text

    def unknown(self, where, raw: dict, allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                self.fail(where, str(key), "is not a known field")

    def township(self, raw: dict, where: Where) -> TownshipRow:
        """A township from its flat fields (county, name, code, weekday, half)."""
        return TownshipRow(
            county=self.text(where, "county", raw.get("county"), required=True),
            name=self.text(where, "name", raw.get("name"), required=True),
            code=self.code(where, raw.get("code")),
            weekday=self.weekday(where, raw.get("weekday", 2)),
            half=self.half(where, raw.get("half")),
            where=where,
        )

    def village(self, raw: dict, where: Where, county: str, township: str) -> VillageRow:
        """A village from its flat fields (name, aliases, place, remote, anchor)."""
        return VillageRow(
            county=county, township=township,
            name=self.text(where, "name", raw.get("name"), required=True),
            aliases=self.names(where, "aliases", raw.get("aliases")),
            place=self.text(where, "place", raw.get("place"), limit=128) or "村委会办公楼",
            remote=self.flag(where, "remote", raw.get("remote")),
            anchor=self.day(where, "anchor", raw.get("anchor")),
            where=where,
        )

    def person(self, raw: dict, where: Where, kind: str, county="", township="", village="") -> PersonRow:
        """A person from their flat fields, placed by ``kind`` in a village, township or county."""
        return PersonRow(
            kind=kind,
            name=self.text(where, "name", raw.get("name"), required=True, limit=32),
            phone=self.phone(where, raw.get("phone")),
            position=self.text(where, "position", raw.get("position")),
            wechat=self.text(where, "wechat", raw.get("wechat")),
            wecom_userid=self.text(where, "wecom_userid", raw.get("wecom_userid")),
            categories=self.categories_of(where, raw.get("categories")),
            county=county, township=township, village=village, where=where,
        )
