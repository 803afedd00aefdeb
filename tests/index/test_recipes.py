"""The embedder's recipe: chosen by measurement, refused when stale, damaged or made on another CPU
(fast); the chosen graph close to fp32 (model tier)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.errors import InputError, ModelError
from rag.index import graphs, recipes
from rag.index.models import sha256_of

SOURCE = "a" * 64


def _fake_choice(model_dir, recipe="openvino-bf16", source=SOURCE, forced=False):
    """A recipe folder as `choose` leaves it, without building anything."""
    folder = recipes.folder_for(model_dir)
    folder.mkdir(parents=True)
    chosen = recipes.by_name(recipe)
    for f in graphs.files_of(folder, chosen.graph):
        f.write_bytes(b"graph " + f.name.encode())
    record = {"format": recipes.FORMAT, "recipe": chosen.name, "graph": chosen.graph, "hint": chosen.hint,
              "forced": forced, "source_sha256": source, "cpu": recipes.cpu_identity(), "threads": 2,
              "min_cos": recipes.MIN_COS, "candidates": [{"name": chosen.name, "chunks_per_s": 9.0,
                                                          "query_ms": 50.0, "min_cos": 0.9999}],
              "graph_sha256": {f.name: sha256_of(f) for f in graphs.files_of(folder, chosen.graph)}}
    (folder / "recipe.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def test_the_fastest_close_recipe_is_picked():
    rows = [{"name": "openvino-fp32", "chunks_per_s": 5.0, "query_ms": 100, "min_cos": 1.0},
            {"name": "openvino-int8", "chunks_per_s": 21.0, "query_ms": 50, "min_cos": 0.966},
            {"name": "openvino-bf16", "chunks_per_s": 19.9, "query_ms": 59, "min_cos": 0.9999},
            {"name": "openvino-w8", "error": "no kernel"}]
    assert recipes.pick(rows) == "openvino-bf16"  # int8 is faster but its vectors drift from fp32
    assert recipes.pick(rows[:2] + rows[3:]) == "openvino-fp32"
    assert recipes.pick([]) == recipes.REFERENCE.name
    near = [{"name": "openvino-fp32", "chunks_per_s": 4.5, "query_ms": 99, "min_cos": 1.0},
            {"name": "openvino-w8", "chunks_per_s": 4.2, "query_ms": 55, "min_cos": 0.9993}]
    assert recipes.pick(near) == "openvino-w8"  # as fast on documents, far faster on a question


def test_bf16_is_a_candidate_only_where_the_cpu_has_it():
    names = lambda cpu: [r.name for r in recipes.candidates(cpu)]  # noqa: E731
    avx2 = {"model": "x", "flags": ["avx2", "fma"], "isa_cap": ""}
    assert names(avx2) == ["openvino-fp32", "openvino-fp16", "openvino-w8", "openvino-int8"]
    assert "openvino-bf16" in names({**avx2, "flags": ["avx2", "avx512f", "avx512_bf16"]})
    assert "openvino-bf16" not in names({**avx2, "flags": ["avx512_bf16"], "isa_cap": "AVX2"})


def test_an_unknown_precision_lists_the_choices():
    with pytest.raises(InputError, match="RAG_EMBED_PRECISION.*auto, fp32, openvino-fp32"):
        recipes.by_name("int4")
    assert recipes.by_name("int8").name == "openvino-int8"  # the setting's value before recipes were measured


def test_intact_choice_is_accepted_and_described(tmp_path):
    _fake_choice(tmp_path / "embedder")
    record = recipes.check(tmp_path / "embedder", SOURCE)
    assert record["recipe"] == "openvino-bf16"
    lines = recipes.describe(record)
    assert lines[0].startswith(f"embedder recipes on {recipes.cpu_model()}")
    assert "* openvino-bf16" in lines[1] and "9.00 chunks/s" in lines[1]
    assert lines[-1].startswith("  chosen: openvino-bf16 (the fastest with every vector")


@pytest.mark.parametrize("damage", ["missing", "other-weights", "flipped-byte", "no-recipe", "other-cpu"])
def test_stale_or_damaged_choice_names_the_fix(tmp_path, damage, monkeypatch):
    folder = _fake_choice(tmp_path / "embedder")
    graph = graphs.xml_for(folder, "fp16")
    if damage == "missing":
        graph.with_suffix(".bin").unlink()
    elif damage == "flipped-byte":
        graph.write_bytes(b"Graph " + graph.name.encode())
    elif damage == "no-recipe":
        (folder / "recipe.json").write_text("{not json", encoding="utf-8")
    elif damage == "other-cpu":
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # a capped CPU is another CPU
    source = "b" * 64 if damage == "other-weights" else SOURCE
    with pytest.raises(ModelError, match="rag models fetch --only embedder"):
        recipes.check(tmp_path / "embedder", source)


@pytest.mark.parametrize("precision, recorded, forced, measures", [
    ("auto", "openvino-bf16", False, False), ("auto", "openvino-int8", True, True),
    ("openvino-int8", "openvino-bf16", False, True), ("int8", "openvino-int8", True, False)])
def test_a_choice_is_remade_only_when_it_does_not_hold(tmp_path, monkeypatch, precision, recorded, forced,
                                                       measures):
    _fake_choice(tmp_path / "embedder", recorded, forced=forced)
    calls = []
    monkeypatch.setattr(recipes, "choose", lambda *a, **k: calls.append(k["forced"]))
    monkeypatch.setattr(recipes, "check", lambda *a: json.loads(
        (recipes.folder_for(tmp_path / "embedder") / "recipe.json").read_text()))
    recipes.ensure(tmp_path / "embedder", SOURCE, precision)
    assert calls == ([recipes.by_name(precision).name if precision != "auto" else ""] if measures else [])


def test_the_index_id_names_the_recipe_recorded_on_this_machine(hash_index, tmp_path):
    from rag.index.embedding import configured_id
    from rag.index.models import load_specs

    settings = hash_index.with_overrides(embedder_role="embedder", embed_dim=768, models_dir=tmp_path)
    spec = load_specs()["embedder"]
    target = spec.target(tmp_path)
    with pytest.raises(ModelError, match="rag models fetch"):  # no weights, nothing measured here yet
        configured_id(settings)
    _fake_choice(target, "openvino-w8", source=spec.sha256)
    assert configured_id(settings).endswith(f"+openvino-w8.{recipes.FORMAT}")
    forced = settings.with_overrides(embed_precision="openvino-int8")
    assert configured_id(forced).endswith(f"+openvino-int8.{recipes.FORMAT}")
    assert configured_id(forced.with_overrides(embed_precision="int8")) == configured_id(forced)
    with pytest.raises(InputError, match="RAG_EMBED_PRECISION"):
        configured_id(settings.with_overrides(embed_precision="int4"))
    assert "+" not in configured_id(settings.with_overrides(embed_precision="fp32"))


@pytest.mark.model
@pytest.mark.bench  # `make bench`: a fidelity measurement against the fp32 model (≈ 1 min on a slow CPU)
def test_the_chosen_recipe_stays_close_to_fp32(real_settings, real_embedder):
    """Same ranking signal as the fp32 torch model: cosine ≥ 0.99 per text, the gate the choice applied."""
    from rag.ingest.chunking import chunk_document
    from rag.index.embedding import load_embedder
    from rag.ingest.loading import load_folder

    from ..conftest import SEEDS

    chunks = [c for d in load_folder(SEEDS).documents for c in chunk_document(d, 300, 60, True)]
    texts = [c.embed_text() for c in chunks[::20]]
    queries = ["越城区2021年计划新建多少个5G基站？",
               "南湖區2021年計劃新增城鎮就業多少人？", "How much did GDP grow?"]
    fast, exact = real_embedder, load_embedder(real_settings.with_overrides(embed_precision="fp32"))
    assert f"+openvino-" in fast.id and fast.id != exact.id
    for kind, batch in (("document", texts), ("query", queries)):
        cos = (fast.embed(batch, kind) * exact.embed(batch, kind)).sum(1)
        assert cos.min() >= recipes.MIN_COS, (fast.id, kind, np.round(cos, 4))
    # Padding in a batch may move a vector a little, never materially.
    one_by_one = np.stack([fast.embed([t])[0] for t in texts[:8]])
    assert (one_by_one * fast.embed(texts[:8])).sum(1).min() >= 0.99


class _Shifted:
    """A stand-in compiled embedder: the hash embedder, its vectors nudged by `shift` (a drifting recipe)."""

    def __init__(self, shift: float):
        from rag.index.embedding import HashEmbedder

        self.inner, self.shift = HashEmbedder(64), shift

    def embed(self, texts, kind="document"):
        vectors = self.inner.embed(texts, kind) + self.shift
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_trial_times_every_candidate_and_records_one_that_does_not_run(tmp_path, monkeypatch):
    from rag.index import runtime

    def compiled(model_dir, graph, *, hint, threads):
        if graph.name.startswith("transformer.w8"):
            raise RuntimeError("Exception from src/inference\n[CPU] no kernel for FullyConnectedCompressed\n")
        return _Shifted(0.05 if graph.name.startswith("transformer.int8") else 0.0)

    monkeypatch.setattr(runtime, "CompiledEmbedder", compiled)
    pool = [recipes.by_name(n) for n in ("openvino-w8", "openvino-int8", "openvino-fp16")]
    rows = recipes._trial(tmp_path, tmp_path, pool, 2, lambda m: None)
    assert [r["name"] for r in rows] == ["openvino-fp32", "openvino-w8", "openvino-int8", "openvino-fp16"]
    assert rows[0]["min_cos"] == 1.0 and rows[0]["chunks_per_s"] > 0 and rows[0]["query_ms"] >= 0
    assert rows[1] == {"name": "openvino-w8", "error": "[CPU] no kernel for FullyConnectedCompressed"}
    assert rows[2]["min_cos"] < recipes.MIN_COS <= rows[3]["min_cos"]  # compared with the reference's vectors
    assert recipes.pick(rows) in ("openvino-fp32", "openvino-fp16")


def test_the_trial_stops_when_the_reference_does_not_run(tmp_path, monkeypatch):
    from rag.index import runtime

    def compiled(*args, **kwargs):
        raise RuntimeError("[CPU] nothing runs")

    monkeypatch.setattr(runtime, "CompiledEmbedder", compiled)
    with pytest.raises(ModelError, match="fp32 graph does not run on this CPU: \\[CPU\\] nothing runs"):
        recipes._trial(tmp_path, tmp_path, [recipes.by_name("openvino-int8")], 2, lambda m: None)
