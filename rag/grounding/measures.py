"""Measures: what a figure measures, read from the nouns before it.

"南湖区2020年房地产开发投资增长了多少？" asks about 房地产开发投资; a cited "固定资产投资增长7.5%"
measures 投资 too, but another kind of it. When the asked measure's head noun stands before the
figure and one of its modifying nouns appears nowhere in the passage, the figure is a sibling
metric's, not an answer. Only nouns count (jieba's tags), so verbs and wording around the metric
("打算改造", "提高到") never decide.
"""

from __future__ import annotations

import functools
import re

from rag.zh.script import normalize, to_simplified
from rag.zh.specifiers import contains_number
from rag.zh.tokens import words
from rag.zh.places import ends_like_place
from rag.zh.reporting import FRAME, LINKING, MODALITY
from rag.zh.clauses import clauses

# The metric stands right before the ask: "…投资增长了多少", "…比重是多少", "…有几个".
_ASK = re.compile(rf"([\u4e00-\u9fffA-Za-z&.]{{2,16}}?)(?:的)?(?:{MODALITY})?(?:{LINKING})*了?(?:多少|几)")
_NOUNS = {"n", "nz", "nt", "nl", "ng", "vn", "eng", "l", "j"}


@functools.lru_cache(maxsize=256)
def asked(question: str) -> tuple[str, tuple[str, ...]]:
    """(the measure as written, its nouns in order): ("房地产开发投资", ("房地产", "投资"))."""
    import jieba.posseg

    m = _ASK.search(to_simplified(question))
    if not m:
        return "", ()
    cut = [(w, flag) for w, flag in jieba.posseg.cut(m.group(1))]
    keep = [i for i, (w, flag) in enumerate(cut) if flag in _NOUNS and len(w) >= 2 and not re.search(r"\d", w)
            and w not in FRAME and not ends_like_place(w)]
    if not keep:
        return "", ()
    return "".join(w for w, _ in cut[keep[0]:]), tuple(cut[i][0].lower() for i in keep)


def gap(question: str, quote: str, passage_text: str, figures) -> str:
    """The asked measure when the cited clause gives its head noun's figure for another kind of it
    ('' otherwise)."""
    phrase, nouns = asked(question)
    if len(nouns) < 2 or not figures:
        return ""
    held = [c for c in clauses(normalize(quote).lower()) if any(contains_number(c, f) for f in figures)]
    if not held:
        return ""
    at = min((held[0].find(f) for f in figures if f in held[0]), default=-1)
    before, body = held[0][:at] if at > 0 else held[0], normalize(passage_text).lower()
    if nouns[-1] not in before:
        return ""
    # the clause's own kind of the head ("固定资产" in "固定资产投资"); one the question names is the same kind, and a
    # Latin abbreviation ("占GDP比重" for "占生产总值的比重") may be the question's words in short
    head = before.rfind(nouns[-1])
    said = words(before[max(0, head - 8):head])
    if (not said or len(said[-1]) < 2 or re.search("[a-z]", said[-1]) or said[-1] in phrase
            or any(n in said[-1] for n in nouns)):
        return ""
    return phrase if any(n not in body for n in nouns[:-1]) else ""
