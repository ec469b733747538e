"""The contact card (联系卡) of a village: its team's people and the next station day."""
from dataclasses import dataclass
from datetime import datetime

from bot.villages.station_day import StationDayInfo, next_station_day
from models import Cadre, Village


@dataclass(frozen=True)
class Card:
    """What a card shows: the village, its leader and members (active only) and the next station day."""

    village: Village
    leader: Cadre | None
    members: list[Cadre]
    auxiliary: list[Cadre]
    station: StationDayInfo

    @property
    def title(self) -> str:
        """Township and village, as printed at the top: ``青山镇上坪村``."""
        return f"{self.village.township.name}{self.village.name}"


def card_for(village: Village, now: datetime, station_days: dict) -> Card:
    """Build the card of ``village`` as of ``now``."""
    team = village.team
    leader = team.leader if team and team.leader and team.leader.active else None
    # The people the roster lists under this village (a member listed nowhere in particular: every village).
    memberships = [m for m in (team.memberships if team else [])
                   if m.cadre.active and (not m.villages or village.id in m.villages)]
    return Card(
        village=village,
        leader=leader,
        members=[m.cadre for m in memberships if not m.auxiliary],
        auxiliary=[m.cadre for m in memberships if m.auxiliary],
        station=next_station_day(village, now, station_days),
    )


def person_line(cadre: Cadre, texts: dict) -> str:
    """One person on the card: name, position, phone and (when known) WeChat ID."""
    line = texts["card_person"].format(name=cadre.name, position=cadre.position, phone=cadre.phone)
    if cadre.wechat:
        line += texts["card_wechat"].format(wechat=cadre.wechat)
    return line


def card_text(card: Card, texts: dict) -> str:
    """The card as a chat message."""
    lines = [texts["card_title"].format(title=card.title)]
    if card.leader:
        lines.append(texts["card_leader"].format(person=person_line(card.leader, texts)))
    lines += [texts["card_member"].format(person=person_line(c, texts)) for c in card.members]
    lines.append(texts["card_station"].format(station=card.station.text))
    lines.append(texts["card_footer"])
    return "\n".join(lines)
