"""Chinese text primitives, the lowest stage: script folding (simplified/traditional, radical forms),
word tokens, sentences and clauses, years, five-year periods, ordinals and codes, and place names.

Hands on plain functions and compiled patterns on strings; knows nothing of documents or answers.
"""
