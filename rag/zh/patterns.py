"""The patterns every stage reads Chinese report text with, each defined once.

Strings are regex fragments meant to be composed into a module's own pattern (so a year inside a
"2021年和2022年" pair is the same year everywhere); compiled patterns are used as they are.
"""

from __future__ import annotations

import re

from rag.zh.script import normalize

# A year as the documents write it in digits: 1900–2099 (a bare 4-digit figure outside that range is a count).
YEAR = r"(?:19|20)\d{2}"
# A five-year plan period: 十三五, 十四五 (the plans are named by their ordinal, 十一 to 十九).
PERIOD = r"十[一二三四五六七八九]五"
# A citation marker as shown to the user: [1], [12].
MARKER = re.compile(r"\[\d+\]")
# A citation marker as the model writes it: one or two digits, or the [n] it copies from the prompt.
CITATION = re.compile(r"\[(\d{1,2}|n|N)\]")


def without_markers(text: str) -> str:
    """The text with its [n] markers removed (their digits are not figures of the answer)."""
    return MARKER.sub("", text)


def bigrams(text: str) -> set[str]:
    """Character pairs: Chinese has no spaces, so overlapping pairs stand in for words in comparisons."""
    return {text[i:i + 2] for i in range(len(text) - 1)}


def folded_bigrams(text: str) -> set[str]:
    """Bigrams of the matching form (see `normalize`): a traditional and a simplified text pair alike."""
    return bigrams(normalize(text))
