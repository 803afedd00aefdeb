"""Recipes: which graph and precision the embedder runs on this machine, chosen by measurement.

The fastest recipe depends on the CPU: static int8 is the fastest where the CPU has int8 dot-product
instructions (VNNI) and slower than fp32 where it has not; bf16 needs bf16 instructions. So at
`rag models fetch`, and again when the CPU is not the one the choice was made on, every candidate is
built and timed here on shipped texts held out from its calibration: documents per second (what
indexing waits on) and one query's milliseconds (what every question waits on), its vectors compared
with the fp32 graph's. The fastest whose every vector stays at cos ≥ 0.99 to fp32 is kept (`pick`); all
candidates' figures are recorded beside the choice in `recipe.json`, with the CPU they were measured on.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import InputError, ModelError
from rag.index import graphs

FORMAT = 4
SUFFIX = ".openvino"
LEGACY = (".openvino-int8",)  # the single-recipe folder of format 1, removed once replaced
MIN_COS = 0.99
# The flags that decide which kernels OpenVINO can use; other flags never change the choice.
ISA_FLAGS = ("avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
             "avx512_fp16", "amx_bf16", "amx_int8")


@dataclass(frozen=True)
class Recipe:
    name: str
    graph: str  # one of graphs.KINDS
    hint: str  # OpenVINO's inference precision


CANDIDATES = (Recipe("openvino-fp32", "fp32", "f32"), Recipe("openvino-fp16", "fp16", "f32"),
              Recipe("openvino-bf16", "fp16", "bf16"),
              Recipe("openvino-w8", "w8", "f32"), Recipe("openvino-w8-bf16", "w8", "bf16"),
              Recipe("openvino-int8", "int8", "f32"))
REFERENCE = CANDIDATES[0]


ALIASES = {"int8": "openvino-int8"}  # the setting's value when static int8 was the only recipe


def by_name(name: str) -> Recipe:
    found = [r for r in CANDIDATES if r.name == ALIASES.get(name, name)]
    if not found:
        names = ", ".join(["auto", "fp32"] + [r.name for r in CANDIDATES])
        raise InputError(f"unknown embedder precision '{name}'; set RAG_EMBED_PRECISION to one of: {names}")
    return found[0]


def cpu_model() -> str:
    """`lscpu`'s model name, read from /proc/cpuinfo; the platform's processor string elsewhere."""
    names = (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name"))
    return next(names, platform.processor() or "unknown CPU")


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def cpu_identity() -> dict:
    """The CPU a choice holds for: its model, its vector instruction sets, and a cap on them if one is set
    (ONEDNN_MAX_CPU_ISA makes OpenVINO's kernels behave as on a CPU without the capped-off sets)."""
    flags = next((line.split(":", 1)[1].split() for line in _cpuinfo() if line.startswith("flags")), [])
    return {"model": cpu_model(), "flags": [f for f in ISA_FLAGS if f in flags],
            "isa_cap": os.environ.get("ONEDNN_MAX_CPU_ISA", "")}


def candidates(cpu: dict) -> list[Recipe]:
    # Without bf16 instructions OpenVINO runs the bf16 hint in f32: the same figures twice.
    bf16 = bool({"avx512_bf16", "amx_bf16"} & set(cpu["flags"])) and not cpu["isa_cap"]
    return [r for r in CANDIDATES if bf16 or r.hint != "bf16"]


def folder_for(model_dir: Path) -> Path:
    return Path(model_dir).parent / f"{Path(model_dir).name}{SUFFIX}"


def pick(rows: list[dict]) -> str:
    """Among the recipes that ran and kept every vector close to fp32, the fastest on documents; of those
    within 10% of it, the fastest on a query (indexing is paid once, a query on every question)."""
    fit = [r for r in rows if "error" not in r and r["min_cos"] >= MIN_COS]
    if not fit:
        return REFERENCE.name
    best = max(r["chunks_per_s"] for r in fit)
    return min((r for r in fit if r["chunks_per_s"] >= 0.9 * best), key=lambda r: r["query_ms"])["name"]


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(embedder, documents: list[str], queries: list[str], reference: np.ndarray | None) -> dict:
    """Documents per second (best of two passes, after a warm-up), one query's median milliseconds, and
    the lowest cosine of any of its vectors to the reference's."""
    embedder.embed(documents[:4])
    seconds = []
    for _ in range(2):  # the vectors compared are the timed passes' own
        started = time.perf_counter()
        vectors = embedder.embed(documents)
        seconds.append(time.perf_counter() - started)
    query_ms = statistics.median(_timed(lambda: embedder.embed([q], "query")) for q in queries) * 1000
    vectors = np.concatenate([vectors, embedder.embed(queries, "query")])
    cos = 1.0 if reference is None else float((vectors * reference).sum(1).min())
    return {"chunks_per_s": round(len(documents) / min(seconds), 2), "query_ms": round(query_ms, 1),
            "min_cos": round(cos, 4), "vectors": vectors}


def _trial(model_dir: Path, folder: Path, pool: list[Recipe], threads: int, say) -> list[dict]:
    from rag.index.runtime import CompiledEmbedder

    texts = graphs.texts(graphs.FIDELITY)
    documents = [t["text"] for t in texts if t["kind"] == "document"]
    queries = [t["text"] for t in texts if t["kind"] == "query"]
    rows, reference = [], None
    for recipe in [REFERENCE] + [r for r in pool if r != REFERENCE]:
        try:
            embedder = CompiledEmbedder(model_dir, graphs.xml_for(folder, recipe.graph), hint=recipe.hint,
                                        threads=threads)
            row = measure(embedder, documents, queries, reference)
        # OpenVINO raises RuntimeError when this CPU has no kernel for a graph (seen with a capped ISA)
        except RuntimeError as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or ["RuntimeError"]
            row = {"error": next((line for line in lines if line.startswith("[")), lines[-1])[:200]}
        if reference is None and "error" in row:
            raise ModelError(f"the embedder's fp32 graph does not run on this CPU: {row['error']}")
        vectors = row.pop("vectors", None)
        reference = vectors if reference is None else reference
        rows.append({"name": recipe.name, **row})
        say(f"embedder: {recipe.name}: {row}")
    return rows


def choose(model_dir: Path, source_sha256: str, *, forced: str = "", threads: int = 2, say=print) -> Path:
    """Build the candidates, time them, keep the chosen one in `folder_for(model_dir)` (atomic)."""
    from rag.index.models import sha256_of

    model_dir, target, cpu = Path(model_dir), folder_for(model_dir), cpu_identity()
    pool = [by_name(forced)] if forced else candidates(cpu)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(staging, 0o755)  # readable like the weights beside it
    try:
        say(f"embedder: building and timing {len(pool)} recipe(s) on this CPU (once per machine, ≈ 2–5 min)")
        graphs.export_onnx(model_dir, staging / "model.onnx")
        for kind in dict.fromkeys([REFERENCE.graph] + [r.graph for r in pool]):
            graphs.build(kind, staging / "model.onnx", staging, lambda: _calibration(model_dir))
        (staging / "model.onnx").unlink()
        rows = _trial(model_dir, staging, pool, threads, say)
        chosen = by_name(forced or pick(rows))
        for kind in set(graphs.KINDS) - {chosen.graph}:
            for f in graphs.files_of(staging, kind):
                f.unlink(missing_ok=True)
        record = {"format": FORMAT, "recipe": chosen.name, "graph": chosen.graph, "hint": chosen.hint,
                  "forced": bool(forced), "source_sha256": source_sha256, "cpu": cpu, "threads": threads,
                  "min_cos": MIN_COS, "candidates": rows, "versions": graphs.versions(),
                  "graph_sha256": {f.name: sha256_of(f) for f in graphs.files_of(staging, chosen.graph)}}
        (staging / "recipe.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
        _replace(staging, target)
        say(f"embedder: chose {chosen.name} ({target / 'recipe.json'})")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _replace(staging: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    for suffix in LEGACY:
        shutil.rmtree(target.parent / (target.name[:-len(SUFFIX)] + suffix), ignore_errors=True)


def _calibration(model_dir: Path) -> list[dict]:
    """Graph inputs for the calibration texts, each prompted as the embedder will prompt it."""
    from rag.index.runtime import Tokens

    tokens = Tokens(model_dir, 512)
    return [tokens.inputs(tokens.ids([t["text"]], t["kind"])) for t in graphs.texts()]


def describe(record: dict) -> list[str]:
    """The measured candidates and the choice, as lines for the terminal."""
    cpu = record.get("cpu", {})
    cap = f", capped at {cpu['isa_cap']}" if cpu.get("isa_cap") else ""
    lines = [f"embedder recipes on {cpu.get('model')} ({' '.join(cpu.get('flags', []))}{cap}), "
             f"{record.get('threads')} threads:"]
    for row in record.get("candidates", []):
        figures = (f"error: {row['error']}" if "error" in row else
                   f"{row['chunks_per_s']:6.2f} chunks/s  {row['query_ms']:6.1f} ms/query  "
                   f"cos ≥ {row['min_cos']}")
        lines.append(f"  {'*' if row['name'] == record['recipe'] else ' '} {row['name']:18} {figures}")
    how = "forced by RAG_EMBED_PRECISION" if record.get("forced") else \
        f"the fastest with every vector at cos ≥ {record.get('min_cos')} to fp32"
    return lines + [f"  chosen: {record.get('recipe')} ({how})"]


def read(model_dir: Path) -> dict:
    try:
        return json.loads((folder_for(model_dir) / "recipe.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _stale(record: dict, source_sha256: str) -> str:
    """Why a recorded choice does not hold for these weights, this version and this CPU ("" if it does)."""
    if not record:
        return "no embedder recipe chosen for this machine"
    if record.get("format") != FORMAT or record.get("source_sha256") != source_sha256:
        return "the embedder graph was built from other weights or by another version"
    if record.get("cpu") != cpu_identity():
        return f"the embedder recipe was measured on another CPU ({record.get('cpu', {}).get('model')})"
    return ""


def holds(record: dict, source_sha256: str) -> bool:
    return not _stale(record, source_sha256)


def check(model_dir: Path, source_sha256: str) -> dict:
    """The recorded choice, if it was made for these weights on this CPU and its graph is intact; else
    ModelError saying what to run."""
    from rag.index.models import sha256_of

    folder, record = folder_for(model_dir), read(model_dir)
    fix = "Run: rag models fetch --only embedder"
    reason = _stale(record, source_sha256)
    if reason:
        raise ModelError(f"{reason} ({folder}). {fix}")
    for f in graphs.files_of(folder, record["graph"]):
        if not f.is_file() or sha256_of(f) != record["graph_sha256"].get(f.name):
            raise ModelError(f"embedder graph file {f} is missing or corrupt (SHA-256 mismatch). "
                             f"Delete {folder}. {fix}")
    return record


def ensure(model_dir: Path, source_sha256: str, precision: str = "auto", threads: int = 2, say=None,
           again: bool = False) -> dict:
    """The verified record of this machine's recipe (`precision` a recipe name forces that one); chosen
    now if missing, stale, made on another CPU, not the one asked for, or `again` is asked."""
    import sys

    forced = "" if precision == "auto" else by_name(precision).name
    try:
        record = check(model_dir, source_sha256)
        if not again and ((record["recipe"] == forced) if forced else not record.get("forced")):
            return record
    except ModelError:
        pass
    choose(model_dir, source_sha256, forced=forced, threads=threads,
           say=say or (lambda m: print(m, file=sys.stderr, flush=True)))
    return check(model_dir, source_sha256)
