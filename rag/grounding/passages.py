"""Passages: what retrieval hands to the model and to every check, and what a refusal says.

A Passage is one retrieved chunk, numbered as the model sees it; its `full_text` keeps the
chunk's original characters so a citation can quote them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REFUSAL = "资料中没有相关信息。"
REFUSAL_TRADITIONAL = "資料中沒有相關信息。"
NOT_A_QUESTION = "资料中没有相关信息。这条输入只包含对助手的指令，没有可以依据资料回答的问题。"


@dataclass
class Passage:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    place: str
    start_line: int
    end_line: int
    text: str  # what the model sees (trimmed), in the question's script
    full_text: str  # the whole chunk in its original characters
    score: float = 0.0  # dense similarity to the question, for the refusal gate
    ranks: dict = field(default_factory=dict)  # per-retriever ranks (dense, bm25), for the retrieval details
    page_start: int | None = None  # pages of PDF sources; None for unpaged text
    page_end: int | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def pages_label(start, end) -> str:
    """'第3页' or '第3–4页' for a paged source (PDF, scan); empty for unpaged text."""
    return "" if not start else f"第{start}页" if start == end or not end else f"第{start}–{end}页"
