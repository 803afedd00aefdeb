"""Parts: a question that asks about two places, two years or two things → one query per part.

Each part is retrieved and answered from its own passages: the small model mixes up figures
when one prompt holds both, and a check of "the cited passage is about the asked place" only
makes sense per part. Places are recognised by the national gazetteer, so "杭州和宁波" splits
as well as the corpus's own names.
"""

from __future__ import annotations

import re

from rag.answer.followups import bare
from rag.zh.places import gazetteer
from rag.zh.specifiers import PERIOD, years
from rag.zh.patterns import PERIOD as _PERIOD, YEAR, without_markers
from rag.zh.asking import (AGAIN, AMOUNT, COMPARE_FILLER, COMPARING, COMPARISON_ASK, CONTINUING, EACH,
                           EACH_BEFORE_ASK, TRAILING_COPULA)
from rag.zh.genre import WHOLE_LEVEL
from rag.zh.reporting import AND, MODALITY
from rag.zh.units import ANY_UNIT, MAGNITUDES

_PARTS = re.compile(r"[^？?；;]+[？?；;]?")
_YEAR_PAIR = re.compile(rf"({YEAR})年?(?:{AND})({YEAR})年")
# What stays attached to a place: its year, quoted name or five-year period ("南湖区2021年", "越城区“十三五”末").
_QUALIFIER = rf"(?:{WHOLE_LEVEL})?(?:{YEAR}年|“[^”]{{1,10}}”|{_PERIOD})*(?:末|期间|时期)?"
# The ask that ends a question ("…分别是多少？"), borrowed by a clause that lacks its own.
_ASK = re.compile(rf"(?:{EACH})?(?:是|为|有|达到|增长)?(?:{AMOUNT}|哪几|什么|哪些)[^，,。？?]*[？?]?$")


def by_sentence(question: str) -> list[str] | None:
    """"2021年计划…？2023年实际…？" (or "“十三五”末…？“十四五”…？") → two queries; later ones keep the
    first's subject."""
    parts = [p.strip() for p in _PARTS.findall(question) if len(p.strip()) >= 6]
    found = [years(p) | set(PERIOD.findall(p)) for p in parts]
    places = [frozenset(gazetteer().mentions(p)) for p in parts]
    # Parts about one year and place stay together: splitting them only loses the shared subject,
    # unless each later part names its own place and year ("…规划有什么要求？2021年越城区计划…多少？").
    own = len(parts) > 1 and all(places[i] and found[i] for i in range(1, len(parts)))
    if len(parts) < 2 or (len(set().union(*found)) < 2 and not (all(places) and len(set(places)) > 1)
                          and not own):
        return None
    if any(_YEAR_PAIR.search(p) for p in parts):  # "2023年和2024年…分别是多少？面积有什么不同？" splits by year
        return None
    if found[0] and len(years(parts[0])) == 1:  # "同年/当年" in a later part is the first part's year
        parts = [parts[0]] + [re.sub(r"同年|当年", f"{min(years(parts[0]))}年", p, count=1) for p in parts[1:]]
    # The subject carried over loses the first part's year and modality ("实际…了" is not asked twice).
    subject = re.sub(rf"{YEAR}年|“?{_PERIOD}”?(?:末|期间|时期)?|多少|是什么|哪些|{MODALITY}|目标|了|[？?；;]", "", parts[0])
    subject = TRAILING_COPULA.sub("", subject)
    metric = subject
    for name in gazetteer().mentions(subject):
        metric = metric.replace(name, "")
    # a later part with its own place but nothing else ("绍兴全市2023年实际达到了什么水平？") borrows the metric
    borrow = lambda p: p if not bare(p) else f"{metric}，{p}"
    return [parts[0]] + [borrow(p) if gazetteer().mentions(p)
                         else f"{subject}，{re.sub(rf'^(?:{CONTINUING}|{AGAIN})', '', p)}" for p in parts[1:]]


def by_year_pair(question: str) -> list[str] | None:
    pair = _YEAR_PAIR.search(question)
    return [question.replace(pair.group(0), f"{y}年") for y in pair.groups()] if pair else None


def _place_pair(question: str) -> re.Match | None:
    names = sorted(set(gazetteer().mentions(question)), key=len, reverse=True)
    if len(names) < 2:
        return None
    alt = "|".join(map(re.escape, names))
    return re.search(rf"({alt})({_QUALIFIER})((?:(?!{alt})[^，,。？?]){{0,24}}?)[，,]?"
                     rf"(?:{AND})({alt})({_QUALIFIER})", question)


