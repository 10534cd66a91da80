"""(placeholder - being written)"""
from __future__ import annotations


def seed(log) -> None:
    return None
