"""Scaling: index throughput and retrieval latency for a folder, at its size and 10× and 100×.

`rag bench --corpus DIR` builds DIR cold in a child process (chunks/s, peak RSS), then times
retrieval (query embedding, dense + BM25, fusion) over that index with its chunks repeated
10× and 100×: repeated chunks keep the scores realistic and the cost of search grows as it
would with a folder that size. Figures go to bench.json with the CPU model.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.evaluation.speed import _pct, machine, time_index_build
from rag.config import offline_environment


def _queries(chunks, count: int) -> list[str]:
    """Questions a reader might type: the opening words of chunks spread over the folder."""
    step = max(1, len(chunks) // count)
    return [c.search_text.replace("\n", " ")[:24] for c in chunks[::step][:count]]


def _scaled(data, times: int):
    from rag.index import store

    if times == 1:
        return data
    chunks = [replace(c, id=f"{c.id}~{n}") for n in range(times) for c in data.chunks]
    vectors = np.tile(data.vectors, (times, 1))
    return replace(data, chunks=chunks, vectors=vectors, faiss_index=store.build_faiss(vectors),
                   bm25=store.build_bm25(chunks))


def _time_retrieval(data, embedder, queries: list[str], settings, runs: int) -> dict:
    import psutil

    from rag.answer.retrieval import Retriever

    retriever = Retriever.configured(data, embedder, settings)
    retriever.search(queries[0], settings.top_k)  # warm-up
    times = []
    for _ in range(runs):
        for q in queries:
            started = time.perf_counter()
            retriever.search(q, settings.top_k)
            times.append((time.perf_counter() - started) * 1000)
    return {"chunks": len(data.chunks), "retrieval_ms_p50": _pct(times, 0.5),
            "retrieval_ms_p95": _pct(times, 0.95),
            "retrieval_ms_mean": round(statistics.fmean(times), 1), "searches": len(times),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20)}


def run_corpus_bench(settings, corpus: Path, out_dir="runs/bench", scales=(1, 10, 100), queries: int = 20,
                     runs: int = 3) -> dict:
    from rag.index import store
    from rag.index.embedding import load_embedder

    offline_environment()
    corpus = Path(corpus)
    with tempfile.TemporaryDirectory(prefix="rag-scale-") as tmp:
        build = time_index_build(settings, corpus, keep=Path(tmp) / "index")
        embedder = load_embedder(settings)
        data = store.load(Path(tmp) / "index", embedder.id)
        build["chunks"] = len(data.chunks)
        build["chunks_per_s"] = round(len(data.chunks) / max(build["seconds"], 1e-6), 2)
        asked = _queries(data.chunks, queries)
        rows = [{"scale": f"{n}×", **_time_retrieval(_scaled(data, n), embedder, asked, settings, runs)}
                for n in scales]
    result = {"machine": machine(), "corpus": str(corpus), "index_build": build, "retrieval": rows}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    table = render(result)
    (out / "bench.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return result


def render(result: dict) -> str:
    b = result["index_build"]
    lines = [f"# Corpus benchmark: {result['corpus']}", "",
             f"{result['machine']['cpu']}, {result['machine']['cores']} cores", "",
             f"Cold index build: {b['chunks']} chunks in {b['seconds']} s ({b['chunks_per_s']} chunks/s), "
             f"peak RSS {b['peak_rss_mb']} MB", "",
             "| scale | chunks | retrieval p50 ms | p95 ms | process RSS MB |", "|---|---|---|---|---|"]
    lines += [f"| {r['scale']} | {r['chunks']} | {r['retrieval_ms_p50']} | {r['retrieval_ms_p95']} "
              f"| {r['rss_mb']} |"
              for r in result["retrieval"]]
    return "\n".join(lines)
