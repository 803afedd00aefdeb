"""Naming: a question that asks the names of a counted kind ("2所省一级幼儿园叫什么名字", "哪9家博物馆").

Documents often give only the count ("新增省一级幼儿园2所", "来自国内9家博物馆"); the small model
then answers with the count, or with names of another kind that sit nearby (学校 for 幼儿园).
An answer that names nothing of the asked kind does not answer such a question.
"""

from __future__ import annotations

import re

from rag.zh.script import normalize
from rag.zh.patterns import without_markers
from rag.zh.asking import NAMES
from rag.zh.reporting import AND_ITEMS
from rag.zh.units import COUNTS

_COUNT = rf"(?:\d+|[两二三四五六七八九十百]+)(?:{COUNTS})"
# the counted kind: "2所省一级幼儿园" → 省一级幼儿园, "哪9家博物馆" → 博物馆
_COUNTED = re.compile(rf"{_COUNT}([\u4e00-\u9fff]{{2,10}}?)(?=叫什么|的名称|的名字|分别|是哪|有哪些|来自|[，,？?])")
_CUT = re.compile(rf"[、，,。；;：:“”\"\s()（）\[\]]|{_COUNT}|的|是|叫|为|来自|包括|分别")


def asked_kind(question: str) -> str:
    """The kind whose names the question asks for ('' when it asks no names of a counted kind)."""
    q = normalize(question)
    if not (NAMES.search(q) or re.search(rf"哪{_COUNT}", q)):
        return ""
    if re.search(rf"哪{_COUNT}", q):  # "哪9家博物馆" is the kind asked, not "21件文物" before it
        m = re.search(rf"哪{_COUNTED.pattern}", q)
    else:
        m = _COUNTED.search(q)
    return m.group(1) if m else ""


def names_of(kind: str, answer: str, question: str) -> list[str]:
    """The names of things of `kind` the answer gives that the question did not already say."""
    text, q = normalize(without_markers(answer)), normalize(question)
    found = []
    for m in re.finditer(re.escape(kind[-1]), text):
        name = _CUT.split(text[:m.end()])[-1]
        if len(name) >= 3 and name not in q and not kind.endswith(name):
            found.append(name)
    return found


def listed(kind: str, answer: str, question: str) -> bool:
    """The answer lists two or more things the question did not name ("小吃、茶饮、酒吧"), and they are not
    all of one other kind (“实验学校和亚欧学校” for 幼儿园)."""
    text, q = normalize(without_markers(answer)), normalize(question)
    for segment in re.split(r"[，,。；;：:“”\"！？!?()（）]", text):
        items = [i for i in re.split(AND_ITEMS, segment) if len(i) >= 2 and i not in q]
        ends = {i[-1] for i in items}
        if len(items) >= 2 and not (len(ends) == 1 and kind[-1] not in ends):
            return True
    return False


def unnamed(question: str, answer: str) -> str:
    """What is missing ('“幼儿园”的名称') when the question asks names of a counted kind and the answer
    gives none."""
    kind = asked_kind(question)
    if not kind or names_of(kind, answer, question) or listed(kind, answer, question):
        return ""
    return f"“{kind}”的名称"
