"""What kind of message a resident's free text is, decided in one place from its normal form.

Pure rules over the text (no database): small talk, a wish to report (not yet saying what), an
emergency, a bare verdict, a question about the station day or the contact card, progress, another
question, or (the default) a complaint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.reading.normalise import normalise, simplified

# WeChat's emoticon codes ([OK], [抱拳]), emoji and punctuation say nothing a case needs.
_NOISE = re.compile(r"\[[^\[\]]{1,6}\]|[^\w\u4e00-\u9fff]+|_")
_SMALLTALK_WORDS = {
    "greeting": "你好 您好 你们好 大家好 在吗 在么 在不在 在嘛 有人吗 有人在吗 喂 hello hi hey 嗨 哈喽 早 早安 早上好 上午好 "
                "中午好 下午好 晚上好 晚安 早晨 新年好 过年好 快乐 如意 吉祥 安康 顺利 发财 恭喜 祝福 平安 健康 幸福 "
                "扫码 扫了码 扫了二维码 关注了 吃饭了吗 吃了吗 吃饭没 吃了没 有人在不 有人不 有人没 在的吗 在的么 在没 "
                "有没有人 有没有人在 吃饭了没 吃早饭了吗 食咗饭未 食饭未 食咗早餐未 饮茶 得闲饮茶 喝茶",
    "thanks": "谢谢 多谢 感谢 感恩 辛苦 麻烦 谢了 谢啦 thanks thank you thx 有心 费心 打扰 打扰了 不好意思 抱歉 "
              "效率高 效率真高 真快 好快 真负责 真好 好人 好干部 一生平安",
    "bye": "拜拜 再见 bye 回头见 再联系 回头联系 再聊 再问 再说 改天聊 再讲 迟啲再讲 下次再讲",
    "ack": "好的 好滴 好哒 好嘞 好 收到 知道 明白 了解 嗯 嗯嗯 哦 噢 喔 哦哦 行 可以 ok okay 是的 对 没事 没有事 没关系 "
           "不客气 哈哈 呵呵 好吧 不用 okk 嗯呐 懂了 没问题 没有问题 等着 等消息 不急 那就好 晓得 算了 赞 点赞 棒 "
           "给力 厉害 666 好评 这样 就这样 先这样 妥 妥妥 嘿嘿 嘻嘻 得啦 得了 试试 试一下 试试看 测试 发错了 发错 打错了 "
           "犀利 好犀利 叻 好叻 劲 好劲 正 好正 掂 搞掂 搞定",
}
_FILLERS = ("了 啦 呀 啊 哈 哦 喔 的 你 您 你们 政府 关心 大家 同志 领导 干部 书记 组长 一下 非常 很 太 真 的话 呢 哇 哒 吧 "
            "嘛 咯 啰 么 晒 啲 喇 咯 各位 老师 主任 村长 镇长 再 次 一直 以来 帮忙 这么 快 帮助 支持 关照 照顾 回复 "
            "及时 那 我 就 刚 刚刚 祝 祝你 节 新年 新春 春节 元旦 国庆 中秋 端午 元宵 冬至 重阳 节日 万事 身体 工作 "
            "全家 阖家 和 也 们 用心 操心 热心 耐心 认真 负责 党 真是 实在 兄弟 大哥 大姐 师傅 亲 真的 都 是 对 已经 "
            "了了 有事 再找 找你们 随时 联系 付出 努力 服务 来得 下次 回头 改天 请问")
_KIND_OF = {w: kind for kind, words in _SMALLTALK_WORDS.items() for w in words.split()}
_TOKENS = sorted({*_KIND_OF, *_FILLERS.split()}, key=len, reverse=True)
_SMALLTALK = re.compile("(?:" + "|".join(map(re.escape, _TOKENS)) + ")+", re.IGNORECASE)
_SMALLTALK_WORD = re.compile("|".join(map(re.escape, sorted(_KIND_OF, key=len, reverse=True))), re.IGNORECASE)

# Saying that one wants to report or ask, without saying what yet ("我想反映点事", "有个问题想咨询一下").
_INTENT_WORDS = ("我 俺 我们 想 要 有 个 点 件 些 一 下 一下 事 事情 问题 情况 跟 和 向 给 找 你们 您 政府 干部 领导 绑定 绑 "
                 "反映 反应 投诉 举报 咨询 问 问问 说 讲 求助 请问 可以 能 吗 帮 帮忙 需要 是 村民 本村 这边 住 在 的 东西 点儿")
_INTENT = re.compile("(?:" + "|".join(map(re.escape, sorted({*_INTENT_WORDS.split(), *_TOKENS}, key=len, reverse=True)))
                     + ")+", re.IGNORECASE)
_NEVER_MIND = re.compile(r"没事|没有事|不用|算了")  # "没事 我就问问"
_INTENT_MARK = re.compile(r"反映|反应|投诉|举报|咨询|问|求助|有[个件点些]?(事|问题|情况)|绑定?")
# A person in danger now: fire, violence, a medical emergency, water rising.
EMERGENCIES = {
    "fire": r"着火|失火|火灾(?!隐患)|起火|烧起来|火烧|冒烟.*(房|屋)|煤气泄漏|燃气泄漏|液化气泄漏|爆炸",
    "violence": r"砍人|杀人|持刀|拿刀|动刀|打人.*(流血|受伤|快)|(打|伤)得?(很|好)?重|流了好多血|流了很多血|血流不止|绑架|抢劫|被打伤|打起来了|家暴|要打死",
    "medical": r"昏迷|晕倒|倒地不起|不省人事|没有?呼吸|没气了|没有气了|心脏病发|中风了|抽搐|吐血|触电|中毒了|溺水|落水|"
               r"掉(进|到)?(河|水|塘|井)里|快不行了|救命啊|快救人|快来人|跳楼|跳河|要自杀|喝农药|割腕",
    "flood": r"发洪水|洪水来了|山洪|决堤|被困|泥石流|山体滑坡|塌方.*(压|埋)|水漫进|淹到(屋|房|家|腰|胸|脖)|水位.*涨|被水冲走",
}
_EMERGENCY = {kind: re.compile(pattern) for kind, pattern in EMERGENCIES.items()}
# Danger that is not now: a risk or a fear (怕掉河里), something long past, or the aftermath of a
# fire (烧光了 现在没地方住): a complaint about it, not an emergency.
_NOT_NOW = re.compile(r"隐患|风险|已经.{0,3}(年|个月)|至今|去年|前年|上年|旧年|上个月|上次|以前|之前|好几年|多年|几年|年了|"
                      r"怕|担心|万一|会不会|容易|差点|差一点|可能|烧(光|晒|完|没)|没有?地方住|之后")

# A complaint's marks: something is broken, withheld, wrong or done to someone; questions lack them.
_COMPLAINT = re.compile(
    r"坏|烂|漏|堵|塌|裂|断了|停了|不通|没人管|没有人管|没人理|没有人理|不管|不理|不处理|不作为|不给|"
    r"不还|不退|不发|不办|乱|偷|吵|臭|脏|霸占|占了|强行|打人|骂|威胁|被\w{1,3}了|"
    r"克扣|还没|都没|至今|少给|多收|一直(不|没)|不公开|没公开|不公示|不透明|严重|谁来(管|保|承担|赔)|有人管吗|"
    r"是否(合理|合法|合规|正常)|拖欠|几个?多?(天|年|月|星期)了|被(打|偷|骗|占|扣|拆|罚|取消|挪用|截留)|裁人|裁员|"
    r"开除|辞退|打不开|用不了|不能用|(去哪|到哪里去|哪去)了|老是|怎么又|少了|霸|为什么要(我|我们)|"
    r"不(亮|响|出水|能用|好用)|爆了|爆管|又(停|坏|漏|堵|断|没|臭|吵|涨|被|来收)|停水了|停电了|没水|没电|断水|断电|"
    r"没了|没有了|不见了|取消了|停发|"
    r"摊派|索要|吃拿卡要|不公平|优亲厚友|发臭|扰民|没有人来|没人来|没有来|不来|说好|"
    r"滞后|太慢|来修|修好|修一下|没修|修复|不修|凭什么|为什么不|为啥不|为什么没|怎么还|怎么没人|到底|"
    r"(合理|合法|公平|正常|像话|应该)吗|"
    # how long it has been: "都堆一个星期了", "已经三个多月"
    r"(都|已经|快|等了|拖了|过了)\w{0,3}?[一二两三四五六七八九十半几\d]+个?多?(天|日|星期|礼拜|周|月|年)|"
    # nobody sees to it, or it is bad: 有没有人管一下, 饭菜这么差, 老板跑了, 工资找谁要, 给了干部亲戚
    r"人管|管一下|管管|(很|太|这么|那么|好|真|特别|非常)(差|慢|脏|乱)|跑了|跑路|失联|找谁要|问谁要|亲戚|关系户|后门|"
    # nobody answers or is seen: 打电话没人听, 见不到人
    r"(没有?人|不)(听|接)|见不到人|找不到人|"
    # deaths, sickness and blight of crops and animals: 鸭瘟了成批, 鱼死了好多, 叶子有黑点 什么病
    r"死了|死光|瘟|发霉|枯死|发黄|烂根|什么病|"
    # money nobody accounts for: 用了多少没有讲, 钱花到哪里都不知道, 要讲清楚, 没人知道
    r"没有?人知|谁都不知|一点都不知|(花|用)\w{0,2}(到|去)?(哪里|哪儿|哪去|去哪)|(讲|说|交代)清楚|没有?讲|没有?公布|不公布|"
    # hardship asking for help: 交不起学费, 出不了门打工, 过不下去
    r"交不起|付不起|读不起|看不起病|过不下去|没饭吃|没有?地方住|出不了门|没有?人照顾|瘫痪|"
    # waiting and going round in circles: 很久都未发, 去了两次都说不对
    r"(很久|好久|好几年|几年|几个月)\w{0,2}(未|没)|(去|跑|找|问)了?(两|三|几|好几|多)(次|趟|回)|"
    # deceit and being sent away: 扮干部上门收钱, 骗人, 拉黑, 不认账, 叫我走
    r"骗|冒充|假扮|扮\w{0,2}(干部|警察|银行|客服|领导)|拉黑|不认(账|帐)|翻新机|(叫|让|赶)我走|"
    # disdain, bribes, and how often: 爱理不理, 收钱才办, 三天两头停
    r"爱理不理|爱答不理|不理不睬|收钱|要钱|送礼|三天两头|隔三差五|"
    # refusals, unfairness, danger, no licence, fakes, rudeness: 老板不肯赔, 反而没有, 好危险, 没牌照, 怀疑是假货
    r"不肯|不关\w?事|反而|危险|没有?(牌照|执照|资质)|无证|无牌|假货|假的|怀疑|少算|算错|说不清|"
    r"(什么|乜)态度|态度(差|恶劣|不好)|(好|很|太)(恶|凶)|被\w?骂|给他(闹|骂)|"
    r"没有?人(下来|过来|来)|没有?钱(医|治|看|读|交)|(我们|大家|村民|群众|老百姓)都不知|(有没有|有冇)人(理|管)|"
    r"没来|(没|未)(发|到账|批)|挡住|看不(到|见|清)|约架|打架|斗殴|咬|"
    # still nothing: 未拿到, 停到现在, 经常停, 没有人讲过, 没有消息, 挡光, 没报建
    r"(都|还)?未(拿到|攞到|收到|到|有消息)|停到|(经常|老是|总是)\w{0,2}(停|坏|断|堵|漏|没)|没有?人(讲|说|通知|公布)|"
    r"没有?消息|没下文|挡|没有?报建|都(不|没有?)(讲|说|公布|公开)|快点\w{0,2}(补|修|来|处理|搞|管)|"
    # a rhetorical how-can-we after the story: 放出来是黄的 怎么喝, 一个老师带两个年级 孩子咋学
    r"\w{4,}\s*\S*(怎么|咋|点)(喝|吃|住|活|过日子|过|学|读书|睡|生活|种)(得好|得下去|得了)?(啊|呀|嘛|呢)?$"
)
# Marks that a plain question may hold too (被征地农民, 怎么扣费, 收费标准, 太阳能, 欠费停机, 房屋倒了能申请什么):
# a complaint's without a question, a question's with one, unless it asks why (为什么收费这么贵).
_WEAK = re.compile(r"破|倒了|拖|欠|盖了|搭了|污染|违规|违法|违建|占用|投诉|举报|扣|被|一直|好几|几个月|(?<![今昨明后前])天天|每天|经常|总是|从来|"
                   r"太|过期|假|贵|涨|收费|积水|噪音|停水|停电")
_WHY = re.compile(r"为什么|为何|凭什么|怎么(会|还|又|老|总|就|能|天天|经常|一直)|这么|那么|何在|为哪般|何时才|到何时|究竟")
# Asking for something to be done (能不能开条直通线, 可不可以装个路灯) is a request for help.
_REQUEST = re.compile(r"(可不可以|能不能|可以不可以|能否|可否|希望|请求|要求)(?:(?!申请)\w){0,3}"
                      r"(开|修|装|派|(?<!参)加|设|建|通|安排|处理|解决|管|清|搞)")  # 能不能也申请装, 参加: asking
# A personal paper's trouble (身份证过期了, 医保卡丢了) asks for a procedure: it marks no complaint.
_PAPERS = re.compile(r"(证|卡|本|执照|护照|驾照|证明|存折)\w{0,2}(过期|坏|丢|掉|不见|作废|到期|没了)|"
                     r"(保险|社保|医保|养老金?)\w{0,2}(断|停)(了|交|缴)?|"
                     r"(会不会|会|怕|是否|可能)被\w")  # 会不会被罚: a what-if, not a wrong done
# A greeting before the message ("在吗 …", "你好 …") does not make it a question.
_OPENING = re.compile(r"^(?:(?:你好|您好|你们好|在吗|在么|在不在|在嘛|有人吗|有人在吗|喂|hello|hi|哈喽|早上好|下午好|晚上好|"
                      r"领导|干部|书记|组长|同志|呀|啊|啦)[ ,.!~、]*)+", re.IGNORECASE)
# "来不来", "在不在", "有没有": asking, not the 不来 / 没有 of a complaint.
_A_NOT_A = re.compile(r"(?<!爱)(\w)[不没]\1")  # 爱理不理 is disdain, not a question
_QUESTION = re.compile(
    r"怎么|怎样|如何|哪(?!怕)|谁|多少|(?<![这那好十])几(点|时|号|岁|天|次|块|月|年|层|亩|趟|种|份|张|本|辆|周|级)|"
    r"多久|多长|多大|什么时候|什么|啥|吗|么$|(?P<asked>\w)[不没](?P=asked)|星期几|周几|礼拜几|"
    r"(要|去|在|是|交|用|办|来|到)\w{0,6}还是(?!没|不|一样|老样|那样)|可以不|请问|咨询|问一下|问下|想问|想了解|是否|\?"
)
_STATION_WHO = re.compile(r"驻点|驻村|干部|你们|(?<![发批拨派退寄送传])下来|来村|团队|下村|落村|值班|接待|有人在|"
                          r"在村委|联系点|"
                          r"(去|到)现场|当面|"
                          r"(领导|书记|组长|镇长|主任)\w{0,8}(在|来|到|过来|下来|落村|下村)")
_STATION_WHEN = re.compile(r"哪天|哪一天|什么时候|几时|星期几|周几|几号|哪里|在哪|几点|几次|地点|时间|哪儿|什么地方|哪个地方|多久|"
                           r"在不在|来不来|到村|今天|明天|后天|这周|本周|下周|下次|周末|在村|来吗|位置|地址|怎么走|"
                           r"(上午|下午|早上|中午|晚上)(来|在|到|过来|下来|办公|还是)|(想|要)见|见面|当面|面谈|星期|有驻点|"
                           r"(周|礼拜)[一二三四五六日天]|几点过去|哪天")
_CONTACT = re.compile(r"电话|(?<!玩)手机(?![上里端支银缴交办a-zA-Z])|号码|联系方式|(怎么|怎样|如何|点)\w{0,3}(联系|联络)|联系谁|找谁(?!来)|"
                      r"找哪个(?!部门|单位|窗口|机构)|找哪位|"
                      r"是谁|是哪(个|位)|叫什么|(?<![归由])谁(管|负责)|(村|事|事情|工作)[归由]谁(管|负责)|"
                      r"负责人|管事的|联系人|打(个)?(电话)?给|"
                      r"哪个干部|谁是|微信|怎么找|找\w{0,4}(书记|组长|干部|驻点|驻村|村长|镇长|领导)")
_SEND_ME = re.compile(r"发(一下|下|我|给我)|告诉我|给我|说一下")  # 驻点时间地点发一下: a request is an ask
_MEETING = re.compile(r"哪天|哪一天|什么时候|几时|星期几|周几|几号|几点|去哪|在哪|哪里|当面|见面|面谈")
_PHONE = re.compile(r"电话|手机|号码|联系方式|微信")
_PROGRESS = re.compile(r"进度|办得怎么样|处理得怎么样|办好了没|处理了没|有没有处理|有结果了吗|怎么样了")
# A verdict: 满意 with a negation just before it (不/没/不是很/不太) is unsatisfied; 不满 too.
_UNSATISFIED = re.compile(r"(不|没|没有)[^满,。!]{0,2}满意|不满")


@dataclass(frozen=True)
class Reading:
    """What a message is (``kind``), with a detail: the small-talk sort, emergency sort, or verdict reason."""

    kind: str  # smalltalk | intent | emergency | verdict | station | contact | progress | question | complaint
    # for a complaint: "marked" when it says what is wrong (坏, 漏, 没人管 …), "chat:<sort>" when it is
    # small talk but for a few words
    detail: str = ""
    text: str = ""  # the normal form the decision was made on


# Thanks for a problem now solved ("路灯修好了 谢谢", "水来了 多谢"): small talk, unless anything is still wrong.
_THANKS = re.compile("|".join(w for w, kind in _KIND_OF.items() if kind == "thanks"), re.IGNORECASE)
_DONE = re.compile(r"(已经|终于|都)?((修|弄|搞|处理|解决|办|整|装)(好|完|掂|定)?|(清|收|清理|拉)(走|掉|干净)|换(好|新)|通|亮|来)了")
_STILL_WRONG = re.compile(r"没|不|还|但|可是|不过|却|又|再|仍|另外|也|怎么|为什么|吗|\?")


def _thanks_for_done(plain: str) -> bool:
    """Thanks with news that the problem is solved, and nothing left that is wrong."""
    if len(plain) > 30 or not _THANKS.search(plain) or not _DONE.search(plain):
        return False
    rest = _DONE.sub("", plain)
    # what is left names the thing at most (村口的路灯): a longer story is a complaint to read
    return not _STILL_WRONG.search(rest) and not _COMPLAINT.search(rest) and len(_SMALLTALK.sub("", rest)) <= 6


# "你是真人吗", "系咪机器人", "这个号是干什么用的": who answers here, asked in passing; and trying it out.
_ABOUT_BOT = re.compile(r"^(你|您|你们|这|这个|这里)?(是|是不是)?(不是)?(真人|机器人|人工|自动回复|ai|智能客服|客服)"
                        r"(来的|来|吗|么|嘛|啊|呀|回复)*$|机器人|机械人|真人|自动回复|小助手|这个(号|公众号|平台)\w{0,4}(干|做)什么", re.IGNORECASE)
_TRYING = re.compile(r"试试|试一下|试一试|试下|测试|试用|好不好用|好用吗|灵不灵|能不能用")
# Saying who one is ("你好 我是东坑村的", "我系李屋组嘅村民"): a greeting, nothing to file.
_INTRO = re.compile(r"^(你好|您好|你们好|领导好)?我(是|系)\w{1,10}?(的|嘅)?(村民|人|居民)?$")


def smalltalk_kind(plain: str) -> str | None:
    """greeting | thanks | bye | ack | bot when the text is small talk and nothing else; None otherwise."""
    if not plain:
        return "ack"  # emoji, emoticons, punctuation
    if len(plain) <= 16 and _ABOUT_BOT.search(plain) and not _COMPLAINT.search(plain):
        return "bot"
    if len(plain) <= 16 and _INTRO.match(plain) and not _COMPLAINT.search(plain) and not _WEAK.search(plain):
        return "greeting"
    tried = _TRYING.sub("", plain)
    if len(plain) <= 20 and tried != plain and not _COMPLAINT.search(tried) and not _WEAK.search(tried):
        return "ack"  # 我孙子教我用这个的 试试看
    if _thanks_for_done(plain):
        return "thanks"
    if len(plain) > 16 or not _SMALLTALK.fullmatch(plain):
        return None
    words = [_KIND_OF[m.group(0).lower()] for m in _SMALLTALK_WORD.finditer(plain.lower())]
    for kind in ("thanks", "bye", "greeting"):
        if kind in words:
            return kind
    return "ack" if words else None


def leftover(text: str) -> str:
    """What a text says besides small talk (emoticons, greetings, thanks, fillers taken out)."""
    return _SMALLTALK.sub("", _NOISE.sub("", text))


def mostly_smalltalk(plain: str) -> str | None:
    """The small-talk sort of a text that thanks, acknowledges or says goodbye, with a few unknown
    characters besides ("好的 那就酱", "谢谢 大热天的"), else None: whether those name a problem is the
    classifier's to say (handlers/reading.py). A greeting is left out: what follows one is the message
    ("你好 狗咬人")."""
    found = list(_SMALLTALK_WORD.finditer(plain.lower()))
    # the pleasantry opens or closes the message (好的 那就酱, 那就这样 谢谢): a 好 inside 好恶 is no ack
    if not any(m.start() == 0 or m.end() >= len(plain) - 1 for m in found):
        return None
    words = {_KIND_OF[m.group(0).lower()] for m in found} - {"greeting"}
    rest = _SMALLTALK.sub("", plain)
    if not words or len(plain) > 20 or len(rest) > 8 or _STILL_WRONG.search(rest):  # 谢谢 但是水还是没来
        return None
    return next((kind for kind in ("thanks", "bye") if kind in words), "ack")


def intent(plain: str) -> bool:
    """Whether the text only says that the sender wants to report or ask something, not what."""
    return len(plain) <= 16 and _INTENT.fullmatch(plain) is not None and _INTENT_MARK.search(plain) is not None \
        and _NEVER_MIND.search(plain) is None


def read(text: str, awaiting_verdict: bool = False) -> Reading:
    """Read a bound resident's free text (commands were taken before): what kind of message it is."""
    norm = normalise(text)
    plain = _NOISE.sub("", norm)
    small = smalltalk_kind(plain)
    if small is not None:
        return Reading("smalltalk", small, norm)
    if intent(plain):
        return Reading("intent", "", norm)
    for kind, pattern in _EMERGENCY.items():
        if pattern.search(norm) and not _NOT_NOW.search(norm):
            return Reading("emergency", kind, norm)
    if awaiting_verdict and "满" in norm:
        # a short message (对处理结果很满意, 没有解决 不满意) is the verdict wherever 满意 stands in it
        short = len(plain) <= 20
        unhappy = _UNSATISFIED.search(norm)
        if unhappy and (unhappy.start() <= 6 or short):
            written = simplified(text)  # the reason as written, not in its normal form
            at = written.find("满意") + 2 if "满意" in written else written.find("满") + 2
            reason = written[at:].lstrip(" ,:。!~、").strip() if at >= 2 else ""
            before = norm[:unhappy.start()].strip(" ,:。!~、")
            if not reason and _STILL_WRONG.search(before):  # the reason said first: "没有解决 不满意"
                reason = before
            return Reading("verdict", "unsatisfied:" + reason, norm)
        if "满意" in plain and (plain.find("满意") <= 4 and len(plain) <= 12 or short):
            return Reading("verdict", "satisfied", norm)
    question = _QUESTION.search(_OPENING.sub("", norm)) is not None
    marks = _A_NOT_A.sub("", _PAPERS.sub("", norm))
    complaint = _COMPLAINT.search(marks) is not None or _REQUEST.search(norm) is not None or \
        (_WEAK.search(marks) is not None and (not question or _WHY.search(norm) is not None))
    if _PROGRESS.search(norm) and not complaint:
        return Reading("progress", "", norm)
    station = _STATION_WHO.search(norm) and _STATION_WHEN.search(norm) and not complaint and len(plain) <= 24 \
        and (question or _SEND_ME.search(norm) or len(plain) <= 8)  # 驻点时间 asks; 干部上班时间在打麻将 tells
    # "去找驻点干部 要几点去": when or where to meet a cadre is the station day, unless a phone is asked for
    if station and _MEETING.search(norm) and not _PHONE.search(norm):
        return Reading("station", "", norm)
    if _CONTACT.search(norm) and not complaint and len(plain) <= 20:
        return Reading("contact", "", norm)
    if station:
        return Reading("station", "", norm)
    if question and not complaint and len(plain) <= 40:
        return Reading("question", "", norm)
    if complaint:
        return Reading("complaint", "marked", norm)
    chat = mostly_smalltalk(plain)
    return Reading("complaint", f"chat:{chat}" if chat else "", norm)
