"""Asking several collections at once: each searched with its own index, the candidates fused by rank.

Every collection ranks its own chunks as one index would (dense, BM25, place and year preference);
the lists are then fused by reciprocal rank, as dense and BM25 are within one index, so a small
collection is not drowned by a large one. The question is embedded once: the collections must share
the embedder (their indexes say which they were built with). A passage names its collection in its
title and document id, so a citation says which collection it comes from.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from rag.answer.retrieval import Hit, Retriever


class Federated:
    """A retriever over several collections, with the surface the pipeline uses of one."""

    def __init__(self, members: dict[str, Retriever], *, rrf_k: int = 60):
        self.members, self.rrf_k = members, rrf_k
        self.embedder = next(iter(members.values())).embedder
        self.place_names = set().union(*(r.place_names for r in members.values()))

    @functools.lru_cache(maxsize=32)
    def vector(self, question: str):
        """The question's embedding, shared by every collection and kept as `Retriever.vector` keeps it."""
        return self.embedder.embed([question], kind="query")[0]

    def search(self, question: str, k: int) -> list[Hit]:
        query = self.vector(question)
        found = [(1.0 / (self.rrf_k + hit.rank), name, hit) for name, member in self.members.items()
                 for hit in member.search(question, k, query=query)]
        # equal ranks in two collections: the closer in meaning first
        order = sorted(found, key=lambda f: (-f[0], -f[2].dense_score))[:k]
        return [replace(hit, chunk=named(hit.chunk, name), rank=n, score=score,
                        ranks={**hit.ranks, "collection": name})
                for n, (score, name, hit) in enumerate(order, 1)]


def named(chunk, collection: str):
    """The chunk as shown when several collections are asked: its collection in its id, document and title."""
    return replace(chunk, id=f"{collection}:{chunk.id}", doc_id=f"{collection}/{chunk.doc_id}",
                   title=f"{chunk.title}（{collection}）")
