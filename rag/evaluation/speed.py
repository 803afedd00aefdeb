"""Benchmark: speed figures for the default pipeline and a naive baseline, side by side.

The baseline is what a plain RAG setup does: 1000-character chunks of the raw text (no
cleaning, no titles), dense retrieval only, 8 whole passages, and the KV cache reset before
every question so nothing is reused. Both run in this process on the same models.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rag.config import offline_environment

QUESTIONS = ["q001", "q011", "q043", "q063", "q073", "q085"]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1) if values else 0.0


def machine() -> dict:
    import importlib.metadata as md

    import llama_cpp

    from rag.index.recipes import cpu_identity

    libs = {p: md.version(p)
            for p in ("llama-cpp-python", "sentence-transformers", "torch", "openvino", "faiss-cpu", "bm25s")}
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    cpu = cpu_identity()
    return {"cpu": cpu["model"], "cores": os.cpu_count(), "isa_flags": cpu["flags"],
            "isa_cap": cpu["isa_cap"],
            "python": platform.python_version(), "libs": libs, "llama_system_info": info.strip()}


def embedder_recipe(settings) -> dict:
    """This machine's embedder recipe as recorded when it was chosen: the CPU, every candidate's figures."""
    from rag.index import recipes
    from rag.index.models import load_specs

    if settings.embedder_role == "hash" or settings.embed_precision == "fp32":
        return {"recipe": "hash" if settings.embedder_role == "hash" else "torch-fp32"}
    record = recipes.read(load_specs()[settings.embedder_role].target(settings.models_dir))
    return {k: record.get(k) for k in ("recipe", "forced", "cpu", "threads", "min_cos", "candidates")}


def time_index_build(settings, docs: Path, extra_env: dict | None = None, keep: Path | None = None) -> dict:
    """A cold `rag index --rebuild` in a child process: wall seconds and peak RSS (index kept in `keep`)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**__import__("os").environ, **(extra_env or {})}
        cmd = [sys.executable, "-m", "rag.cli", "index", "--rebuild", "--docs", str(docs),
               "--index", str(keep or tmp)]
        started = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb)}


def _timed_answer(pipeline, item: dict, run: int, reset_cache: bool) -> dict:
    """One answer's row: where its time went, and how many model calls it took."""
    from rag.evaluation.metrics import item_ok

    if reset_cache:
        pipeline.generator.llm.reset()
    started = time.perf_counter()
    pipeline.retriever.search(item["question"], pipeline.settings.top_k)
    retrieval_ms = (time.perf_counter() - started) * 1000
    answer = pipeline.answer(item["question"])
    t, usage = answer.timings, pipeline.generator.last_usage
    prefill_s = max(1e-6, usage.get("first_token_s", 0))
    decode_s = max(1e-6, usage.get("total_s", 0) - usage.get("first_token_s", 0))
    return {"id": item["id"], "run": run, "retrieval_ms": round(retrieval_ms, 1),
            "first_token_ms": t["first_token_ms"], "total_ms": t["total_ms"],
            "prompt_tokens": t["prompt_tokens"], "completion_tokens": t["completion_tokens"],
            "model_calls": t.get("model_calls", 0), "refused": answer.refused,
            "ok": item_ok(item, answer.to_dict()),
            # rates of the last model call (the answer's own)
            "prompt_tok_per_s": round(usage.get("prompt_tokens", 0) / prefill_s, 1),
            "gen_tok_per_s": round(max(0, usage.get("completion_tokens", 0) - 1) / decode_s, 1)}


