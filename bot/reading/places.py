"""Villages named in free text: "东坑村的村民", "白石镇东坑", "我喺东坑村", "dongkeng" (answers to "哪个村？")."""
import re
from functools import lru_cache

from pypinyin import lazy_pinyin
from sqlalchemy import select

from bot.reading.normalise import normalise
from models import Township, Village
from models.roster import VillageName

_PLAIN = re.compile(r"[^\w\u4e00-\u9fff]+")
MAX_KEY = 8  # longest village key looked for


_SPELLED = re.compile(r"[a-z][a-z ]{2,30}")  # a name typed in pinyin with the input method off


def villages_named(session, text: str) -> tuple[list[Village], str]:
    """The villages whose name or alias the text contains (longest match), and the key found."""
    spelled = re.sub(r"(村|社区)$", "", text.strip()).lower()  # dongkeng村
    if _SPELLED.fullmatch(spelled):
        return _spelled(session, spelled.replace(" ", ""))
    plain = _PLAIN.sub("", normalise(text))[:40]
    keys = {plain[i:j] for i in range(len(plain)) for j in range(i + 2, min(len(plain), i + MAX_KEY) + 1)}
    if not keys:
        return [], ""
    found = session.execute(select(VillageName.key, Village).join(Village, VillageName.village_id == Village.id)
                            .where(VillageName.key.in_(keys), Village.team_id.is_not(None))
                            .order_by(Village.id)).all()
    if not found:
        return [], ""
    longest = max(len(key) for key, _ in found)
    key = next(k for k, _ in found if len(k) == longest)
    villages = list({v.id: v for k, v in found if k == key}.values())
    if len(villages) > 1:  # "白石镇东坑": a township named in the text narrows the choice
        towns = {t.id for t in session.scalars(select(Township).where(Township.id.in_({v.township_id for v in villages})))
                 if t.name in plain or t.name.rstrip("镇街道乡") in plain}
        villages = [v for v in villages if v.township_id in towns] or villages
    return villages, key


@lru_cache(maxsize=50_000)
def _pinyin(key: str) -> str:
    """A village key spelled in toneless pinyin (东坑 → dongkeng), each key once per process."""
    return "".join(lazy_pinyin(key))


def _spelled(session, typed: str) -> tuple[list[Village], str]:
    """The villages whose name or alias is spelled ``typed`` in pinyin (dongkeng, dongkengcun)."""
    wanted = {typed, typed.removesuffix("cun"), typed.removesuffix("shequ")}
    found = [(key, village) for key, village in session.execute(
        select(VillageName.key, Village).join(Village, VillageName.village_id == Village.id)
        .where(Village.team_id.is_not(None)).order_by(Village.id)).all()
        if _pinyin(key) in wanted]
    if not found:
        return [], ""
    return list({v.id: v for _, v in found}.values()), found[0][0]
