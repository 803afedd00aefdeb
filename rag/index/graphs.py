"""Graphs: the embedder's transformer as OpenVINO graphs, one file pair per kind, built from the weights.

- `fp32`: the transformer exported to ONNX and read into OpenVINO unchanged (the reference: cos 1.0000
  to the sentence-transformers model in torch).
- `fp16`: the same with its weights stored in fp16 and computed in fp32, or in bfloat16 with the bf16
  inference hint on CPUs that have bf16 instructions: ≈ 370 MB less resident than `fp32`, cos
  ≥ 0.99999 to it; faster than `fp32` on an AVX-512 CPU, slower with AVX2 only (measured).
- `w8`: the fp32 graph with its weights compressed to int8 (activations stay float): a quarter of the
  memory traffic, vectors within cos 0.999 of fp32.
- `int8`: static int8 weights and activations, calibrated on the small text set shipped with the
  package, SmoothQuant for the outlier channels, softmax and norms in float (NNCF's transformer preset).
  Fast where the CPU has int8 dot-product instructions (VNNI), further from fp32 (cos ≈ 0.97 at worst).

Which kind a machine runs is chosen by measurement (`rag.index.recipes`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

CALIBRATION = Path(__file__).with_name("calibration.jsonl")
# Held-out texts (chunks of the bundled and the general-domain corpora, and questions) to time the recipes
# and compare their vectors: static int8 is calibrated on CALIBRATION and looks closer to fp32 there
# (min cos 0.990) than on other texts (0.966).
FIDELITY = Path(__file__).with_name("fidelity.jsonl")
KINDS = ("fp32", "fp16", "w8", "int8")


def xml_for(folder: Path, kind: str) -> Path:
    return Path(folder) / f"transformer.{kind}.xml"


def files_of(folder: Path, kind: str) -> list[Path]:
    xml = xml_for(folder, kind)
    return [xml, xml.with_suffix(".bin")]


def texts(path: Path = CALIBRATION) -> list[dict]:
    """Shipped texts ({"kind": "document"|"query", "text"}): CALIBRATION or FIDELITY."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def export_onnx(model_dir: Path, out: Path) -> None:
    """inputs_embeds + padding mask → last hidden states, as ONNX (the token table stays outside)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager",
                                      dtype=torch.float32).eval()
    window = model.config.sliding_window

    class Body(torch.nn.Module):
        """The attention masks built in plain ops.

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
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(Body(), (embeds, mask), str(out), input_names=["inputs_embeds", "attention_mask"],
                          output_names=["hidden"], opset_version=17, dynamo=False,
                          dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "hidden": axes})


def build(kind: str, onnx: Path, folder: Path, calibration: Callable[[], list[dict]]) -> Path:
    """The graph of `kind` from the exported ONNX file, saved in `folder`; its xml path."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(onnx))
    if kind == "w8":
        model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    elif kind == "int8":
        data = calibration()
        # SmoothQuant moves the activation outliers (the MLP's down projection) into the weights.
        advanced = nncf.AdvancedQuantizationParameters(
            smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=0.95))
        model = nncf.quantize(model, nncf.Dataset(data), model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(data), advanced_parameters=advanced)
    ov.save_model(model, str(xml_for(folder, kind)), compress_to_fp16=kind == "fp16")
    return xml_for(folder, kind)


def versions() -> dict:
    import importlib.metadata as md

    return {p: md.version(p) for p in ("torch", "transformers", "onnx", "openvino", "nncf")}
