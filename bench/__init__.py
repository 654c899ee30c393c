"""Benchmarks: `python -m bench` (or `make bench`) prints their figures as tables."""
