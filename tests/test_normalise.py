"""The reading step's normal form: NFKC, simplified characters, Cantonese words in Mandarin."""
import pytest

from bot.reading.normalise import normalise


@pytest.mark.parametrize(
    "written, read",
    [
        ("條路爛咗好耐冇人理", "条路烂了很久没有人理"),
        ("佢哋收咗錢唔做嘢", "他们收了钱不做事"),
        ("啲垃圾成個禮拜冇人收", "些垃圾整个星期没有人收"),
        ("點解冇人嚟睇", "为什么没有人来看"),
        ("邊度可以辦社保", "哪里可以办社保"),
        ("你哋係咪唔理我哋", "你们是不是不理我们"),
        ("而家喺村口等緊", "现在在村口等紧"),
        ("乜嘢時候俾錢", "什么时候给钱"),
        ("隔離工廠好嘈，瞓唔着", "隔离工厂好吵,睡不着"),
        ("條路啲燈壞晒", "条路些灯全坏了"),
        ("間廠執笠咗仲冇出糧", "间厂倒闭了还没有发工资"),
        ("巴士站個棚冧咗", "巴士站个棚塌了"),
        ("蓋個章都要收五十蚊", "盖个章都要收五十块"),
        ("有個醉佬成日喺度發酒癲 掟嘢", "有个醉汉经常在这里耍酒疯 扔东西"),
        ("啲水喉水好黃", "些水管水好黄"),
        ("有人扮幹部上門呃錢", "有人扮干部上门骗钱"),
        ("村里大喇叭朝早六点就响", "村里大喇叭早上六点就响"),  # 喇叭 keeps its 喇
        ("佢話係銀行嘅", "他说是银行的"), ("村度個山塘漏水", "村里个山塘漏水"),
        ("俾個電話我", "给个电话我"), ("联系点办公地方", "联系点办公地方"), ("何秀蘭嘅電話係幾多", "何秀兰的电话是多少"),
    ],
)
def test_cantonese_and_traditional_read_as_mandarin(written, read):
    assert normalise(written) == read


@pytest.mark.parametrize(
    "written, read",
    [
        ("詳情　１２", "详情 12"),
        ("进度：ＱＳ－２０２６－０００１２", "进度:QS-2026-00012"),
        ("  满意\n\n ", "满意"),
    ],
)
def test_full_width_forms_and_spaces_fold(written, read):
    assert normalise(written) == read


@pytest.mark.parametrize(
    "written, read",
    [
        ("你们啥时候来", "你们什么时候来"),
        ("为啥还没人管", "为什么还没人管"),
        ("这个咋办", "这个怎么办"),
        ("医保卡丢了咋整", "医保卡丢了怎么办"),
        ("驻点系边日", "驻点是哪天"),
        ("负责人系边个", "负责人是谁"),
        ("使唔使交钱", "需不需要交钱"),
        ("同干部讲 点联系", "同干部讲 怎么联系"),
        ("低保点申请", "低保怎么申请"),
    ],
)
def test_colloquial_mandarin_and_more_cantonese_read_as_standard_words(written, read):
    assert normalise(written) == read


@pytest.mark.parametrize(
    "text",
    ["联系卡", "驻点办公室在哪", "驻点解决问题", "地点样式", "联系边防", "旁边个小店", "沒關係", "劳动仲裁的结果",
     "企业晒谷场整个被占", "噪音嘈杂", "路边的点灯", "系统坏了", "我们这边自来水一天停好几次"],
)
def test_mandarin_words_sharing_characters_stay_as_they_are(text):
    # 系/边/点/仲 are Cantonese only inside the phrases mapped; in Mandarin words they stay.
    assert normalise(text) in {text, "没关系"}


def test_empty_and_none_read_as_empty():
    assert normalise("") == ""
    assert normalise(None) == ""


def test_simplified_text_is_left_alone_and_every_traditional_character_still_converts():
    # normalise skips OpenCC for text with no character t2s would change: the skip must never
    # miss one, so each single-character entry of OpenCC's dictionary converts as OpenCC does.
    import os

    import opencc

    t2s = opencc.OpenCC("t2s")
    folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
    with open(os.path.join(folder, "TSCharacters.txt"), encoding="utf-8") as f:
        chars = [line.split("\t")[0] for line in f if line.strip()]
    # Cantonese particles map on to Mandarin afterwards; compare the others
    from bot.reading.normalise import CANTONESE

    chars = [c for c in chars if t2s.convert(c) not in CANTONESE and c != "係"]
    assert len(chars) > 2500
    wrong = [c for c in chars if normalise(f"一{c}一") != f"一{t2s.convert(c)}一"]
    assert not wrong
    assert normalise("我们村的路坏了很久没人修") == "我们村的路坏了很久没人修"
