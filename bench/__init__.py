"""Pembina's load test (``make bench``); see bench/run.py and docs/performance.md."""
