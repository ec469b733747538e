"""The reading step's pure rules: mistyped commands and the kind of a message (no database)."""
import pytest

from bot.reading.commands import Command, match_command
from bot.reading.kinds import read

WORDS = ("联系卡", "名片", "驻点", "驻点日", "驻点时间", "进度", "查询", "帮助", "满意", "不满意", "绑定", "详情", "接单")


@pytest.mark.parametrize("typed, command", [
    ("进渡", Command("进度", "")), ("近度", Command("进度", "")), ("进度？", Command("进度", "")),
    ("进度：１２", Command("进度", "12")), ("进度t1-2026-00012", Command("进度", "t1-2026-00012")),
    ("联系咔", Command("联系卡", "")), ("連系卡", Command("联系卡", "")), ("lianxika", Command("联系卡", "")),
    ("驻店", Command("驻点", "")), ("住点", Command("驻点", "")), ("帮组", Command("帮助", "")),
    ("帮肋", Command("帮助", "")), ("详晴 T1-2026-00012", Command("详情", "T1-2026-00012")),
    ("绑定东坑", Command("绑定", "东坑")), ("不满意，你们根本没来", Command("不满意", "你们根本没来")),
    ("xiangqing 12", Command("详情", "12")), ("jiedan T1-2026-00012", Command("接单", "T1-2026-00012")),
    ("bangding 东坑村", Command("绑定", "东坑村")), ("jin du", Command("进度", "")),
    ("联系ka", Command("联系卡", "")),
])
def test_mistyped_commands_are_read_as_the_command(typed, command):
    assert match_command(typed, WORDS) == command


@pytest.mark.parametrize("typed", ["hello 12", "xiangqingT1", "ok 好的"])
def test_latin_words_that_spell_no_command_are_no_command(typed):
    assert match_command(typed, WORDS) is None


@pytest.mark.parametrize("text", ["进度太慢了，路还没修", "想请问低保怎么办", "我的路灯坏了", "你好", "满意的", "驻点干部是谁"])
def test_free_text_starting_like_a_command_is_not_one(text):
    assert match_command(text, WORDS) is None


def test_only_the_callers_command_words_are_guessed():
    assert match_command("街单 12", ("进度",)) is None
    assert match_command("接单 12", ("接单",)) == Command("接单", "12")


@pytest.mark.parametrize("text, kind", [
    ("在吗", "smalltalk"), ("👌👌", "smalltalk"), ("[愉快]", "smalltalk"), ("多谢你哋", "smalltalk"),
    ("你们哪天来村里", "station"), ("驻點地點喺邊", "station"),
    ("书记电话多少", "contact"), ("搵边个反映", "contact"),
    ("低保怎么申请", "question"), ("醫保幾時交", "question"),
    ("我的案子办得怎么样了", "progress"),
    ("隔壁着火了", "emergency"), ("有人落水了 快来人", "emergency"), ("有人拿刀砍人", "emergency"),
    ("路灯坏了一个月了怎么还没人修", "complaint"), ("工地老板电话都不接 欠我工资", "complaint"),
    ("條路爛咗好耐冇人理", "complaint"), ("村幼儿园的老师打小孩", "complaint"),
])
def test_kind_of_message(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text", [
    "細路打咗疫苗發燒 打電話去衛生站冇人聽",  # a phone in the story, not asked for
    "网上买的手机是翻新机 卖家不认帐",
    "鱼塘的鱼一夜浮头死了好多 不知道什么原因",  # a question about a loss
    "啲鴨瘟咗成批 要唔要報上去",
    "村委收咗我哋每户两百蚊修路 用咗几多冇讲",  # money nobody accounts for
    "集体鱼塘承包给谁了 多少钱 没人知道",
    "孩子考上大学交不起学费 有没有助学的",  # hardship asking for help
    "殘疾補貼好耐都未發 搵邊度問",
    "失业金点样申请 去咗两次都话唔啱",
    "有人扮村幹部上門收錢 係咪呃人嘅",
    "村干部上班时间在打麻将",  # a time told, not asked
    "村口那座桥栏杆断了 晚上骑车怕掉河里",  # a fear, not a person in the water now
    "屋企火燭燒晒 而家冇地方住 可唔可以幫下",  # the fire's aftermath
    "自来水三天两头停 放出来还是黄的 怎么喝",  # a rhetorical how-can-we after the story
    "村小学只剩两个老师 一个老师要教三个年级 小孩怎么学得好",
    "啲村干部要收钱先至帮你办嘢 点解会咁",
    "我阿爸喺厂度做嘢整亲手 老板唔肯赔 仲话唔关佢事 点算啊😢",  # refused, asked how to go on
    "有车有楼那家也评上贫困户了😂 真正困难的反而没有 谁评的啊",  # unfairness
    "村里有家小诊所没牌照还给人打吊针 出了事谁负责啊",  # who answers for it: no contact question
    "成日有泥头车喺村道度飙车 细路放学好危险 有冇人理㗎",
    "我阿媽今年六十歲，點解社保卡辦咗成兩個月都未攞到",  # still nothing, asked why
    "我哋條村嘅自來水成日停，一停就停成日，點搞啊",
    "村集体个鱼塘租咗俾边个、租金几多，从来冇人讲过",
    "隔篱屋喺度起第四层，冇报建嘅，挡晒我屋企啲光",
    "我屋企上年火燒咗間屋，申請臨時救助到而家都冇消息",  # a fire last year: no emergency
    "修路集资每户收了五百，用了几多钱都唔讲",
    "村道有个大坑窿 摩托车跌过几次了 快点补下",  # an urging, though 几次 asks
])
def test_a_problem_told_with_a_question_or_a_phone_is_a_complaint(text):
    assert read(text).kind == "complaint"


