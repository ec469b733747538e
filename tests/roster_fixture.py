"""A small roster built straight from the models, for tests of cases and commands.

One township (code JH) with two villages, each with its own team, plus a second township for
out-of-scope checks. Every cadre is bound to the openid ``o_<wechat id>``.
"""
from datetime import datetime, timezone

from models import Cadre, Membership, Resident, Team, Township, Village

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 China time


def cadre(session, name, wechat, role="member", categories=(), **fields) -> Cadre:
    """Add an active cadre bound to openid o_<wechat>."""
    row = Cadre(name=name, position=fields.pop("position", "镇干部"), phone=fields.pop("phone", f"138{abs(hash(wechat)) % 10**8:08d}"),
                wechat=wechat, openid=f"o_{wechat}", role=role, categories=list(categories), **fields)
    session.add(row)
    return row


def build(session) -> dict:
    """Create the roster and return its rows by short name."""
    jh = Township(name="金和镇", county="揭西县", code="JH", station_weekday=2, station_half="afternoon")
    other = Township(name="河婆街道", county="揭西县", code="HP", station_weekday=3, station_half="morning")
    far = Township(name="远县镇", county="远县", code="YX")
    session.add_all([jh, other, far])
    session.flush()
    r = {"jh": jh, "other": other}
    r["secretary"] = cadre(session, "林书记", "lin", "secretary", position="镇党委书记", township_id=jh.id)
    r["other_secretary"] = cadre(session, "何书记", "he", "secretary", township_id=other.id)
    r["supervisor"] = cadre(session, "赵督查", "zhao", "supervisor", position="县委组织部", county="揭西县")
    r["far_supervisor"] = cadre(session, "钱督查", "qian", "supervisor", county="远县")
    r["leader"] = cadre(session, "陈镇长", "chen", "leader", position="镇长")
    r["road"] = cadre(session, "黄主任", "huang", categories=["交通运输", "城乡建设"], position="镇农办主任")
    r["farm"] = cadre(session, "周干事", "zhou", categories=["农业生产", "土地纠纷"])
    r["committee"] = cadre(session, "吴主任", "wu", categories=["村务公开", "干部作风", "治安"], position="村委会主任")
    r["leader2"] = cadre(session, "郑副镇长", "zheng", "leader")
    r["other_leader"] = cadre(session, "马组长", "ma", "leader")
    session.flush()
    team = Team(leader=r["leader"])
    team.memberships = [Membership(cadre=r["road"]), Membership(cadre=r["farm"]),
                        Membership(cadre=r["committee"], auxiliary=True)]
    team2 = Team(leader=r["leader2"])
    team3 = Team(leader=r["other_leader"])
    r["village"] = Village(name="新高园村", aliases=["新高园"], township=jh, team=team, place="村委会办公楼")
    r["village2"] = Village(name="东风村", township=jh, team=team2, place="东风村委会")
    r["other_village"] = Village(name="河东社区", township=other, team=team3)
    session.add_all([team, team2, team3, r["village"], r["village2"], r["other_village"]])
    session.flush()
    return r


def resident(session, openid: str, village: Village | None) -> Resident:
    """A resident bound to ``village`` (or unbound)."""
    row = Resident(openid=openid, village=village, bound_at=NOW if village else None)
    session.add(row)
    session.flush()
    return row
