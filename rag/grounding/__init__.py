"""Grounding: the checks that keep an answer to what the documents say.

Works on `Passage` (a retrieved chunk as the model sees it) and on the question and the answer:
what a question pins down (place, period, edition, measured thing) and whether a passage says
exactly that; whether each cited figure is in the cited passage; stated premises and names.
Hands on verdicts with the reason a user sees, never a rewritten fact.
"""
