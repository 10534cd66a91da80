"""Demo needs data: one closed round with staff answers, supervisor ratings and patron responses."""
from __future__ import annotations


def seed(log) -> None:
    """Add the demo needs round once (idempotent)."""
