"""The Milvus store backend on Milvus Lite (same client API as a Milvus server or cluster)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rag.index import store
from rag.index.embedding import HashEmbedder
from rag.index.building import build_index
from rag.answer.retrieval import Retriever

from ..conftest import cli_env

pytest.importorskip("pymilvus")
QUERIES = ["越城区2021年计划新建多少个5G基站？",
           "绍兴市2023年地区生产总值是多少？", "南湖区粮食播种面积", "城市书房"]


@pytest.fixture
def milvus_settings(hash_settings, tmp_path):
    return hash_settings.with_overrides(store="milvus", milvus_uri=str(tmp_path / "milvus.db"),
                                        index_dir=tmp_path / "mindex")


def test_milvus_search_matches_faiss(hash_index, milvus_settings):
    build_index(milvus_settings, embedder=HashEmbedder(256))
    faiss_data = store.load(hash_index.index_dir, "hash-bigram@256")
    milvus_data = store.load(milvus_settings.index_dir, "hash-bigram@256")
    assert (milvus_data.manifest["vector_store"]["kind"] == "milvus"
            and milvus_data.faiss_index.ntotal == len(faiss_data.chunks))
    assert not (store.current_build(milvus_settings.index_dir) / "index.faiss").exists()
    embedder = HashEmbedder(256)
    for query in QUERIES:
        q = embedder.embed([query], kind="query")
        f_scores, f_ids = faiss_data.faiss_index.search(q, 10)
        m_scores, m_ids = milvus_data.faiss_index.search(q, 10)
        assert list(m_ids[0]) == list(f_ids[0])
        assert np.allclose(m_scores, f_scores, atol=1e-4)
        fused = [h.chunk.id for h in Retriever(milvus_data, embedder).search(query, 4)]
        assert fused == [h.chunk.id for h in Retriever(faiss_data, embedder).search(query, 4)]


def test_milvus_builds_are_incremental_and_idempotent(milvus_settings, docs):
    from rag.index import milvus

    embedder = HashEmbedder(256)
    build_index(milvus_settings, embedder=embedder)
    first = store.read_manifest(milvus_settings.index_dir)["vector_store"]["collection"]
    assert build_index(milvus_settings, embedder=embedder).up_to_date  # idempotent: nothing written
    path = docs / "002_dfc9f6454bb8835b.txt"
    path.write_text(path.read_text(encoding="utf-8")
                    + "\n新增一段：2021年计划新建口袋公园12个。\n", encoding="utf-8")
    report = build_index(milvus_settings, embedder=embedder)
    assert 0 < report.embedded < report.chunks  # only the changed file's chunks
    second = store.read_manifest(milvus_settings.index_dir)["vector_store"]["collection"]
    client = milvus.client(milvus_settings.milvus_uri)
    assert second != first and client.has_collection(second) and not client.has_collection(first)


def test_switching_store_rebuilds(hash_index, milvus_settings):
    milvus_settings = milvus_settings.with_overrides(index_dir=hash_index.index_dir)
    report = build_index(milvus_settings, embedder=HashEmbedder(256))
    assert not report.up_to_date and report.embedded == 0  # vectors reused from the FAISS build
    assert store.read_manifest(hash_index.index_dir)["vector_store"]["kind"] == "milvus"


def test_cli_index_into_milvus(docs, tmp_path):
    uri = tmp_path / "cli.db"
    cmd = [sys.executable, "-m", "rag.cli", "index", "--docs", str(docs), "--index", str(tmp_path / "ix"),
           "--store", "milvus", "--milvus-uri", str(uri)]
    env = cli_env(RAG_EMBEDDER_ROLE="hash", RAG_EMBED_DIM=256)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "chunks embedded" in done.stdout
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout


@pytest.mark.parametrize("uri", ["", "relative/folder", "milvus.sqlite"])
def test_unusable_milvus_uri_is_a_clear_error(uri):
    from rag.errors import IndexError_
    from rag.index.milvus import client

    with pytest.raises(IndexError_, match="(?i)milvus"):
        client(uri)
