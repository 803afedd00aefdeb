"""Clauses and sentences: how Chinese text is cut into the units that are quoted, trimmed and compared."""

from __future__ import annotations

import re

# A sentence ends at 。！？； (full or half width) or a line break.
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
