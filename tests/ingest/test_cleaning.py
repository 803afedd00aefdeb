"""Cleaning and chunking on the real seeds: no chrome, no spam, no pinyin glosses, honest line spans."""

from __future__ import annotations

import re

import pytest

from rag.ingest.chunking import chunk_document
from rag.ingest.cleaning import clean_inline, clean_lines
from rag.zh.script import is_traditional, to_simplified
from rag.ingest.loading import load_folder

from ..conftest import SEEDS

CHROME = ["首页", "打印", "关闭", "浏览次数", "字体", "分享:", "查看余下全文",
          "责任编辑", "下载附件", "侵权", "信息来源", "精彩图片", "温馨提示",
          "索引号", "发布机构", "大牛", "发表于", "来源:"]
SPAM = ["色情", "无码", "毛片", "三级片", "操逼", "人妻", "福利视频"]
GLOSS = re.compile(r"[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")


@pytest.fixture(scope="module")
def seed_chunks():
    docs = load_folder(SEEDS).documents
    return docs, [c for d in docs for c in chunk_document(d, 300, 60)]


def test_all_seeds_load(seed_chunks):
    docs, chunks = seed_chunks
    assert len(docs) == 5 and len(chunks) > 100


@pytest.mark.parametrize("word", CHROME + SPAM)
def test_no_chrome_or_spam_in_search_text(seed_chunks, word):
    _, chunks = seed_chunks
    offenders = [c.id for c in chunks if word in c.search_text]
    assert offenders == [], f"{word!r} left in {offenders[:3]}"


def test_no_pinyin_gloss_left(seed_chunks):
    _, chunks = seed_chunks
    assert not [c.id for c in chunks if GLOSS.search(c.search_text) or GLOSS.search(c.text)]


def test_real_parentheses_survive():
    assert (clean_inline("越城區(qū)規(guī)劃(2022年更新)(一)")
            == "越城區規劃(2022年更新)(一)")
    assert clean_inline("研发(R&D)经费") == "研发(R&D)经费"


def test_numbers_joined():
    assert clean_inline("突破 1000 億元") == "突破1000億元"
    assert clean_inline("增長 9.1 %") == "增長9.1%"
    assert (clean_inline("PM2.5 濃度不高于 28 微克 / 立方米")
            == "PM2.5濃度不高于28微克/立方米")
    assert clean_inline("2024-02-23 15:41") == "2024-02-23 15:41"  # two numbers stay apart


def test_traditional_file_search_text_is_simplified(seed_chunks):
    _, chunks = seed_chunks
    trad = [c for c in chunks if c.doc_id.startswith("003")]
    assert trad and all(is_traditional(c.text) for c in trad[5:10])
    assert all(c.search_text == to_simplified(c.text) for c in trad)
    assert not any(is_traditional(c.search_text) for c in trad)
    assert any("1000亿元" in c.search_text for c in trad)


def test_line_spans_point_at_the_text(seed_chunks):
    docs, chunks = seed_chunks
    lines = {d.id: d.text.splitlines() for d in docs}
    for c in chunks:
        span = [clean_inline(x) for x in lines[c.doc_id][c.start_line - 1:c.end_line]]
        # Every line of the chunk stands in the span (removed chrome lines may sit between them),
        # and the span's first and last lines are the chunk's.
        pieces = c.text.split("\n")
        assert all(any(p in line for line in span) for p in pieces), c.id
        assert pieces[0] in span[0] and pieces[-1] in span[-1], c.id


def test_no_number_split_across_chunks(seed_chunks):
    _, chunks = seed_chunks
    for a, b in zip(chunks, chunks[1:]):
        if a.doc_id == b.doc_id and a.end_line == b.start_line:
            assert not (re.search(r"[\d.]$", a.text) and re.match(r"^[\d.%]", b.text)), (
                a.id, a.text[-10:], b.text[:10])


def test_quoted_names_not_split():
    from rag.ingest.chunking import make_splitter

    text = "前文。" + ("重点推进“亚运出彩，经济出新，"
                     "项目出效，风险出清”四项任务") * 3
    for piece in make_splitter(40, 0).split_text(text):
        assert piece.count("“") == piece.count("”"), piece


def test_sections_and_titles(seed_chunks):
    _, chunks = seed_chunks
    yuecheng = [c for c in chunks if c.doc_id.startswith("000")]
    assert all("越城区" in c.title for c in yuecheng)  # from the sidecar metadata, not the bare page title
    assert any(c.section.startswith("(一)强化数字赋能") for c in yuecheng)
    nested = [c.section for c in chunks if c.section.count(" > ") >= 1]
    assert nested, "no nested section paths were found"
    assert all(c.embed_text().startswith(to_simplified(c.place)) for c in chunks)


def test_spam_line_removed_and_content_kept():
    text = (SEEDS / "003_659c50d5577ab935.txt").read_text(encoding="utf-8")
    kept = clean_lines(text)
    assert kept[0][0] > 1  # line 1 is the spam line
    assert any("十四五" in t for _, t in kept[:3])
