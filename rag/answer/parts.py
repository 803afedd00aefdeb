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

_PARTS = re.compile(r"[^？?；;]+[？?；;]?")
_YEAR_PAIR = re.compile(rf"({YEAR})年?(?:和|与|及|、|跟)({YEAR})年")
_JOIN = "和|与|及|、|跟|同|以及"
# What stays attached to a place: its year, quoted name or five-year period ("南湖区2021年", "越城区“十三五”末").
_QUALIFIER = rf"(?:全市|全区|全县)?(?:{YEAR}年|“[^”]{{1,10}}”|{_PERIOD})*(?:末|期间|时期)?"
_ASK = re.compile(r"(?:分别|各自|各)?(?:是|为|有|达到|增长)?(?:多少|什么|哪些|几)[^，,。？?]*[？?]?$")
COMPARE = re.compile(r"哪个更|谁更|更高|更低|更多|更少|更大|更小|相比|比较|对比|差距|差多少|高多少|低多少|多多少|少多少|有什么不同|有何不同|有什么变化|有何变化")
# The comparison itself, asked of one part, becomes a plain request for that part's figure.
_COMPARE_ASK = re.compile(r"[，,]?(?:(?:两者|二者)?(?:相比|比较|对比)(?:有什么|有何)?(?:变化|不同|区别|差别|差异|如何|怎样|怎么样)?"
                          r"|(?:有什么|有何)(?:变化|不同|区别|差别|差异)"
                          r"|(?:哪个|哪一个|哪一年|哪个区|哪里|谁)[^，,。？?]{0,4}?更[高低多少大小快慢])")


def by_sentence(question: str) -> list[str] | None:
    """"2021年计划…？2023年实际…？" (or "“十三五”末…？“十四五”…？") → two queries; later ones keep the first's subject."""
    parts = [p.strip() for p in _PARTS.findall(question) if len(p.strip()) >= 6]
    found = [years(p) | set(PERIOD.findall(p)) for p in parts]
    places = [frozenset(gazetteer().mentions(p)) for p in parts]
    # Parts about one year and place stay together: splitting them only loses the shared subject,
    # unless each later part names its own place and year ("…规划有什么要求？2021年越城区计划…多少？").
    own = len(parts) > 1 and all(places[i] and found[i] for i in range(1, len(parts)))
    if len(parts) < 2 or (len(set().union(*found)) < 2 and not (all(places) and len(set(places)) > 1) and not own):
        return None
    if any(_YEAR_PAIR.search(p) for p in parts):  # "2023年和2024年…分别是多少？面积有什么不同？" splits by year
        return None
    if found[0] and len(years(parts[0])) == 1:  # "同年/当年" in a later part is the first part's year
        parts = [parts[0]] + [re.sub(r"同年|当年", f"{min(years(parts[0]))}年", p, count=1) for p in parts[1:]]
    # The subject carried over loses the first part's year and modality ("实际…了" is not asked twice).
    subject = re.sub(rf"{YEAR}年|“?{_PERIOD}”?(?:末|期间|时期)?|多少|是什么|哪些|实际|计划|预期|目标|了|[？?；;]", "", parts[0])
    subject = re.sub(r"(是|为|的)+$", "", subject)
    metric = subject
    for name in gazetteer().mentions(subject):
        metric = metric.replace(name, "")
    # a later part with its own place but nothing else ("绍兴全市2023年实际达到了什么水平？") borrows the metric
    borrow = lambda p: p if not bare(p) else f"{metric}，{p}"
    return [parts[0]] + [borrow(p) if gazetteer().mentions(p) else f"{subject}，{re.sub(r'^(那|又|再|而)', '', p)}" for p in parts[1:]]


def by_year_pair(question: str) -> list[str] | None:
    pair = _YEAR_PAIR.search(question)
    return [question.replace(pair.group(0), f"{y}年") for y in pair.groups()] if pair else None


def _place_pair(question: str) -> re.Match | None:
    names = sorted(set(gazetteer().mentions(question)), key=len, reverse=True)
    if len(names) < 2:
        return None
    alt = "|".join(map(re.escape, names))
    return re.search(rf"({alt})({_QUALIFIER})((?:(?!{alt})[^，,。？?]){{0,24}}?)[，,]?(?:{_JOIN})({alt})({_QUALIFIER})", question)


