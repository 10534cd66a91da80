"""(placeholder - being written)"""
from __future__ import annotations


def follow_thread(user_id: int, thread_id: int) -> None:
    """Idempotent: follow a thread (authors and repliers follow automatically)."""
