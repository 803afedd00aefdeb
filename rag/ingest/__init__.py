"""Ingestion: files in a folder → Documents → Chunks.

Reads text, HTML, Word, PDF (layout, tables, page numbers) and scans (OCR); strips page chrome
and spam; chunks by section with the original line and page spans. Hands on `Document` and `Chunk`.
"""
