"""Whether two residents' reports describe the same problem (the co-report rule), in one place.

Two shared words are not enough: twelve reports about canals in twelve different groups are
twelve problems. The rule asks that the place agree (a 组/队 number, or named roads, bridges,
canals, landmarks), that the time agree when both give one, and that the object agree: at least
``min_shared`` content words in common, covering ``min_overlap`` of the shorter report. Measured
on labelled pairs from the shared data set by ``bench/coreport.py``.
"""
import re
from dataclasses import dataclass

# Group numbers: 三组, 3组, 第三村民小组, 5队.
GROUP = re.compile(r"(?:第)?([0-9一二三四五六七八九十两]{1,3})(?:村民小组|小组|组|队|生产队)")
# Named places below the village: a word ending in a place word (水泥路, 东干渠, 村口, 石拱桥).
PLACE_ENDINGS = tuple("路桥街巷渠沟塘河坝库闸井山坡湾屯厂站场校园院堂楼栋口") + ("市场", "小区", "广场")
# Explicit times: dates, weekdays, and relative days.
TIME = re.compile(r"(\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号]|\d{4}年|昨天|前天|今天|今早|昨晚|今晚|上周|本周|上个月|这个月|"
                  r"星期[一二三四五六日天]|周[一二三四五六日])")
GENERIC_PLACES = frozenset({"马路", "公路", "道路", "路口", "门口", "出口", "入口", "路口", "人口", "窗口", "户口", "借口",
                            "学校", "医院", "市场", "小区", "工厂", "农村", "现场", "立场", "市场", "到场", "出院",
                            "法院", "学院", "住院", "大楼", "上楼", "下楼", "楼栋", "开口"})
STOPWORDS = frozenset("""问题 反映 希望 解决 请问 领导 相关 部门 你们 我们 他们 没有 现在 已经 一直 可以 什么 为什么
严重 情况 尽快 要求 群众 村民 居民 政府 有关 处理 这个 那个 一个 这些 那些 自己 不是 还是 就是 但是 因为 所以
如果 这样 那样 怎么 如何 谢谢 您好 你好 非常 特别 影响 造成 导致 出现 进行 目前 时候 多次 一些 很多 大家
是否 能否 是不是 有没有 知道 觉得 应该 需要 帮助 帮忙 关于 咨询 投诉 举报 请求 恳请 反应""".split())


@dataclass(frozen=True)
class Report:
    """What the rule compares: content words, group numbers, named places and explicit times."""

    words: frozenset[str]
    groups: frozenset[str]
    places: frozenset[str]
    times: frozenset[str]


def report(text: str, words) -> Report:
    """The rule's view of a report from its text and its jieba words (kept on the case)."""
    groups = frozenset(m.group(1) for m in GROUP.finditer(text))
    places = frozenset(w for w in words if len(w) > 1 and w.endswith(PLACE_ENDINGS) and w not in GENERIC_PLACES)
    times = frozenset(m.group(1) for m in TIME.finditer(text))
    content = frozenset(w for w in words if len(w) > 1 and w not in STOPWORDS and not w.isdigit())
    return Report(content, groups, places, times)


def _places_agree(a: Report, b: Report) -> bool:
    """When both name places, they share one."""
    return not a.places or not b.places or bool(a.places & b.places)


def same_problem(a: Report, b: Report, min_shared: int = 3, min_overlap: float = 0.5) -> bool:
    """Whether two reports describe the same problem: same place, same time, same object."""
    if a.groups and b.groups and not a.groups & b.groups:
        return False  # 三组 and 五组: two problems, however alike the words
    if a.times and b.times and not a.times & b.times:
        return False
    if not _places_agree(a, b):
        return False
    shared = a.words & b.words
    smaller = min(len(a.words), len(b.words))
    return len(shared) >= min_shared and smaller > 0 and len(shared) / smaller >= min_overlap
