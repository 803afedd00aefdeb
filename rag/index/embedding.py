"""Embedding: one method, `embed(texts, kind) -> ndarray` of L2-normalized float32 rows.

The real embedder is a sentence-transformers folder assembled by `rag models fetch`; tests use
`HashEmbedder`, a deterministic character-bigram embedder that needs no weights.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    id: str
    dim: int

    def embed(self, texts: list[str], kind: str = "document") -> np.ndarray: ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class SentenceTransformerEmbedder:
    """EmbeddingGemma through sentence-transformers in fp32 torch, with its own query/document prompts.

    The fallback (`RAG_EMBED_PRECISION=fp32`); the default runs the same weights on OpenVINO in the
    recipe measured fastest on this CPU (`rag.index.recipes`), 1.7–4× faster.
    """

    def __init__(self, path: Path, *, dim: int = 768, max_tokens: int = 512, threads: int = 2,
                 sha256: str = ""):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True, truncate_dim=dim)
        self.model.max_seq_length = max_tokens
        self.dim = dim
        self.id = make_id(Path(path).name, dim, sha256, "fp32")
        prompts = getattr(self.model, "prompts", {}) or {}
        self._prompt = {"query": "query" if "query" in prompts else None,
                        "document": "document" if "document" in prompts else None}

    def embed(self, texts: list[str], kind: str = "document") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), prompt_name=self._prompt.get(kind), batch_size=16,
                                    convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def make_id(name: str, dim: int, sha256: str, recipe: str = "fp32") -> str:
    # The suffix names the recipe (rag.index.recipes): vectors from another recipe must not be mixed in.
    from rag.index.recipes import FORMAT

    return f"{name}@{dim}:{sha256[:12]}" + ("" if recipe == "fp32" else f"+{recipe}.{FORMAT}")


def configured_id(settings) -> str:
    """The id the configured embedder will have, known without loading it; with the measured recipe, the
    one recorded for this CPU, or, if none is, the one chosen now by loading it (once per machine)."""
    from rag.index import recipes
    from rag.index.models import load_specs

    if settings.embedder_role == "hash":
        return HashEmbedder(settings.embed_dim).id

    spec = load_specs()[settings.embedder_role]
    recipe = settings.embed_precision
    if recipe == "auto":
        record = recipes.read(spec.target(settings.models_dir))
        if record.get("forced") or not recipes.holds(record, spec.sha256):
            return load_embedder(settings).id
        recipe = record["recipe"]
    elif recipe != "fp32":
        recipe = recipes.by_name(recipe).name  # an unknown name is refused here, before any index is read
    return make_id(spec.file, settings.embed_dim, spec.sha256, recipe)


class HashEmbedder:
    """Character unigrams and bigrams hashed into `dim` buckets: a fast, weight-free stand-in."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.id = f"hash-bigram@{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
        for gram in grams:
            if gram.strip():
                h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
                vec[h % self.dim] += 1.0 if (h >> 63) else -1.0
        return vec

    def embed(self, texts: list[str], kind: str = "document") -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalize(np.stack([self._vector(t) for t in texts]))


def load_embedder(settings) -> Embedder:
    """The configured embedder; role 'hash' is the weight-free stand-in (tests, smoke runs)."""
    from rag.index.models import load_specs, resolve

    if settings.embedder_role == "hash":
        return HashEmbedder(settings.embed_dim)

    path = resolve(settings.embedder_role, settings.models_dir)
    sha = load_specs()[settings.embedder_role].sha256
    if settings.embed_precision == "fp32":
        return SentenceTransformerEmbedder(path, dim=settings.embed_dim, max_tokens=settings.embed_max_tokens,
                                           threads=settings.n_threads, sha256=sha)
    from rag.index import graphs, recipes, runtime

    record = recipes.ensure(path, sha, settings.embed_precision, settings.n_threads)
    graph = graphs.xml_for(recipes.folder_for(path), record["graph"])
    return runtime.CompiledEmbedder(path, graph, hint=record["hint"], dim=settings.embed_dim,
                                    max_tokens=settings.embed_max_tokens, threads=settings.n_threads,
                                    id=make_id(Path(path).name, settings.embed_dim, sha, record["recipe"]))
