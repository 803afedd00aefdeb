"""Figures and their units: measure words, units of measure, magnitudes and the qualifiers around a number.

Chinese counts every noun with a measure word of its own (三所学校, 五台电梯), so a figure's unit says
what kind of thing it counts. Fragments are regex alternations, longest first, to be composed into a
module's own pattern.
"""

from __future__ import annotations


def alternation(words: str) -> str:
    """'米 平方米 人 人次' → '平方米|人次|米|人': longest first, so a unit never matches a shorter one's prefix."""
    return "|".join(sorted(dict.fromkeys(words.split()), key=len, reverse=True))


# 万/亿 scale a figure ("3.5万亩"); they sit between the number and its unit.
MAGNITUDE = {"万": 1e4, "亿": 1e8, "万亿": 1e12}
MAGNITUDES = "万亿|万|亿"
# A count of people has three measure words (人/名/位); 人次 counts visits, not people.
PEOPLE = "人次 人 名 位"
# Measure words of counted things: buildings and sites, organisations, events, items, vehicles.
THINGS = "个 家 所 座 场次 场 件 项 次 台 辆 套 条 处 篇 部 本 张 户 栋 款 支 只"
# Units of length, area, mass and volume (and a concentration: 微克/立方米).
PHYSICAL = "平方公里 平方米 公里 千米 厘米 毫米 米 吨 公斤 千克 微克/立方米 毫克/立方米 微克 毫克 克 毫升 升 亩"
# Durations, and an age; days and years are also counted (5天, 3年), so they pick no member of a kind.
DURATION = "小时 分钟 秒 岁"
TIME = f"{DURATION} 天 年"
MONEY = "元"
# A share or multiple: 个百分点 is the difference of two percentages.
RATIO = "% 个百分点 倍"
# Measure words that number a series ("第五届", "第3颗", "首批"): the kind of member a specifier picks.
ORDINAL = "届 次 期 批 代 轮 季 版 颗 家 座 所 条 艘 架 台 辆 部 项 站 任"
# Suffixes that make a number a code rather than a count ("11号", "5G", "B轮").
CODE_SUFFIX = "号|型|代|款"
CODE_CLASS = "轮|类|级|股"

# Every unit a stated figure may carry.
ANY_UNIT = alternation(f"{MONEY} {PEOPLE} {THINGS} {PHYSICAL} {TIME}")
# Counts of people and things (what 多少/几 ask for).
COUNTS = alternation(f"{PEOPLE} {THINGS}")
# Physical measures and durations, which pick one member of a kind (100米 vs 200米).
MEASURES = alternation(f"{PHYSICAL} {DURATION}")

# Around the number: 余/多 between it and its unit (1300余个), a qualifier after the unit (6.5%以上)
# or before the number (不低于10%), a hedge or a limit on it (约, 仅, 超过).
INSIDE = "余多"
AFTER = ("以上", "以下", "以内", "左右")
BEFORE = ("不低于", "不少于", "不超过", "不高于", "超过", "突破", "逾")
HEDGE = r"只有|仅有|仅|才|约|大约|超过|不到|不足|达到|达|高达|低至"
# A count of people said with any of its measure words, for matching (人次 counts visits, not people).
ANY_PEOPLE = "名|人(?!次)|位"
# A time as a race result is written: "2小时09分", "1分49秒".
CLOCK_TIME = r"(?<![\d.])(?:\d+小时\d+分钟?(?:\d+秒)?|\d+分\d+秒)"
# The count of a metric named before its ask ("观影人次是多少"): 人次, 人数, 户数…
METRIC_COUNT = r"人次|人数|场次|次数|户数|件数|台数|辆数|家数|个数"
