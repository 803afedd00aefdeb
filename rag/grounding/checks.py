"""Checks: every rule that may withhold an answer, each a named function with one contract, in one list.

A check takes what the question pins down (`scope.Constraints`) and what would back the answer (a
`Backing`: a retrieved passage before generation; after it, a cited passage with its quoted sentence
and the answer's figures) and returns a gap, the thing missing as the user will read it, or "".

Before generation a passage with any gap is not shown to the model; a part with no passage left is
refused without asking it. After generation an answer is withheld when every passage it cites has a
gap. `RAG_CHECKS_OFF` turns named checks off, and `rag eval` counts per check the answers it cost on
answerable questions and the refusals it saved on unanswerable ones, so each can be judged by what it
does on questions it was not written for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rag.errors import InputError
from rag.grounding import naming, scope
from rag.zh.clauses import clauses
from rag.zh.script import normalize
from rag.zh.specifiers import contains_number, sibling_gap, years


@dataclass(frozen=True)
class Backing:
    passage: object
    quote: str = ""  # the cited sentence; "" before generation
    figures: tuple = ()  # the answer's figures this passage is cited for
    answer: str = ""  # the answer's text, for checks on the answer as a whole


@dataclass(frozen=True)
class Check:
    name: str
    stage: str  # passage: before generation, on each retrieved passage; cited: on each cited one; answer
    run: Callable[[scope.Constraints, Backing], str]
    why: str


def _focus(b: Backing) -> str:
    """The clauses of the cited sentence that hold the answer's figures: "注册会员约120万人" of a sentence that
    also says "开出第一家店" is not about a sibling of "第100家"."""
    held = [c for c in clauses(b.quote) if any(contains_number(c, f) for f in b.figures)]
    return "，".join(held) or b.quote


def _text(p) -> str:
    return getattr(p, "full_text", None) or p.text


def contrast(c: scope.Constraints, b: Backing) -> str:
    return scope.contrast_gap(c.question, _focus(b)) if c.question and b.quote else ""


def sibling(c: scope.Constraints, b: Backing) -> str:
    return sibling_gap(c.question, _focus(b)) if c.question and b.quote else ""


def metric(c: scope.Constraints, b: Backing) -> str:
    """The clause holding the answer's figure, with the clause before it (which often names its subject:
    "不良贷款率…，控制在1.5%以内"), is not about what the question asks, by meaning: 全社会用电量 is
    not answered by 地区生产总值's figure."""
    if c.meaning is None or not b.figures or not b.quote:
        return ""
    parts = clauses(b.quote)
    held = [i for i, part in enumerate(parts) if any(contains_number(part, f) for f in b.figures)]
    windows = ["，".join(parts[max(0, i - 1):i + 1]) for i in held]
    if not c.meaning.far(windows):
        return ""
    return "这一项（所引的句子讲的是别的指标）"


def role(c: scope.Constraints, b: Backing) -> str:
    return f"“{c.role}”" if c.role and b.quote and c.role not in normalize(b.quote) else ""


def chapter_year(c: scope.Constraints, b: Backing) -> str:
    """The chapter is about another span (十四五 targets for a 2035 question) and the sentence names no asked
    year."""
    if (c.years and b.quote and not c.years & years(b.quote)
            and scope.chapter_fits(c.years, b.passage) is False):
        return "、".join(sorted(c.years)) + "年"
    return ""


def unit(c: scope.Constraints, b: Backing) -> str:
    """The answer's figure is said in the asked unit of measure, not merely some figure of the passage.

    A measure word (个, 台, 部, 家) classifies what is counted and does not measure it: 多少部电梯 is answered
    by 台, so only units of measure, money and people take part."""
    if not c.unit or scope.is_classifier(c.unit):
        return ""
    p = b.passage
    if (any(scope.states(_text(p), f, c.unit) for f in b.figures)
            or scope.has_unit(b.quote or _text(p), c.unit)):
        return ""
    return f"以“{c.unit}”计的数字"


def actual(c: scope.Constraints, b: Backing) -> str:
    if c.actual and scope.is_plan(b.quote, b.passage, c.years):
        return "实际完成的数字（资料中只有计划或目标）"
    return ""


def named(c: scope.Constraints, b: Backing) -> str:
    return naming.unnamed(c.question, b.answer) if b.answer else ""


CHECKS = (
    Check("place", "passage", lambda c, b: scope.place_gap(c, b.passage),
          "the passage is about another place (a district's figure for its city, another city)"),
    Check("period", "passage", lambda c, b: scope.period_gap(c, b.passage),
          "the passage is about another year or five-year period"),
    Check("name", "passage", lambda c, b: scope.name_gap(c, b.passage),
          "the passage never names the asked edition or model code"),
    Check("foreign_place", "cited", lambda c, b: scope.foreign_place(c, b.passage, b.quote),
          "a place other than the document's own is not named in the cited sentence"),
    Check("contrast", "cited", contrast, "the cited clause names another member of a contrast (男子/女子)"),
    Check("sibling", "cited", sibling, "the cited clause names a sibling specifier (第四届 for 第五届, 200米)"),
    Check("metric", "cited", metric, "the cited figure's clause is not about the asked thing, by meaning"),
    Check("role", "cited", role, "a who-question's role is not named in the cited sentence"),
    Check("chapter_year", "cited", chapter_year, "the cited chapter is about another span than the year"),
    Check("unit", "cited", unit, "the cited figure is not in the asked unit of measure"),
    Check("actual", "cited", actual, "an actual result is asked and the cited figure is a plan"),
    Check("naming", "answer", named, "the names of a counted kind are asked and the answer names none"),
)
NAMES = tuple(check.name for check in CHECKS)


def active(off: str = "") -> tuple[Check, ...]:
    """The checks left on when `off` (comma-separated names, as in RAG_CHECKS_OFF) are turned off."""
    names = {n.strip() for n in off.split(",") if n.strip()}
    unknown = sorted(names - set(NAMES))
    if unknown:
        raise InputError(f"unknown check(s) in RAG_CHECKS_OFF: {', '.join(unknown)}; "
                         f"the checks are: {', '.join(NAMES)}")
    return tuple(check for check in CHECKS if check.name not in names)


def gaps(checks, stage: str, c: scope.Constraints, b: Backing) -> dict[str, str]:
    """{check name: gap} for the checks of `stage` that find one, in the list's order."""
    found = {check.name: check.run(c, b) for check in checks if check.stage == stage}
    return {name: gap for name, gap in found.items() if gap}


def decisive(per_item: list[dict[str, str]]) -> list[str]:
    """The checks that alone would have removed every item (each passage of a part, each citation); when
    only their combination does, every check that found a gap."""
    alone = [n for n in NAMES if per_item and all(n in found for found in per_item)]
    return alone or [n for n in NAMES if any(n in found for found in per_item)]


def telling(found: list[dict[str, str]]) -> str:
    """The gap a refusal tells, from a passage about the asked place when there is one (its gap is the telling
    one)."""
    about_place = [next(iter(f.values())) for f in found if f and "place" not in f]
    return (about_place or [next(iter(f.values())) for f in found if f] or [""])[0]


def answer_gap(c: scope.Constraints, p, quote: str, figures=(), checks=CHECKS) -> str:
    """The first gap of a cited passage, its passage checks included: what it lacks for the question."""
    b = Backing(p, quote, tuple(figures))
    found = {**gaps(checks, "passage", c, b), **gaps(checks, "cited", c, b)}
    return next(iter(found.values()), "")
