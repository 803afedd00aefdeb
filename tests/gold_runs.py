"""Gold sets through the real pipeline, answered in parts so no single test runs for long.

A part is at most PART questions (≈ 3.5 min on a slow 2-core CPU, ≈ 75 s on a fast one); the set's
metrics are computed once every part has answered, and each set's results land in runs/bench/<set>/
as `rag eval` writes them. One report for all sets that ran: runs/bench/report.md and report.json.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import PROJECT_ROOT
from rag.evaluation.gold import run_items, summarize, write_outputs
from rag.index.recipes import cpu_model

DATA = PROJECT_ROOT / "tests" / "data"
OUT = PROJECT_ROOT / "runs" / "bench"
PART = 15


@dataclass
class GoldSet:
    """A question file over a corpus (None: the bundled index), with the figures it must reach.

    The corpora "pdf" and "scan" are the seeds printed by tests/corpus_pdf.py, each written with its
    copy of the dev set's questions; any other corpus is a folder in tests/data/.
    """

    qa: str
    corpus: str | None = None
    floors: dict = field(default_factory=dict)
    ceilings: dict = field(default_factory=dict)

    @property
    def printed(self) -> bool:
        return self.corpus in ("pdf", "scan")


@dataclass
class GoldRun:
    name: str
    pipeline: object
    items: list[dict]
    answers: dict[int, tuple[list, list]] = field(default_factory=dict)
    seconds: float = 0.0
    result: dict | None = None

    @property
    def parts(self) -> int:
        return part_count(len(self.items))

    def answer_part(self, part: int) -> None:
        started = time.perf_counter()
        self.answers[part] = run_items(self.pipeline, self.items[part * PART:(part + 1) * PART])
        self.seconds += time.perf_counter() - started

    def finish(self) -> dict:
        """The set's metrics, once every part has answered (a missing part fails here, by name)."""
        missing = [p for p in range(self.parts) if p not in self.answers]
        assert not missing, f"{self.name}: parts {missing} did not answer"
        if self.result is None:
            answers = [a for p in range(self.parts) for a in self.answers[p][0]]
            retrieved = [r for p in range(self.parts) for r in self.answers[p][1]]
            info = {"model": getattr(self.pipeline.generator, "id", "?"), "seconds": round(self.seconds, 1)}
            self.result = summarize(self.items, answers, retrieved, info)
            write_outputs(OUT / self.name, self.items, answers, retrieved, self.result)
        return self.result


def part_count(questions: int) -> int:
    return math.ceil(questions / PART)


def shortfalls(metrics: dict, gold: GoldSet) -> list[str]:
    low = [f"{k}={metrics[k]} < {v}" for k, v in gold.floors.items() if metrics[k] is None or metrics[k] < v]
    high = [(k, v) for k, v in gold.ceilings.items() if metrics[k] is not None and metrics[k] > v]
    return low + [f"{k}={metrics[k]} > {v}" for k, v in high]


_COLUMNS = ("items", "accuracy", "refusal", "false_refusal", "citation_precision", "grounding", "recall@5",
            "median_first_token_ms", "median_total_ms")


def write_report(results: dict[str, dict], wall_seconds: float, out: Path = OUT) -> Path:
    """report.json and report.md for the sets that finished: per set and question type, the CPU, wall time."""
    out.mkdir(parents=True, exist_ok=True)
    report = {"cpu": cpu_model(), "wall_seconds": round(wall_seconds, 1),
              "sets": {name: {k: r.get(k) for k in (*_COLUMNS, "seconds", "per_type")}
                       for name, r in results.items()}}
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = ["# Answer-quality benchmark", "",
             f"CPU: {report['cpu']}; wall time {wall_seconds / 60:.1f} min.", "",
             "| set | " + " | ".join(_COLUMNS) + " | seconds |", "|---" * (len(_COLUMNS) + 2) + "|"]
    for name, r in report["sets"].items():
        lines.append(f"| {name} | " + " | ".join(_cell(r[k]) for k in _COLUMNS) + f" | {r['seconds']:.0f} |")
    lines += ["", "## Per question type (passed / n)", ""]
    types = sorted({t for r in report["sets"].values() for t in r["per_type"]})
    lines += ["| type | " + " | ".join(report["sets"]) + " |", "|---" * (len(report["sets"]) + 1) + "|"]
    for t in types:
        cells = [f"{r['per_type'][t]['ok']}/{r['per_type'][t]['n']}" if t in r["per_type"] else ""
                 for r in report["sets"].values()]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out / "report.md"


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.0f}"
    return "—" if value is None else str(value)
