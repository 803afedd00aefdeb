"""Words that only make sense in one genre of document: Chinese government work reports and plans.

Everything else in `rag.zh` is the language's; these encode how such reports frame their figures
(a five-year horizon, the level of government speaking). A corpus of another genre simply never
contains them, so they cost nothing there.
"""

from __future__ import annotations

import re

# A report looks five years ahead (a plan) or back (a review) without naming the years.
AHEAD = re.compile(r"今后五年|未来五年|今后一个时期")
BEHIND = re.compile(r"过去五年|五年来|这五年|近五年")
# The government's own level as it names itself ("全市": the whole city, not one of its districts).
WHOLE_LEVEL = r"全市|全区|全县"
# A follow-up moving up to the city level ("全市层面呢？" after a question about a district).
CITY_LEVEL = re.compile(r"全市|市里|市级")
