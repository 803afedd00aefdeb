"""Loading: encodings detected by library, bad files skipped with one reason each."""

from __future__ import annotations

import os

import pytest

from rag.ingest.loading import load_folder

TEXT = "南湖区2021年计划新增城镇就业1.2万人，城镇登记失业率控制在3%以内。" * 3


def test_gbk_big5_utf8_bom(tmp_path):
    (tmp_path / "gbk.txt").write_bytes(TEXT.encode("gbk"))
    (tmp_path / "big5.txt").write_bytes(("越城區國民經濟和社會發展規劃，"
                                         "地區生產總值突破1000億元。").encode("big5") * 3)
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    (tmp_path / "gb18030.md").write_bytes(("# 标题\n" + TEXT).encode("gb18030"))
    report = load_folder(tmp_path)
    texts = {d.id: d.text for d in report.documents}
    assert report.skipped == []
    assert "1.2万人" in texts["gbk.txt"] and "1.2万人" in texts["gb18030.md"]
    assert "1000億元" in texts["big5.txt"]
    assert texts["bom.txt"].startswith("南湖区")


def test_bad_files_skipped_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"   \n\n")
    (tmp_path / "binary.txt").write_bytes(os.urandom(4096) + b"\x00" * 100)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 nope")
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    report = load_folder(tmp_path)
    assert [d.id for d in report.documents] == ["good.txt"]
    reasons = dict((os.path.basename(p), r) for p, r in report.skipped)
    assert set(reasons) == {"empty.txt", "blank.txt", "binary.txt", "broken.pdf", "broken.docx"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file_skipped(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(TEXT, encoding="utf-8")
    path.chmod(0)
    assert [os.path.basename(p) for p, _ in load_folder(tmp_path).skipped] == ["secret.txt"]


def test_html_docx_pdf_and_symlink_loop(tmp_path):
    import docx

    (tmp_path / "page.html").write_text(f"<html><script>var x=1;</script><body><p>{TEXT}</p></body></html>",
                                        encoding="utf-8")
    d = docx.Document()
    d.add_paragraph(TEXT)
    d.save(tmp_path / "note.docx")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    report = load_folder(tmp_path)
    texts = {d.id: d.text for d in report.documents}
    assert set(texts) == {"page.html", "note.docx"}
    assert "var x" not in texts["page.html"] and "1.2万人" in texts["page.html"]
    assert "1.2万人" in texts["note.docx"]


def test_sidecar_metadata_overrides_title():
    from ..conftest import SEEDS

    docs = {d.id: d for d in load_folder(SEEDS).documents}
    assert docs["000_3c8385710f23eda0.txt"].title.startswith("越城区")
    assert docs["004_c92fa45cce4e1a13.txt"].place == "嘉兴市南湖区"
