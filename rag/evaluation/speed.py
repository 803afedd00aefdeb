"""Benchmark: speed figures for the default pipeline and a naive baseline, side by side.

The baseline is what a plain RAG setup does: 1000-character chunks of the raw text (no
cleaning, no titles), dense retrieval only, 8 whole passages, and the KV cache reset before
every question so nothing is reused. Both run in this process on the same models.
"""

from __future__ import annotations

import json
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


def cpu_model() -> str:
    """`lscpu`'s model name, read from /proc/cpuinfo; the platform's processor string elsewhere."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    names = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    return next(names, platform.processor() or "unknown CPU")


def machine() -> dict:
    import importlib.metadata as md

    cpu = cpu_model()
    libs = {p: md.version(p)
            for p in ("llama-cpp-python", "sentence-transformers", "torch", "faiss-cpu", "bm25s")}
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return {"cpu": cpu, "cores": __import__("os").cpu_count(), "python": platform.python_version(),
            "libs": libs, "llama_system_info": info.strip()}


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


def measure(pipeline, items: list[dict], runs: int, reset_cache: bool) -> dict:
    """Warm-up once, then `runs` passes over the questions; percentiles over all answers."""
    import psutil

    from rag.evaluation.metrics import item_ok

    questions = [i["question"] for i in items]
    pipeline.answer(questions[0])
    passed = {}
    retrieve, first, total, prompt, gen_rate, prompt_rate = [], [], [], [], [], []
    for _ in range(runs):
        for q in questions:
            if reset_cache:
                pipeline.generator.llm.reset()
            started = time.perf_counter()
            pipeline.retriever.search(q, pipeline.settings.top_k)
            retrieve.append((time.perf_counter() - started) * 1000)
            answer = pipeline.answer(q)
            item = next(i for i in items if i["question"] == q)
            passed[item["id"]] = item_ok(item, answer.to_dict())
            t, usage = answer.timings, pipeline.generator.last_usage
            first.append(t["first_token_ms"])
            total.append(t["total_ms"])
            prompt.append(t["prompt_tokens"])
            decode_s = max(1e-6, usage["total_s"] - usage["first_token_s"])
            gen_rate.append(max(0, usage["completion_tokens"] - 1) / decode_s)
            prompt_rate.append(t["prompt_tokens"] / max(1e-6, usage["first_token_s"]))
    return {"retrieval_ms_p50": _pct(retrieve, 0.5), "retrieval_ms_p95": _pct(retrieve, 0.95),
            "first_token_ms_p50": _pct(first, 0.5), "first_token_ms_p95": _pct(first, 0.95),
            "total_ms_p50": _pct(total, 0.5), "total_ms_p95": _pct(total, 0.95),
            "prompt_tokens_p50": statistics.median(prompt),
            "prompt_tok_per_s": round(statistics.median(prompt_rate), 1),
            "gen_tok_per_s": round(statistics.median(gen_rate), 1),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20), "answers": len(first),
            "passed": f"{sum(passed.values())}/{len(passed)}"}


def naive_pipeline(settings, embedder, generator, docs: Path, index_dir: Path):
    """1000-char raw chunks, dense only, 8 whole passages: built into its own index folder."""
    from rag.index import store
    from rag.index.building import build_index
    from rag.answer.pipeline import Pipeline
    from rag.answer.prompting import make_passages
    from rag.answer.retrieval import Retriever

    naive = replace(settings, docs_dir=docs, index_dir=index_dir, chunk_size=1000, chunk_overlap=100, top_k=8,
                    passage_chars=0, n_ctx=8192, clean_text=False)
    build_index(naive, embedder=embedder)
    retriever = Retriever(store.load(index_dir, embedder.id), embedder, candidates=settings.candidates)
    retriever.lexical = lambda question: []  # dense only
    retriever.place_preference = lambda question: {}
    pipeline = Pipeline(naive, retriever, generator)
    pipeline.retrieve = lambda question, k, traditional: [  # one prompt, whole chunks
        (question, make_passages(retriever.search(question, k), question, 0, traditional))]
    return pipeline


def render_table(result: dict) -> str:
    rows = [k for k in result["default"] if k not in ("answers", "passed")]
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
    result = {"machine": machine(), "runs": runs, "questions": [i["question"] for i in qs]}
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
    (out / "bench.md").write_text(f"# Benchmark\n\n{result['machine']['cpu']}, "
                                  f"{result['machine']['cores']} cores\n\n{table}\n",
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
