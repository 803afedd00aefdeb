"""Meaning: how near a text is to what a question asks, by the embedder, not by shared words.

A user names the measured thing in words of their own ("经济总量" for 地区生产总值, "多少人找到工作" for
城镇新增就业), so whether a cited clause speaks of the asked thing cannot be read from shared
characters. The question is embedded once as a query and each clause as a document: the
retrieval model's own notion of an answer to the question.
"""

from __future__ import annotations


class Meaning:
    def __init__(self, embedder, question: str, below: float, vector=None):
        self.embedder, self.question, self.below = embedder, question, below
        self._vector = vector  # the question's embedding, when retrieval already made it

    def near(self, texts: list[str]) -> list[float]:
        """Cosine of each text to the question."""
        if self._vector is None:
            self._vector = self.embedder.embed([self.question], kind="query")[0]
        return [float(v @ self._vector) for v in self.embedder.embed(list(texts), kind="document")]

    def far(self, texts: list[str]) -> bool:
        """No text reaches the nearness that answers to a question have (never, with `below` at 0: off)."""
        return self.below > 0 and bool(texts) and max(self.near(texts)) < self.below
