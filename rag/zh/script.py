"""Script: simplified ↔ traditional conversion and the one matching form every check compares in.

Documents and questions come in either script and from PDFs whose fonts use radical or
compatibility forms; everything downstream compares text only after folding it here.
"""

from __future__ import annotations

import functools
import re
import unicodedata


@functools.lru_cache(maxsize=2)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def is_traditional(text: str) -> bool:
    """True when converting to simplified changes a noticeable share of the CJK characters."""
    cjk = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not cjk:
        return False
    changed = sum(a != b for a, b in zip(text, to_simplified(text)))
    return changed >= max(1, len(cjk) // 20)


# CJK Radicals Supplement forms that PDF fonts use for ordinary characters and that NFKC
# leaves alone (the Kangxi radicals U+2F00–2FD5 and compatibility ideographs it does fold).
_RADICALS = dict(zip("⺠⻅⻆⻈⻉⻋⻐⻓⻔⻙⻚⻛⻜⻠⻢⻥⻦⻧⻨⻩⻪⻬⻮⻰⻳⺟⺮⻊⻝",
                     "民见角讠贝车钅长门韦页风飞饣马鱼鸟卤麦黄黾齐齿龙龟母竹足食"))


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _RADICALS.items()}
    for code in [*range(0x2F00, 0x2FD6), *range(0xF900, 0xFB00), *range(0x2F800, 0x2FA20)]:
        folded = unicodedata.normalize("NFKC", chr(code))
        if folded != chr(code):
            table[code] = folded
    return table


def fold_compat(text: str) -> str:
    """⼯作 → 工作, 增⻓ → 增长: radical and compatibility forms become the ordinary ideographs."""
    return text.translate(_fold_table())


def normalize(text: str) -> str:
    """The matching form used by metrics and checks: NFKC, no whitespace, simplified."""
    return to_simplified(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))
