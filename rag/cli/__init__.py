"""The `rag` command: parse flags, call the package, print. Heavy imports stay inside commands."""

from __future__ import annotations

import argparse
import json
import sys

from rag import __version__
from rag.config import load_settings, offline_environment
from rag.cli import kb
from rag.zh.patterns import without_markers
from rag.errors import RagError


def _settings(args, choose: bool = True):
    """The settings the flags ask for; with the collection they name chosen unless `choose` is off
    (the app chooses it itself, as `python app.py` does)."""
    keys = ("docs_dir", "index_dir", "models_dir", "top_k", "llm_role", "port", "store", "milvus_uri",
            "llm_backend", "llm_urls", "ocr", "kb")
    settings = load_settings(**{k: getattr(args, k, None) for k in keys})
    from rag.index.collections import selected

    return selected(settings) if choose else settings


def cmd_models(args) -> int:
    from rag.index import models

    settings = _settings(args)
    if args.action == "check":
        rows = models.check_all(settings.models_dir, [args.only] if args.only else None)
        rows += _runtime_rows(settings, args.only)
        for role, status, detail in rows:
            print(f"{status:4} {role:9} {detail}")
        return 0 if all(status == "OK" for _, status, _ in rows) else 3
    specs = models.load_specs()
    roles = [args.only] if args.only else list(specs)
    for role in roles:
        if role not in specs:
            raise RagError(f"unknown role '{role}'; choose one of: {', '.join(specs)}")
        path = models.fetch(specs[role], settings.models_dir, say=lambda m: print(m, file=sys.stderr))
        models.link_into_project(specs[role], settings.models_dir)
        if role == settings.embedder_role and settings.embed_precision != "fp32":
            from rag.index import recipes

            record = recipes.ensure(path, specs[role].sha256, settings.embed_precision, settings.n_threads,
                                    again=args.remeasure)
            print("\n".join(recipes.describe(record)), file=sys.stderr)
    return 0


def _runtime_rows(settings, only: str | None) -> list[tuple[str, str, str]]:
    """The embedder's graph, built from the weights on this machine, checked against its recipe."""
    from rag.index import graphs, models, recipes

    spec = models.load_specs().get(settings.embedder_role)
    if spec is None or settings.embed_precision == "fp32" or (only and only != spec.role):
        return []
    try:
        record = recipes.check(spec.target(settings.models_dir), spec.sha256)
        graph = graphs.xml_for(recipes.folder_for(spec.target(settings.models_dir)), record["graph"])
        return [(f"{spec.role}+{record['recipe']}", "OK", str(graph))]
    except RagError as exc:
        return [(f"{spec.role}+recipe", "FAIL", str(exc))]


def cmd_index(args) -> int:
    from rag.index.building import build_index
    from rag.index.collections import several

    settings = _settings(args)
    for chosen in (several(settings) or {"": settings}).values():
        print(build_index(chosen, rebuild=args.rebuild).summary())
    return 0


def cmd_ask(args) -> int:
    from rag.answer.pipeline import Pipeline

    pipeline = Pipeline.from_settings(_settings(args))
    if args.json:
        answer = pipeline.answer(args.question)
        from rag.app.rendering import paged_citations

        print(json.dumps({**answer.to_dict(), "citations": paged_citations(answer)}, ensure_ascii=False,
                         indent=1))
        return 0
    print_streamed(pipeline.stream(args.question))
    return 0


def print_streamed(events) -> None:
    """The answer as the model writes it, then, where the checks changed its words or figures (a figure
    replaced or withheld), the checked answer: the streamed text alone could show what was withheld.
    Markers the checks only added or moved are in the sources below; they are not repeated."""
    shown, answer = [], None
    for event in events:
        if event.kind == "token":
            print(event.data, end="", flush=True)
            shown.append(event.data)
        elif event.kind == "answer":
            answer = event.data
    print()
    if without_markers(answer.text).strip() != without_markers("".join(shown)).strip():
        print(f"核对后的回答 / checked answer:\n{answer.text}")
    print(answer.render_sources())


