"""Demo evaluations (filled in below)."""
from __future__ import annotations


def seed(log) -> None:
    """Placeholder until the demo data lands."""
