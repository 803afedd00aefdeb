"""Evaluation: gold sets through the pipeline (metrics as DESIGN.md defines them), speed
benchmarks, scaling runs and the page check of PDF citations. Hands on reports and JSON figures.
"""
