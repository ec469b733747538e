"""One form of a message for reading: NFKC, simplified characters, Cantonese and colloquial words put in Mandarin."""
from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache

import opencc

# Cantonese words and particles → Mandarin, keys in simplified characters (matched after t2s).
# Longer keys win (the pattern is sorted by length); single characters that are also common in
# Mandarin words (边, 点, 仲, 食, 系) are only mapped inside longer Cantonese phrases.
CANTONESE = {
    "点解": "为什么", "点样": "怎么样", "点算": "怎么办", "点办": "怎么办",
    "喺边": "在哪", "边度": "哪里", "边处": "哪里", "边个": "谁", "边间": "哪间", "边位": "哪位",
    "乜嘢": "什么", "乜": "什么", "咩": "什么",
    "而家": "现在", "宜家": "现在", "今日": "今天", "琴日": "昨天", "寻日": "昨天",
    "听日": "明天", "几时": "什么时候", "几多": "多少",
    "睇": "看", "嚟": "来", "俾": "给", "畀": "给", "攞": "拿", "揾": "找", "搵": "找",
    "谂": "想", "惗": "想", "嘥": "浪费", "啱": "对", "揸车": "开车",
    "咗": "了", "冇": "没有", "嘅": "的", "喺": "在", "嗰": "那",
    "唔该": "谢谢", "唔使": "不用", "唔好": "不要", "唔系": "不是", "唔": "不",
    "系唔系": "是不是", "是唔是": "是不是", "系咪": "是不是", "是咪": "是不是", "就系": "就是", "都系": "都是", "真系": "真是",
    "仲唔": "还不", "仲未": "还没", "仲有": "还有", "仲系": "还是", "仲要": "还要",
    "佢哋": "他们", "我哋": "我们", "你哋": "你们", "哋": "们", "佢": "他",
    "我啲": "我的", "佢啲": "他的", "你啲": "你的", "啲": "些", "乱咁揸": "乱开", "做嘢": "做事", "嘢": "东西",
    "呢个": "这个", "呢度": "这里", "呢啲": "这些", "呢排": "最近",
    "成个": "整个", "礼拜": "星期", "咁耐": "这么久", "咁": "这么", "噉": "这样", "好耐": "很久", "成日": "经常",
    "返工": "上班", "返屋企": "回家", "屋企": "家", "落雨": "下雨", "食饭": "吃饭",
    "搞掂": "搞定", "老细": "老板", "隔篱屋": "隔壁家", "隔离屋": "隔壁家", "隔篱": "隔壁", "幅地": "块地",
    "人工": "工钱", "禾": "稻", "生晒虫": "全生虫", "差佬": "警察", "后生仔": "年轻人", "细路": "小孩",
    "喇": "了", "喇叭": "喇叭", "嘞": "了", "㗎": "", "喎": "", "啩": "",
    # complaint words: 晒/企/整/仲 are common Mandarin characters, so only their Cantonese phrases
    "瞓": "睡", "嘈": "吵", "嘈杂": "嘈杂", "执笠": "倒闭", "污糟": "脏", "水浸": "水淹", "塞车": "堵车",
    "坏晒": "全坏了", "烂晒": "全烂了", "冇晒": "全没有了", "死晒": "全死了", "臭晒": "全臭了", "塞晒": "全堵了",
    "仲是": "还是", "仲喺": "还在", "仲冇": "还没有", "企喺": "站在",
    "整烂": "弄坏", "整坏": "弄坏", "整返好": "修好", "整番好": "修好",
    "出粮": "发工资", "返学": "上学", "街市": "市场", "晏昼": "下午", "朝早": "早上",
    # money, time and people
    "个钟": "小时", "几日": "几天", "日日": "天天",
    "啱啱": "刚刚", "阿爸": "爸爸", "老豆": "爸爸", "阿妈": "妈妈", "老母": "妈妈", "细佬": "弟弟", "家姐": "姐姐",
    "醉佬": "醉汉", "差人": "警察", "大耳窿": "放高利贷的",
    # things and doings that carry a complaint's category
    "水喉": "水管", "家私": "家具", "火烛": "火灾", "冧": "塌", "呃": "骗", "打交": "打架", "发酒癫": "耍酒疯",
    "掟": "扔", "执咗": "倒闭了", "炒鱿鱼": "解雇", "劏": "杀", "收数": "讨债", "打风": "台风", "打劫": "抢劫",
    "揸住": "拿着", "几耐": "多久", "先至": "才", "定系": "还是", "揸": "开", "闹人": "骂人", "整亲": "弄伤",
    # 话 says only after a person or an adverb: 电话 keeps its 话
    "佢话": "他说", "仲话": "还说", "就话": "就说", "又话": "又说",
    "村度": "村里", "厂度": "厂里", "嗰度": "那里", "屋企度": "家里", "去边": "去哪里", "喺度": "在这里",
}
# Colloquial and regional Mandarin as typed on phones → the standard words the rules look for.
COLLOQUIAL = {
    "啥": "什么", "啥子": "什么", "神马": "什么",
    "咋": "怎么", "咋个": "怎么", "咋样": "怎么样", "咋办": "怎么办", "咋整": "怎么办", "咋弄": "怎么办",
    "肿么": "怎么", "木有": "没有",
}
# More Cantonese: "which day", "is which/who" (系 typed in simplified script), "how" before a verb,
# "nothing", "that's all", "have you eaten", "need or not".
CANTONESE.update({
    "边日": "哪天", "边一日": "哪一天", "边朝": "哪天", "系边个": "是谁", "系边日": "是哪天", "系边度": "是哪里", "系边": "是哪",
    "点联系": "怎么联系", "点搵": "怎么找", "点揾": "怎么找", "点去": "怎么去", "点交": "怎么交", "点申请": "怎么申请",
    "点报": "怎么报", "点做": "怎么做", "点搞": "怎么办", "冇嘢": "没事", "是咁先": "先这样", "系咁先": "先这样",
    "食咗饭未": "吃饭了吗", "食饭未": "吃饭了吗", "食咗": "吃了", "使唔使": "需不需要", "驶唔驶": "需不需要",
    "得唔得": "行不行", "几钱": "多少钱",
})
_WORDS = {**COLLOQUIAL, **CANTONESE}
# 点, 系 and 边 end many Mandarin words (驻点, 地点, 联系, 旁边): a key starting with one is Cantonese only
# when the character before it does not make such a word (驻点办公室 is not 驻 + 点办).
_NOT_AFTER = {"点": "驻地站网重景据要特观节试焦终起一有差早晚快慢多少几两三四五六七八九十钟盘清指检系",
              "系": "联关体派院水母直干世谱星", "边": "旁身这那左右里外南北东西河路海岸周两一半无"}
