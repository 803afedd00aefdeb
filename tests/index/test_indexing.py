"""The index: incremental updates, self-description, atomic swaps, clear errors on mismatch or corruption."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rag.index import store
from rag.index.recipes import FORMAT
from rag.index.embedding import HashEmbedder
from rag.errors import IndexError_
from rag.index.building import build_index

from ..conftest import cli_env


def _chunk_ids(settings):
    return {c.doc_id for c in store.load(settings.index_dir, "hash-bigram@256").chunks}


def test_manifest_describes_the_index(hash_index):
    manifest = store.read_manifest(hash_index.index_dir)
    assert manifest["format_version"] == store.FORMAT_VERSION
    assert manifest["embedder"] == {"id": "hash-bigram@256", "dim": 256, "role": "hash"}
    assert (manifest["chunker"]["size"] == hash_index.chunk_size
            and manifest["chunker"]["overlap"] == hash_index.chunk_overlap)
    assert (len(manifest["documents"]) == 5
            and all(len(d["sha256"]) == 64 for d in manifest["documents"].values()))
    assert manifest["settings"]["top_k"] == hash_index.top_k
    build = store.current_build(hash_index.index_dir)
    first = (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert "越城区" in first  # ensure_ascii=False: readable Chinese, not \u escapes


def test_unchanged_corpus_is_not_rebuilt(hash_index):
    embedder = HashEmbedder(256)
    report = build_index(hash_index, embedder=embedder)
    assert report.up_to_date and embedder.texts_embedded == 0


def test_only_changed_files_are_embedded(hash_index, docs):
    before = {c.id: c for c in store.load(hash_index.index_dir, "hash-bigram@256").chunks}
    (docs / "000_3c8385710f23eda0.txt").rename(docs / "renamed.txt")  # same bytes, new name
    (docs / "001_95525c1d49c5bed8.txt").unlink()
    path = docs / "002_dfc9f6454bb8835b.txt"
    path.write_text(path.read_text(encoding="utf-8")
                    + "\n新增一段：2021年计划新建口袋公园12个。\n", encoding="utf-8")
    embedder = HashEmbedder(256)
    report = build_index(hash_index, embedder=embedder)
    after = store.load(hash_index.index_dir, "hash-bigram@256")
    docs_after = {c.doc_id for c in after.chunks}
    assert "001_95525c1d49c5bed8.txt" not in docs_after and "renamed.txt" in docs_after
    # Only the edited file's new tail is embedded; the rename reuses vectors (its title comes from
    # the text once the sidecar no longer names it, so its chunks' embed text changes too).
    renamed = [c for c in after.chunks if c.doc_id == "renamed.txt"]
    assert embedder.texts_embedded == report.embedded
    assert 1 <= report.embedded <= len(renamed) + 2
    assert any("口袋公园" in c.text for c in after.chunks)
    assert len(before) != len(after.chunks)


def test_rename_with_same_metadata_embeds_nothing(hash_index, docs):
    meta = json.loads((docs / "metadata.json").read_text(encoding="utf-8"))
    meta["moved/000.txt"] = meta.pop("000_3c8385710f23eda0.txt")
    (docs / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (docs / "moved").mkdir()
    (docs / "000_3c8385710f23eda0.txt").rename(docs / "moved" / "000.txt")
    embedder = HashEmbedder(256)
    report = build_index(hash_index, embedder=embedder)
    assert not report.up_to_date and embedder.texts_embedded == 0
    assert "moved/000.txt" in _chunk_ids(hash_index)


def test_other_embedder_is_refused_with_command(hash_index):
    with pytest.raises(IndexError_, match="rag index --rebuild"):
        store.load(hash_index.index_dir, "embeddinggemma-300m@768:cbf5a78393b6")


def test_other_format_version_is_refused(hash_index):
    build = store.current_build(hash_index.index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexError_, match="format version 99.*rag index --rebuild"):
        store.load(hash_index.index_dir, "hash-bigram@256")


@pytest.mark.parametrize("name", ["chunks.jsonl", "index.faiss", "vectors.npy"])
def test_corrupt_file_is_detected(hash_index, name):
    path = store.current_build(hash_index.index_dir) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexError_, match=f"{name}.*corrupt.*rag index --rebuild"):
        store.load(hash_index.index_dir, "hash-bigram@256")


def test_missing_index_names_the_command(tmp_path):
    with pytest.raises(IndexError_, match="rag index"):
        store.load(tmp_path / "nowhere", "hash-bigram@256")


def test_failed_write_keeps_previous_index(hash_index, docs, monkeypatch):
    (docs / "extra.txt").write_text("新增文件：南湖区计划新建公园3个。" * 5, encoding="utf-8")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.np, "save", full_disk)
    with pytest.raises(IndexError_, match="previous index is untouched"):
        build_index(hash_index, embedder=HashEmbedder(256))
    assert "extra.txt" not in _chunk_ids(hash_index)
    assert len(list(hash_index.index_dir.glob("build-*"))) == 1


def _big_corpus(folder, files=400):
    text = "南湖区2021年计划新增城镇就业1.2万人，推进重点项目建设。\n" * 40
    for i in range(files):
        (folder / f"doc{i:04d}.txt").write_text(f"第{i}号文件\n" + text + f"编号{i}。",
                                                encoding="utf-8")


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_sigkill_during_build_leaves_previous_index(hash_index, docs, delay):
    """A rebuild killed at any moment: the previous index still loads and answers."""
    before = _chunk_ids(hash_index)
    _big_corpus(docs)
    env = cli_env(RAG_EMBEDDER_ROLE="hash", RAG_EMBED_DIM=256, RAG_EMBED_BATCH=4)
    cmd = [sys.executable, "-m", "rag.cli", "index", "--rebuild", "--docs", str(docs),
           "--index", str(hash_index.index_dir)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    data = store.load(hash_index.index_dir, "hash-bigram@256")
    assert {c.doc_id for c in data.chunks} in (before, before | {f"doc{i:04d}.txt" for i in range(400)})
    # The next build cleans up the killed build's folder and succeeds.
    report = build_index(hash_index, embedder=HashEmbedder(256))
    assert report.files == 405 and len(list(hash_index.index_dir.glob("build-*"))) == 1


def test_index_cli_summary(tmp_path, docs):
    (docs / "empty.txt").write_bytes(b"")
    env = cli_env(RAG_EMBEDDER_ROLE="hash", RAG_EMBED_DIM=256)
    cmd = [sys.executable, "-m", "rag.cli", "index", "--docs", str(docs), "--index", str(tmp_path / "ix")]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "5 files" in out.stdout and "skipped" in out.stdout and "empty file" in out.stdout


def test_hnsw_index_selectable(hash_settings):
    settings = hash_settings.with_overrides(index_kind="hnsw")
    build_index(settings, embedder=HashEmbedder(256))
    data = store.load(settings.index_dir, "hash-bigram@256")
    assert "HNSW" in type(data.faiss_index).__name__
    scores, ids = data.faiss_index.search(np.ascontiguousarray(data.vectors[:1]), 1)
    assert ids[0][0] == 0


def test_embedder_precision_is_part_of_its_id(hash_index):
    """Vectors from an OpenVINO recipe and from fp32 differ slightly: an index of one is refused by the
    other."""
    from rag.index.embedding import configured_id

    int8 = configured_id(hash_index.with_overrides(embedder_role="embedder", embed_dim=768,
                                                   embed_precision="openvino-int8"))
    fp32 = configured_id(hash_index.with_overrides(embedder_role="embedder", embed_dim=768,
                                                   embed_precision="fp32"))
    assert int8.endswith(f"+openvino-int8.{FORMAT}") and int8 != fp32 and "+" not in fp32
    with pytest.raises(IndexError_, match="rag index --rebuild"):
        store.load(hash_index.index_dir, int8)


def test_secrets_are_masked_in_the_saved_settings(hash_settings):
    from rag.index.embedding import HashEmbedder

    settings = hash_settings.with_overrides(api_key="s3cret", llm_api_key="other")
    build_index(settings, embedder=HashEmbedder(256))
    saved = store.read_manifest(settings.index_dir)["settings"]
    assert saved["api_key"] == saved["llm_api_key"] == "***"
    assert "s3cret" not in json.dumps(store.read_manifest(settings.index_dir))


class _CountingEmbedder(HashEmbedder):
    """Stands in for a real embedder a caller passes in (a test session's shared model): no hash id."""

    def __init__(self, dim: int):
        super().__init__(dim)
        self.id, self.texts = f"counting@{dim}", 0

    def embed(self, texts, kind="document"):
        self.texts += len(texts) if kind == "document" else 0
        return super().embed(texts, kind)


def test_an_injected_real_embedder_uses_the_machine_vectors_cache(hash_settings, tmp_path):
    """Two indexes of one text in one run: the second embeds nothing, the cache beside the models has it."""
    settings = hash_settings.with_overrides(models_dir=tmp_path / "cache" / "models")
    embedder = _CountingEmbedder(256)
    first = build_index(settings, embedder=embedder)
    assert first.embedded > 0 and embedder.texts == first.embedded
    assert (tmp_path / "cache" / "embeddings" / "counting_256.npz").is_file()
    second = build_index(settings.with_overrides(index_dir=tmp_path / "other"), embedder=embedder)
    assert second.embedded == 0 and embedder.texts == first.embedded
