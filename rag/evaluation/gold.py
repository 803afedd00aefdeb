"""Evaluation: run a gold set (qa_dev.jsonl format) through the pipeline; write results, metrics, report."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from rag.errors import InputError
from rag.evaluation import ablation, metrics
from rag.grounding.checks import NAMES as CHECK_NAMES

# Gold sets belong to a corpus, so the package names none: the caller says which (the bundled corpus's
# sets are in tests/data/).
EXAMPLE_QA = "tests/data/qa_dev.jsonl"


def load_qa(path) -> list[dict]:
    """A gold set: one JSON object per line (id, type, question, answer, sources…)."""
    if not path:
        raise InputError(f"no gold set given: pass --qa FILE (for the bundled corpus: --qa {EXAMPLE_QA})")
    try:
        with open(path, encoding="utf-8") as fh:
            lines = list(enumerate(fh, 1))
    except FileNotFoundError:
        raise InputError(f"gold set {path} not found: pass --qa FILE, a JSON Lines file "
                         f"(for the bundled corpus: --qa {EXAMPLE_QA})") from None
    items = []
    for n, line in (pair for pair in lines if pair[1].strip()):
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError:
            raise InputError(f"gold set {path}, line {n} is not JSON: fix that line; each line is one "
                             f"question as in {EXAMPLE_QA}") from None
    return items


def run_items(pipeline, items: list[dict], progress: bool = True) -> tuple[list[dict], list[list[dict]]]:
    answers, retrieved = [], []
    for n, item in enumerate(items, 1):
        answer = pipeline.answer(item["question"], item.get("history") or [])
        answers.append(answer.to_dict())
        retrieved.append([h.to_dict() for h in pipeline.retriever.search(answer.standalone_question, 10)])
        if progress:
            ok = "ok " if metrics.item_ok(item, answers[-1]) else "MISS"
            print(f"[{n}/{len(items)}] {ok} {item['id']} {answer.timings.get('total_ms', 0) / 1000:.1f}s "
                  f"{answer.text[:60]!r}",
                  file=sys.stderr, flush=True)
    return answers, retrieved


def summarize(items, answers, retrieved, extra: dict | None = None) -> dict:
    result = metrics.compute(items, answers, retrieved)
    timings = [a["timings"] for a in answers if a["timings"].get("completion_tokens")]
    result["per_type"] = metrics.per_type(items, answers)
    result["checks"] = ablation.table(items, answers, CHECK_NAMES)
    if timings:
        result["median_first_token_ms"] = statistics.median(t["first_token_ms"] for t in timings)
        result["median_total_ms"] = statistics.median(t["total_ms"] for t in timings)
        result["median_prompt_tokens"] = statistics.median(t["prompt_tokens"] for t in timings)
    return {**result, **(extra or {})}


def write_outputs(out_dir: Path, items, answers, retrieved, result: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as fh:
        for item, answer, hits in zip(items, answers, retrieved):
            row = {"id": item["id"], "type": item["type"], **answer,
                   "retrieved": [h["chunk_id"] for h in hits], "ok": metrics.item_ok(item, answer)}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    chart = _bar_chart(out_dir, result)
    (out_dir / "report.md").write_text(render_report(items, answers, result, chart), encoding="utf-8")


def _bar_chart(out_dir: Path, result: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["per_type"])
    rates = [result["per_type"][t]["rate"] for t in names]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.barh(names, rates, color="#4a7bb7")
    ax.set_xlim(0, 1)
    ax.set_xlabel("pass rate")
    for y, r in enumerate(rates):
        ax.text(min(r + 0.01, 0.93), y, f"{r:.2f}", va="center")
    fig.tight_layout()
    fig.savefig(out_dir / "per_type.png", dpi=100)
    plt.close(fig)
    return "per_type.png"


_HEADLINE = ("accuracy", "recall@5", "recall@10", "citation_precision", "grounding", "refusal",
             "false_refusal", "robustness", "wording_overlap", "median_first_token_ms", "median_total_ms",
             "median_prompt_tokens")


def render_report(items, answers, result: dict, chart: str) -> str:
    lines = ["# Evaluation report", "", f"{result['items']} items, model `{result.get('model', '?')}`, "
             f"{result.get('seconds', 0):.0f} s wall time.", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {result.get(k)} |" for k in _HEADLINE if k in result]
    lines += ["", "## Per question type", "", "| type | n | passed | rate |", "|---|---|---|---|"]
    lines += [f"| {t} | {r['n']} | {r['ok']} | {r['rate']:.2f} |" for t, r in result["per_type"].items()]
    lines += ["", f"![pass rate per type]({chart})", ""]
    if result.get("checks"):
        lines += ["## What each check did", "", ablation.render(result["checks"]), ""]
    if result.get("ablation"):
        lines += ["## Ablation", "", result["ablation"], ""]
    lines += ["## Failed items", ""]
    for item, answer in zip(items, answers):
        if not metrics.item_ok(item, answer):
            lines += [f"- **{item['id']}** ({item['type']}) {item['question']}",
                      f"  - expected: {item['answer']}",
                      f"  - answered: {answer['text']!s}".replace("\n", " "),
                      f"  - standalone: {answer['standalone_question']}; refused={answer['refused']}"]
    return "\n".join(lines) + "\n"


def run_eval(settings, qa_path, out_dir="runs/eval", pipeline=None, extra: dict | None = None) -> dict:
    from rag.answer.pipeline import Pipeline

    items = load_qa(qa_path)
    pipeline = pipeline or Pipeline.from_settings(settings)
    started = time.perf_counter()
    answers, retrieved = run_items(pipeline, items)
    info = {"model": getattr(pipeline.generator, "id", "?"),
            "seconds": round(time.perf_counter() - started, 1),
            "settings": {k: v for k, v in settings.to_dict().items() if not k.endswith("_dir")},
            **(extra or {})}
    result = summarize(items, answers, retrieved, info)
    write_outputs(Path(out_dir), items, answers, retrieved, result)
    return result


def retrieval_table(retriever, items: list[dict]) -> dict:
    """recall@5 / recall@10 of dense alone, BM25 alone and fused, for questions as written and in
    traditional script."""
    from rag.zh.script import to_traditional

    chunks = retriever.data.chunks
    as_hits = lambda ids: [{"doc_id": chunks[i].doc_id, "title": chunks[i].title,
                            "section": chunks[i].section, "text": chunks[i].text} for i in ids]
    runs = {"dense": lambda q: [i for i, _ in
                                retriever.dense(retriever.embedder.embed([q], kind="query")[0])],
            "bm25": lambda q: [i for i, _ in retriever.lexical(q)],
            "fused": lambda q: [chunks.index(h.chunk) for h in retriever.search(q, 10)]}
    table = {}
    for script, convert in (("simplified", lambda q: q), ("traditional", to_traditional)):
        for name, run in runs.items():
            ranked = [as_hits(run(convert(_retrieval_question(it)))) for it in items]
            table[f"{name}/{script}"] = {
                f"recall@{k}": round(sum(metrics.recall_at(it, r, k) for it, r in zip(items, ranked))
                                     / len(items), 4) for k in (5, 10)}
    return table


def _retrieval_question(item: dict) -> str:
    """Follow-ups are scored on their history plus the question, as retrieval sees them without a rewrite."""
    history = item.get("history") or []
    return " ".join([h[0] for h in history] + [item["question"]])
