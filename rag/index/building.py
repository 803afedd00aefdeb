"""Indexing: documents folder → a new index build, incrementally and atomically.

Vectors are reused for every chunk whose embedded text is unchanged since the last build
(same embedder), so only new or edited files cost embedding time; renamed files cost none.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.index import store
from rag.ingest.chunking import SEPARATORS, Chunk, chunk_document
from rag.ingest.tables import TABLE_CHUNK_CHARS
from rag.ingest.cleaning import find_date
from rag.errors import IndexError_
from rag.ingest.loading import load_folder


@dataclass
class BuildReport:
    files: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    index_dir: str = ""
    ocr_pages: int = 0
    ocr_seconds: float = 0.0

    def summary(self) -> str:
        state = ("up to date, nothing rebuilt" if self.up_to_date
                 else f"{self.embedded} chunks embedded, {self.reused} reused")
        lines = [f"index {self.index_dir}: {self.files} files, {self.chunks} chunks ({state}), "
                 f"{self.seconds:.1f} s"]
        if self.ocr_pages:
            lines.append(f"  OCR: {self.ocr_pages} pages in {self.ocr_seconds:.1f} s "
                         f"({self.ocr_pages / max(self.ocr_seconds, 1e-9):.2f} pages/s)")
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        return "\n".join(lines)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def nothing_indexable(folder, skipped) -> str:
    reasons = "".join(f"\n  {path}: {reason}" for path, reason in skipped[:20])
    return (f"nothing indexable in {folder}: no file gave any text; the previous index (if any) is untouched."
            f"{reasons or ' (no .txt/.md/.html/.docx/.pdf/.png/.jpg files found)'}")


def chunker_settings(settings) -> dict:
    return {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "clean": settings.clean_text,
            "splitter": "RecursiveCharacterTextSplitter",
            "separators": SEPARATORS, "embed_text": "place+title / section / search_text",
            "reader": "pymupdf paragraphs+pages, tables by rows",
            "table_chunk_chars": TABLE_CHUNK_CHARS, "ocr": settings.ocr}


def _previous_vectors(index_dir: Path, embedder_id: str) -> dict[str, np.ndarray]:
    """embed-text key → vector from the current build, when it was made by the same embedder."""
    try:
        old = store.load(index_dir, embedder_id)
    except IndexError_:
        return {}
    return {_key(c.embed_text()): v for c, v in zip(old.chunks, old.vectors)}


def _cache_file(settings, embedder_id: str) -> Path:
    """Per-machine vectors cache beside the models, so a fresh clone does not re-embed the same text."""
    safe = embedder_id.replace("/", "_").replace(":", "_").replace("@", "_")
    return Path(settings.models_dir).parent / "embeddings" / f"{safe}.npz"


def _load_cache(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError):
        return {}  # a missing or damaged cache only costs time


def _save_cache(path: Path, known: dict[str, np.ndarray]) -> None:
    if not known or Path(path).parent == Path("."):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, keys=np.array(list(known), dtype="U40"),
             vectors=np.stack(list(known.values())).astype(np.float32))
    os.replace(tmp, path)


def _embed_missing(chunks: list[Chunk], known: dict[str, np.ndarray], embedder,
                   batch: int) -> tuple[np.ndarray, int]:
    from tqdm import tqdm

    texts = {(_key(c.embed_text())): c.embed_text() for c in chunks}
    todo = [k for k in texts if k not in known]
    with tqdm(total=len(todo), unit="chunk", desc="embedding", file=sys.stderr, disable=not todo) as bar:
        for i in range(0, len(todo), batch):
            keys = todo[i:i + batch]
            for k, vec in zip(keys, embedder().embed([texts[k] for k in keys], kind="document")):
                known[k] = vec
            bar.update(len(keys))
    dim = len(next(iter(known.values()))) if known else 0
    vectors = (np.stack([known[_key(c.embed_text())] for c in chunks]) if chunks
               else np.zeros((0, dim), np.float32))
    return vectors.astype(np.float32), len(todo)


def _manifest(settings, embedder_id: str, docs, counts: dict, skipped) -> dict:
    return {"embedder": {"id": embedder_id, "dim": settings.embed_dim, "role": settings.embedder_role},
            "chunker": chunker_settings(settings), "index_kind": settings.index_kind,
            "settings": settings.to_dict(),
            "documents": {d.id: {"sha256": d.sha256, "title": d.title, "place": d.place, "date": d.date,
                                 "chunks": counts.get(d.id, 0)} for d in docs},
            "skipped": [{"path": p, "reason": r} for p, r in skipped],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _unchanged(old: dict | None, settings, embedder_id: str, docs) -> bool:
    if not old or old.get("format_version") != store.FORMAT_VERSION:
        return False
    # Sidecar metadata (title, place, date) is part of what gets embedded, so it counts as content.
    fields = ("sha256", "title", "place", "date")
    same_docs = ({k: tuple(v.get(f) for f in fields) for k, v in old.get("documents", {}).items()}
                 == {d.id: tuple(getattr(d, f) for f in fields) for d in docs})
    return (same_docs and old.get("embedder", {}).get("id") == embedder_id
            and old.get("chunker") == chunker_settings(settings)
            and old.get("index_kind") == settings.index_kind
            and _where(old.get("vector_store") or {"kind": "faiss"}) == _where(_vector_store(settings)))


def _vector_store(settings) -> dict:
    """Where the configured build puts its dense vectors (recorded in the manifest by the store)."""
    return {"kind": "milvus", "uri": settings.milvus_uri} if settings.store == "milvus" else {"kind": "faiss"}


def _where(vector_store: dict) -> tuple:
    return vector_store["kind"], vector_store.get("uri", "")


def _lazy(factory):
    box = []

    def get():
        if not box:
            box.append(factory())
        return box[0]
    return get


def build_index(settings, *, rebuild: bool = False, embedder=None) -> BuildReport:
    """Build or update `settings.index_dir` from `settings.docs_dir`. `embedder` is injected by tests."""
    from rag.index.embedding import configured_id, load_embedder

    started, index_dir = time.perf_counter(), Path(settings.index_dir)
    if not Path(settings.docs_dir).is_dir():
        raise IndexError_(f"documents folder {settings.docs_dir} does not exist; pass --docs DIR")
    loaded = load_folder(Path(settings.docs_dir), ocr=settings.ocr)
    docs = loaded.documents
    if not docs:
        raise IndexError_(nothing_indexable(settings.docs_dir, loaded.skipped))
    for d in docs:
        d.date = d.date or find_date(d.text)
    embedder_id = embedder.id if embedder is not None else configured_id(settings)
    report = BuildReport(files=len(docs), skipped=loaded.skipped, index_dir=str(index_dir),
                         ocr_pages=loaded.ocr_pages, ocr_seconds=loaded.ocr_seconds)
    if not rebuild and _unchanged(store.read_manifest(index_dir), settings, embedder_id, docs):
        report.chunks, report.up_to_date = store.read_manifest(index_dir)["chunk_count"], True
        report.seconds = time.perf_counter() - started
        return report
    chunks = [c for d in docs
              for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap, settings.clean_text)]
    # Only a real embedder is worth caching (loaded here or shared by the caller); the hash one is instant.
    cache = _cache_file(settings, embedder_id) if not embedder_id.startswith("hash-") else None
    cached = _load_cache(cache) if cache else {}
    known = {} if rebuild else {**cached, **_previous_vectors(index_dir, embedder_id)}
    get = (lambda: embedder) if embedder is not None else _lazy(lambda: load_embedder(settings))
    vectors, report.embedded = _embed_missing(chunks, known, get, settings.embed_batch)
    report.chunks, report.reused = len(chunks), len(chunks) - report.embedded
    if cache and report.embedded:
        _save_cache(cache, {**cached, **known})  # a --rebuild keeps other corpora's cached vectors
    counts = {}
    for c in chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    build = store.new_build_dir(index_dir)
    try:
        store.write_build(build, _manifest(settings, embedder_id, docs, counts, loaded.skipped), chunks,
                          vectors, settings.index_kind, vector_store=_vector_store(settings))
    except OSError as exc:
        shutil.rmtree(build, ignore_errors=True)
        raise IndexError_(f"could not write the new index ({exc.strerror or exc}); "
                          f"the previous index is untouched. "
                          f"Free some disk space, then run: rag index") from exc
    store.publish(index_dir, build)
    report.seconds = time.perf_counter() - started
    return report
