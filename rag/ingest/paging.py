"""Paging: laid-out lines of PDF or OCR pages → paragraphs that know their pages.

Running headers and footers (a line repeated at the top or bottom of most pages, digits
aside) and page numbers are dropped. Lines are joined into paragraphs, across line and page
breaks, unless the layout says a new paragraph starts there: the previous line stops short
of the right margin, or the next line is indented or set apart by a wider gap. Tables are
kept as Markdown rows, one row a line (see rag/tables.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rag.ingest.tables import to_markdown


@dataclass
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # font size (or OCR box height), the unit for margins and gaps


@dataclass
class Page:
    number: int  # 1-based
    lines: list[Line] = field(default_factory=list)
    tables: list[tuple[float, list[list[str]]]] = field(default_factory=list)  # (top y, rows)
    height: float = 0.0  # page height in points, when known


@dataclass
class Para:
    text: str
    page_start: int
    page_end: int


# Printed documents: a line at a page's top or bottom that is only a page number (3, — 3 —, 第3页, 3/12,
# Page 3) is the page's furniture, not text, and is dropped before paragraphs are joined across pages.
_PAGE_NO = re.compile(r"^[-—–\s·]*(第\s*)?\d{1,4}\s*(页|/\s*\d{1,4}|of\s*\d+)?(\s*页)?[-—–\s·]*$"
                      r"|^[Pp]age\s*\d+")
_END = re.compile(r"[。！？!?：:；;”」』）).]$")
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running chrome


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _edges(page: Page) -> list[Line]:
    lines = sorted(page.lines, key=lambda l: l.y0)
    return lines[:_EDGE_LINES] + lines[-_EDGE_LINES:] if len(lines) > 2 * _EDGE_LINES else lines


def running_keys(pages: list[Page]) -> set[str]:
    """Edge lines that repeat (digits aside) on at least half of the pages of a 3+ page document."""
    if len(pages) < 3:
        return set()
    counts = Counter(k for p in pages for k in {_key(l.text) for l in _edges(p)})
    return {k for k, n in counts.items() if n >= max(3, len(pages) // 2)}


def drop_chrome(pages: list[Page]) -> None:
    repeated = running_keys(pages)
    for page in pages:
        edge = {id(l) for l in _edges(page)}
        # A page of one or two lines holds no running header beside its text: its lines are the text.
        rule = repeated if len(page.lines) >= 3 else set()
        page.lines = [l for l in page.lines
                      if not (id(l) in edge and (_key(l.text) in rule or _PAGE_NO.match(l.text)))]


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def glue(left: str, right: str) -> str:
    """Join two pieces of one paragraph: numbers and Chinese join directly; in English text a line
    break stood for a space. Chinese typesetting breaks a line anywhere, even inside "GDP", and
    puts no space there, so in mostly-Chinese text Latin letters join directly too."""
    if left.endswith("-") and left[-2:-1].isalpha() and right[:1].islower():
        return left[:-1] + right
    if re.search(r"[A-Za-z]$", left) and re.match(r"[A-Za-z]", right):
        context = left[-40:] + right[:40]
        return left + right if len(_CJK.findall(context)) * 2 > len(context) else f"{left} {right}"
    return left + right


class _Joiner:
    def __init__(self, pages: list[Page]):
        self.paras: list[Para] = []
        self.prev: Line | None = None
        # Margins of the whole document: a page with one short line must not set its own.
        lines = [l for p in pages for l in p.lines if l.text.strip()]
        self.right = max((l.x1 for l in lines), default=0.0)
        self.left = min((l.x0 for l in lines), default=0.0)
        self.bottom = max((l.y1 for l in lines), default=0.0)
        self.height = self.prev_height = 0.0

    def page(self, page: Page) -> None:
        body = [l for l in page.lines if l.text.strip()]
        self.height = page.height
        items = [(l.y0, 0, l) for l in body] + [(y, 1, rows) for y, rows in page.tables]
        for _, kind, item in sorted(items, key=lambda t: (t[0], t[1])):
            if kind:
                self.table(item, page.number)
            else:
                self.line(item, page.number)

    def starts_paragraph(self, line: Line, same_page: bool) -> bool:
        prev = self.prev
        if prev is None or _END.search(prev.text.strip()) and prev.x1 < self.right - 0.5 * prev.size:
            return True
        # OCR boxes stop up to ≈ 2 characters short of the margin
        short = prev.x1 < self.right - 2.5 * prev.size
        indented = line.x0 > self.left + 1.2 * line.size
        gap = same_page and line.y0 - prev.y1 > 0.8 * max(line.size, prev.size)
        # Text runs on to the next page only when it filled its page to the bottom.
        bottom = 0.75 * self.prev_height if self.prev_height else self.bottom - 2 * prev.size
        room_left = not same_page and prev.y1 < bottom
        return short or indented or gap or room_left

    def line(self, line: Line, number: int) -> None:
        same_page = bool(self.paras) and self.paras[-1].page_end == number
        if self.paras and not self.starts_paragraph(line, same_page):
            last = self.paras[-1]
            last.text, last.page_end = glue(last.text, line.text.strip()), number
        else:
            self.paras.append(Para(line.text.strip(), number, number))
        self.prev, self.prev_height = line, self.height

    def table(self, rows: list[list[str]], number: int) -> None:
        self.paras += [Para(row, number, number) for row in to_markdown(rows)]
        self.prev = None


def paragraphs(pages: list[Page]) -> list[Para]:
    drop_chrome(pages)
    joiner = _Joiner(pages)
    for page in pages:
        joiner.page(page)
    return [p for p in joiner.paras if p.text.strip()]
