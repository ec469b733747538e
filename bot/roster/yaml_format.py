"""The YAML roster: townships with their villages and teams nested, then supervisors and admins."""
from pathlib import Path

import yaml

from bot.roster.clean import PERSON_FIELDS, Cleaner
from bot.roster.rows import Roster, RosterError, Where

LINE = "__line__"
TOWNSHIP_FIELDS = {"name", "county", "code", "station_day", "secretary", "villages"}
VILLAGE_FIELDS = {"name", "aliases", "place", "remote", "anchor", "team"}
# libyaml parses several times faster than pure Python: it matters at 26,000 villages.
BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _LineLoader(BaseLoader):
    """A safe loader that records each mapping's line, so errors can point at it."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def _load(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RosterError([f"{path.name}: line {mark.line + 1 if mark else '?'}: not valid YAML"]) from None
    if not isinstance(data, dict):
        raise RosterError([f"{path.name}: the file must hold a mapping with townships:"])
    return data


class _Reader:
    """Walks the nested YAML and emits flat rows, each with the path and line it came from."""

    def __init__(self, path: Path, categories) -> None:
        self.file = path.name
        self.clean = Cleaner(categories)
        self.roster = Roster()

    def entries(self, parent: dict, key: str, path: str):
        """Yield (item, where) for a list of mappings, reporting anything that is not one."""
        items = parent.get(key) or []
        line = parent.get(LINE, 0)
        if not isinstance(items, list):
            self.clean.fail(Where(self.file, path, line, True), key, "must be a list")
            return
        for index, item in enumerate(items):
            where = Where(self.file, f"{path}[{index}]" if path else f"{key}[{index}]", line, True)
            if not isinstance(item, dict):
                self.clean.fail(where, key, "must be a mapping")
                continue
            yield item, Where(where.file, where.sheet, item.get(LINE, line), True)

    def person(self, raw, where: Where, kind: str, extra=frozenset(), **place):
        if not isinstance(raw, dict):
            self.clean.fail(where, kind, "must be a mapping with name and phone")
            return
        self.clean.unknown(where, raw, PERSON_FIELDS | extra | {LINE})
        where = Where(where.file, where.sheet, raw.get(LINE, where.row), True)
        self.roster.people.append(self.clean.person(raw, where, kind, **place))

    def township(self, raw: dict, where: Where) -> None:
        self.clean.unknown(where, raw, TOWNSHIP_FIELDS | {LINE})
        rule = raw.get("station_day") or {}
        if not isinstance(rule, dict):
            self.clean.fail(where, "station_day", "must be a mapping like {weekday: 2, half: afternoon}")
            rule = {}
        self.clean.unknown(where, rule, {"weekday", "half", LINE})
        flat = {"county": raw.get("county"), "name": raw.get("name"), "code": raw.get("code"),
                "weekday": rule.get("weekday", 2), "half": rule.get("half")}
        row = self.clean.township(flat, where)
        self.roster.townships.append(row)
        place = {"county": row.county, "township": row.name}
        if raw.get("secretary") is not None:
            self.person(raw["secretary"], Where(self.file, f"{where.sheet}.secretary", where.row, True), "secretary", **place)
        for village, vwhere in self.entries(raw, "villages", f"{where.sheet}.villages"):
            self.village(village, vwhere, **place)

    def village(self, raw: dict, where: Where, county: str, township: str) -> None:
        self.clean.unknown(where, raw, VILLAGE_FIELDS | {LINE})
        row = self.clean.village(raw, where, county, township)
        self.roster.villages.append(row)
        team = raw.get("team")
        if not isinstance(team, dict) or team.get("leader") is None:
            self.clean.fail(where, "team.leader", "every village needs a team with a leader")
            return
        self.clean.unknown(where, team, {"leader", "members", "auxiliary", LINE})
        place = {"county": county, "township": township, "village": row.name}
        self.person(team["leader"], Where(self.file, f"{where.sheet}.team.leader", where.row, True), "leader", **place)
        for kind, key in (("member", "members"), ("auxiliary", "auxiliary")):
            for person, pwhere in self.entries(team, key, f"{where.sheet}.team.{key}"):
                self.person(person, pwhere, kind, **place)

    def read(self, data: dict) -> Roster:
        self.clean.unknown(Where(self.file, "top level", 1, True), data, {"townships", "supervisors", "admins", LINE})
        for raw, where in self.entries(data, "townships", ""):
            self.township(raw, where)
        for raw, where in self.entries(data, "supervisors", ""):
            county = self.clean.text(where, "county", raw.get("county"), required=True)
            self.person(raw, where, "supervisor", {"county"}, county=county)
        for raw, where in self.entries(data, "admins", ""):
            self.person(raw, where, "admin")
        if self.clean.errors:
            raise RosterError(self.clean.errors)
        return self.roster


def read(path: Path, categories) -> Roster:
    """Read and check a YAML roster; raise RosterError listing every bad field."""
    return _Reader(path, categories).read(_load(path))


def _person(row) -> dict:
    """A person's mapping with only the fields that carry something, in the documented order."""
    out = {"name": row.name, "position": row.position, "phone": row.phone, "wechat": row.wechat,
           "wecom_userid": row.wecom_userid, "categories": row.categories}
    return {key: value for key, value in out.items() if value or key in ("name", "phone")}


def nest(roster: Roster) -> dict:
    """The nested YAML document for a roster."""
    people: dict[tuple, list] = {}
    for row in roster.people:
        people.setdefault((row.kind, row.county, row.township, row.village), []).append(row)
    townships = []
    for town in roster.townships:
        entry = {"name": town.name, "county": town.county, "code": town.code,
                 "station_day": {"weekday": town.weekday, "half": town.half}}
        secretary = people.get(("secretary", town.county, town.name, ""))
        if secretary:
            entry["secretary"] = _person(secretary[0])
        entry["villages"] = []
        for village in (v for v in roster.villages if (v.county, v.township) == (town.county, town.name)):
            key = (town.county, town.name, village.name)
            item = {"name": village.name, "aliases": village.aliases, "place": village.place, "remote": village.remote}
            if village.anchor:
                item["anchor"] = village.anchor
            leader = people.get(("leader",) + key, [])
            item["team"] = {"leader": _person(leader[0]) if leader else None,
                            "members": [_person(p) for p in people.get(("member",) + key, [])],
                            "auxiliary": [_person(p) for p in people.get(("auxiliary",) + key, [])]}
            entry["villages"].append(item)
        townships.append(entry)
    supervisors = [{**_person(p), "county": p.county} for p in roster.people if p.kind == "supervisor"]
    admins = [_person(p) for p in roster.people if p.kind == "admin"]
    return {"townships": townships, "supervisors": supervisors, "admins": admins}


def write(roster: Roster, path: Path) -> None:
    """Write a roster as YAML, people in flow style as in the documented example."""
    text = yaml.dump(nest(roster), Dumper=BaseDumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=None, width=200)
    path.write_text(text, encoding="utf-8")
