"""Scope: what a question pins down, and whether a passage speaks of exactly that.

A retrieved passage is often about the asked topic but not the asked place, year, edition,
quantity or modality (a plan's target when the question asks what was achieved). The small
model copies whatever fills the slot. `constraints` reads what the question pins down once;
the functions here say whether a passage or a cited sentence meets one of them, and
`rag.grounding.checks` holds them as named checks. Nothing here knows the corpus: places come
from the national gazetteer, the rest from the question's own words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag.zh.script import normalize
from rag.zh.places import Place, gazetteer, most_specific
from rag.zh.specifiers import PERIOD, codes, doc_year, editions, ordinals, years
from rag.zh.tokens import tokenize
from rag.zh.asking import AMOUNT, WHO
from rag.zh.reporting import ACTUAL, ASKS_PLAN, CONTRASTS, MONEY, PLAN, RATIO, RELATIVE_YEARS
from rag.zh.units import ANY_PEOPLE, ANY_UNIT, MAGNITUDES, METRIC_COUNT, PEOPLE, THINGS

_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,12})[”\"」』]")
_CN_NUM = "零一二三四五六七八九十百千万两"
# "多少家/几个" asks for a count in that unit; "几个小时" asks hours, not a count of 个.
_ASKED_UNIT = re.compile(rf"(?:{AMOUNT})(?:{MAGNITUDES})?(?:个(?=小时|钟头|百分点))?({ANY_UNIT}|倍)")
# "观影人次是多少": the count's unit is named in the metric, before the ask.
_METRIC_UNIT = re.compile(rf"({METRIC_COUNT})(?:是|有|为|达到|共|一共)*多少")
# "主刀医生是谁": an answer about a person in that role, so the cited sentence names the role.
_WHO = re.compile(rf"([\u4e00-\u9fff]{{2,10}}?)(?:分别)?(?:{WHO})")
_SAME_UNIT = {unit: ANY_PEOPLE for unit in PEOPLE.split() if unit != "人次"}


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
    meaning: object = None  # grounding.meaning.Meaning, when an embedder is at hand


def constraints(question: str) -> Constraints:
    text = normalize(question)
    unit = _ASKED_UNIT.search(text) or _METRIC_UNIT.search(text)
    money = "元" if MONEY.search(text) and not RATIO.search(text) else ""
    return Constraints(places=most_specific(gazetteer().find(text)), years=years(text),
                       periods=set(PERIOD.findall(text)), editions=editions(text),
                       quoted=[normalize(q) for q in _QUOTED.findall(question) if not PERIOD.fullmatch(q)],
                       actual=bool(ACTUAL.search(text)) and not ASKS_PLAN.search(text),
                       unit=_unit(unit.group(1)) if unit else money, codes=codes(text), role=_role(text),
                       question=text)


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
        found |= {str(base + shift) for word, shift in RELATIVE_YEARS.items() if word in body}
    return found


def _text(p) -> str:
    return getattr(p, "full_text", None) or p.text


def _body(p) -> str:
    """Heading and text, folded: what a passage names. Built only when a check has something to look for,
    as retrieval asks every candidate."""
    return normalize(f"{p.title} {p.section} {_text(p)}")


def _mentions(p, place: Place) -> bool:
    body = _body(p)
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
    if not c.periods:
        return ""
    named = set(PERIOD.findall(_body(p)))
    if named and not c.periods & named:
        return f"“{sorted(c.periods)[0]}”"
    return ""


def chapter_fits(years: set[str], p) -> bool | None:
    from rag.grounding import horizons  # horizons reads document years through this module

    return horizons.fits(horizons.Horizon(years=frozenset(map(int, years))), horizons.of_passage(p))


def name_gap(c: Constraints, p) -> str:
    """An edition or model code the question asks about that the passage never names.

    A question naming several ("X1和X2", "第五、六届") is in scope for a passage about any one of them:
    each is answered from its own passage.
    """
    if not (c.editions or c.codes):
        return ""
    body = _body(p)
    if c.editions and not c.editions & editions(body):
        # named as the question wrote it: a refusal must not show a figure the user never typed
        return next(iter(ordinals(c.question).values()))
    if c.codes and not c.codes & codes(body):
        return sorted(c.codes)[0]
    return ""


def quoted_gap(c: Constraints, p) -> str:
    """A phrase the question puts in quotes that the passage never says word for word. Retrieval ranks
    such passages after the others, but it withholds nothing: users also quote their own wording
    ("搞“最干净的城市”" for 最清洁城市), and as a check it cost right answers and saved no refusal on
    the sets it was not written for."""
    if not c.quoted:
        return ""
    body = _body(p)
    return "" if any(q in body for q in c.quoted) else f"“{c.quoted[0]}”"


def gap(c: Constraints, p) -> str:
    """What the question asks that this passage is not about ('' when it is in scope)."""
    return place_gap(c, p) or period_gap(c, p) or name_gap(c, p) or quoted_gap(c, p)


def contrast_gap(question: str, text: str) -> str:
    """An asked member of a contrast set that `text` does not name while naming another member."""
    q, body = normalize(question), normalize(text)
    for group in CONTRASTS:
        asked = [m for m in group if m in q]
        if asked and not any(m in body for m in asked) and any(m in body for m in group):
            return asked[0]
    return ""


def states(text: str, number: str, unit: str) -> bool:
    """`text` says `number` in `unit` ("15个", "1.2万人")."""
    units = _SAME_UNIT.get(unit, re.escape(unit))
    return re.search(rf"(?<![\d.]){re.escape(number)}\s*(?:多|余)?(?:万|亿)*(?:多|余)?(?:{units})",
                     normalize(text)) is not None


def has_unit(text: str, unit: str) -> bool:
    units = _SAME_UNIT.get(unit, re.escape(unit))
    after = rf"[\d{_CN_NUM}][\d.,，]*\s*(?:多|余|万|亿)*(?:{units})"
    before = rf"(?:{units})数?(?:约|达|为|是|共|有|超过|逾|近|已)*\d"  # "观影人次约1.3万", "参赛人数为3200"
    return re.search(f"{after}|{before}", normalize(text)) is not None


def is_classifier(unit: str) -> bool:
    """A measure word of counted things (个, 台, 部): it says how a thing is counted, not what is measured."""
    return unit in THINGS.split()


def foreign_place(c: Constraints, p, quote: str) -> str:
    """A place that is not the document's own must be named in the very sentence cited: a report on
    绍兴 that mentions 杭州 once is not thereby about 杭州's figures. Only against a document known to
    be about another place: without place metadata its title or heading is all there is to go by."""
    own = _doc_place(getattr(p, "place", "") or "")
    said = normalize(quote)
    missing = [x.name for x in c.places
               if own and own.code != x.code and x.name not in said and x.short not in said]
    return missing[0] if quote and missing else ""


def is_plan(sentence: str, p, years: set[str]) -> bool:
    """The cited figure is a plan: said as one, or about a year its document had not yet finished."""
    base = doc_year(p.title)
    if base and years and all(int(y) >= base for y in years):
        return True
    return bool(PLAN.search(normalize(sentence)))


def describe(missing: str, traditional: bool = False) -> str:
    """The refusal, with what the passages lack when that is known."""
    from rag.zh.script import to_traditional

    text = f"资料中没有相关信息。检索到的资料没有讲到问题中的{missing}。" if missing else "资料中没有相关信息。"
    return to_traditional(text) if traditional else text