@pytest.mark.parametrize("text, kind", [
    ("你们星期几在村里办公", "station"), ("干部一般上午来还是下午来", "station"), ("驻点时间", "station"),
    ("我女儿考上大学了 有助学金吗", "question"), ("我不知道低保怎么申请", "question"), ("身份证丢了怎么补", "question"),
    ("耕地可以种果树吗 会不会被罚", "question"), ("养老保险断了几年 可以补缴吗", "question"),
    ("土地确权证什么时候发下来", "question"), ("申请低保要几耐先批落嚟", "question"),
    ("请问领导一般什么时候在村委会", "station"), ("驻点怎么走", "station"),
    ("星期几有人喺村委会值班", "station"), ("周三上午是不是有人在村委", "station"), ("接待日是哪天哈", "station"),
    ("村里统一装的光伏板，我们家能不能也申请装", "question"),
    ("你系机械人嚟㗎？", "smalltalk"), ("我孙子教我用这个的，看看好不好用", "smalltalk"),
    ("你好，我是东坑村的", "smalltalk"), ("好犀利", "smalltalk"),
    ("下次再讲", "smalltalk"), ("冇嘢 我试下咋", "smalltalk"),
    ("星期三上午都在村委吗", "station"), ("联系点办公地方在哪", "station"),
    ("房子是不是危房要找谁来鉴定", "question"), ("村里的光伏项目我们能不能参加", "question"),
    ("细人仔打疫苗系去镇卫生院定系村卫生站", "question"),
    ("驻点时间地点发一下", "station"), ("請問負責東坑村嘅幹部點聯絡", "contact"), ("俾个电话我 我想直接打过去", "contact"),
])
def test_questions_stay_questions_beside_those_marks(text, kind):
    assert read(text).kind == kind


def test_verdicts_are_read_only_when_one_is_awaited():
    assert read("满意的").kind != "verdict"
    assert read("满意的", awaiting_verdict=True).detail == "satisfied"
    assert read("唔满意 搞咗咁耐都冇用", awaiting_verdict=True).detail == "unsatisfied:搞咗咁耐都冇用"
    assert read("不满意", awaiting_verdict=True).detail == "unsatisfied:"


@pytest.mark.parametrize("typed, command", [
    ("查进度", Command("进度", "")), ("帮我看看联系卡", Command("联系卡", "")), ("我要绑定东坑", Command("绑定", "东坑")),
])
def test_lead_in_words_before_a_command(typed, command):
    assert match_command(typed, WORDS) == command


def test_a_commands_free_text_keeps_what_was_written():
    assert match_command("办结１２ 路灯已更换，今晚起正常照明", ["办结"]).args == "12 路灯已更换，今晚起正常照明"
    assert match_command("備註 3 條路爛咗", ["备注"]).args == "3 條路爛咗"
    assert match_command("详情　１２", ["详情"]).args == "12"


@pytest.mark.parametrize("text, kind", [
    # colloquial Mandarin (啥, 咋) reads as its standard words
    ("书记啥时候下村", "station"), ("梁组长咋联系", "contact"), ("驻村干部叫啥", "contact"), ("高龄津贴咋领", "question"),
    # "来不来", "有没有": asking, not the 不来 / 没有 of a complaint
    ("你们下礼拜来不来", "station"), ("镇上有没有招保安的", "question"), ("种茶叶有冇补助", "question"),
    ("有没有人来修一下路灯", "complaint"),
    # any 哪 + measure word asks (哪张, 哪家, 哪间); 哪怕 does not
    ("补贴发到哪家银行", "question"), ("哪怕下雨也没人来收垃圾", "complaint"),
    # the time of day a cadre comes is a station-day question
    ("干部上午来还是下午来", "station"),
    # Cantonese "which day" / "is who" typed in simplified script
    ("驻点系边日", "station"), ("驻村干部系边个", "contact"),
    # a question with how long it has lasted, or "always" / "again", is a complaint
    ("垃圾什么时候来收 都放了五天了", "complaint"), ("医生咋老是不在", "complaint"), ("怎么又停水", "complaint"),
])
def test_kind_of_colloquial_and_a_not_a_messages(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text", ["国庆节快乐", "祝大家新春快乐 身体健康", "谢谢你们的支持", "好 那我等消息",
                                  "我刚关注了", "没问题", "冇问题", "多谢你哋咁快回复"])
