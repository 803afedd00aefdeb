"""How a Chinese question asks: the words that open a slot, judge a statement, compare, ask for
names, point back at the last question, or tell the reader how to answer.

Each list is a fact of the language, not of any document; the modules that check questions compose
their patterns from these fragments. Fragments are regex alternations ("a|b|c").
"""

from __future__ import annotations

import re

# 多少/几 ask for an amount, and so does 多 before an adjective of size (多大, 多长, 多久: how big, long,
# long a time); "哪几家" asks which ones (names), not how many, and 这几/那几 point at a few ("那几年").
AMOUNT = r"多少|(?<![哪这那])几|多(?:大|长|高|远|久|重|宽|深|厚)"
# 什么/哪/谁/怎样/怎么/如何 ask for a thing, a place or time, a person, or a manner.
WHICH = r"什么|哪|谁|怎样|怎么|如何"
# 为什么/为何 ask for a reason; 是否 asks yes or no.
WHY = r"为什么|为何"
WHETHER = r"是否"
# Any question word: a clause holding one asks something itself.
OPEN = re.compile(rf"{AMOUNT}|{WHICH}|{WHY}|{WHETHER}")
ASKS_WORDS = re.compile(WHICH)
ASKS_AMOUNT = re.compile(AMOUNT)

# A question that judges what it states instead of asking for it: tag questions (对吗, 是不是),
# feasibility (能完成吗), and asking for the reason or meaning of a stated fact.
JUDGING = re.compile(r"对吗|对不对|是吗|是不是|是否|是这样|真的|属实|没错吧|能完成|能实现|能否|原因|为什么|为何|"
                     r"怎么看|受什么影响|说明了?什么|意味着")

# 分别/各自/各 distribute one question over several things ("两区分别是多少").
EACH = r"分别|各自|各"
# The distributive where it only stands before the verb or the ask ("各是多少"), so a part asked alone drops it.
EACH_BEFORE_ASK = re.compile(r"(分别|各自)(?=是|为|把|定|提|有|达到|增长|计划|多少|什么)|各(?=是|为|有多少)")
# A copula or 的 left at the end of a subject cut from its question ("收入增长目标是").
TRAILING_COPULA = re.compile(r"(是|为|的)+$")
# Asking who holds a role ("主刀医生是谁").
WHO = r"是谁|为谁|由谁"

# Comparison: a comparative (更高), a comparing verb (相比, 对比) or asking for a difference (差多少).
COMPARING = re.compile(r"哪个更|谁更|更高|更低|更多|更少|更大|更小|相比|比较|对比|差距|差多少|高多少|低多少|多多少|少多少|"
                       r"有什么不同|有何不同|有什么变化|有何变化")
# The comparing phrase itself, as one part of a compared pair would carry it.
COMPARISON_ASK = re.compile(r"[，,]?(?:(?:两者|二者)?(?:相比|比较|对比)(?:有什么|有何)?(?:变化|不同|区别|差别|差异|如何|怎样|怎么样)?"
                            r"|(?:有什么|有何)(?:变化|不同|区别|差别|差异)"
                            r"|(?:哪个|哪一个|哪一年|哪个区|哪里|谁)[^，,。？?]{0,4}?更[高低多少大小快慢])")
# What is left of a sentence that only compares: pronouns of the pair and the comparing verbs' objects.
COMPARE_FILLER = r"两者|二者|哪一?个|哪一?年|哪里|谁|定得|定的|的|是|如何|怎样"

# Asking for names rather than a count ("叫什么名字", "是哪些").
NAMES = re.compile(r"叫什么|名称|名字|分别是哪|是哪些|哪些是")

# A follow-up opens with a word that continues the last question ("那…呢？", "还有…", "另外…").
CONTINUING = r"那么|那|还有|另外|而|再问一下|再问"
# 又/再 ("again") open a later part of one question the same way.
AGAIN = r"又|再"
# Words that point back at something said before: pronouns and demonstratives.
POINTING_BACK = r"这一项|它|其|该|这个|这些|那个|此"
# A person pointed back at ("她", "这位"); 其他/吉他, 他们/他人/他国/他乡 are not a person.
PERSON_POINTER = re.compile(r"这位|那位|此人|(?<![其吉])[他她](?![们人国乡])")
# The edition after or before the one named ("下一届").
RELATIVE_EDITION = {"下一届": 1, "下届": 1, "上一届": -1, "上届": -1}
# Words a follow-up wraps around its subject: asking, plan and time words, deictics and the level
# words of a report ("全市层面"). Never what the follow-up is about.
FOLLOWUP_FILLER = frozenset(
    "多少 什么 哪些 目标 计划 今年 去年 这个 那个 情况 如何 怎么样 当年 同年 层面 全市 全区 全县 这一项 这项 该项 "
    "多少家 多少个 多少人 实际 水平 达到 完成 实现 定的 定了".split())

# Words that say how to answer (回答, 格式, 列出…): a leading "…：" holding one is a directive.
DIRECTIVE_WORD = re.compile(r"回答|作答|答复|回复|格式|说明|列出|复述|概括|总结")
