"""Store: the self-describing index folder.

Layout: `<index>/current` is a symlink to `<index>/build-<stamp>/`, which holds
`manifest.json`, `chunks.jsonl` (ensure_ascii=False), `vectors.npy`, `index.faiss` and
`bm25/`. A build writes a new build folder and then swaps the symlink with one atomic
rename, so a build killed at any moment leaves the previous index in place and answering.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag import __version__
from rag.ingest.chunking import Chunk
from rag.errors import IndexError_

FORMAT_VERSION = 1
REBUILD = "rag index --rebuild"
REGISTRY = "collections.json"  # the registry of collections (rag.index.collections), beside their folders


def rebuild_command(index_dir: Path, rebuild: bool = True) -> str:
    """The command that (re)builds this index: a collection's folder sits beside the registry."""
    folder = Path(index_dir).resolve()
    flag = " --rebuild" if rebuild else ""
    if (folder.parent / REGISTRY).is_file():
        return f"rag index --kb {folder.name}{flag}"
    return REBUILD if rebuild else f"rag index --index {index_dir}"


@dataclass
class IndexData:
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    faiss_index: object = None
    bm25: object = None
    path: Path = field(default_factory=Path)


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def build_faiss(vectors: np.ndarray, kind: str = "flat"):
    import faiss

    dim = vectors.shape[1]
    if kind == "hnsw":  # approximate, for ≥1e5 chunks; inner product on normalized vectors = cosine
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def build_bm25(chunks: list[Chunk]):
    import bm25s

    from rag.zh.tokens import tokenize

    corpus = [tokenize(lexical_text(c)) for c in chunks]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(corpus, show_progress=False)
    return retriever


def lexical_text(chunk: Chunk) -> str:
    return f"{chunk.place} {chunk.title} {chunk.section}\n{chunk.search_text}"


def write_build(folder: Path, manifest: dict, chunks: list[Chunk], vectors: np.ndarray, kind: str,
                vector_store: dict | None = None) -> None:
    """Write every file of one build into `folder`, fsynced, manifest last (its presence marks completion).

    `vector_store` is {"kind": "faiss"} (default: index.faiss in the folder) or
    {"kind": "milvus", "uri": ...} (dense vectors in a collection named after the folder).
    """
    folder.mkdir(parents=True)
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    # vectors.npy stays in the folder with either store: incremental builds reuse it.
    np.save(folder / "vectors.npy", vectors.astype(np.float32), allow_pickle=False)
    vector_store = dict(vector_store or {"kind": "faiss"})
    if vector_store["kind"] == "milvus":
        from rag.index import milvus

        vector_store["collection"] = milvus.collection_name(folder.name)
        milvus.write(vector_store["uri"], vector_store["collection"], vectors, [c.doc_id for c in chunks])
    else:
        import faiss

        faiss.write_index(build_faiss(vectors, kind), str(folder / "index.faiss"))
    manifest = {**manifest, "vector_store": vector_store}
    bm25 = build_bm25(chunks)
    bm25.save(str(folder / "bm25"))
    manifest = {**manifest, "format_version": FORMAT_VERSION, "package_version": __version__,
                "files": {f.relative_to(folder).as_posix(): _sha(f)
                          for f in sorted(folder.rglob("*")) if f.is_file()},
                "chunk_count": len(chunks)}
    _write_json_durably(folder / "manifest.json", manifest)


def _write_json_durably(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def new_build_dir(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    return index_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"


def publish(index_dir: Path, build: Path) -> None:
    """Point `current` at the finished build atomically, then remove older builds."""
    link_tmp = index_dir / f".current-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(build.name)
    os.replace(link_tmp, index_dir / "current")
    cleanup(index_dir)


def cleanup(index_dir: Path) -> None:
    """Remove builds that are not current: leftovers of finished swaps or of killed builds."""
    current = current_build(index_dir)
    for entry in index_dir.glob("build-*"):
        if current is None or entry.resolve() != current.resolve():
            _drop_collection(entry)
            shutil.rmtree(entry, ignore_errors=True)


def _drop_collection(build: Path) -> None:
    try:
        store = json.loads((build / "manifest.json").read_text(encoding="utf-8")).get("vector_store", {})
    except (OSError, ValueError):
        return  # a killed build has no manifest; its collection, if any, is overwritten on the next try
    if store.get("kind") == "milvus":
        from rag.index import milvus

        milvus.drop(store["uri"], store["collection"])


def current_build(index_dir: Path) -> Path | None:
    link = Path(index_dir) / "current"
    return link.resolve() if link.exists() else None


def read_manifest(index_dir: Path) -> dict | None:
    build = current_build(index_dir)
    if build is None or not (build / "manifest.json").is_file():
        return None
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexError_(f"index manifest at {build} is unreadable ({exc}). "
                          f"Run: {rebuild_command(index_dir)}") from exc


def check_compatible(manifest: dict, embedder_id: str, where: Path) -> None:
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexError_(f"index at {where} has format version {manifest.get('format_version')}, "
                          f"this rag reads "
                          f"{FORMAT_VERSION}. Run: {rebuild_command(where)}")
    built_with = manifest.get("embedder", {}).get("id")
    if built_with != embedder_id:
        raise IndexError_(f"index at {where} was built with embedder '{built_with}', "
                          f"but the configured embedder is "
                          f"'{embedder_id}'. Run: {rebuild_command(where)}")


def load(index_dir: Path, embedder_id: str, *, verify: bool = True) -> IndexData:
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexError_(f"no index at {index_dir}. Build it with: {rebuild_command(index_dir, False)}")
    build = current_build(index_dir)
    check_compatible(manifest, embedder_id, index_dir)
    if verify:
        _verify_files(build, manifest)
    return _read_build(build, manifest)


def _verify_files(build: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = build / name
        if not path.is_file() or _sha(path) != expected:
            raise IndexError_(f"index file {path} is missing or corrupt "
                              f"(checksum differs from the manifest). Run: {rebuild_command(build.parent)}")


def _read_build(build: Path, manifest: dict) -> IndexData:
    import bm25s

    try:
        with open(build / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh if line.strip()]
        vectors = np.load(build / "vectors.npy", allow_pickle=False)
        index = _open_vector_store(build, manifest.get("vector_store") or {"kind": "faiss"})
        bm25 = bm25s.BM25.load(str(build / "bm25"))
    except IndexError_:
        raise
    except Exception as exc:  # any decoding failure means the same thing to the user
        raise IndexError_(f"index at {build} could not be read ({type(exc).__name__}: {exc}). "
                          f"Run: {rebuild_command(build.parent)}") from exc
    if not (len(chunks) == len(vectors) == index.ntotal == manifest.get("chunk_count")):
        raise IndexError_(f"index at {build} is inconsistent ({len(chunks)} chunks, {len(vectors)} vectors, "
                          f"{index.ntotal} in the vector store). Run: {rebuild_command(build.parent)}")
    return IndexData(manifest=manifest, chunks=chunks, vectors=vectors, faiss_index=index, bm25=bm25,
                     path=build)


def _open_vector_store(build: Path, vector_store: dict):
    if vector_store["kind"] == "milvus":
        from rag.index.milvus import MilvusIndex

        return MilvusIndex(vector_store["uri"], vector_store["collection"])
    import faiss

    return faiss.read_index(str(build / "index.faiss"))
