"""Chunking: cleaned lines → Chunks that keep their section path and original line span.

Chunks never cross a section heading. Inside a section, langchain's recursive splitter cuts at
paragraphs, lines, sentence ends, then clause commas, never inside a “quoted name” and, as a
last resort, never inside a number or Latin word.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass

from rag.ingest.cleaning import clean_lines
from rag.zh.script import to_simplified
from rag.ingest.loading import Document
from rag.ingest.tables import TABLE_CHUNK_CHARS, runs, split_rows

_L1 = re.compile(r"^[一二三四五六七八九十]{1,3}、")
_L2 = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[)）]")
_L3 = re.compile(r"^\d{1,2}[.．、](?![\d%])")
_HEADING_MAX = 40

_OUTSIDE_QUOTES = r"(?=[^“”]*(?:“|$))"
_NOT_IN_TOKEN = r"(?<![0-9A-Za-z.%．])(?![0-9A-Za-z.%．])"
SEPARATORS = [
    r"\n\n",
    r"\n",
    rf"(?<=[。！？!?]){_OUTSIDE_QUOTES}",
    rf"(?<=[；;]){_OUTSIDE_QUOTES}",
    rf"(?<=[，,]){_OUTSIDE_QUOTES}{_NOT_IN_TOKEN}",
    rf"(?<=[、：:]){_OUTSIDE_QUOTES}{_NOT_IN_TOKEN}",
    rf"{_OUTSIDE_QUOTES}{_NOT_IN_TOKEN}",
]


@dataclass
class Chunk:
    id: str
    doc_id: str
    title: str
    section: str
    text: str
    search_text: str
    start_line: int
    end_line: int
    place: str = ""
    page_start: int | None = None  # 1-based pages for paged sources (PDF, scans); None for text
    page_end: int | None = None

    def embed_text(self) -> str:
        """Title and section first, so '2021年目标' in the district plan differs from the city plan's."""
        head = to_simplified(" ".join(x for x in (self.place, self.title) if x))
        return f"{head}\n{to_simplified(self.section)}\n{self.search_text}".replace("\n\n", "\n")

    def to_dict(self) -> dict:
        return asdict(self)


def heading_level(line: str) -> tuple[int, str] | None:
    """(level, heading text) when the line opens a section, else None."""
    for level, pattern in ((1, _L1), (2, _L2), (3, _L3)):
        if pattern.match(line):
            if len(line) <= _HEADING_MAX and not line.rstrip().endswith("。"):
                return level, line.strip()
            lead = re.split(r"[。，,；;：:]", line, maxsplit=1)[0]
            return (level, lead) if len(lead) <= 30 else None
    return None


def sections(lines: list[tuple[int, str]]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Group content lines under their heading path, e.g. '二、… > （三）… > 1.…'."""
    path: list[tuple[int, str]] = []
    groups: list[tuple[str, list[tuple[int, str]], tuple[int, str] | None]] = []
    for no, text in lines:
        head = heading_level(text)
        if head:
            path = [p for p in path if p[0] < head[0]] + [head]
            if len(text) <= _HEADING_MAX:
                groups.append((" > ".join(h for _, h in path), [], (no, text)))
                continue  # a pure heading line lives on in the path, not as body text
        label = " > ".join(h for _, h in path)
        if not groups or groups[-1][0] != label:
            groups.append((label, [], None))
        groups[-1][1].append((no, text))
    kept = []
    for i, (label, body, heading) in enumerate(groups):
        later = groups[i + 1][0] if i + 1 < len(groups) else ""
        if not body and heading and not later.startswith(label):
            body = [heading]  # a heading with nothing under it would otherwise be lost
        if body:
            kept.append((label, body))
    return kept


def make_splitter(size: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, separators=SEPARATORS,
                                          is_separator_regex=True, keep_separator="end",
                                          strip_whitespace=True)


def _line_spans(body: list[tuple[int, str]]) -> tuple[str, list[int], list[int]]:
    starts, numbers, parts, offset = [], [], [], 0
    for no, text in body:
        starts.append(offset)
        numbers.append(no)
        parts.append(text)
        offset += len(text) + 1
    return "\n".join(parts), starts, numbers


def split_section(body: list[tuple[int, str]], splitter) -> list[tuple[str, int, int]]:
    """(text, start_line, end_line) for each piece of one section; tables are cut by rows."""
    pieces = []
    for table, lines in runs(body):
        pieces += (split_rows(lines, min(splitter._chunk_size, TABLE_CHUNK_CHARS)) if table
                   else split_prose(lines, splitter))
    return pieces


def split_prose(body: list[tuple[int, str]], splitter) -> list[tuple[str, int, int]]:
    text, starts, numbers = _line_spans(body)
    pieces, cursor = [], 0
    for piece in splitter.split_text(text):
        at = text.find(piece, cursor)
        at = at if at >= 0 else text.find(piece)
        cursor = at + 1
        first = numbers[bisect.bisect_right(starts, at) - 1]
        last = numbers[bisect.bisect_right(starts, at + len(piece) - 1) - 1]
        pieces.append((piece, first, last))
    return pieces


def raw_lines(text: str) -> list[tuple[int, str]]:
    return [(no, line.strip()) for no, line in enumerate(text.splitlines(), 1) if line.strip()]


def pages_of(doc: Document, first: int, last: int) -> tuple[int | None, int | None]:
    if not doc.line_pages:
        return None, None
    last_known = len(doc.line_pages)
    return doc.line_pages[min(first, last_known) - 1][0], doc.line_pages[min(last, last_known) - 1][1]


def chunk_document(doc: Document, size: int, overlap: int, clean: bool = True) -> list[Chunk]:
    splitter = make_splitter(size, overlap)
    chunks: list[Chunk] = []
    for label, body in sections(clean_lines(doc.text) if clean else raw_lines(doc.text)):
        for piece, first, last in split_section(body, splitter):
            page_start, page_end = pages_of(doc, first, last)
            chunks.append(Chunk(id=f"{doc.id}#{len(chunks)}", doc_id=doc.id, title=doc.title, section=label,
                                text=piece, search_text=to_simplified(piece), start_line=first, end_line=last,
                                place=doc.place, page_start=page_start, page_end=page_end))
    return chunks