def test_wishes_thanks_and_acknowledgements_are_small_talk(text):
    assert read(text).kind == "smalltalk"


@pytest.mark.parametrize("text", ["我想反映个情况", "你好 有件事想咨询下", "我要投诉", "在吗 想问一下", "我有个问题"])
def test_saying_one_wants_to_report_is_not_yet_a_complaint(text):
    assert read(text).kind == "intent"


@pytest.mark.parametrize("text, kind", [("找谁反映", "contact"), ("我要投诉村口的养猪场", "complaint"),
                                        ("有人偷东西", "complaint"), ("想问一下低保怎么申请", "question")])
def test_a_report_with_its_content_is_not_an_intent(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text", ["路灯修好了 谢谢", "水来了 多谢你们", "已经解决了 辛苦了", "不好意思打扰了", "算了 不用了",
                                  "感谢党和政府", "好的 有事再联系", "得啦", "係咁先", "请问有人吗", "你们效率真高"])
def test_thanks_for_a_solved_problem_and_polite_words_are_small_talk(text):
    assert read(text).kind == "smalltalk"


@pytest.mark.parametrize("text", ["谢谢 但是水还是没来", "修好了 谢谢 不过路灯又坏了", "谢谢你们修好了路 另外水管也爆了",
                                  "谢谢 我家水管爆了", "谢谢 社保交了十年 换了工作说要重新交"])
def test_thanks_with_something_still_wrong_is_a_complaint(text):
    assert read(text).kind == "complaint"


@pytest.mark.parametrize("text, kind", [
    ("怎样才能联系到驻村干部", "contact"), ("管事的是哪位", "contact"), ("驻点办公室在什么位置", "station"),
    ("为什么我们组又停水了", "complaint"), ("点解我个低保冇咗", "complaint"), ("明天停水吗", "question"),
])
def test_kind_of_more_contact_station_and_complaint_wordings(text, kind):
    assert read(text).kind == kind


def test_a_complaint_is_marked_when_it_says_what_is_wrong():
    assert read("路灯不亮").detail == "marked"
    assert read("白石镇的").detail == ""


@pytest.mark.parametrize("typed, command", [
    ("联系卡呢", Command("联系卡", "")), ("驻点啊", Command("驻点", "")), ("帮助一下", Command("帮助", "")),
    ("看下联系卡", Command("联系卡", "")), ("给我联系卡", Command("联系卡", "")), ("查下进度", Command("进度", "")),
])
def test_particles_after_and_requests_before_a_command(typed, command):
    assert match_command(typed, WORDS) == command


