"""Answer quality: every gold set through the real pipeline, with floors on its figures.

`make test` runs the dev set only (marker `smoke`); `make bench` (`pytest -m bench`) runs every
set: the dev set, the tune and validation halves of our own gold set, two sets written later by
reading the seeds (fresh, fresh_c), the probe set, a second corpus unlike the seeds, and the dev
set over the seeds printed as text PDFs and as 150-dpi scans (OCR). Each set is answered in parts
of at most 15 questions, then checked as a whole. Floors sit a few questions under what was
measured (docs/benchmarks.md), never under the project's minimums (citation precision 0.90,
grounding 0.95). One report for all: runs/bench/report.md and report.json.
"""

from __future__ import annotations

import json
import time

import pytest

from ..gold_runs import DATA, OUT, PART, GoldRun, GoldSet, part_count, shortfalls, write_report

pytestmark = pytest.mark.bench
_MIN = {"citation_precision": 0.90, "grounding": 0.95}

SETS = {
    # dev: measured 0.98 / 1.00 / 0.00 (AMD EPYC Zen 2); the floors predate the last three sessions' gains.
    "dev": GoldSet("qa_dev.jsonl", floors={"recall@5": 0.95, "accuracy": 0.82, "refusal": 0.80,
                                          "robustness": 0.50, **_MIN}, ceilings={"false_refusal": 0.08}),
    "tune": GoldSet("qa_tune.jsonl", floors={"accuracy": 0.86, "refusal": 0.90, **_MIN},
                    ceilings={"false_refusal": 0.06}),
    "validation": GoldSet("qa_validation.jsonl", floors={"accuracy": 0.81, "refusal": 0.81, **_MIN},
                          ceilings={"false_refusal": 0.10}),
    "fresh": GoldSet("qa_fresh.jsonl", floors={"accuracy": 0.85, "refusal": 0.90, **_MIN},
                     ceilings={"false_refusal": 0.06}),
    "fresh_c": GoldSet("qa_fresh_c.jsonl", floors={"accuracy": 0.75, "refusal": 0.75, **_MIN},
                       ceilings={"false_refusal": 0.10}),
    # probe measured 0.83 (10/12); grounding 0.947 is under the minimum: "到2025年" restated from the
    # question counts as a figure its passage lacks. The floor stays: `make bench` reports it.
    "probe": GoldSet("qa_probe.jsonl", floors={"accuracy": 0.66, **_MIN}),
    "general": GoldSet("qa_general.jsonl", corpus="corpus_general",
                       floors={"accuracy": 0.84, "refusal": 0.88, **_MIN}, ceilings={"false_refusal": 0.10}),
    # Questions in a user's own words (tests/split_gold.py words): the tune half, and the validation
    # half read once when it was added; a paraphrased twin of every dev question; a corpus of another
    # genre. Floors a few questions under the first measurement (docs/benchmarks.md), the project's
    # minimums kept where that measurement fell short of them.
    # words_tune measured 0.64 / 0.92 / 0.18, citation precision 0.83 (under the minimum: it fails)
    "words_tune": GoldSet("qa_words_tune.jsonl", floors={"accuracy": 0.53, "refusal": 0.84, **_MIN},
                          ceilings={"false_refusal": 0.30}),
    # words_validation measured once 0.62 / 0.88 / 0.27, citation precision 0.89 (under the minimum)
    "words_validation": GoldSet("qa_words_validation.jsonl",
                                floors={"accuracy": 0.55, "refusal": 0.80, **_MIN},
                                ceilings={"false_refusal": 0.34}),
    # twins measured 0.72 / 1.00 / 0.12
    "twins": GoldSet("qa_dev_twins.jsonl", floors={"accuracy": 0.62, "refusal": 0.80, **_MIN},
                     ceilings={"false_refusal": 0.26}),
    # service measured 0.63 / 0.54 / 0.20, grounding 0.96
    "service": GoldSet("qa_service.jsonl", corpus="corpus_service",
                       floors={"accuracy": 0.57, "refusal": 0.48, **_MIN}, ceilings={"false_refusal": 0.28}),
    # pdf, scan: accuracy 0.98, 0.96, refusal 1.00 (Intel Xeon, 2 cores); floors 4–5 questions under.
    "pdf": GoldSet("pdf/qa_dev.jsonl", corpus="pdf", floors={"accuracy": 0.90, "refusal": 0.80, **_MIN},
                   ceilings={"false_refusal": 0.08}),
    "scan": GoldSet("scan/qa_dev.jsonl", corpus="scan", floors={"accuracy": 0.88, "refusal": 0.80, **_MIN},
                    ceilings={"false_refusal": 0.10}),
}
SMOKE = {"dev"}  # the sets `make test` runs
TWINS_SHORT = 12  # dev questions answered right whose twin was not, as last measured (the aim is 0)


