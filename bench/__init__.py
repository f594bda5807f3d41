"""Benchmarks: `python -m bench.quality` and `python -m bench.speed` (or `make bench`)."""
