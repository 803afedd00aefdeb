"""Premise: a question that states a figure and asks about it ("…300家，这个目标能完成吗？").

The small model refuses such questions, or repeats the stated figure as true. So the stated
figure is turned into the open slot ("…多少家？"), that question is answered from the
passages, and the answer then says whether the documents agree with what the question stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .citing import contains_number, numbers
from .cleaning import normalize

_UNIT = r"%|个百分点|倍|(?:万|亿|万亿)?(?:元|人次|人|名|个|家|件|岁|吨|亩|台|辆|所|座|场|项|次|处|套|公里|平方米|平方公里|米|天|年|小时|分钟|公斤|千克|微克/立方米|毫克/立方米|微克|毫克|克|毫升|升)"
# "2小时09分", "1分49秒": one stated time, asked back as "多长时间".
_DURATION = re.compile(r"(?<![\d.])(?:\d+小时\d+分钟?(?:\d+秒)?|\d+分\d+秒)")
_CLAIM = re.compile(rf"(?:只有|仅有|仅|才|约|大约|超过|不到|不足|达到|达|高达|低至)?((?<![\dA-Za-z.])\d+(?:\.\d+)?)({_UNIT})(?:左右|上下|以上|多)?")
_OPEN = re.compile(r"多少|几|什么|哪|谁|怎样|怎么|如何|为什么|为何|是否")
_CLAUSE = re.compile(r"[^，,。？?！!；;]+[，,。？?！!；;]?")
_YEAR_UNIT = re.compile(r"^(?:19|20)\d{2}$")
_ASKS_FIGURE = re.compile(r"多少|几|哪")
# The stated direction may be the false part ("下降了5%" when it grew): the open question keeps the metric only.
_DIRECTION = re.compile(r"(下降|减少|降低|增长|增加|提高|上升|下滑|回落)(了|到|至)*$")


@dataclass
class Premise:
    question: str  # the open question answered instead
    stated: str  # the figure as the user wrote it, e.g. "300家"
    number: str


def _claim(clause: str) -> tuple[int, int, str, str, str] | None:
    """(start, end, stated, number, slot) of the figure a clause states."""
    if d := _DURATION.search(clause):
        return d.start(), d.end(), d.group(0), d.group(0), "多长时间"
    for m in _CLAIM.finditer(clause):
        if not (m.group(2) == "年" and _YEAR_UNIT.match(m.group(1))):
            unit = re.sub(r"^(万亿|万|亿)", "", m.group(2))
            number = m.group(1) + re.match(r"(万亿|万|亿)?", m.group(2)).group(0)
            return m.start(), m.end(), m.group(1) + m.group(2), number, "是多少" if unit in ("%", "个百分点") else "多少" + unit
    return None


def find(question: str) -> Premise | None:
    """The stated figure and the open question about it, when the question rests on a figure.

    Only a clause that states a figure and asks nothing itself counts, and only when the rest
    of the question judges it ("对吗", "能完成吗", "是什么原因") rather than asking for another figure.
    """
    clauses = _CLAUSE.findall(question.strip())
    for i, clause in enumerate(clauses):
        m = _claim(clause)
        rest = "".join(clauses[:i] + clauses[i + 1:])
        if not m or _OPEN.search(clause) or _ASKS_FIGURE.search(rest):
            continue
        start, end, stated, number, slot = m
        head = _DIRECTION.sub("", clause[:start])
        tail = clause[end:].rstrip("，,。？?！!；; 吧吗呢")
        before = "".join(clauses[:i])  # "第六届马拉松，" names what the claim is about
        return Premise(question=f"{before}{head}{slot}{tail}？", stated=stated, number=number)
    return None


def verdict(premise: Premise, answer_text: str, traditional: bool = False) -> str:
    """One sentence on whether the answer's figures agree with the figure the question stated."""
    from .cleaning import to_traditional

    found = numbers(re.sub(r"\[\d+\]", "", answer_text))
    if not found:
        return ""
    agrees = contains_number(normalize(answer_text), premise.number) if premise.number.replace(".", "").isdigit() \
        else premise.number in normalize(answer_text)
    text = ("资料与问题中所说的数字一致。" if agrees
            else "注意：问题中所说的数字与资料不符，以上是资料中的数字。")
    return to_traditional(text) if traditional else text