def _marks(name: str) -> list:
    return [pytest.mark.smoke] if name in SMOKE else []


def _data(gold: GoldSet, name: str):
    """Where a set's corpus or question file lives; printed forms are built once per machine."""
    from ..corpus_pdf import cached_build

    return (cached_build() if gold.printed else DATA) / name


def _parts(name: str) -> int:
    """Counted at collection, before anything is built: a printed form holds the dev questions."""
    gold = SETS[name]
    with open(DATA / ("qa_dev.jsonl" if gold.printed else gold.qa), encoding="utf-8") as fh:
        return part_count(sum(1 for line in fh if line.strip()))


@pytest.fixture(scope="module")
def runs(real_settings, real_embedder, real_generator, tmp_path_factory):
    """One GoldRun per set, made when its first part runs; the report is written when the module ends."""
    from rag.evaluation.gold import load_qa
    from rag.index.building import build_index
    from rag.answer.pipeline import Pipeline

    made: dict[str, GoldRun] = {}
    started = time.perf_counter()

    def get(name: str) -> GoldRun:
        if name not in made:
            gold, settings = SETS[name], real_settings
            if gold.corpus:
                docs, index_dir = _data(gold, gold.corpus), tmp_path_factory.mktemp(name) / "index"
                settings = settings.with_overrides(docs_dir=docs, index_dir=index_dir)
                print(build_index(settings, embedder=real_embedder).summary())
            pipeline = Pipeline.from_settings(settings, embedder=real_embedder, generator=real_generator)
            made[name] = GoldRun(name, pipeline, load_qa(_data(gold, gold.qa)))
        return made[name]

    yield get
    finished = {name: run.result for name, run in made.items() if run.result}
    if finished:
        out = OUT if set(finished) == set(SETS) else OUT.with_name("bench-partial")
        print("\nreport:", write_report(finished, time.perf_counter() - started, out))


@pytest.mark.parametrize("name,part", [pytest.param(n, p, marks=_marks(n), id=f"{n}-{p}")
                                       for n in SETS for p in range(_parts(n))])
def test_answers(runs, name, part):
    """Answer one part of a set; nothing is asserted per answer (the set's figures are judged below)."""
    run = runs(name)
    run.answer_part(part)
    assert len(run.answers[part][0]) == len(run.items[part * PART:(part + 1) * PART])


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in SETS])
def test_floors(runs, name):
    metrics = runs(name).finish()
    print(name, json.dumps({k: v for k, v in metrics.items() if k != "per_type"}, ensure_ascii=False))
    assert shortfalls(metrics, SETS[name]) == []


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in SETS])
def test_every_answer_shown_carries_a_citation(runs, name):
    """An answer nothing cited backs is withheld, so every answer that is shown cites a passage."""
    runs(name).finish()
    rows = [json.loads(x) for x in (OUT / name / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    shown = [r for r in rows if not r["refused"]]
    assert shown and all(r["citations"] for r in shown)


def test_twins_are_answered_where_the_originals_are(runs):
    """A dev question asked in other words should be answered whenever the original is. It is not yet:
    the count of twins falling short is held at the first measurement, so it can only go down."""
    dev, twins = runs("dev"), runs("twins")
    dev.finish()
    twins.finish()
    ok = lambda name: {json.loads(x)["id"]: json.loads(x)["ok"]
                       for x in (OUT / name / "results.jsonl").read_text(encoding="utf-8").splitlines()}
    original, twin = ok("dev"), ok("twins")
    short = sorted(i for i, right in original.items() if right and not twin["t" + i])
    assert len(short) <= TWINS_SHORT, short


@pytest.mark.smoke
def test_deterministic_on_a_rerun(runs):
    """Temperature 0 and a fixed seed: the same question gives the same answer text."""
    run = runs("dev")
    run.finish()
    for item, answer in list(zip(run.items, run.answers[0][0]))[:3]:
        assert run.pipeline.answer(item["question"], item.get("history") or []).text == answer["text"]
