"""Runtime: the embedder's transformer as an OpenVINO graph; the rest of the model in NumPy.

What the graph leaves out is cheap and exact in NumPy: the token table (memory-mapped from the
weights file, so only rows in use are resident), mean pooling, the two bias-free, activation-free
Dense layers folded into one 768×768 matrix, Matryoshka truncation and normalization. Which graph and
precision run is this machine's recipe (`rag.index.recipes`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from rag.errors import ModelError

TABLE = "embed_tokens.weight"


def _table(weights: Path) -> np.ndarray:
    """The token table as a read-only memory map of the safetensors file: no copy in RAM."""
    with open(weights, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(size))
    entry = next(v for k, v in header.items() if k.endswith(TABLE))
    if entry["dtype"] != "F32":
        raise ModelError(f"unexpected dtype {entry['dtype']} for the token table in {weights}")
    start, end = entry["data_offsets"]
    rows, dim = entry["shape"]
    return np.memmap(weights, dtype=np.float32, mode="r", offset=8 + size + start, shape=(rows, dim))


def _dense(model_dir: Path) -> np.ndarray:
    """The 768→3072→768 Dense pair (no bias, identity activation) as one matrix."""
    from safetensors.numpy import load_file

    mats = []
    for sub in ("2_Dense", "3_Dense"):
        config = json.loads((model_dir / sub / "config.json").read_text(encoding="utf-8"))
        if config.get("bias") or not config.get("activation_function", "").endswith("Identity"):
            raise ModelError(f"{model_dir / sub}: only bias-free, activation-free Dense layers can be folded")
        mats.append(next(iter(load_file(str(model_dir / sub / "model.safetensors")).values()))
                    .astype(np.float64))
    return (mats[1] @ mats[0]).T.astype(np.float32)


class Tokens:
    """Texts → the graph's inputs: prompted, tokenized, looked up in the token table and scaled."""

    def __init__(self, model_dir: Path, max_tokens: int):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        self.prompts = json.loads((model_dir / "config_sentence_transformers.json")
                                  .read_text(encoding="utf-8")).get("prompts", {})
        self.table = _table(model_dir / "model.safetensors")
        self.scale = np.float32(self.table.shape[1] ** 0.5)  # Gemma scales token embeddings by √hidden

    def ids(self, texts: list[str], kind: str) -> list[list[int]]:
        prompt = self.prompts.get(kind, "")
        return [e.ids for e in self.tokenizer.encode_batch([prompt + t for t in texts])]

    def inputs(self, ids: list[list[int]]) -> dict:
        width = max(len(i) for i in ids)
        tokens = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            tokens[row, :len(seq)], mask[row, :len(seq)] = seq, 1
        return {"inputs_embeds": self.table[tokens] * self.scale, "attention_mask": mask}


def openvino_config(threads: int, hint: str) -> dict:
    config = {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint,
              "PERFORMANCE_HINT": "LATENCY"}
    # Under a capped ISA (estimating another CPU) OpenVINO's fused-attention code generator still sees the
    # real CPU and asks oneDNN for kernels the cap withholds; without it the graph runs on the capped set.
    if os.environ.get("ONEDNN_MAX_CPU_ISA"):
        config["SNIPPETS_MODE"] = "DISABLE"
    return config


class CompiledEmbedder:
    """EmbeddingGemma with its transformer compiled by OpenVINO, in this machine's recipe."""

    def __init__(self, model_dir: Path, graph: Path, *, hint: str = "f32", dim: int = 768,
                 max_tokens: int = 512, threads: int = 2, id: str = "", batch_tokens: int = 4096):
        import threading

        import openvino as ov

        self.tokens = Tokens(Path(model_dir), max_tokens)
        self.dense = _dense(Path(model_dir))
        self.compiled = ov.Core().compile_model(str(graph), "CPU", openvino_config(threads, hint))
        self.request = self.compiled.create_infer_request()
        self.lock = threading.Lock()  # one infer request, shared by the app's threads
        self.dim, self.id, self.batch_tokens = dim, id, batch_tokens

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        inputs = self.tokens.inputs(ids)
        with self.lock:
            hidden = self.request.infer(inputs)[0]
        mask = inputs["attention_mask"]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled @ self.dense

    def _batches(self, ids: list[list[int]]):
        """Index groups of similar length (little padding), each within the token budget."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        group: list[int] = []
        for i in order:
            if group and (len(group) + 1) * len(ids[i]) > self.batch_tokens:
                yield group
                group = []
            group.append(i)
        if group:
            yield group

    def embed(self, texts: list[str], kind: str = "document") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokens.ids(list(texts), kind)
        for group in self._batches(ids):
            vectors = self._run([ids[i] for i in group])[:, :self.dim]
            out[group] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out
