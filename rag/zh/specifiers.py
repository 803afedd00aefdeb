"""Specifiers: the words that pick one member of a kind — a year (2021年), a five-year period, an edition or
ordinal (第五届, 第3颗), a model code (X3, 11号, B轮) or a measure (100米, 48小时).

A passage about the asked topic often names a sibling instead (第四届, 9号, 200米) and the small
model copies the sibling's figure. `sibling_gap` finds a cited sentence that names a sibling of
what the question asked and not the asked one. Nothing here knows a corpus.
"""

from __future__ import annotations

import re

from rag.zh.script import normalize
from rag.zh.patterns import PERIOD as _PERIOD, YEAR
from rag.zh.units import CODE_CLASS, CODE_SUFFIX, MEASURES, ORDINAL, alternation

_YEAR = re.compile(rf"(?<!\d)({YEAR})(?=年)")
PERIOD = re.compile(_PERIOD)
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0, "○": 0}
_CN_YEAR = re.compile(r"(?<![零〇○一二三四五六七八九十])([零〇○一二三四五六七八九]{4})(?=年)")
_COUNTER = alternation(ORDINAL)
_ORDINAL = re.compile(rf"第([零一二三四五六七八九十百两\d]+)({_COUNTER})|首({_COUNTER})")
# Model and product codes ("X3", "11号", "B轮", "PM2.5"): a passage about X2 does not answer a question
# about X3.
_CODE = re.compile(rf"(?<![A-Za-z\d])(?:[A-Za-z]+\d+[A-Za-z\d.]*|\d+[A-Za-z]+[A-Za-z\d]*|"
                   rf"[A-Za-z](?={CODE_CLASS})|\d+(?={CODE_SUFFIX}))")
_CODE_KIND = re.compile(rf"(?<![A-Za-z\d])(?:([A-Za-z]+)\d+[A-Za-z\d.]*|\d+([A-Za-z]+)[A-Za-z\d]*|"
                        rf"[A-Za-z]({CODE_CLASS})|\d+({CODE_SUFFIX}))")
# Physical measures and durations only: counts and money in a question are usually what it asks about.
_MEASURE = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)\s*({MEASURES})")
_NUM = re.compile(r"\d+(?:\.\d+)?")


def numbers(text: str) -> list[str]:
    return _NUM.findall(normalize(text))


def contains_number(text: str, number: str) -> bool:
    """Whole-number match: '8' is not found in '18' or '8.5', '7.5' is not found in '17.5'."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d|\.\d)", normalize(text)) is not None


def without_years(text: str) -> str:
    """`text` with its written-out years' digits removed, so they are not counted as figures."""
    return _YEAR.sub("", text)


def years(text: str) -> set[str]:
    """'2021年' or '二〇三五年' → {'2021'} / {'2035'}: the one definition of a written-out year."""
    text = normalize(text)
    spelled = {"".join(str(_CN_DIGITS[c]) for c in y) for y in _CN_YEAR.findall(text)}
    return set(_YEAR.findall(text)) | {y for y in spelled if y[:2] in ("19", "20")}


def chinese_number(text: str) -> int | None:
    """'二十一' → 21, '12' → 12, '两' → 2; None when it is not a small number."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in "十百":
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
        else:
            return None
    return total + digit


def chinese_numeral(n: int) -> str:
    """6 → '六', 12 → '十二', 21 → '二十一' (1–99), as documents write editions."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


def ordinals(text: str) -> dict[str, str]:
    """'第四届', '第4届', '首届' → {'4届': as written}; the counter is the kind."""
    out = {}
    for m in _ORDINAL.finditer(normalize(text)):
        if m.group(3):
            out.setdefault(f"1{m.group(3)}", m.group(0))
        elif (n := chinese_number(m.group(1))) is not None:
            out.setdefault(f"{n}{m.group(2)}", m.group(0))
    return out


def editions(text: str) -> set[str]:
    return set(ordinals(text))


def codes(text: str) -> set[str]:
    return {c.upper() for c in _CODE.findall(normalize(text))}


def _code_kinds(text: str) -> dict[str, str]:
    """'X3' → kind 'X', '11号' → kind '号': codes of one kind are siblings."""
    return {m.group(0).upper(): next(g for g in m.groups() if g).upper()
            for m in _CODE_KIND.finditer(normalize(text))}


def _measures(text: str) -> dict[str, str]:
    return {f"{float(n):g}{unit}": f"{n}{unit}" for n, unit in _MEASURE.findall(normalize(text))}


def _kinded(text: str) -> dict[str, tuple[str, str]]:
    """Every specifier in `text`: key → (kind, as written)."""
    found = {k: ("序" + re.sub(r"^\d+", "", k), w) for k, w in ordinals(text).items()}
    found |= {k: ("码" + kind, k) for k, kind in _code_kinds(text).items()}
    found |= {k: ("量" + re.sub(r"^[\d.]+", "", k), w) for k, w in _measures(text).items()}
    found |= {f"{y}年": ("年", f"{y}年") for y in years(text)}
    found |= {p: ("五年", f"“{p}”") for p in PERIOD.findall(normalize(text))}
    return found


def sibling_gap(question: str, sentence: str) -> str:
    """An asked specifier whose kind `sentence` names only through siblings ('' when none).

    "何沐阳100米自由泳的成绩" against "男子200米自由泳1分49秒21": 200米 is a sibling of 100米.
    """
    asked, said = _kinded(question), _kinded(sentence)
    for kind in dict.fromkeys(k for k, _ in asked.values()):
        mine = {key for key, (k, _) in asked.items() if k == kind}
        theirs = {key for key, (k, _) in said.items() if k == kind}
        if theirs and not mine & theirs:
            return next(w for key, (k, w) in asked.items() if k == kind)
    return ""


def doc_year(title: str) -> int | None:
    found = [int(y) for y in years(title)]
    return max(found) if found else None
