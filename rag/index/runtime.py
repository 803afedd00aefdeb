"""Runtime: the embedder's transformer on OpenVINO in static int8, built once per machine.

`build()` exports the verified sentence-transformers folder's transformer to ONNX, reads it
into OpenVINO and quantizes it with NNCF (static int8 activations calibrated on a small text
set shipped with the package, SmoothQuant for the outlier channels, the transformer preset
that keeps softmax and norms in float). It runs at `rag models fetch` time and writes into the
models folder beside the weights, with a `recipe.json` that records what it was built from and
the hashes of the result.
Measured against the alternatives (README, "Speed"): ONNX Runtime dynamic int8 with the MLP's
down projection in float gave 3.9 chunks/s, all-int8 dynamic lost too much (cos 0.93 to fp32),
OpenVINO fp32 4.1 and bf16 5.6 chunks/s; this recipe ≈ 7 chunks/s at cos ≥ 0.99 to fp32.
`CompiledEmbedder` runs that graph; what the graph leaves out is cheap and exact in NumPy:
the token table (memory-mapped from the weights file, so only rows in use are resident),
mean pooling, the two bias-free, activation-free Dense layers folded into one 768×768
matrix, Matryoshka truncation and normalization.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from rag.errors import ModelError

RECIPE = "openvino-int8"
FORMAT = 1
GRAPH = "transformer.int8.xml"  # + transformer.int8.bin beside it
CALIBRATION = Path(__file__).with_name("calibration.jsonl")
TABLE = "embed_tokens.weight"


def folder_for(model_dir: Path) -> Path:
    return Path(model_dir).parent / f"{Path(model_dir).name}.{RECIPE}"


def _export(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager",
                                      dtype=torch.float32).eval()

    window = model.config.sliding_window

    class Body(torch.nn.Module):
        """inputs_embeds + padding mask → hidden states, with the attention masks built in plain ops.

        The library builds its masks with vmap, which the exporter cannot trace; EmbeddingGemma's
        attention is bidirectional, so its masks are just padding (and a ±window band for the
        sliding layers), given to the model ready-made, as `generate` does.
        """

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, inputs_embeds, attention_mask):
            keep = attention_mask[:, None, None, :].to(torch.bool)
            pos = torch.arange(inputs_embeds.shape[1])
            band = (pos[None, :] - pos[:, None]).abs() < window
            lowest = torch.finfo(inputs_embeds.dtype).min
            full = torch.zeros(keep.shape, dtype=inputs_embeds.dtype).masked_fill(~keep, lowest)
            sliding = (torch.zeros((keep & band).shape, dtype=inputs_embeds.dtype)
                       .masked_fill(~(keep & band), lowest))
            masks = {"full_attention": full, "sliding_attention": sliding}
            return self.model(inputs_embeds=inputs_embeds, attention_mask=masks,
                              use_cache=False).last_hidden_state

    # Padding in the example: a mask of all ones lets the library skip building the mask, and the
    # export would then bake "no padding" into the graph.
    embeds = torch.randn(2, 9, model.config.hidden_size)
    mask = torch.tensor([[1] * 9, [1] * 5 + [0] * 4], dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(Body(), (embeds, mask), str(out), input_names=["inputs_embeds", "attention_mask"],
                          output_names=["hidden"], dynamic_axes={"inputs_embeds": {0: "batch", 1: "tokens"},
                                                                 "attention_mask": {0: "batch", 1: "tokens"},
                                                                 "hidden": {0: "batch", 1: "tokens"}},
                          opset_version=17, dynamo=False)


def _calibration(model_dir: Path) -> list[dict]:
    """Graph inputs for the shipped calibration texts, each prompted as the embedder will prompt it."""
    embedder = CompiledEmbedder.__new__(CompiledEmbedder)
    embedder._prepare(model_dir, 512)
    rows = [json.loads(line) for line in CALIBRATION.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [embedder._inputs(embedder._ids([r["text"]], r["kind"])) for r in rows]


def _quantize(model_dir: Path, src: Path, dst: Path) -> None:
    import nncf
    import openvino as ov

    data = _calibration(model_dir)
    # SmoothQuant moves the activation outliers (the MLP's down projection) into the weights.
    advanced = nncf.AdvancedQuantizationParameters(
        smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=0.95))
    model = nncf.quantize(ov.Core().read_model(str(src)), nncf.Dataset(data),
                          model_type=nncf.ModelType.TRANSFORMER, subset_size=len(data),
                          advanced_parameters=advanced)
    ov.save_model(model, str(dst))


def build(model_dir: Path, source_sha256: str, say=print) -> Path:
    """Export + quantize into `folder_for(model_dir)` (atomic); returns that folder."""
    from rag.index.models import sha256_of

    target = folder_for(model_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(staging, 0o755)  # readable like the weights beside it
    try:
        say(f"embedder: building the OpenVINO int8 graph from {model_dir} (once per machine, ≈ 2–3 min)")
        _export(model_dir, staging / "transformer.onnx")
        _quantize(model_dir, staging / "transformer.onnx", staging / GRAPH)
        (staging / "transformer.onnx").unlink()
        recipe = {"format": FORMAT, "recipe": RECIPE, "source_sha256": source_sha256,
                  "graph_sha256": {f.name: sha256_of(f) for f in _graph_files(staging)},
                  "versions": _versions()}
        (staging / "recipe.json").write_text(json.dumps(recipe, indent=1), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _versions() -> dict:
    import importlib.metadata as md

    return {p: md.version(p) for p in ("torch", "transformers", "onnx", "openvino", "nncf")}


def _graph_files(folder: Path) -> list[Path]:
    return [folder / GRAPH, (folder / GRAPH).with_suffix(".bin")]


def check(model_dir: Path, source_sha256: str) -> Path:
    """The built folder, if it matches these weights and its graph is intact; else ModelError."""
    from rag.index.models import sha256_of

    folder = folder_for(model_dir)
    fix = "Run: rag models fetch --only embedder"
    try:
        recipe = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"embedder graph missing or unreadable in {folder} ({exc}). {fix}") from exc
    if recipe.get("format") != FORMAT or recipe.get("source_sha256") != source_sha256:
        raise ModelError(f"embedder graph in {folder} was built from other weights or by another version. "
                         f"{fix}")
    expected = recipe.get("graph_sha256") or {}
    for f in _graph_files(folder):
        if not f.is_file() or sha256_of(f) != expected.get(f.name):
            raise ModelError(f"embedder graph file {f} is missing or corrupt (SHA-256 mismatch). "
                             f"Delete {folder}. {fix}")
    return folder


def ensure(model_dir: Path, source_sha256: str, say=None) -> Path:
    """The verified graph folder; built now (once per machine) if it is missing or stale."""
    import sys

    try:
        return check(model_dir, source_sha256)
    except ModelError:
        return build(model_dir, source_sha256, say or (lambda m: print(m, file=sys.stderr, flush=True)))


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


class CompiledEmbedder:
    """EmbeddingGemma with its transformer compiled by OpenVINO (static int8); cos ≥ 0.99 to the fp32
    model."""

    def __init__(self, model_dir: Path, graph_dir: Path, *, dim: int = 768, max_tokens: int = 512,
                 threads: int = 2, id: str = "", batch_tokens: int = 4096):
        import threading

        import openvino as ov

        self._prepare(Path(model_dir), max_tokens)
        config = {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32",
                  "PERFORMANCE_HINT": "LATENCY"}
        self.compiled = ov.Core().compile_model(str(Path(graph_dir) / GRAPH), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.lock = threading.Lock()  # one infer request, shared by the app's threads
        self.dim, self.id, self.batch_tokens = dim, id, batch_tokens

    def _prepare(self, model_dir: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        self.prompts = json.loads((model_dir / "config_sentence_transformers.json")
                                  .read_text(encoding="utf-8")).get("prompts", {})
        self.table = _table(model_dir / "model.safetensors")
        self.scale = np.float32(self.table.shape[1] ** 0.5)  # Gemma scales token embeddings by √hidden
        self.dense = _dense(model_dir)

    def _ids(self, texts: list[str], kind: str) -> list[list[int]]:
        prompt = self.prompts.get(kind, "")
        return [e.ids for e in self.tokenizer.encode_batch([prompt + t for t in texts])]

    def _inputs(self, ids: list[list[int]]) -> dict:
        width = max(len(i) for i in ids)
        tokens = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            tokens[row, :len(seq)], mask[row, :len(seq)] = seq, 1
        return {"inputs_embeds": self.table[tokens] * self.scale, "attention_mask": mask}

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        inputs = self._inputs(ids)
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
        ids = self._ids(list(texts), kind)
        for group in self._batches(ids):
            vectors = self._run([ids[i] for i in group])[:, :self.dim]
            out[group] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out
