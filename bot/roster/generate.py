"""Write a synthetic roster of any size (Guangdong: 1,585 townships, 26,117 villages) for benchmarks."""
from datetime import date
from itertools import count

from bot.roster.rows import PersonRow, Roster, TownshipRow, VillageRow

TOWNSHIPS_PER_COUNTY = 13
PAIRED_VILLAGES = 14  # per township, the first ones share a leader two by two (a leader covers 1-2)
STAFF_PER_TOWNSHIP = 3


def generate(townships: int, villages: int) -> Roster:
    """A roster whose villages spread evenly over the townships; about 20,000 cadres at full scale."""
    roster, phones = Roster(), (f"13{n:09d}" for n in count(1))

    def person(kind, name, *place, **extra) -> PersonRow:
        row = PersonRow(kind, name, next(phones), *(), **extra)
        row.county, row.township, row.village = (list(place) + ["", "", ""])[:3]
        roster.people.append(row)
        return row

    for t in range(townships):
        county = f"县{t // TOWNSHIPS_PER_COUNTY + 1}"
        town = f"镇{t + 1}"
        roster.townships.append(TownshipRow(county, town, f"G{t + 1}", weekday=t % 5 + 1,
                                            half="morning" if t % 2 else "afternoon"))
        if t % TOWNSHIPS_PER_COUNTY == 0:
            person("supervisor", f"督查{county}", county, position="县委组织部")
        person("secretary", f"书记{t + 1}", county, town, position="镇党委书记", wechat=f"sec{t + 1}")
        staff = [PersonRow("member", f"干部{t + 1}-{s}", next(phones), position="镇干部", categories=["农业生产"])
                 for s in range(STAFF_PER_TOWNSHIP)]
        share = villages // townships + (1 if t < villages % townships else 0)
        leader = None
        for v in range(share):
            name = f"村{t + 1}-{v + 1}"
            remote = v % 10 == 9
            roster.villages.append(VillageRow(county, town, name, [f"{t + 1}-{v + 1}"], "村委会办公楼", remote,
                                              date(2026, 1, 6) if remote else None))
            if v % 2 == 0 or v >= PAIRED_VILLAGES:
                leader = PersonRow("leader", f"组长{t + 1}-{v + 1}", next(phones), position="镇领导")
            for row in [leader, staff[v % STAFF_PER_TOWNSHIP], staff[(v + 1) % STAFF_PER_TOWNSHIP]]:
                roster.people.append(PersonRow(row.kind, row.name, row.phone, row.position, row.wechat,
                                               row.wecom_userid, row.categories, county, town, name))
    person("admin", "管理员", position="县委组织部")
    return roster
