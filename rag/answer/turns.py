"""Turns: what a front end hands the pipeline (a question, the chat so far) and what it gets back.

Every front end (CLI, chat window, API, evaluation) reads chat messages with the same functions and
receives the same `Event`s and `Answer`, so what they show cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rag.errors import InputError
from rag.grounding.passages import pages_label

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


@dataclass
class Answer:
    question: str
    standalone_question: str
    text: str
    citations: list[dict] = field(default_factory=list)
    refused: bool = False
    passages: list[dict] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    retrieval: dict = field(default_factory=dict)  # what the answer rests on: explaining.explain()
    checks: list[dict] = field(default_factory=list)  # the checks that withheld or refused it

    def to_dict(self) -> dict:
        return asdict(self)

    def render_sources(self) -> str:
        where = lambda c: (pages_label(c.get("page_start"), c.get("page_end"))
                           or lines_label(c["start_line"], c["end_line"]))
        lines = [f"[{c['n']}] {c['title']} · {c['section'] or '—'} · {where(c)}\n    {c['quote']}"
                 for c in self.citations]
        lines += [f"⚠ {w}" for w in self.warnings]
        if self.retrieval.get("note") or self.retrieval.get("reason"):
            lines.append(f"检索详情：{self.retrieval.get('reason') or self.retrieval['note']}")
        return "\n".join(lines)


@dataclass
class Event:
    kind: str  # status | standalone | passages | token | answer
    data: object


def lines_label(start: int, end: int) -> str:
    return f"第{start}行" if start == end else f"第{start}–{end}行"


def message_text(content) -> str:
    """Chat message content as text: a string, or (Gradio, OpenAI) a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, (list, tuple)):
        return "".join(message_text(part) for part in content)
    return ""


def history_pairs(messages: list[dict], clean=lambda text: text) -> list[tuple[str, str]]:
    """(question, answer) pairs from role/content messages; `clean` turns an answer back into plain text."""
    pairs, question = [], None
    for m in messages:
        text = message_text(m.get("content"))
        if m.get("role") == "user":
            question = text
        elif m.get("role") == "assistant" and question and text:
            pairs.append((question, clean(text)))
            question = None
    return pairs


def clean_question(question: str, limit: int) -> tuple[str, list[str]]:
    """Strip control characters; cut an over-long question with a notice instead of overflowing the
    context."""
    text = (question or "").translate(_CONTROL).strip()
    if not text:
        raise InputError("问题为空，请输入一个问题。/ The question is empty: type a question.")
    notes = []
    if len(text) > limit:
        notes.append(f"问题过长（{len(text)}字），只使用了前{limit}字。/ Question truncated to {limit} characters.")
        text = text[:limit]
    return text, notes
