"""Horizons: the span of time a passage's chapter speaks of, and whether it is the span a question asks.

Reports and plans are laid out by horizon: "2020年主要工作", "今后五年奋斗目标和主要任务",
"2021年主要工作安排", the chapters of a five-year plan. The same metric appears under several of
them with different figures (the year's target 65 %, the five-year target 70 %), and the small
model copies either. A question about one year is answered from the chapters about that year,
one about a five-year period from the chapters about that period, when the retrieved passages
include such chapters. Read from headings only: a chunk's own sentences seldom repeat the year
their chapter is about, and a document's title year is when it was written, not what it covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.zh.script import normalize
from rag.zh.specifiers import PERIOD, years
from rag.zh.genre import AHEAD, BEHIND



@dataclass(frozen=True)
class Horizon:
    years: frozenset = frozenset()  # single years (2021)
    spans: frozenset = frozenset()  # multi-year spans as (first, last): (2021, 2025)

    def __bool__(self) -> bool:
        return bool(self.years or self.spans)


def period_span(name: str) -> tuple[int, int]:
    """'十四五' → (2021, 2025): the n-th five-year plan from the third (1966–1970) on."""
    n = 10 + "一二三四五六七八九".index(name[1]) + 1
    first = 1966 + 5 * (n - 3)
    return first, first + 4


def of_heading(heading: str, doc_year: int | None = None) -> Horizon:
    """The years and spans a heading names; '今后五年' and '过去五年' count from the document's year."""
    text = normalize(heading)
    spans = {period_span(p) for p in PERIOD.findall(text)}
    if doc_year and AHEAD.search(text):
        spans.add((doc_year, doc_year + 4))
    if doc_year and BEHIND.search(text):
        spans.add((doc_year - 5, doc_year - 1))
    return Horizon(frozenset(int(y) for y in years(text)), frozenset(spans))


def of_passage(p) -> Horizon:
    """The innermost heading of the passage's section path that names a horizon, else the
    period a five-year plan's title names ('…十四五规划'); else nothing is known."""
    from rag.zh.specifiers import doc_year

    base = doc_year(p.title)
    for heading in reversed([h for h in (p.section or "").split(" > ") if h]):
        found = of_heading(heading, base)
        if found:
            return found
    return Horizon(spans=of_heading(p.title).spans)


def asked(question: str) -> Horizon:
    """The years and periods a question (or a chunk's own text) names: a heading read without a document
    year."""
    return of_heading(question)


def fits(want: Horizon, have: Horizon) -> bool | None:
    """Whether a chapter's horizon is the asked one; None when either is unknown.

    A year fits a chapter about that year, or a span that ends in it (a five-year review reports
    its last year, a five-year plan's targets are for its last year). A period fits only a chapter
    about that period: a year's work plan inside it is not the period's plan.
    """
    if not want or not have:
        return None
    if want.spans:
        return bool(want.spans & have.spans)
    return bool(want.years & have.years) or any(last in want.years for _, last in have.spans)


def _names(p, want: Horizon) -> bool | None:
    """The chunk's own words name an asked year or period: they speak louder than its chapter."""
    own = asked(getattr(p, "full_text", None) or p.text)
    return True if (want.years & own.years or want.spans & own.spans) else None


def prefer(question: str, passages: list) -> list:
    """The passages whose chapter is about the asked horizon, and those whose chapter is unknown,
    when at least one fits; otherwise all of them, in their order."""
    want = asked(question)
    verdicts = [_names(p, want) or fits(want, of_passage(p)) for p in passages]
    if True not in verdicts:
        return passages
    return [p for p, verdict in zip(passages, verdicts) if verdict is not False]
