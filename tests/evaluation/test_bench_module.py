"""`rag bench` mechanics on fakes: every figure is produced and the table renders (speed itself is
measured by the CLI)."""

from __future__ import annotations

from rag.index import store
from rag.evaluation.speed import measure, render_rows, render_table
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
    assert "rows" not in table
    # every answer's own row: where its time went and how many model calls it took
    rows = figures["rows"]
    assert [(r["id"], r["run"]) for r in rows] == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]
    assert all(r["model_calls"] >= 1 and r["first_token_ms"] <= r["total_ms"] for r in rows)
    assert [r["ok"] for r in rows] == [True, False, True, False]
    lines = render_rows(rows).splitlines()
    assert lines[0].startswith("| id | run |") and len(lines) == 2 + len(rows)


def test_the_bench_report_shows_the_embedder_recipe_as_fetch_printed_it():
    from rag.evaluation.speed import render_recipe

    record = {"recipe": "openvino-bf16", "forced": False, "threads": 2, "min_cos": 0.99,
              "cpu": {"model": "Some CPU", "flags": ["avx2"], "isa_cap": ""},
              "candidates": [{"name": "openvino-bf16", "chunks_per_s": 20.0, "query_ms": 50.0,
                              "min_cos": 0.9999}, {"name": "openvino-w8", "error": "[CPU] no kernel"}]}
    text = render_recipe(record)
    assert "embedder recipes on Some CPU (avx2), 2 threads:" in text and "* openvino-bf16" in text
    assert "openvino-w8        error: [CPU] no kernel" in text and "chosen: openvino-bf16" in text
    assert render_recipe({"recipe": "hash"}) == "Embedder: hash"


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


def test_the_timed_questions_are_the_listed_ones_or_the_first_plain_ones():
    from rag.evaluation.speed import sample

    items = [{"id": "x", "question": "上一问呢？", "sources": ["d"], "history": [["q", "a"]]},
             {"id": "y", "question": "无法回答", "sources": []}, *({**i, "sources": ["d"]} for i in ITEMS)]
    assert [i["id"] for i in sample(items, 6, ids=("b", "y"))] == ["y", "b"]
    # another corpus's gold set: its first answerable questions asked without a conversation
    assert [i["id"] for i in sample(items, 1, ids=("a", "missing"))] == ["a"]
    assert [i["id"] for i in sample(items, 5, ids=())] == ["a", "b"]


def test_eval_and_bench_name_the_gold_set_they_need(tmp_path):
    """The package has no default gold set (gold sets belong to a corpus): without one, or with a wrong
    one, the CLI says which to pass."""
    import subprocess
    import sys

    from tests.conftest import cli_env

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
    for args, said in ((["eval"], "--qa tests/data/qa_dev.jsonl"),
                       (["bench"], "--qa tests/data/qa_dev.jsonl"),
                       (["eval", "--qa", str(tmp_path / "none.jsonl")], "not found"),
                       (["eval", "--qa", str(bad)], "line 2")):
        out = subprocess.run([sys.executable, "-m", "rag.cli", *args], env=cli_env(), capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 2 and said in out.stderr, (args, out.stderr)
