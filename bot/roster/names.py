"""Village names as residents type them: with or without 村/社区, or by a local alias."""
import re

from sqlalchemy import select

from models import Township, Village
from models.roster import VillageName

# Longest first, so 村民委员会 is dropped whole rather than leaving 村民委员.
SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村", "居")


def name_key(text: str) -> str:
    """The lookup key of a name: no spaces or punctuation, without its 村/社区 suffix."""
    key = re.sub(r"[\s\u3000，。,.、]", "", text)
    for suffix in SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def village_keys(name: str, aliases: list[str]) -> set[str]:
    """Every key a village is found by: its name and each alias."""
    return {name_key(item) for item in [name, *aliases] if name_key(item)}


def find_villages(session, text: str) -> list[Village]:
    """Villages matching what a resident typed, by name or alias, optionally after a township name."""
    key = name_key(text)
    if not key:
        return []
    matches = _by_key(session, key)
    if matches:
        return matches
    # "金和镇新高园": a township name in front narrows to that township's villages.
    prefixes = [text.strip()[:n] for n in range(2, len(text.strip()))]
    towns = session.scalars(select(Township).where(Township.name.in_(prefixes))).all()
    found = []
    for town in towns:
        rest = name_key(text.strip()[len(town.name):])
        found += [v for v in _by_key(session, rest) if v.township_id == town.id]
    return found


def _by_key(session, key: str) -> list[Village]:
    query = (select(Village).join(VillageName, VillageName.village_id == Village.id)
             .where(VillageName.key == key, Village.team_id.is_not(None)).order_by(Village.id))
    return list(session.scalars(query))
