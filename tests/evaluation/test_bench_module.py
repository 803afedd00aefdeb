"""`rag bench` mechanics on fakes: every figure is produced and the table renders (speed itself is
measured by the CLI)."""

from __future__ import annotations

from rag.index import store
from rag.evaluation.speed import measure, render_table
from rag.index.embedding import HashEmbedder
from rag.answer.generation import FakeGenerator
from rag.answer.pipeline import Pipeline
from rag.answer.retrieval import Retriever

ITEMS = [{"id": "a", "question": "越城区2021年5G基站的建设计划是什么？",
          "must_include": ["1500个"], "type": "fact", "sources": []},
         {"id": "b", "question": "绍兴市2023年地区生产总值是多少？",
          "must_include": ["7791亿元"], "type": "fact", "sources": []}]


def test_measure_and_table(hash_index):
    data = store.load(hash_index.index_dir, "hash-bigram@256")
    pipeline = Pipeline(hash_index, Retriever(data, HashEmbedder(256)),
                        FakeGenerator(lambda m: "新建5G基站1500个[1]。"))
    figures = measure(pipeline, ITEMS, runs=2, reset_cache=False)
    assert figures["answers"] == 4 and figures["passed"] == "1/2"
    for key in ("retrieval_ms_p50", "retrieval_ms_p95", "first_token_ms_p50", "total_ms_p95",
                "prompt_tokens_p50", "rss_mb"):
        assert figures[key] >= 0
    table = render_table({"default": figures, "baseline": figures,
                          "index_build": {"seconds": 1.0, "peak_rss_mb": 10}})
    assert "| first_token_ms_p50 |" in table and "1.0×" in table and "index build" in table


def test_naive_baseline_is_what_it_claims(hash_settings, tmp_path):
    """1000-character raw chunks (chrome kept), dense only, 8 whole passages, one prompt."""
    from rag.evaluation.speed import baseline_for

    gen = FakeGenerator(lambda m: "资料中没有相关信息。")
    pipeline = baseline_for(hash_settings, tmp_path, embedder=HashEmbedder(256), generator=gen)
    answer = pipeline.answer("绍兴市2021年和2024年对城乡低保标准的目标分别是多少？")
    assert len(answer.passages) == 8 and len(gen.calls) == 1  # no splitting into parts
    chunks = pipeline.retriever.data.chunks
    assert (max(len(c.text) for c in chunks) > 900
            and any("打印" in c.text or "首页" in c.text for c in chunks))
    assert pipeline.retriever.lexical("绍兴") == []
    from rag.zh.script import to_simplified

    # whole chunks, not trimmed
    assert all(p["text"] == to_simplified(p["full_text"]) for p in answer.passages)
