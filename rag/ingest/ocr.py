"""OCR: page images → text lines, with the PP-OCRv6 models that ship inside the rapidocr wheel.

The model files are checked against pinned SHA-256 sums (the ones rapidocr 3.10.0 publishes)
before first use and are never downloaded. Detection and recognition run on OpenVINO, which
the embedder already uses: measured ≈ 2× faster than onnxruntime on the 2-core machine (README).
The angle classifier stays off: scans of A4 pages are upright, and it costs time per line.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from rag.errors import ModelError
from rag.ingest.paging import Line

MODELS = {
    "det": ("PP-OCRv6_det_small.onnx", "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"),
    "rec": ("PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"),
    "cls": ("ch_ppocr_mobile_v2.0_cls_mobile.onnx",
            "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"),
}
DPI = 150  # A4 at 150 dpi: ≈ 1240×1754 px, enough for 10.5 pt Chinese text
MIN_SCORE = 0.5
OCR_HINT = "OCR is off: turn it on with `rag index --ocr on` or RAG_OCR=1"


def model_dir() -> Path:
    try:
        import rapidocr
    except ImportError as exc:
        raise ModelError("OCR needs the rapidocr package (pip install rapidocr==3.10.0); "
                         "or turn OCR off with --ocr off") from exc
    return Path(rapidocr.__file__).parent / "models"


def verified_models() -> dict[str, Path]:
    """Paths of the three bundled models, each checked against its pinned SHA-256."""
    paths = {}
    for role, (name, sha) in MODELS.items():
        path = model_dir() / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            raise ModelError(f"OCR model {path} is missing or fails its SHA-256 check; reinstall it with "
                             f"pip install --force-reinstall rapidocr==3.10.0")
        paths[role] = path
    return paths


@functools.lru_cache(maxsize=1)
def engine():
    from rapidocr import EngineType, RapidOCR

    paths = verified_models()
    params = {"Global.log_level": "error", "Global.use_cls": False,
              "Det.model_path": str(paths["det"]), "Rec.model_path": str(paths["rec"]),
              "Cls.model_path": str(paths["cls"]),
              "Det.engine_type": EngineType.OPENVINO, "Rec.engine_type": EngineType.OPENVINO,
              "Cls.engine_type": EngineType.OPENVINO}
    return RapidOCR(params=params)


def read_image(image, scale: float = 1.0) -> list[Line]:
    """Text lines in reading order; coordinates divided by `scale` (pixels per PDF point)."""
    result = engine()(image)
    if result.boxes is None or not len(result.boxes):
        return []
    lines = []
    for box, text, score in zip(result.boxes, result.txts, result.scores):
        if score < MIN_SCORE or not text.strip():
            continue
        xs, ys = [p[0] / scale for p in box], [p[1] / scale for p in box]
        lines.append(Line(text.strip(), min(xs), min(ys), max(xs), max(ys), max(ys) - min(ys)))
    return merge_rows(sorted(lines, key=lambda l: (l.y0, l.x0)))


def merge_rows(lines: list[Line]) -> list[Line]:
    """Boxes on one visual line (e.g. table cells, or a line the detector cut) become one line."""
    merged: list[Line] = []
    for line in lines:
        last = merged[-1] if merged else None
        if last and abs((line.y0 + line.y1) - (last.y0 + last.y1)) / 2 < 0.5 * min(line.size, last.size):
            sep = " " if line.x0 - last.x1 > line.size else ""
            left, right = (last, line) if line.x0 >= last.x0 else (line, last)
            merged[-1] = Line(left.text + sep + right.text, left.x0, min(last.y0, line.y0), right.x1,
                              max(last.y1, line.y1), max(last.size, line.size))
        else:
            merged.append(line)
    return merged


def image_array(path: Path):
    """An image file as an RGB array, or ValueError when it is not an image."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not a readable image ({exc})") from exc
