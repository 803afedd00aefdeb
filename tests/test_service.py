"""The app's service layer without Gradio: feedback records and document management."""

from __future__ import annotations

import json

from rag.embedding import HashEmbedder
from rag.generation import FakeGenerator
from rag.service import ChatService


def test_feedback_is_appended_with_index_hash(hash_index, tmp_path):
    settings = hash_index.with_overrides(feedback_path=tmp_path / "fb.jsonl")
    service = ChatService(settings, embedder=HashEmbedder(256), generator_factory=lambda r: FakeGenerator(lambda m: "1500个[1]。"))
    answer = [e.data for e in service.stream("越城区2021年计划新建多少个5G基站？", []) if e.kind == "answer"][0]
    for liked in (True, False):
        service.feedback({"liked": liked, "question": answer.question, "answer": answer.text, "citations": answer.citations})
    rows = [json.loads(x) for x in (tmp_path / "fb.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["liked"] for r in rows] == [True, False]
    assert rows[0]["citations"] and len(rows[0]["index"]) == 64 and "越城区" in rows[0]["question"]


def test_documents_listing_and_removal(hash_index):
    service = ChatService(hash_index, embedder=HashEmbedder(256), generator_factory=lambda r: FakeGenerator(lambda m: ""))
    rows = service.documents()
    assert len(rows) == 5 and all(r[2] > 0 for r in rows)
    service.remove(rows[0][0])
    assert service.rebuild().files == 4 and len(service.documents()) == 4