def by_place_pair(question: str) -> list[str] | None:
    """"越城区和南湖区2021年…" → one query per place; "南湖区2020年A和越城区…的B分别…" → one clause each."""
    m = _place_pair(question)
    if not m or m.group(1) == m.group(4):
        return None
    a_place, a_qual, a_rest, b_place, b_qual = m.groups()
    if a_rest:  # two whole clauses: the first one borrows the question's ending
        ask = _ASK.search(question)
        first = question[:m.start(3)] + a_rest + (re.sub(r"^(分别|各自|各)", "", ask.group(0)) if ask else "？")
        second = question[m.start(4):]
        lead = question[:m.start(1)]  # "2021年绍兴…和南湖区…": the year written first is both places'
        return [first, second if years(second) or PERIOD.search(second) or len(lead) > 12 else lead + second]
    shared = lambda q: re.sub(r"^(全市|全区|全县)", "", q)  # "绍兴全市与越城区": 全市 belongs to 绍兴 only
    return [question.replace(m.group(0), a_place + (a_qual or shared(b_qual))),
            question.replace(m.group(0), b_place + (b_qual or shared(a_qual)))]


def by_year_clauses(question: str) -> list[str] | None:
    """"绍兴市2021年计划的A和2023年的B相比如何？" → one clause per year, the subject kept for both."""
    m = re.search(rf"((?:19|20)\d{{2}}年)([^，,。？?]{{1,24}}?)[，,]?(?:{_JOIN})((?:19|20)\d{{2}}年)", question)
    if not m or m.group(1) == m.group(3):
        return None
    ask = _ASK.search(question)
    first = question[:m.start(3)].rstrip("，,和与及、跟同以") + (re.sub(r"^(分别|各自|各)", "", ask.group(0)) if ask else "？")
    return [first, question[:m.start(1)] + question[m.start(3):]]


def _compare_only(sentence: str) -> bool:
    """"哪一年定得更高？", "谁更多？": a sentence that asks only for the comparison of what came before."""
    rest = re.sub(rf"{COMPARE.pattern}|两者|二者|哪一?个|哪一?年|哪里|谁|定得|定的|的|是|如何|怎样|[更？?。，,]", "", sentence)
    return bool(COMPARE.search(sentence)) and len(rest) <= 2


def _single(part: str) -> str:
    """A part asks for its own figure; the comparison is made after both are answered."""
    kept = [s for s in _PARTS.findall(part) if not _compare_only(s)]
    part = re.sub(r"(分别|各自)(?=是|为|把|定|提|有|达到|增长|计划|多少|什么)|各(?=是|为|有多少)", "", "".join(kept) or part)
    return _COMPARE_ASK.sub("是多少", part, count=1) if COMPARE.search(part) else part


def subqueries(question: str) -> list[str]:
    """One query per thing asked about; the question itself when it asks about one thing."""
    asked = "".join(s for s in _PARTS.findall(question) if not _compare_only(s)) or question
    for split in (by_sentence, by_year_pair, by_place_pair, by_year_clauses):
        parts = split(asked)
        if parts:
            return [_single(p) for p in parts]
    return [question]


_FIGURE = re.compile(r"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s*(%|[万亿]*(?:元|人次|人|个|家|件|吨|亩|台|辆|所|座|场|项|次|处|公里|平方米|平方公里|微克|天|岁|倍))")


def _label(query: str) -> str:
    names = gazetteer().mentions(query)
    year = min(years(query), default="")
    return (names[0] if names else "") + (f"{year}年" if year else "") or query[:8]


def compare(question: str, queries: list[str], texts: list[str]) -> str:
    """For "哪个更高/相比如何" over two parts: the comparison computed from the two cited figures.

    Only when each part's answer holds a figure in the same unit; the model is never asked to do arithmetic.
    """
    if len(queries) != 2 or not COMPARE.search(question):
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
    return f"比较：{_label(queries[hi])}（{found[hi].group(0)}）高于{_label(queries[lo])}（{found[lo].group(0)}），相差{diff}。"
