"""Restating: a cited passage's own words added under an answer that says too little of them.

The small model often copies one figure of a list, restates the question, gives a bare figure or
paraphrases a name. Each function here takes the checked answer and the question and returns the
cited clause to add, verbatim, cited and in the answer's script, or "" when the answer needs none.
"""

from __future__ import annotations

import re

from rag.grounding.citing import Checked
from rag.zh.asking import ASKS_AMOUNT, ASKS_WORDS
from rag.zh.clauses import clauses
from rag.zh.patterns import CITATION, folded_bigrams
from rag.zh.reporting import AND
from rag.zh.script import normalize, to_simplified, to_traditional
from rag.zh.specifiers import contains_number, numbers, without_years
from rag.zh.units import ANY_UNIT, MAGNITUDES


_PARALLEL = re.compile(rf"\d[^、，,]*、[^、，,]*\d|分别[^，,]*\d[^，,]*(?:{AND})[^，,]*\d")
_FIGURE_UNIT = re.compile(r"(\d+(?:\.\d+)?)([^\d.、，,]?)")


def _holding(parts: list[str], figure: str, question: str) -> int | None:
    """The clause holding `figure` that shares most words with the question ("收入增长8%…分别增长7.5%、8%")."""
    grams = folded_bigrams(re.sub(r"[\W\d_]", "", question))
    found = [i for i, c in enumerate(parts) if contains_number(c, figure)]
    return max(found, key=lambda i: (len(grams & folded_bigrams(parts[i])), -i)) if found else None


def parallel_rest(checked: Checked, question: str, traditional: bool = False) -> str:
    """The cited clause of a parallel list the answer gave only part of ("分别达到98%、99%以上" → "99%").

    The small model often copies one figure of such a list; the clause itself is added, verbatim and cited,
    in the answer's script.
    """
    if checked.refused:
        return ""
    given, asked = set(numbers(CITATION.sub("", checked.text))), set(numbers(question))
    added = []
    for c in checked.citations:
        parts = clauses(c["quote"])
        for clause in (parts[i] for i in sorted({_holding(parts, f, question) for f in given} - {None})):
            body = without_years(normalize(clause))
            units = {}
            for number, unit in _FIGURE_UNIT.findall(body):
                units.setdefault(unit, set()).add(number)
            # a list of like figures ("98%、99%", "10人以上、…40人以上"), not "450亿元、增长28.5%"
            like = any(same & given and same - given - asked for same in units.values())
            if _PARALLEL.search(body) and like:
                added.append(_verbatim(clause.strip(), c["n"], traditional))
    return "；".join(dict.fromkeys(added))


def hollow_rest(checked: Checked, question: str, traditional: bool = False) -> str:
    """An answer that only restates the question ("…目标具体是：[1]") or counts with no figure gets its
    cited sentence."""
    if checked.refused or not checked.citations:
        return ""
    text = CITATION.sub("", checked.text)
    said = folded_bigrams(re.sub(r"[\W\d_]", "", text)) - folded_bigrams(question)
    asked = set(numbers(question))
    new_figures, quoted = set(numbers(text)) - asked, set(numbers(checked.citations[0]["quote"]))
    if (len(said) >= 3 and not (ASKS_AMOUNT.search(question) and quoted - asked)) or new_figures:
        return ""
    return _verbatim(checked.citations[0]["quote"], checked.citations[0]["n"], traditional)


def bare_rest(checked: Checked, question: str, traditional: bool = False) -> str:
    """An answer that is only a figure ("8%[1]") gets the cited clause that says what the figure is of."""
    if checked.refused or not checked.citations:
        return ""
    words = re.sub(rf"[^\u4e00-\u9fff]|{MAGNITUDES}|{ANY_UNIT}", "", CITATION.sub("", checked.text))
    figures = numbers(CITATION.sub("", checked.text))
    if len(words) >= 2 or not figures:
        return ""
    cite_ = checked.citations[0]
    parts = clauses(cite_["quote"])
    at = _holding(parts, figures[0], question)
    if at is None:
        return ""
    own = len(re.sub(r"[^\u4e00-\u9fff]", "", parts[at]))
    clause = "，".join(parts[at - 1:at + 1]) if own < 4 and at else parts[at]
    return _verbatim(clause.strip(), cite_["n"], traditional)


# "叫什么/指的是哪个/是谁/如何" asks for words, not a count: the small model paraphrases a name
# ("浙江省大救助信息系统" for "…“浙里救”"), so the passage's own clauses are shown under the answer.


def named_rest(checked: Checked, question: str, traditional: bool = False, most: int = 2) -> str:
    """For a question that asks for words, answered without a figure of its own: the cited clauses
    sharing most words with the question, verbatim and cited, unless the answer already says them."""
    if checked.refused or not ASKS_WORDS.search(question) or ASKS_AMOUNT.search(question):
        return ""
    said = CITATION.sub("", checked.text)
    if set(numbers(said)) - set(numbers(question)):
        return ""
    # punctuation and footnote numbers are not words
    words = lambda t: folded_bigrams(re.sub(r"[\W\d_]", "", t))
    grams, said = words(question), words(said)
    new = lambda c: len(words(c) - said) > 0.2 * len(words(c))
    found = [(len(grams & words(c)), -i, c.strip(), cite["n"]) for cite in checked.citations
             for i, c in enumerate(clauses(cite["quote"]))]
    best = sorted((f for f in found if f[0] >= 3 and new(f[2])), reverse=True)[:most]
    in_order = sorted(best, key=lambda f: (f[3], -f[1]))
    return "；".join(_verbatim(clause, n, traditional) for *_, clause, n in in_order)


def _verbatim(text: str, n: int, traditional: bool) -> str:
    """A passage's own words added under an answer, cited and in the answer's script."""
    return f"原文：“{(to_traditional if traditional else to_simplified)(text)}”[{n}]"


def added(checked: Checked, question: str, traditional: bool = False) -> str:
    """The first restatement the answer needs, or \"\"."""
    return (parallel_rest(checked, question, traditional) or hollow_rest(checked, question, traditional)
            or named_rest(checked, question, traditional) or bare_rest(checked, question, traditional))
