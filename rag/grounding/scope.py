"""Scope: what a question pins down, and whether a passage speaks of exactly that.

A retrieved passage is often about the asked topic but not the asked place, year, edition,
quantity or modality (a plan's target when the question asks what was achieved). The small
model copies whatever fills the slot, so the answer stage checks these constraints itself:
before generation (no passage in scope → refuse, and say what is missing) and after it
(the cited passages must meet them, or the answer is withheld). After generation the cited
sentence is judged too: the clause holding the answer's figure must not be about a sibling of
what was asked (200米 for 100米, 2025年 for 2021年, see specifiers), a who-question's role must be
named, and the figure must be said in the asked unit. Nothing here knows the corpus: places come
from the national gazetteer, the rest from the question's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag.grounding import measures
from rag.zh.script import normalize
from rag.zh.places import Place, gazetteer, most_specific
from rag.zh.specifiers import PERIOD, clauses, codes, contains_number, doc_year, editions, ordinals, sibling_gap, years
from rag.zh.tokens import tokenize

_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,12})[”\"」』]")
_ACTUAL = re.compile(r"实际|实绩|真正|(完成|实现|达到|增长|新增|引进|建成)了(多少|几)")
# "实际利用外资…目标" names a metric and asks for its target: not a question about what was achieved.
_ASKS_PLAN = re.compile(r"目标|计划|预期|力争|要求|规划")
# "每千人口拥有托位4.5个" is a rate: it does not answer "一共有多少个".
# "人均" is left out: "城乡居民收入" questions mean the per-head figure the documents give.
_RATE = re.compile(r"每(?:十万|万|千|百)?(?:人|户|名|位|常住人口|老年人|户籍人口)|(?:万|千)人(?:口)?拥有")
_ASKS_RATE = re.compile(r"每|人均|平均|率|比例|比重|占比|密度|万人|千人|百人")
_PLAN = re.compile(r"目标|计划|力争|预期|争取|确保|预计|拟|规划|将要|要求")
# "累计新增就业岗位13万个" (five years' worth) does not answer "2020年新增了多少".
# "PM2.5年均浓度" is a level, not a sum: only growth or additions averaged over the years count.
_SPAN_TOTAL = re.compile(r"累计|共计|合计|年均(?:增长|增速|新增|递增|提高)")
_RELATIVE = (("去年", -1), ("上年", -1), ("上一年", -1), ("过去一年", -1), ("今年", 0), ("本年", 0), ("明年", 1))
_CN_NUM = "零一二三四五六七八九十百千万两"
_UNIT_WORDS = "名|位|人次|人|个|家|所|座|场次|场|件|项|次|台|辆|套|条|处|亩|吨|元|天|年|岁|篇|部|本|张|户|栋|公里|千米|米|平方米|小时|分钟|倍"
# "多少家/几个" asks for a count; "哪几家" asks which ones, and names are the answer.
_ASKED_UNIT = re.compile(rf"(?:多少|(?<!哪)几)(?:万|亿|万亿)?(?:个(?=小时|钟头|百分点))?({_UNIT_WORDS})")  # 几个小时 asks hours
# "观影人次是多少": the count's unit is named in the metric, before the ask.
_METRIC_UNIT = re.compile(r"(人次|人数|场次|次数|户数|件数|台数|辆数|家数|个数)(?:是|有|为|达到|共|一共)*多少")
# "主刀医生是谁": an answer about a person in that role, so the cited sentence names the role.
_WHO = re.compile(r"([\u4e00-\u9fff]{2,10}?)(?:分别)?(?:是谁|为谁|由谁)")
# A question about an amount of money needs a money figure, unless it asks for a share or a rate.
_MONEY = re.compile(r"多少钱|(金额|投资|资金|奖金|奖励|经费|费用|价格|售价|票价|融资|成本)(总额|额)?(是|为|有|达到)?多少")
_RATIO = re.compile(r"比重|占比|比例|率|增长|增速|百分")
# Members of a set that exclude each other: a sentence about the men's winner does not answer a
# question about the women's, nor exports one about imports.
_CONTRASTS = (("男子", "女子"), ("冠军", "亚军", "季军"), ("金牌", "银牌", "铜牌"), ("一等奖", "二等奖", "三等奖"),
              ("上半年", "下半年"), ("一季度", "二季度", "三季度", "四季度"), ("出口", "进口"), ("最高", "最低"),
              ("本科", "硕士", "博士"), ("初级", "中级", "高级"), ("首发", "替补"), ("正式", "试行"),
              ("首日", "当日", "首周", "首月"), ("总数", "新增"))
_SAME_UNIT = {"名": "名|人(?!次)|位", "位": "名|人(?!次)|位", "人": "名|人(?!次)|位"}


@dataclass
class Constraints:
    places: list[Place] = field(default_factory=list)
    years: set[str] = field(default_factory=set)
    periods: set[str] = field(default_factory=set)
    editions: set[str] = field(default_factory=set)
    quoted: list[str] = field(default_factory=list)
    actual: bool = False
    unit: str = ""
    codes: set[str] = field(default_factory=set)
    role: str = ""
    question: str = ""


def constraints(question: str) -> Constraints:
    text = normalize(question)
    unit = _ASKED_UNIT.search(text) or _METRIC_UNIT.search(text)
    money = "元" if _MONEY.search(text) and not _RATIO.search(text) else ""
    return Constraints(places=most_specific(gazetteer().find(text)), years=years(text),
                       periods=set(PERIOD.findall(text)), editions=editions(text),
                       quoted=[normalize(q) for q in _QUOTED.findall(question) if not PERIOD.fullmatch(q)], actual=bool(_ACTUAL.search(text)) and not _ASKS_PLAN.search(text),
                       unit=_unit(unit.group(1)) if unit else money, codes=codes(text), role=_role(text), question=text)


def _unit(word: str) -> str:
    """The unit a count is said in: 人数 → 人, 户数 → 户; asked units (小时, 公里, 人次) as they are."""
    return word[0] if word.endswith("数") else word


def _role(text: str) -> str:
    """'主刀医生是谁' → '医生': the head word of the role a who-question asks for."""
    m = _WHO.search(text)
    head = [w for w in tokenize(m.group(1)) if len(w) >= 2] if m else []
    return head[-1] if head else ""


@lru_cache(maxsize=256)
def _doc_place(place: str) -> Place | None:
    found = most_specific(gazetteer().find(place)) if place else []
    return found[-1] if found else None


def passage_years(p) -> set[str]:
    """Years a passage speaks of: written out, or relative to its document's year ('去年')."""
    body = normalize(f"{p.section} {_text(p)}")
    found = years(body)
    base = doc_year(p.title)
    if base:
        found |= {str(base + shift) for word, shift in _RELATIVE if word in body}
    return found


