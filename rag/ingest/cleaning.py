"""Cleaning: scraped page text → content lines, each with its original 1-based line number.

Removes page chrome (breadcrumbs, print/close, view counters, metadata tables, download and
disclaimer notices, footers), spam lines, pinyin glosses glued to characters (區(qū) → 區) and
spaces inside numbers (1000 億元 → 1000億元). Rules match on the simplified form of a line,
so traditional and simplified pages are cleaned alike. Display text keeps its own script;
`to_simplified` makes the search text.
"""

from __future__ import annotations

import re

from rag.zh.script import to_simplified
from rag.zh.patterns import YEAR

# Pinyin syllable with at least one tone mark, in ASCII or full-width parentheses, right after
# a non-space character. Real parentheses ("(2022年更新)", "(一)", "(R&D)") never match.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_GLOSS = re.compile(rf"(?<=\S)[(（]([a-zü]*[{_TONED}][a-zü{_TONED}]*)[)）]")

# Characters between which whitespace is a scraping artifact in Chinese text.
_J = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’·%‰/.,:;?!()0-9]"
_SPACE_IN_CJK = re.compile(rf"(?<={_J})[ \t\u00a0\u3000]+(?={_J})")

# Genre: web pages of Chinese government and news sites. What these sites print around an article
# (breadcrumbs, print/close and share buttons, view counters, the metadata table of an 信息公开 page,
# source lines, previous/next links) is never the article's content.
_CHROME_PATTERNS = [
    r"^(当前位置[:：]?)?首页\s*(>|$)", r"^>\s*[^>]+>", r"首页\s*>", r"^打印\s*关闭$",
    r"浏览次数", r"字体[:：]?\s*\[", r"^分享[:：]?$", r"查看余下全文",
    r"^[(（]?责任编辑[:：]", r"^精彩图片$", r"^信息来源[:：]", r"^收藏$", r"^详情$",
    r"发表于[:：]", r"下载附件", r"^温馨提示[:：]?$", r"^\d{4}[-年].{0,24}来源[:：]",
    r"^附件[:：]?$", r"^来源[:：]",
    r"^(索引号|发布机构|主题分类|有效性|发文字号|组配分类|"
    r"公开方式|公开时限|发文日期|发布单位|文号|公开分类)[:：|]", r"^•\s*\S+[:：]$",
    r"印\s*\|$", r"^(上一篇|下一篇|相关链接|扫一扫|返回顶部|关闭窗口)",
]
_CHROME = re.compile("|".join(f"(?:{p})" for p in _CHROME_PATTERNS))
# Genre: web pages. Copyright, disclaimer and contact footers; dropped only when the line is short, as an
# article's own sentence may mention 版权 or 侵权.
_DISCLAIMER = re.compile(r"侵权|不保证下载资源|信息存储空间|权益所有人|盈利用途|"
                         r"约稿|版权所有|ICP备|免责声明|联系我们")
# Genre: scraped web pages. Words of the adult and gambling spam that scrapers pick up from ads; a line with
# two of them (or one inside a table row) is spam, as a document's own sentence seldom has one and never two.
_SPAM = re.compile(r"色情|无码|毛片|黄片|三级片|人妻|操逼|福利视频|"
                   r"成人网|av成人|黄色|激情|裸聊|博彩|赌场|彩票网")
_DATE = re.compile(rf"({YEAR})\s*[-年/.]\s*(\d{{1,2}})\s*[-月/.]\s*(\d{{1,2}})")


def clean_inline(line: str) -> str:
    line = _PINYIN_GLOSS.sub("", line)
    # Two numbers side by side ("2024-02-23 15:41", table cells) stay apart.
    return _SPACE_IN_CJK.sub(lambda m: " " if _both_digits(m) else "", line.strip())


def _both_digits(match: re.Match) -> bool:
    text, start, end = match.string, match.start(), match.end()
    return text[start - 1].isdigit() and text[end].isdigit()


def is_spam(simplified: str) -> bool:
    hits = len(_SPAM.findall(simplified))
    return hits >= 2 or (hits >= 1 and simplified.count("|") >= 2)


def is_chrome(simplified: str) -> bool:
    squeezed = re.sub(r"\s+", "", simplified)
    if _CHROME.search(simplified) or _CHROME.search(squeezed):
        return True
    return bool(_DISCLAIMER.search(squeezed)) and len(squeezed) < 160


def _metadata_value(prev_simplified: str) -> bool:
    """The line after a bullet label such as '• 发布机构:' is that label's value."""
    return bool(re.match(r"^•\s*\S+[:：]$", prev_simplified))


def clean_lines(text: str) -> list[tuple[int, str]]:
    """Content lines as (original 1-based line number, cleaned text); chrome and spam dropped."""
    kept: list[tuple[int, str]] = []
    prev_label, seen_early = False, set()
    for no, raw in enumerate(text.splitlines(), 1):
        line = clean_inline(raw)
        if not line:
            continue
        simp = to_simplified(line)
        drop = prev_label or is_chrome(simp) or is_spam(simp)
        prev_label = _metadata_value(simp)
        # A page title repeated by the site template near the top carries nothing new.
        if not drop and no <= 20 and simp in seen_early:
            drop = True
        seen_early.add(simp)
        if not drop:
            kept.append((no, line))
    return kept


def find_date(text: str) -> str:
    """The first full date in the page (usually its publication date), as YYYY-MM-DD."""
    match = _DATE.search(text[:3000])
    if not match:
        return ""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"