def measure(pipeline, items: list[dict], runs: int, reset_cache: bool) -> dict:
    """Warm-up once, then `runs` passes over the questions: percentiles over all answers, and every
    answer's row (so a slow one has a visible cause)."""
    import psutil

    pipeline.answer(items[0]["question"])
    rows = [_timed_answer(pipeline, item, run, reset_cache) for run in range(runs) for item in items]
    col = lambda key: [r[key] for r in rows]  # noqa: E731
    last = {r["id"]: r["ok"] for r in rows}
    return {"retrieval_ms_p50": _pct(col("retrieval_ms"), 0.5),
            "retrieval_ms_p95": _pct(col("retrieval_ms"), 0.95),
            "first_token_ms_p50": _pct(col("first_token_ms"), 0.5),
            "first_token_ms_p95": _pct(col("first_token_ms"), 0.95),
            "total_ms_p50": _pct(col("total_ms"), 0.5), "total_ms_p95": _pct(col("total_ms"), 0.95),
            "prompt_tokens_p50": statistics.median(col("prompt_tokens")),
            "prompt_tok_per_s": round(statistics.median(col("prompt_tok_per_s")), 1),
            "gen_tok_per_s": round(statistics.median(col("gen_tok_per_s")), 1),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20), "answers": len(rows),
            "passed": f"{sum(last.values())}/{len(last)}", "rows": rows}


def naive_pipeline(settings, embedder, generator, docs: Path, index_dir: Path):
    """1000-char raw chunks, dense only, 8 whole passages: built into its own index folder."""
    from rag.index import store
    from rag.index.building import build_index
    from rag.answer.pipeline import Pipeline
    from rag.answer.prompting import make_passages
    from rag.answer.retrieval import Retriever

    naive = replace(settings, docs_dir=docs, index_dir=index_dir, chunk_size=1000, chunk_overlap=100, top_k=8,
                    passage_chars=0, n_ctx=8192, clean_text=False, second_look_by_meaning=False)
    build_index(naive, embedder=embedder)
    retriever = Retriever(store.load(index_dir, embedder.id), embedder, candidates=settings.candidates)
    retriever.lexical = lambda question: []  # dense only
    retriever.place_preference = lambda question: {}
    pipeline = Pipeline(naive, retriever, generator)
    pipeline.retrieve = lambda question, k, traditional: [  # one prompt, whole chunks
        (question, make_passages(retriever.search(question, k), question, 0, traditional))]
    return pipeline


def render_table(result: dict) -> str:
    rows = [k for k in result["default"] if k not in ("answers", "passed", "rows")]
    lines = ["| figure | default | naive baseline | ratio |", "|---|---|---|---|"]
    for k in rows:
        d, b = result["default"][k], result["baseline"].get(k)
        ratio = f"{b / d:.1f}×" if isinstance(d, (int, float)) and d and isinstance(b, (int, float)) else ""
        lines.append(f"| {k} | {d} | {b} | {ratio} |")
    lines.append(f"| questions answered correctly | {result['default']['passed']} "
                 f"| {result['baseline'].get('passed')} | |")
    idx = result.get("index_build", {})
    lines.append(f"| index build (seeds), s | {idx.get('seconds')} | | |")
    lines.append(f"| index build peak RSS, MB | {idx.get('peak_rss_mb')} | | |")
    return "\n".join(lines)


ROW_KEYS = ("id", "run", "retrieval_ms", "first_token_ms", "total_ms", "prompt_tokens", "completion_tokens",
            "model_calls", "refused")


def render_rows(rows: list[dict]) -> str:
    """Every timed answer, slowest first."""
    lines = ["| " + " | ".join(ROW_KEYS) + " |", "|" + "---|" * len(ROW_KEYS)]
    for row in sorted(rows, key=lambda r: -r["total_ms"]):
        lines.append("| " + " | ".join(str(row[k]) for k in ROW_KEYS) + " |")
    return "\n".join(lines)


def render_recipe(recipe: dict) -> str:
    """The embedder's recipe, with its candidates' figures as `rag models fetch` printed them."""
    from rag.index.recipes import describe

    if not recipe.get("candidates"):
        return f"Embedder: {recipe.get('recipe')}"
    return "Embedder:\n\n```\n" + "\n".join(describe(recipe)) + "\n```"