def _text(p) -> str:
    return getattr(p, "full_text", None) or p.text


def _mentions(p, place: Place) -> bool:
    body = normalize(f"{p.title} {p.section} {_text(p)}")
    return place.name in body or (len(place.short) >= 2 and place.short in body)


def place_gap(c: Constraints, p) -> str:
    """The first asked place this passage does not speak of, or ''."""
    own = _doc_place(getattr(p, "place", "") or "")
    for place in c.places:
        if own and own.code == place.code:
            continue
        if own and own.within(place) and own.code != place.code:
            return place.name  # a district's figure does not answer a question about its city
        if not _mentions(p, place):
            return place.name
    return ""


def period_gap(c: Constraints, p) -> str:
    if c.years:
        said = passage_years(p)
        base = doc_year(p.title)
        fallback = {str(base - 1), str(base)} if base else c.years
        # a chapter reviewing a span that ends in the asked year reports that year ("十三五"末 = 2020)
        if not c.years & (said or fallback) and not chapter_fits(c.years, p):
            return "、".join(sorted(c.years)) + "年"
    # A five-year period is often named once at the top of a chapter, not in every chunk: only a
    # passage that names another period (and not the asked one) is out of scope.
    named = set(PERIOD.findall(normalize(f"{p.title} {p.section} {_text(p)}")))
    if c.periods and named and not c.periods & named:
        return f"“{sorted(c.periods)[0]}”"
    return ""


def chapter_fits(years: set[str], p) -> bool | None:
    from rag.grounding import horizons  # horizons reads document years through this module

    return horizons.fits(horizons.Horizon(years=frozenset(map(int, years))), horizons.of_passage(p))


def name_gap(c: Constraints, p) -> str:
    """An edition, model code or quoted name the question asks about that the passage never names.

    A question naming several ("X1和X2", "第五、六届") is in scope for a passage about any one of them:
    each is answered from its own passage.
    """
    body = normalize(f"{p.title} {p.section} {_text(p)}")
    if c.editions and not c.editions & editions(body):
        # named as the question wrote it: a refusal must not show a figure the user never typed
        return next(iter(ordinals(c.question).values()))
    if c.codes and not c.codes & codes(body):
        return sorted(c.codes)[0]
    if c.quoted and not any(q in body for q in c.quoted):
        return f"“{c.quoted[0]}”"
    return ""


def gap(c: Constraints, p) -> str:
    """What the question asks that this passage is not about ('' when it is in scope)."""
    return place_gap(c, p) or period_gap(c, p) or name_gap(c, p)


