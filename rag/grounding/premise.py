"""Premise: a question that states a figure ("…300家，这个目标能完成吗？",
"既然…放宽到了35微克，那…多少？").

The small model refuses such questions, or repeats the stated figure as true. When the rest of
the question only judges the figure (对吗, 能完成吗, 是什么原因), the figure is turned into the open
slot ("…多少家？") and that question is answered from the passages; when the rest asks something
else, the question is answered as asked. Either way the passages are then searched for the clause
that states what the question stated, and a different figure there (or the same figure going the
other way: 增长 vs 下降) is shown verbatim and cited beside the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.grounding import horizons
from rag.zh.script import normalize, to_simplified, to_traditional
from rag.zh.specifiers import contains_number, numbers, without_years, years
from rag.zh.patterns import YEAR, bigrams, without_markers
from rag.zh.asking import JUDGING, OPEN
from rag.zh.clauses import CLAUSE_END, CLAUSE_WITH_END, clauses, sentence_bodies
from rag.zh.reporting import DIRECTION, DOWN, UP
from rag.zh.units import CLOCK_TIME, AFTER, ANY_UNIT, HEDGE, MAGNITUDE, MAGNITUDES, RATIO, alternation

_UNIT = rf"{alternation(RATIO)}|(?:{MAGNITUDES})?(?:{ANY_UNIT})"
# "2小时09分", "1分49秒": one stated time, asked back as "多长时间".
_DURATION = re.compile(CLOCK_TIME)
_AROUND = f"{'|'.join(AFTER)}|上下|多"
_CLAIM = re.compile(rf"(?:{HEDGE})?((?<![\dA-Za-z.])\d+(?:\.\d+)?)(多|余)?({_UNIT})(?:{_AROUND})?")
# A bare ratio stated as reached ("收入比扩大到了1.85"): no unit right after it.
_RATIO = re.compile(rf"(?:到|至|为|是)了?((?<![\d.])\d+\.\d+)(?![\d.%]|[万亿]?[\u4e00-\u9fff]{{0,1}}(?:{ANY_UNIT}))")
# "才六成左右": a share said in tenths, one stated percentage.
_TENTHS = re.compile(rf"(?:{HEDGE})?(?<![一二三四五六七八九十])([一二三四五六七八九])成(?:{_AROUND})?(?![\u4e00-\u9fff])")
_YEAR_UNIT = re.compile(rf"^{YEAR}$")
# Words between the thing measured and the stated figure: verbs of reaching and changing, hedges.
_REACHING = rf"(?:了|到|至|为|是|扩大|缩小|放宽|收紧|{HEDGE})+$"


@dataclass
class Premise:
    question: str  # the question answered instead (the asked one when the premise is an aside)
    stated: str  # the figure as the user wrote it, e.g. "300家"
    number: str  # "300", "3.5万"
    claim: str = ""  # the clause that states it
    unit: str = ""  # "家", "%", "" for a bare ratio
    aside: bool = False  # the question asks something else; the figure is only checked
    open: str = ""  # the stated figure as an open question: what the passages are searched with


def _claim(clause: str) -> tuple[int, int, str, str, str, str] | None:
    """(start, end, stated, number, unit, slot) of the figure a clause states."""
    if d := _DURATION.search(clause):
        return d.start(), d.end(), d.group(0), d.group(0), "", "多长时间"
    for m in _CLAIM.finditer(clause):
        if not (m.group(3) == "年" and _YEAR_UNIT.match(m.group(1))):
            magnitude = re.match(rf"(?:{MAGNITUDES})?", m.group(3)).group(0)
            unit = m.group(3)[len(magnitude):]
            return (m.start(), m.end(), m.group(0), m.group(1) + magnitude, unit,
                    "是多少" if unit in ("%", "个百分点") else "多少" + unit)
    if t := _TENTHS.search(clause):
        return t.start(), t.end(), t.group(0), str(10 * "一二三四五六七八九".index(t.group(1)) + 10), "%", "是多少"
    if r := _RATIO.search(clause):
        return r.start(1), r.end(1), r.group(1), r.group(1), "", "是多少"
    return None


def find(question: str) -> Premise | None:
    """The stated figure, and the open question about it when the rest of the question only judges it.

    Only a clause that states a figure and asks nothing itself counts.
    """
    parts = CLAUSE_WITH_END.findall(question.strip())
    for i, clause in enumerate(parts):
        m = _claim(clause)
        rest = "".join(parts[:i] + parts[i + 1:])
        if not m or OPEN.search(clause):
            continue
        start, end, stated, number, unit, slot = m
        claim = "".join(parts[:i]) + clause  # "第六届马拉松，" names what the claim is about
        way = DIRECTION.search(clause[:start])
        head = DIRECTION.sub("", clause[:start])
        # "下降了5.2%" is a rate; "提高到30%" a level
        if unit == "%" and way and not re.search("[到至]", way.group(0)):
            slot = "增长了多少"
        tail = clause[end:].rstrip("，,。？?！!；; 吧吗呢")
        open_question = f"{''.join(parts[:i])}{head}{slot}{tail}？"
        if not JUDGING.search(rest):
            return Premise(question, stated, number, claim, unit, aside=True, open=open_question)
        return Premise(open_question, stated, number, claim, unit, open=open_question)
    return None


def verdict(premise: Premise, answer_text: str, traditional: bool = False) -> str:
    """One sentence on whether the answer's figures agree with the figure the question stated."""
    found = numbers(without_markers(answer_text))
    if premise.aside or not found:
        return ""
    agrees = (contains_number(normalize(answer_text), premise.number)
              if premise.number.replace(".", "").isdigit()
              else premise.number in normalize(answer_text))
    text = ("资料与问题中所说的数字一致。" if agrees
            else "注意：问题中所说的数字与资料不符，以上是资料中的数字。")
    return to_traditional(text) if traditional else text