@pytest.mark.parametrize("text, kind", [
    ("驻点是早上还是下午", "station"), ("想见一下驻村干部", "station"), ("你们书记是哪个", "contact"),
    ("社保可以在手机上交吗", "question"), ("医保卡坏了能补办吗", "question"), ("超市卖过期的面包", "complaint"),
    ("你好 有人在河边烧垃圾", "complaint"), ("你好 请问低保怎么办", "question"),
    ("好的 那就这样", "smalltalk"), ("冇嘢 多谢", "smalltalk"), ("感谢你们的付出", "smalltalk"),
])
def test_kind_after_a_greeting_a_paper_or_a_meeting(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text, sort", [("好的 那就酱", "ack"), ("谢谢 大热天的", "thanks"), ("好 我明天去村委", "ack")])
def test_small_talk_but_for_a_few_words_is_left_to_the_classifier(text, sort):
    reading = read(text)
    assert reading.kind == "complaint" and reading.detail == f"chat:{sort}"


@pytest.mark.parametrize("text", ["你好 狗咬人", "在吗 有蛇进屋", "谢谢 但是水还是没来", "好的 不过路上有个大坑"])
def test_a_greeting_or_a_but_before_a_few_words_is_the_message_itself(text):
    reading = read(text)
    assert reading.kind == "complaint" and not reading.detail.startswith("chat:")


@pytest.mark.parametrize("typed, command", [
    ("联系卡片", Command("联系卡", "")), ("驻点日期", Command("驻点日", "")), ("进度情况", Command("进度", "")),
    ("详细 12", Command("详情", "12")), ("详细T1-2026-00012", Command("详情", "T1-2026-00012")),
])
def test_a_noun_after_a_look_up_and_one_wrong_character_before_a_case_number(typed, command):
    assert match_command(typed, WORDS) == command


@pytest.mark.parametrize("text", ["进度慢", "详细说明一下", "满意度"])
def test_free_text_near_a_command_stays_free_text(text):
    assert match_command(text, WORDS) is None


@pytest.mark.parametrize("text, kind", [
    ("下个星期有驻点吗", "station"), ("我要找管事的领导", "contact"), ("这事找哪个部门", "question"),
    ("医保要交现金还是转账", "question"), ("路灯还是不亮", "complaint"),
])
def test_kind_of_choice_questions_weeks_and_departments(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("typed, command", [
    ("详情-12", Command("详情", "12")), ("进度#12", Command("进度", "12")), ("详 情 12", Command("详情", "12")),
    ("联系 卡", Command("联系卡", "")),
])
def test_a_dash_or_hash_before_the_number_and_a_space_inside_the_word(typed, command):
    assert match_command(typed, WORDS) == command


@pytest.mark.parametrize("text, kind", [
    ("我们村归谁管", "contact"), ("村里的事由谁负责", "contact"), ("河堤归谁管", "question"), ("谁把我家的菜偷了", "complaint"),
])
def test_who_manages_the_village_is_a_contact_question_who_manages_a_thing_is_not(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text, kind", [
    ("能不能在村口装个路灯", "complaint"), ("可唔可以开条直通线", "complaint"), ("老人家嘅津贴点解少咗", "complaint"),
    ("能不能种果树", "question"), ("我想去找驻村干部 几点去合适", "station"), ("驻村干部电话 我想当面找他", "contact"),
])
def test_requests_for_action_and_meeting_a_cadre(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text, detail", [
    ("对处理结果很满意", "satisfied"), ("我们全家都很满意 谢谢你们及时处理", "satisfied"),
    ("我对你们的处理不满意", "unsatisfied:"), ("问题还没解决 不满意", "unsatisfied:问题还没解决"),
])
def test_a_short_verdict_is_read_wherever_manyi_stands(text, detail):
    assert read(text, awaiting_verdict=True).detail == detail


def test_a_long_complaint_mentioning_dissatisfaction_is_no_verdict():
    assert read("村民对垃圾场的处理很不满意 天天都臭到不行 希望尽快解决", awaiting_verdict=True).kind == "complaint"


@pytest.mark.parametrize("text, kind", [
    ("请问什么时候通自来水 等了三年了", "complaint"), ("有没有人管一下 路边全是垃圾", "complaint"),
    ("食堂的饭菜这么差有人管吗", "complaint"), ("包工头跑了 工钱找谁要", "complaint"), ("救济粮是不是都给了干部亲戚", "complaint"),
    ("农村建房最多能建几层", "question"), ("嗯嗯 收到 我跟家里人说一声", "complaint"),
])
def test_kind_of_complaints_asked_as_questions(text, kind):
    reading = read(text)
    assert reading.kind == kind
    if text.startswith("嗯嗯"):  # an acknowledgement with a few words: the classifier's to say
        assert reading.detail == "chat:ack"


def test_one_wrong_character_among_sound_alikes():
    assert match_command("聯絡咔", WORDS) == Command("联系卡", "")  # 络 wrong, 咔 sounds like 卡


@pytest.mark.parametrize("text, kind", [("我想打电话给组长", "contact"), ("驻村联系人", "contact"), ("在的吗", "smalltalk")])
def test_calling_a_cadre_and_asking_if_anyone_is_there(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text, kind", [("我想同干部讲 点联系", "contact"), ("喂 有冇人", "smalltalk"), ("驻点地点去哪", "station")])
def test_cantonese_how_and_is_anyone_there(text, kind):
    assert read(text).kind == kind


@pytest.mark.parametrize("text", ["医保是怎么扣费的", "被征地农民的养老保险怎么办", "收费标准是多少", "太阳能热水器有补贴吗",
                                  "请问欠费停机了去哪交", "房屋倒了能申请什么补助", "孩子经常生病有什么补助吗"])
def test_a_question_holding_a_word_that_complaints_use_too_is_a_question(text):
    assert read(text).kind == "question"


@pytest.mark.parametrize("text", ["为什么收费这么贵", "怎么天天都停水", "工资被扣了怎么办", "药太贵了", "低保一直没发是什么原因",
                                  "那几间危房墙快倒了 小孩经常在那玩", "补偿款怎么分的 一直不公开", "屠宰场卖病猪肉谁来管",
                                  "工程款拖欠几年了", "厂里莫名被开除 能帮忙处理吗"])
def test_the_same_words_in_a_why_or_without_a_question_are_a_complaint(text):
    assert read(text).kind == "complaint"