def contrast_gap(question: str, text: str) -> str:
    """An asked member of a contrast set that `text` does not name while naming another member."""
    q, body = normalize(question), normalize(text)
    for group in _CONTRASTS:
        asked = [m for m in group if m in q]
        if asked and not any(m in body for m in asked) and any(m in body for m in group):
            return asked[0]
    return ""


def reason(c: Constraints, passages: list) -> str:
    """What the passages miss, taken from one about the asked place when there is one (its gap is the telling one)."""
    about_place = [gap(c, p) for p in passages if not place_gap(c, p)]
    return (about_place or [gap(c, p) for p in passages] or [""])[0]


def states(text: str, number: str, unit: str) -> bool:
    """`text` says `number` in `unit` ("15个", "1.2万人")."""
    units = _SAME_UNIT.get(unit, re.escape(unit))
    return re.search(rf"(?<![\d.]){re.escape(number)}\s*(?:多|余)?(?:万|亿)*(?:多|余)?(?:{units})", normalize(text)) is not None


def has_unit(text: str, unit: str) -> bool:
    units = _SAME_UNIT.get(unit, re.escape(unit))
    after = rf"[\d{_CN_NUM}][\d.,，]*\s*(?:多|余|万|亿)*(?:{units})"
    before = rf"(?:{units})数?(?:约|达|为|是|共|有|超过|逾|近|已)*\d"  # "观影人次约1.3万", "参赛人数为3200"
    return re.search(f"{after}|{before}", normalize(text)) is not None


def _focus(quote: str, figures) -> str:
    """The clauses of the cited sentence that hold the answer's figures: "注册会员约120万人" of a sentence
    that also says "开出第一家店" is not about a sibling of "第100家"."""
    held = [c for c in clauses(quote) if any(contains_number(c, f) for f in figures)]
    return "，".join(held) or quote


def answer_gap(c: Constraints, p, quote: str, figures=()) -> str:
    """What a cited passage lacks for the question: scope, the asked place in the cited sentence,
    the asked member of a kind (not a sibling), role or unit, or an actual result."""
    return gap(c, p) or _foreign_place(c, p, quote) or _sentence_gap(c, p, quote, figures)


def _foreign_place(c: Constraints, p, quote: str) -> str:
    """A place that is not the document's own must be named in the very sentence cited: a report on
    绍兴 that mentions 杭州 once is not thereby about 杭州's figures. Only against a document known to
    be about another place: without place metadata its title or heading is all there is to go by."""
    own = _doc_place(getattr(p, "place", "") or "")
    said = normalize(quote)
    missing = [x.name for x in c.places if own and own.code != x.code and x.name not in said and x.short not in said]
    return missing[0] if quote and missing else ""


def _sentence_gap(c: Constraints, p, quote: str, figures) -> str:
    focus = _focus(quote, figures)
    other = (contrast_gap(c.question, focus) or sibling_gap(c.question, focus)
             or measures.gap(c.question, quote, f"{p.title} {p.section} {_text(p)}", figures)) if c.question and quote else ""
    if other:
        return other
    if c.role and quote and c.role not in normalize(quote):
        return f"“{c.role}”"
    # the chapter is about another span (十四五 targets for a 2035 question) and the sentence names no asked year
    if c.years and quote and not c.years & years(quote) and chapter_fits(c.years, p) is False:
        return "、".join(sorted(c.years)) + "年"
    # the answer's figure is said in the asked unit, not merely some figure of the passage
    if c.unit and not (any(states(_text(p), f, c.unit) for f in figures) or has_unit(quote or _text(p), c.unit)):
        return f"以“{c.unit}”计的数字"
    if c.actual and is_plan(quote, p, c.years):
        return "实际完成的数字（资料中只有计划或目标）"
    if figures and c.question and _RATE.search(normalize(focus)) and not _ASKS_RATE.search(normalize(c.question)):
        return "总数（资料中只有按人口平均的数）"
    if figures and len(c.years) == 1 and _SPAN_TOTAL.search(normalize(focus)) and not _SPAN_TOTAL.search(normalize(c.question)):
        return f"{min(c.years)}年当年的数字（资料中只有多年累计或年均的数）"
    return ""


def is_plan(sentence: str, p, years: set[str]) -> bool:
    """The cited figure is a plan: said as one, or about a year its document had not yet finished."""
    base = doc_year(p.title)
    if base and years and all(int(y) >= base for y in years):
        return True
    return bool(_PLAN.search(normalize(sentence)))


def describe(missing: str, traditional: bool = False) -> str:
    """The refusal, with what the passages lack when that is known."""
    from rag.zh.script import to_traditional

    text = f"资料中没有相关信息。检索到的资料没有讲到问题中的{missing}。" if missing else "资料中没有相关信息。"
    return to_traditional(text) if traditional else text