def sample(items: list[dict], count: int, ids=QUESTIONS) -> list[dict]:
    """The timed questions: the listed ids where the gold set has them (the bundled dev set, so figures
    compare across runs), else its first answerable single-turn questions."""
    listed = [i for i in items if i["id"] in ids]
    plain = [i for i in items if i.get("sources") and not i.get("history")]
    return (listed if ids and len(listed) == len(ids) else plain)[:count]


def run_bench(settings, qa_path, out_dir="runs/bench", runs: int = 3, baseline_runs: int = 1,
              index_build: bool = True) -> dict:
    from rag.evaluation.gold import load_qa
    from rag.answer.pipeline import Pipeline

    offline_environment()
    qs = sample(load_qa(qa_path), len(QUESTIONS))
    result = {"machine": machine(), "embedder": embedder_recipe(settings), "runs": runs,
              "questions": [i["question"] for i in qs]}
    if index_build:
        result["index_build"] = time_index_build(settings, Path(settings.docs_dir))
    default = Pipeline.from_settings(settings)
    result["default"] = measure(default, qs, runs, reset_cache=False)
    result["baseline"] = {}
    # the naive baseline needs ≈ 1 min per question: skippable when only the default matters
    if baseline_runs:
        with tempfile.TemporaryDirectory() as tmp:
            baseline = baseline_for(settings, Path(tmp), embedder=default.retriever.embedder)
            result["baseline"] = measure(baseline, qs, baseline_runs, reset_cache=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    table = render_table(result)
    m = result["machine"]
    cap = f", instruction sets capped at {m['isa_cap']}" if m["isa_cap"] else ""
    (out / "bench.md").write_text(f"# Benchmark\n\n{m['cpu']}, {m['cores']} cores ({' '.join(m['isa_flags'])}"
                                  f"{cap})\n\n{table}\n\n{render_recipe(result['embedder'])}\n\n"
                                  f"## Every timed answer\n\n{render_rows(result['default']['rows'])}\n",
                                  encoding="utf-8")
    print(table)
    return result


def baseline_for(settings, workdir: Path, embedder=None, generator=None):
    """The naive baseline over a raw copy of the documents, in `workdir`."""
    from rag.index.embedding import load_embedder

    _raw_copy(Path(settings.docs_dir), workdir / "raw")
    return naive_pipeline(settings, embedder or load_embedder(settings), generator or _big_context(settings),
                          workdir / "raw", workdir / "index")


def _big_context(settings):
    from rag.answer.generation import load_generator

    return load_generator(replace(settings, n_ctx=8192))


def _raw_copy(src: Path, dst: Path) -> None:
    """The baseline reads the files as they are, without the sidecar titles."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.suffix == ".txt":
            (dst / f.name).write_bytes(f.read_bytes())


def run_throughput(settings, qa_path, out_dir="runs/bench", workers: int = 2, count: int = 8) -> dict:
    """Answers per minute with `workers` questions in flight through the configured backend.

    With the `openai` backend and N servers, round-robin spreads the questions; in-process
    llama.cpp answers one at a time whatever `workers` says.
    """
    from concurrent.futures import ThreadPoolExecutor

    from rag.evaluation.gold import load_qa
    from rag.answer.pipeline import Pipeline

    offline_environment()
    questions = [i["question"] for i in sample(load_qa(qa_path), count, ids=())]
    pipeline = Pipeline.from_settings(settings)
    servers = len(settings.llm_url_list) if settings.llm_backend == "openai" else 1
    for question in questions[:servers]:  # warm every server's system-prompt cache
        pipeline.answer(question)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(pipeline.answer, questions))
    seconds = time.perf_counter() - started
    result = {"machine": machine()["cpu"], "backend": settings.llm_backend, "servers": servers,
              "workers": workers, "answers": len(answers), "seconds": round(seconds, 1),
              "answers_per_minute": round(60 * len(answers) / seconds, 2),
              "refused": sum(a.refused for a in answers)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "throughput.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False))
    return result
