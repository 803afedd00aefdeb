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
    """EmbeddingGemma through sentence-transformers, with its own query/document prompts."""

    def __init__(self, path: Path, *, dim: int = 768, max_tokens: int = 512, threads: int = 2, sha256: str = "",
                 precision: str = "int8"):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True, truncate_dim=dim)
        self.model.max_seq_length = max_tokens
        if precision == "int8":
            _shrink(self.model[0])
            _drop_file_pages(Path(path).resolve())
        self.dim = dim
        self.id = make_id(Path(path).name, dim, sha256, precision)
        prompts = getattr(self.model, "prompts", {}) or {}
        self._prompt = {"query": "query" if "query" in prompts else None,
                        "document": "document" if "document" in prompts else None}

    def embed(self, texts: list[str], kind: str = "document") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), prompt_name=self._prompt.get(kind), batch_size=16,
                                    convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _shrink(transformer) -> None:
    """int8 weights for most linear layers, bf16 for the MLP's down projection.

    On 2 cores the fp32 model is compute-bound (≈ 4 chunks/s, ≈ 90 ms per query); int8 matrix
    products (VNNI) run ≈ 2× faster. The down projection sees outlier activations: int8 there
    pulls vectors to cos ≈ 0.92 of fp32, bf16 keeps ≈ 0.99 (same dev-set recall: README, "Speed").
    The 262k-row token table stays as loaded, mapped from the weights file (see `_drop_file_pages`).
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    warnings.filterwarnings("ignore", message=".*quantiz", category=UserWarning)  # torch's deprecation notices
    linears = {name: module for name, module in transformer.named_modules() if isinstance(module, torch.nn.Linear)}
    exact = {name for name in linears if name.endswith("down_proj")}
    for name in exact:
        _in_bf16(linears[name])
    quantize_dynamic(transformer, dict.fromkeys(set(linears) - exact, per_channel_dynamic_qconfig),
                     dtype=torch.qint8, inplace=True)


def _in_bf16(module) -> None:
    """Store and run `module` in bf16 while the rest of the model keeps float32 tensors."""
    import torch

    module.to(torch.bfloat16)
    module.register_forward_pre_hook(lambda _m, args: tuple(a.to(torch.bfloat16) if a.is_floating_point() else a
                                                            for a in args))
    module.register_forward_hook(lambda _m, _args, output: output.float())


def _drop_file_pages(folder: Path) -> None:
    """Let the kernel drop the pages of the mapped weights file that quantization read.

    The token table is still a view of that mapping and pages back in only the rows that are
    used; without this, the fp32 originals of the quantized layers stay resident (≈ 300 MB).
    Linux only; elsewhere the pages are reclaimed under memory pressure anyway.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        with open("/proc/self/maps", encoding="utf-8") as fh:
            spans = [line.split()[0] for line in fh if str(folder) in line and line.rstrip().endswith(".safetensors")]
        for span in spans:
            start, end = (int(x, 16) for x in span.split("-"))
            libc.madvise(start, end - start, 4)  # MADV_DONTNEED: clean file pages, refetched on use
        libc.malloc_trim(0)  # and hand freed heap blocks back
    except (OSError, AttributeError):
        pass


def make_id(name: str, dim: int, sha256: str, precision: str = "fp32") -> str:
    # The suffix names the recipe in `_shrink`: vectors from another recipe must not be mixed in.
    return f"{name}@{dim}:{sha256[:12]}" + ("" if precision == "fp32" else f"+{precision}-bf16down")


def configured_id(settings) -> str:
    """The id the configured embedder will have, known without loading it."""
    from .models import load_specs

    if settings.embedder_role == "hash":
        return HashEmbedder(settings.embed_dim).id

    spec = load_specs()[settings.embedder_role]
    return make_id(spec.file, settings.embed_dim, spec.sha256, settings.embed_precision)


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
    from .models import load_specs, resolve

    if settings.embedder_role == "hash":
        return HashEmbedder(settings.embed_dim)

    path = resolve(settings.embedder_role, settings.models_dir)
    sha = load_specs()[settings.embedder_role].sha256
    return SentenceTransformerEmbedder(path, dim=settings.embed_dim, max_tokens=settings.embed_max_tokens,
                                       threads=settings.n_threads, sha256=sha, precision=settings.embed_precision)
