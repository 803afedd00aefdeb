"""Retrieval: dense (FAISS) and BM25 candidates fused by reciprocal rank, with place awareness.

A question naming a district ("越城区") should not be answered from the city's plan, and a
question naming only the city should prefer city-level documents; the documents' `place`
metadata drives that, as one more ranked list in the fusion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .chunking import Chunk
from .citing import in_scope, place_chain, years_in
from .store import IndexData
from .tokens import tokenize


@dataclass
class Hit:
    chunk: Chunk
    rank: int
    score: float
    ranks: dict = field(default_factory=dict)
    dense_score: float = 0.0

    def to_dict(self) -> dict:
        return {"chunk_id": self.chunk.id, "doc_id": self.chunk.doc_id, "title": self.chunk.title,
                "section": self.chunk.section, "start_line": self.chunk.start_line, "end_line": self.chunk.end_line,
                "rank": self.rank, "score": round(self.score, 5), "ranks": self.ranks,
                "dense_score": round(self.dense_score, 4), "text": self.chunk.text}


class Retriever:
    def __init__(self, data: IndexData, embedder, *, candidates: int = 30, rrf_k: int = 60):
        self.data, self.embedder = data, embedder
        self.candidates, self.rrf_k = min(candidates, len(data.chunks)), rrf_k
        self._places = {c.doc_id: c.place for c in data.chunks}
        self.place_names = {name for place in self._places.values() for name in place_chain(place)}

    def dense(self, query: np.ndarray) -> list[tuple[int, float]]:
        scores, ids = self.data.faiss_index.search(np.ascontiguousarray(query[None, :], dtype=np.float32), self.candidates)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical(self, question: str) -> list[tuple[int, float]]:
        tokens = tokenize(question)
        if not tokens or not self.data.chunks:
            return []
        docs, scores = self.data.bm25.retrieve([tokens], k=self.candidates, show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(docs[0], scores[0]) if s > 0]

    def place_preference(self, question: str) -> dict[str, int]:
        """Doc ids ranked by how well their place matches the places the question names (0 = best)."""
        named = {part for place in set(self._places.values()) for part in place_chain(place) if part in question}
        if not named:
            return {}
        ranks = {}
        for doc_id, place in self._places.items():
            parts = place_chain(place)
            matched = len(named & set(parts))
            extra = len(set(parts) - named)  # a district doc answers a city question less well
            ranks[doc_id] = (0 if matched == len(named) else 2) + (1 if extra and matched else 0) + (3 if not matched else 0)
        return ranks

    @staticmethod
    def _mentions(chunk: Chunk, years: set[str]) -> bool:
        return not years or bool(years & years_in(f"{chunk.title} {chunk.section} {chunk.search_text}"))

    def search(self, question: str, k: int) -> list[Hit]:
        query = self.embedder.embed([question], kind="query")[0]
        dense, lexical = self.dense(query), self.lexical(question)
        fused: dict[int, float] = {}
        ranks: dict[int, dict] = {}
        for name, results in (("dense", dense), ("bm25", lexical)):
            for r, (i, _) in enumerate(results, 1):
                fused[i] = fused.get(i, 0.0) + 1.0 / (self.rrf_k + r)
                ranks.setdefault(i, {})[name] = r
        prefer = self.place_preference(question)
        for i in fused:
            tier = prefer.get(self.data.chunks[i].doc_id)
            if tier is not None:
                fused[i] += 1.0 / (self.rrf_k + 1 + 10 * tier)
        # Passages about another year or place than the question names go to the back of the line;
        # among the rest, those that mention the year asked about (title, section or text) come first.
        asked = years_in(question)
        order = sorted(fused, key=lambda i: (not in_scope(question, self.data.chunks[i], self.place_names),
                                             not self._mentions(self.data.chunks[i], asked), -fused[i]))[:k]
        return [Hit(chunk=self.data.chunks[i], rank=n, score=fused[i], ranks=ranks.get(i, {}),
                    dense_score=float(np.dot(query, self.data.vectors[i]))) for n, i in enumerate(order, 1)]


_PARTS = re.compile(r"[^？?；;]+[？?；;]?")
_YEAR_PAIR = re.compile(r"((?:19|20)\d{2})年?(?:和|与|及|、)((?:19|20)\d{2})年")


def subqueries(question: str, place_names: set[str]) -> list[str]:
    """Split a question that asks about several things into one query per thing.

    "2021年计划…？2023年实际…？" becomes two queries (the later ones keep the first's subject);
    "2021年和2024年…分别…" and "越城区和南湖区…分别…" become one query per year or place.
    """
    parts = [p.strip() for p in _PARTS.findall(question) if len(p.strip()) >= 6]
    # Parts about one year and place stay together: splitting them only loses the shared subject.
    years = [set(re.findall(r"(?:19|20)\d{2}(?=年)", p)) for p in parts]
    if len(parts) >= 2 and len(set().union(*years)) >= 2:
        subject = re.sub(r"(?:19|20)\d{2}年|多少|是什么|哪些|[？?；;]", "", parts[0])
        return [parts[0]] + [p if any(n in p for n in place_names) else f"{p} {subject}" for p in parts[1:]]
    pair = _YEAR_PAIR.search(question)
    if pair:
        return [question.replace(pair.group(0), f"{y}年") for y in pair.groups()]
    for a in place_names:
        for b in place_names:
            pair = re.search(rf"{a}[市区县]?(?:和|与|及|、){b}[市区县]?", question)
            if a != b and pair:
                return [question.replace(pair.group(0), name + ("区" if "区" in pair.group(0) else "")) for name in (a, b)]
    return [question]