def _value(number: str) -> float | None:
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)({MAGNITUDES})?", number)
    return float(m.group(1)) * MAGNITUDE.get(m.group(2) or "", 1) if m else None


def _pattern(unit: str) -> str:
    """A figure in `unit` ('' = a bare decimal), its number and magnitude as groups."""
    return (rf"(?<![\d.])(\d+(?:\.\d+)?)(?:多|余)?({MAGNITUDES})?{re.escape(unit)}" if unit
            else r"(?<![\d.])(\d+\.\d+)()(?![\d.%])")


def _figures(text: str, unit: str) -> list[float]:
    """The values `text` states in `unit` ('' = bare decimals), magnitudes applied: 3500亩, 3.5万亩."""
    return [_value(n + m) for n, m in re.findall(_pattern(unit), without_years(normalize(text)))]


def _before_figures(text: str, unit: str) -> list[str]:
    """The words before each figure of the clause, back to the figure before it: what each one measures
    ("增加值年均增长6.5%，占地区生产总值比重" has no GDP figure)."""
    text, out, last = normalize(text), [], 0
    for m in re.finditer(_pattern(unit), text):
        out.append(text[last:m.start()])
        last = m.end()
    return out or [text]


def _grams(text: str) -> set[str]:
    return bigrams(re.sub(r"[\W\d_A-Za-z]", "", normalize(text)))


def _near(premise: Premise) -> set[str]:
    """The words right beside the stated figure ("高标准农田", "生产总值"): the thing it measures."""
    at = premise.claim.find(premise.stated)
    before = re.sub(_REACHING, "",
                    DIRECTION.sub("", premise.claim[:at]))
    after = re.split(rf"[{CLAUSE_END}、]", premise.claim[at + len(premise.stated):])[0]
    return _grams(before[-5:]) | _grams(after[:5])


def _direction(text: str) -> int:
    return -1 if DOWN.search(text) else 1 if UP.search(text) else 0


def _windows(passage) -> list[str]:
    """Each clause with the one before it: a figure's clause seldom names its own subject."""
    out = []
    for sentence in sentence_bodies(passage.full_text):
        parts = clauses(sentence)
        out += [("，".join(parts[max(0, i - 1):i + 1])).strip() for i in range(len(parts))]
    return out


def contradiction(premise: Premise, passages: list) -> tuple[str, object] | None:
    """(the passage's own words, passage) when the clause that best states the claimed thing says
    otherwise."""
    claimed, asked = _value(premise.number), _grams(premise.claim.replace(premise.stated, ""))
    if claimed is None:  # a stated time ("2小时09分") has no value to compare
        return None
    stated_years, when = years(premise.claim), horizons.asked(premise.claim)
    # another year's figure
    other_year = lambda w: bool(stated_years and years(w) and not stated_years & years(w))
    # a clause seldom names its own period ("十三五期间"): its chapter heading does
    found = [(len(asked & (_grams(w) | _grams(p.section))), -p.n, w, p)
             for p in passages if horizons.fits(when, horizons.of_passage(p)) is not False
             for w in _windows(p) if _figures(w, premise.unit) and not other_year(w)]
    if not found:
        return None
    score, _, window, best = max(found, key=lambda f: f[:2])
    near = _near(premise)
    if (score < max(2, 0.2 * len(asked))
            or not any(near & _grams(b) for b in _before_figures(window, premise.unit))):
        return None
    at = premise.claim.find(premise.stated)
    stated_way = _direction(premise.claim[max(0, at - 6):at + len(premise.stated)])
    if (claimed in _figures(window, premise.unit)
            and not (stated_way and _direction(window) not in (0, stated_way))):
        return None
    return window, best


def correction(premise: Premise, window: str, n: int, traditional: bool = False) -> str:
    script = to_traditional if traditional else to_simplified
    # the user's figure is not repeated: a figure in an answer is one the passages back
    return script(f"注意：问题中的说法与资料不符。资料原文：“{window}”") + f"[{n}]"
