"""Transcript: a conversation from the chat window as Markdown, to keep or to pass on.

Each answer keeps its numbered citations ([1], [2]) and lists, under it, where each number
points (document, section, lines) with the quoted sentence, so the export can be checked
without the app. An answer that was stopped, or that has no record, is exported as shown.
"""

from __future__ import annotations

import time

from rag.answer.turns import message_text
from rag.app.rendering import plain_text
from rag.grounding.passages import pages_label


def _lines(c: dict) -> str:
    if c.get("page_start"):  # a PDF's extracted lines mean nothing to its reader; its pages do
        return pages_label(c["page_start"], c.get("page_end"))
    return (f"第 {c['start_line']}–{c['end_line']} 行" if c["start_line"] != c["end_line"]
            else f"第 {c['start_line']} 行")


def _answer(record: dict) -> list[str]:
    lines = [record.get("text", "").strip(), ""]
    if record.get("standalone_question") not in (None, "", record.get("question")):
        lines += [f"> 改写后的问题：{record['standalone_question']}", ""]
    retrieval = record.get("retrieval") or {}
    if retrieval.get("reason"):
        lines += [f"> 未回答的原因：{retrieval['reason']}", ""]
    if retrieval.get("note"):
        lines += [f"> ⚠ {retrieval['note']}", ""]
    for c in record.get("citations", []):
        lines += [f"[{c['n']}] 《{c['title']}》{c.get('section') or ''}，{_lines(c)}（{c['doc_id']}）",
                  f"> {c.get('quote', '')}", ""]
    lines += [f"⚠ {w}" for w in record.get("warnings", [])]
    return lines + ([""] if record.get("warnings") else [])


def markdown(messages: list[dict], records: dict | None = None,
             title: str = "本地文档问答 · 对话记录") -> str:
    """`messages` as the chat holds them (role/content); `records` maps an answer's index to its
    Answer dict."""
    records = records or {}
    lines = [f"# {title}", "", f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}", ""]
    for i, m in enumerate(messages or []):
        text = message_text(m.get("content"))
        if m.get("role") == "user":
            lines += [f"## 问：{text.strip()}", ""]
        elif str(i) in records:
            lines += _answer(records[str(i)])
        else:
            lines += [plain_text(text), ""]
    return "\n".join(lines).rstrip() + "\n"
