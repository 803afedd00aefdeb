"""Figures: a figure in an answer keeps the qualifier its source gives it.

The small model drops the words that bound a figure — "1300余个" becomes "1300个", "6.5%以上"
becomes "6.5%", "不低于10%" becomes "10%" — which turns an approximate or minimum figure into an
exact one, and it swaps a figure's measure word for another of its kind, often the one the question
used (12万名 → 12万人, 18个 → 18座). A figure the cited
passages write with such a qualifier, and never without it, gets the source's wording back.
Nothing here knows a corpus: it compares the answer's characters with the passages'.
"""

from __future__ import annotations

import re

from rag.zh.script import is_traditional, normalize, to_traditional
from rag.zh.units import AFTER, BEFORE, INSIDE, PEOPLE, THINGS

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.]*\d)")
# One count has several possible measure words (人/名/位 for people; 个/座/家… for things): the source's is kept.
_KINDS = ["".join(u for u in kind.split() if len(u) == 1) for kind in (PEOPLE, THINGS)]
_UNIT = re.compile(rf"[%‰]|[万亿千百]?[^\W\d_]{{1,3}}?(?={'|'.join(AFTER)})")


def _occurrences(number: str, sources: list[str]) -> list[str]:
    """The few characters that follow each whole occurrence of `number` in the sources."""
    pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)")
    return [s[m.end():m.end() + 6] for s in sources for m in pattern.finditer(s)]


def _inside(said: str, follows: list[str]) -> str:
    """'余' when every source occurrence with the answer's unit puts 余/多 before it."""
    if not said or not re.match(r"[^\W\d_]", said[0]) or said[0] in INSIDE:
        return ""
    qualified = {f[0] for f in follows if len(f) > 1 and f[0] in INSIDE and f[1] == said[0]}
    bare = any(f.startswith(said[0]) for f in follows)
    return qualified.pop() if len(qualified) == 1 and not bare else ""


def _after(said: str, follows: list[str]) -> tuple[int, str]:
    """(unit length, qualifier) when every source occurrence with the answer's unit bounds it ('以上')."""
    found = set()
    for f in follows:
        unit = _UNIT.match(f)
        if unit and said.startswith(unit.group(0)):
            found.add((len(unit.group(0)), f[unit.end():unit.end() + 2]))
    if len(found) != 1:
        return 0, ""
    size, qualifier = found.pop()
    rest = said[size:]
    bare = any(f.startswith(said[:size]) and not f[size:].startswith(AFTER) for f in follows)
    return (size, qualifier) if not bare and not rest.startswith(AFTER) else (0, "")


def _before(text: str, start: int, said: str, number: str, sources: list[str]) -> str:
    """'不低于' when every source occurrence of the figure in the answer's unit is bounded by it."""
    if not said or text[max(0, start - 3):start].endswith(BEFORE):
        return ""
    pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?=[余多]?{re.escape(said[0])})")
    found = {next((b for b in BEFORE if s[:m.start()].endswith(b)), "")
             for s in sources for m in pattern.finditer(s)}
    return found.pop() if len(found) == 1 else ""


def _classifier(said: str, follows: list[str]) -> str:
    """'名' for an answer's '12万人' when the sources only ever write '12万名'; '个' for '18座' when they write
    '18个'."""
    for kind in _KINDS:
        m = re.match(rf"([万亿]?)([{kind}])", said)
        if not m:
            continue
        scale = m.group(1)
        theirs = {f[len(scale)] for f in follows if f.startswith(scale) and len(f) > len(scale)}
        return theirs.pop() if len(theirs) == 1 and theirs <= set(kind) and m.group(2) not in theirs else ""
    return ""


def as_written(text: str, sources: list[str]) -> str:
    """`text` with each figure's qualifier restored where the sources always write it."""
    sources = [normalize(s) for s in sources]
    script = to_traditional if is_traditional(text) else (lambda s: s)
    out, last = [], 0
    for m in _NUMBER.finditer(text):
        follows = _occurrences(m.group(0), sources)
        raw = text[m.end():m.end() + 6]
        said = normalize(raw)
        if not follows or len(said) != len(raw):
            continue  # positions in the matching form would not be the answer's: leave it
        before = _before(text, m.start(), said, m.group(0), sources)
        if before:
            out += [text[last:m.start()], script(before)]
            last = m.start()
        people = _classifier(said, follows)
        if people:  # the classifier sits after an optional 万/亿
            at = m.end() + len(said) - len(said.lstrip("万亿"))
            out += [text[last:at], script(people)]
            last = at + 1
            continue
        inside = _inside(said, follows)
        size, qualifier = (0, "") if inside else _after(said, follows)
        if inside:
            out += [text[last:m.end()], script(inside)]
            last = m.end()
        elif qualifier:
            out += [text[last:m.end() + size], script(qualifier)]
            last = m.end() + size
    return "".join(out) + text[last:]
