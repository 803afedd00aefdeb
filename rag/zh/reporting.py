"""How Chinese text reports a figure: which way it moved, whether it is a plan or a result, whether it
covers one year or several, a total or a rate per head, and which members of a set exclude each other.

These are facts of the language (a verb of change, a word of intention), not of one kind of document.
Fragments are regex alternations; compiled patterns are used as they are.
"""

from __future__ import annotations

import re

# Verbs of change: a figure went down or up.
FALL = r"下降|减少|降低|下滑|回落|负增长"
RISE = r"(?<!负)增长|增加|提高|上升|提升"
DOWN = re.compile(FALL)
UP = re.compile(RISE)
# A stated direction at the end of a phrase ("下降了", "提高到"), the rest being the metric.
DIRECTION = re.compile(r"(下降|减少|降低|增长|增加|提高|上升|下滑|回落)(了|到|至)*$")
# Words of change and share that make a question want a number.
CHANGE_OR_SHARE = r"比重|增长|增速|目标|率|规模|总量|倍"

# Intention: a plan, target or forecast, not a result.
PLAN = re.compile(r"目标|计划|力争|预期|争取|确保|预计|拟|规划|将要|要求")
# A question naming a plan word asks for the plan ("实际利用外资…目标").
ASKS_PLAN = re.compile(r"目标|计划|预期|力争|要求|规划")
# A question about what actually happened: 实际/真正, the outcome words 最终/最后 ("最后做到了多少"; not
# 最后一年, the last one), a verb with 到了 ("涨到了多少": reached), or a verb of doing with 了.
ACTUAL = re.compile(r"实际|实绩|真正|最终|最后(?!一)|[\u4e00-\u9fff]到了(多少|几)|"
                    r"(完成|实现|达到|增长|新增|引进|建成)了(多少|几)")
# 实际/计划/预期 between a metric and its ask qualify it, they are not the metric.
MODALITY = r"实际|计划|预期"

# A share or a change, which no amount of money answers or is answered by.
RATIO = re.compile(r"比重|占比|比例|率|增长|增速|百分")
# Nouns of an amount of money, asked before 多少 ("投资额是多少") or after it ("多少奖励资金").
_MONEY_NOUN = r"金额|投资|资金|奖金|奖励|经费|费用|价格|售价|票价|融资|成本"
MONEY = re.compile(rf"多少钱|(?:{_MONEY_NOUN})(?:总额|额)?(?:是|为|有|达到)?多少|多少(?:万|亿)?(?:{_MONEY_NOUN})")

# Years named relative to the text's own year.
RELATIVE_YEARS = {"去年": -1, "上年": -1, "上一年": -1, "过去一年": -1, "今年": 0, "本年": 0, "明年": 1}
# Years named relative to a year just mentioned ("那上一年呢？" after a question about 2024), unlike
# 去年, which counts from today. Longest first: 再下一年 holds 下一年, 那一年 holds 一年.
MENTIONED_YEAR_SHIFT = {"再下一年": 2, "下一年": 1, "后一年": 1, "第二年": 1, "那一年": 0, "上一年": -1,
                        "前一年": -1, "次年": 1, "那年": 0}
# Relative years as a follow-up names them: the question points back at the last one's year.
RELATIVE_TIME = "|".join(MENTIONED_YEAR_SHIFT) + "|同期|当年|同年"

# Words that join the items of a list ("小吃、茶饮和酒吧"), and also a pair ("跟", "同", "以及").
AND_ITEMS = r"、|和|及|与"
AND = rf"{AND_ITEMS}|跟|同|以及"

# Members of a set that exclude each other: a sentence about the men's winner does not answer a
# question about the women's, nor exports one about imports.
CONTRASTS = tuple(group.split() for group in (
    "男子 女子", "冠军 亚军 季军", "金牌 银牌 铜牌", "一等奖 二等奖 三等奖", "上半年 下半年",
    "一季度 二季度 三季度 四季度", "出口 进口", "最高 最低", "本科 硕士 博士", "初级 中级 高级",
    "首发 替补", "正式 试行", "首日 当日 首周 首月", "总数 新增"))
