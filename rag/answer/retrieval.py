"""Retrieval: dense (FAISS) and BM25 candidates fused by reciprocal rank, with place awareness.

BM25's ranks weigh less than the dense ones (`lexical_weight`): a question in a user's own words
("银行收不回来的坏账") shares few words with the passage that answers it, and BM25 then ranks passages
by the words it does share, the place and the year. Weighed equally, that noise pushed the answer
out of the passages shown for paraphrased questions (docs/benchmarks.md, "Retrieval").

A question naming a district ("越城区") should not be answered from the city's plan, and a
question naming only the city should prefer city-level documents; the documents' `place`
metadata drives that, as one more ranked list in the fusion.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from rag.ingest.chunking import Chunk
from rag.grounding import scope
from rag.zh.places import place_chain
from rag.zh.specifiers import years as years_in
from rag.index.store import IndexData
from rag.zh.tokens import tokenize


@dataclass
class Hit:
    chunk: Chunk
    rank: int
    score: float
    ranks: dict = field(default_factory=dict)
    dense_score: float = 0.0

    def to_dict(self) -> dict:
        return {"chunk_id": self.chunk.id, "doc_id": self.chunk.doc_id, "title": self.chunk.title,
                "section": self.chunk.section, "start_line": self.chunk.start_line,
                "end_line": self.chunk.end_line, "rank": self.rank, "score": round(self.score, 5),
                "ranks": self.ranks, "dense_score": round(self.dense_score, 4), "text": self.chunk.text}


class Retriever:
    def __init__(self, data: IndexData, embedder, *, candidates: int = 30, rrf_k: int = 60,
                 lexical_weight: float = 1.0):
        self.data, self.embedder = data, embedder
        self.candidates, self.rrf_k = min(candidates, len(data.chunks)), rrf_k
        self.lexical_weight = lexical_weight
        self._places = {c.doc_id: c.place for c in data.chunks}
        self.place_names = {name for place in self._places.values() for name in place_chain(place)}

    @classmethod
    def configured(cls, data: IndexData, embedder, settings) -> "Retriever":
        return cls(data, embedder, candidates=settings.candidates, rrf_k=settings.rrf_k,
                   lexical_weight=settings.lexical_weight)

    def dense(self, query: np.ndarray) -> list[tuple[int, float]]:
        scores, ids = self.data.faiss_index.search(np.ascontiguousarray(query[None, :], dtype=np.float32),
                                                   self.candidates)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical(self, question: str) -> list[tuple[int, float]]:
        tokens = tokenize(question)
        if not tokens or not self.data.chunks:
            return []
        docs, scores = self.data.bm25.retrieve([tokens], k=self.candidates, show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(docs[0], scores[0]) if s > 0]

    def place_preference(self, question: str) -> dict[str, int]:
        """Doc ids ranked by how well their place matches the places the question names (0 = best)."""
        named = {part for place in set(self._places.values()) for part in place_chain(place)
                 if part in question}
        if not named:
            return {}
        ranks = {}
        for doc_id, place in self._places.items():
            parts = place_chain(place)
            matched = len(named & set(parts))
            extra = len(set(parts) - named)  # a district doc answers a city question less well
            ranks[doc_id] = ((0 if matched == len(named) else 2) + (1 if extra and matched else 0)
                             + (3 if not matched else 0))
        return ranks

    @staticmethod
    def _mentions(chunk: Chunk, years: set[str]) -> bool:
        """The chunk names the asked year, or its chapter is about a span ending in it ("十三五" for 2020)."""
        if not years or years & years_in(f"{chunk.title} {chunk.section} {chunk.search_text}"):
            return True
        return scope.chapter_fits(years, chunk) is True

    @functools.lru_cache(maxsize=32)
    def vector(self, question: str) -> np.ndarray:
        """The question's embedding, kept for the last few questions: retrieval, the clause nearest by
        meaning and the passages searched after the answer all read it."""
        return self.embedder.embed([question], kind="query")[0]

    def search(self, question: str, k: int, query: np.ndarray | None = None) -> list[Hit]:
        """The best `k` chunks; `query` is the question's embedding when the caller already has it."""
        query = self.vector(question) if query is None else query
        dense, lexical = self.dense(query), self.lexical(question)
        fused: dict[int, float] = {}
        ranks: dict[int, dict] = {}
        for name, results, weight in (("dense", dense, 1.0), ("bm25", lexical, self.lexical_weight)):
            for r, (i, _) in enumerate(results, 1):
                fused[i] = fused.get(i, 0.0) + weight / (self.rrf_k + r)
                ranks.setdefault(i, {})[name] = r
        prefer = self.place_preference(question)
        for i in fused:
            tier = prefer.get(self.data.chunks[i].doc_id)
            if tier is not None:
                fused[i] += 1.0 / (self.rrf_k + 1 + 10 * tier)
        # Passages about another year or place than the question names go to the back of the line;
        # among the rest, those that mention the year asked about (title, section or text) come first.
        asked, wanted = years_in(question), scope.constraints(question)
        order = sorted(fused, key=lambda i: (bool(scope.gap(wanted, self.data.chunks[i])),
                                             not self._mentions(self.data.chunks[i], asked), -fused[i]))[:k]
        return [Hit(chunk=self.data.chunks[i], rank=n, score=fused[i], ranks=ranks.get(i, {}),
                    dense_score=float(np.dot(query, self.data.vectors[i]))) for n, i in enumerate(order, 1)]
