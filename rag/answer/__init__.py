"""Answering: question (+ history) → retrieval → prompt → streamed generation → checked Answer.

Retrieval fuses dense and BM25 candidates; follow-ups and multi-part questions are resolved
before it; the grounding checks run on what the model wrote. Hands on `Answer` and its events.
"""