_CANTONESE_RE = re.compile("|".join((f"(?<![{_NOT_AFTER[key[0]]}])" if key[0] in _NOT_AFTER else "") + re.escape(key)
                                    for key in sorted(_WORDS, key=len, reverse=True)))
# 係 ("is") becomes 系 in simplified script, where 系 is mostly 系统/联系; read it before t2s.
# 關係 (关系) is the one common word written with 係 that keeps its meaning.
_HAI_RE = re.compile("(?<![關关])係")
_SPACES_RE = re.compile(r"\s+")
# 五十蚊, 两百蚊: Cantonese money (a separate rule, so digits need not start a key of the pattern).
_MONEY_RE = re.compile(r"(?<=[0-9一二两三四五六七八九十百千万几])蚊")


# The first characters of the Cantonese and colloquial keys: a text with none of them skips the pattern.
_CANTONESE_FIRST = frozenset(key[0] for key in _WORDS)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """The traditional → simplified converter, built once."""
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    """Every character that t2s may change, read from OpenCC's own dictionaries: a text with none
    of them converts to itself, so the (pure-Python, slow) conversion is skipped for it."""
    folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")

    def pairs(name: str):
        """(key, the value OpenCC uses: the first) of a dictionary of config/t2s.json's chain."""
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                key, _, values = line.rstrip("\n").partition("\t")
                yield key, values.split(" ")[0]

    chars = {key for key, value in pairs("TSCharacters.txt") if key != value}
    for key, value in pairs("TSPhrases.txt"):
        # a phrase holding a character converted anyway never decides alone (么麼 → 幺麽 needs 麼)
        if chars.isdisjoint(key):
            chars.update(key if len(key) != len(value) else (a for a, b in zip(key, value) if a != b))
    return frozenset(chars)


def _simplified(text: str) -> str:
    """``text`` in simplified characters; OpenCC runs only when a character may change."""
    return text if _traditional().isdisjoint(text) else _convert(text)


@lru_cache(maxsize=1024)
def _convert(text: str) -> str:
    """OpenCC's t2s conversion (cached: the same chat messages and commands recur)."""
    return _t2s().convert(text)


def simplified(text: str) -> str:
    """NFKC (full-width digits, letters, colons and spaces) and simplified characters; lengths kept."""
    return _simplified(unicodedata.normalize("NFKC", text or ""))


def normalise(text: str) -> str:
    """The text as the reading step sees it: NFKC, simplified, Cantonese in Mandarin, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    if "係" in text:
        text = _HAI_RE.sub("是", text)
    text = _simplified(text)
    if not _CANTONESE_FIRST.isdisjoint(text):
        text = _CANTONESE_RE.sub(lambda m: _WORDS[m.group(0)], text)
    if "蚊" in text:
        text = _MONEY_RE.sub("块", text)
    return _SPACES_RE.sub(" ", text).strip()