def cmd_eval(args) -> int:
    from rag.evaluation.gold import run_eval

    settings, pipeline = _settings(args), None
    if args.baseline:
        import tempfile
        from pathlib import Path

        from rag.evaluation.speed import baseline_for

        pipeline = baseline_for(settings, Path(tempfile.mkdtemp(prefix="rag-baseline-")))
    metrics = run_eval(settings, args.qa, out_dir=args.out, pipeline=pipeline)
    print(json.dumps(metrics, ensure_ascii=False, indent=1))
    return 0


def cmd_bench(args) -> int:
    from rag.evaluation.speed import run_bench, run_throughput

    if args.throughput:
        run_throughput(_settings(args), args.qa, out_dir=args.out, workers=args.workers)
        return 0
    if args.corpus:
        from rag.evaluation.scaling import run_corpus_bench

        run_corpus_bench(_settings(args), args.corpus, out_dir=args.out, runs=args.runs)
        return 0
    run_bench(_settings(args), args.qa, out_dir=args.out, runs=args.runs, baseline_runs=args.baseline_runs)
    return 0


def cmd_serve(args) -> int:
    if args.api:
        from rag.app.api import serve

        serve(_settings(args, choose=False))
        return 0
    from rag.app.ui import launch

    launch(_settings(args, choose=False))
    return 0


_QA_HELP = "gold set, JSON Lines: one question per line (the bundled corpus's: tests/data/qa_dev.jsonl)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag",
                                     description="Offline question answering over local Chinese documents.")
    parser.add_argument("--version", action="version", version=f"rag {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("models", help="fetch or check the model weights")
    p.add_argument("action", choices=["fetch", "check"])
    p.add_argument("--only", help="one role: llm, llm_fast or embedder")
    p.add_argument("--remeasure", action="store_true",
                   help="time the embedder's recipes on this CPU again and keep the fastest (≈ 3 min)")
    p.add_argument("--models-dir", dest="models_dir")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("index", help="build or update the index")
    _common(p)
    p.add_argument("--docs", dest="docs_dir")
    p.add_argument("--rebuild", action="store_true", help="start over instead of updating")
    p.add_argument("--ocr", choices=["on", "off"],
                   help="read scanned PDF pages and .png/.jpg by OCR (default on)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="answer one question with citations")
    _common(p)
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--k", dest="top_k", type=int)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="run a gold question set and write metrics")
    _common(p)
    p.add_argument("--qa", help=_QA_HELP)
    p.add_argument("--out", default="runs/eval")
    p.add_argument("--baseline", action="store_true",
                   help="evaluate the naive baseline instead (slow: ≈ 1 min per question)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="speed figures, default vs naive baseline")
    _common(p)
    p.add_argument("--qa", help=_QA_HELP + " (its questions are the ones timed)")
    p.add_argument("--out", default="runs/bench")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--throughput", action="store_true",
                   help="answers per minute through the configured backend")
    p.add_argument("--workers", type=int, default=2, help="questions in flight for --throughput")
    p.add_argument("--baseline-runs", dest="baseline_runs", type=int, default=1,
                   help="passes of the naive baseline (0 skips it)")
    p.add_argument("--corpus", help="index throughput and retrieval latency for this folder "
                                    "at 1×, 10× and 100× its size")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("serve", help="the chat app on 127.0.0.1")
    _common(p)
    p.add_argument("--api", action="store_true",
                   help="serve the OpenAI-compatible /v1/chat/completions API instead")
    p.add_argument("--port", dest="port", type=int)
    p.set_defaults(func=cmd_serve)
    kb.add_parser(sub)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", dest="index_dir")
    p.add_argument("--kb", help="the collection to use (rag kb list); default: the bundled corpus")
    p.add_argument("--models-dir", dest="models_dir")
    p.add_argument("--model", dest="llm_role", choices=["llm", "llm_fast"])
    p.add_argument("--store", choices=["faiss", "milvus"], help="where the vectors live (default faiss)")
    p.add_argument("--milvus-uri", dest="milvus_uri",
                   help="Milvus server URI, or a file path for Milvus Lite")
    p.add_argument("--llm-backend", dest="llm_backend", choices=["llamacpp", "openai"])
    p.add_argument("--llm-urls", dest="llm_urls", help="comma-separated OpenAI-compatible base URLs")


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RagError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