def by_place_pair(question: str) -> list[str] | None:
    """"越城区和南湖区2021年…" → one query per place; "南湖区2020年A和越城区…的B分别…" → one clause each."""
    m = _place_pair(question)
    if not m or m.group(1) == m.group(4):
        return None
    a_place, a_qual, a_rest, b_place, b_qual = m.groups()
    if a_rest:  # two whole clauses: the first one borrows the question's ending
        ask = _ASK.search(question)
        first = question[:m.start(3)] + a_rest + (re.sub(rf"^(?:{EACH})", "", ask.group(0)) if ask else "？")
        second = question[m.start(4):]
        lead = question[:m.start(1)]  # "2021年绍兴…和南湖区…": the year written first is both places'
        return [first, second if years(second) or PERIOD.search(second) or len(lead) > 12 else lead + second]
    shared = lambda q: re.sub(rf"^(?:{WHOLE_LEVEL})", "", q)  # "绍兴全市与越城区": 全市 belongs to 绍兴 only
    return [question.replace(m.group(0), a_place + (a_qual or shared(b_qual))),
            question.replace(m.group(0), b_place + (b_qual or shared(a_qual)))]


def by_year_clauses(question: str) -> list[str] | None:
    """"绍兴市2021年计划的A和2023年的B相比如何？" → one clause per year, the subject kept for both."""
    m = re.search(rf"({YEAR}年)([^，,。？?]{{1,24}}?)[，,]?(?:{AND})({YEAR}年)", question)
    if not m or m.group(1) == m.group(3):
        return None
    ask = _ASK.search(question)
    first = (question[:m.start(3)].rstrip("，,和与及、跟同以")
             + (re.sub(rf"^(?:{EACH})", "", ask.group(0)) if ask else "？"))
    return [first, question[:m.start(1)] + question[m.start(3):]]


def _compare_only(sentence: str) -> bool:
    """"哪一年定得更高？", "谁更多？": a sentence that asks only for the comparison of what came before."""
    rest = re.sub(rf"{COMPARING.pattern}|{COMPARE_FILLER}|[更？?。，,]", "", sentence)
    return bool(COMPARING.search(sentence)) and len(rest) <= 2


def _single(part: str) -> str:
    """A part asks for its own figure; the comparison is made after both are answered."""
    kept = [s for s in _PARTS.findall(part) if not _compare_only(s)]
    part = EACH_BEFORE_ASK.sub("", "".join(kept) or part)
    return COMPARISON_ASK.sub("是多少", part, count=1) if COMPARING.search(part) else part


def subqueries(question: str) -> list[str]:
    """One query per thing asked about; the question itself when it asks about one thing."""
    asked = "".join(s for s in _PARTS.findall(question) if not _compare_only(s)) or question
    for split in (by_sentence, by_year_pair, by_place_pair, by_year_clauses):
        parts = split(asked)
        if parts:
            return [_single(p) for p in parts]
    return [question]


_FIGURE = re.compile(rf"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s*(%|(?:{MAGNITUDES})*(?:{ANY_UNIT}|倍))")


def _label(query: str) -> str:
    names = gazetteer().mentions(query)
    year = min(years(query), default="")
    return (names[0] if names else "") + (f"{year}年" if year else "") or query[:8]


def compare(question: str, queries: list[str], texts: list[str]) -> str:
    """For "哪个更高/相比如何" over two parts: the comparison computed from the two cited figures.

    Only when each part's answer holds a figure in the same unit; the model is never asked to do arithmetic.
    """
    if len(queries) != 2 or not COMPARING.search(question):
        return ""
    found = [_FIGURE.search(without_markers(t)) for t in texts]
    if not all(found) or found[0].group(2) != found[1].group(2):
        return ""
    (a, unit), (b, _) = (m.groups() for m in found)
    x, y = float(a), float(b)
    if x == y:
        return f"比较：{_label(queries[0])}与{_label(queries[1])}相同，均为{a}{unit}。"
    hi, lo = (0, 1) if x > y else (1, 0)
    diff = f"{abs(x - y):.2f}".rstrip("0").rstrip(".") + ("个百分点" if unit == "%" else unit)
    return (f"比较：{_label(queries[hi])}（{found[hi].group(0)}）"
            f"高于{_label(queries[lo])}（{found[lo].group(0)}），相差{diff}。")
