"""The embedder's compiled int8 graph: refused when stale or damaged (fast), close to fp32 (model tier)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.index import runtime
from rag.errors import ModelError
from rag.index.models import sha256_of


def _fake_build(model_dir, source="a" * 64):
    folder = runtime.folder_for(model_dir)
    folder.mkdir(parents=True)
    for f in runtime._graph_files(folder):
        f.write_bytes(b"graph " + f.name.encode())
    recipe = {"format": runtime.FORMAT, "recipe": runtime.RECIPE, "source_sha256": source,
              "graph_sha256": {f.name: sha256_of(f) for f in runtime._graph_files(folder)}}
    (folder / "recipe.json").write_text(json.dumps(recipe), encoding="utf-8")
    return folder


def test_intact_graph_is_accepted(tmp_path):
    folder = _fake_build(tmp_path / "embedder")
    assert runtime.check(tmp_path / "embedder", "a" * 64) == folder


@pytest.mark.parametrize("damage", ["missing", "other-weights", "flipped-byte", "no-recipe"])
def test_stale_or_damaged_graph_names_the_fix(tmp_path, damage):
    folder = _fake_build(tmp_path / "embedder")
    graph = folder / runtime.GRAPH
    if damage == "missing":
        graph.with_suffix(".bin").unlink()
    elif damage == "flipped-byte":
        graph.write_bytes(b"Graph " + graph.name.encode())
    elif damage == "no-recipe":
        (folder / "recipe.json").write_text("{not json", encoding="utf-8")
    source = "b" * 64 if damage == "other-weights" else "a" * 64
    with pytest.raises(ModelError, match="rag models fetch --only embedder"):
        runtime.check(tmp_path / "embedder", source)


@pytest.mark.model
@pytest.mark.bench  # `make bench`: a fidelity measurement against the fp32 model (≈ 1 min on a slow CPU)
def test_compiled_int8_vectors_match_fp32(tmp_path, real_settings, real_embedder):
    """Same ranking signal as the fp32 torch model: cosine ≥ 0.98 per text (issue 13's bar)."""
    from rag.ingest.chunking import chunk_document
    from rag.index.embedding import load_embedder
    from rag.ingest.loading import load_folder

    from ..conftest import SEEDS

    chunks = [c for d in load_folder(SEEDS).documents for c in chunk_document(d, 300, 60, True)]
    texts = [c.embed_text() for c in chunks[::20]]
    queries = ["越城区2021年计划新建多少个5G基站？",
               "南湖區2021年計劃新增城鎮就業多少人？", "How much did GDP grow?"]
    fast, exact = real_embedder, load_embedder(real_settings.with_overrides(embed_precision="fp32"))
    assert fast.id.endswith(f"+{runtime.RECIPE}.{runtime.FORMAT}") and fast.id != exact.id
    for kind, batch in (("document", texts), ("query", queries)):
        cos = (fast.embed(batch, kind) * exact.embed(batch, kind)).sum(1)
        assert cos.min() >= 0.98, (kind, np.round(cos, 4))
    # Padding in a batch may move an int8 vector a little (seen: cos 0.9975 once), never materially.
    one_by_one = np.stack([fast.embed([t])[0] for t in texts[:8]])
    assert (one_by_one * fast.embed(texts[:8])).sum(1).min() >= 0.99
