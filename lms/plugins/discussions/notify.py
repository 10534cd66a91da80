"""(placeholder - being written)"""
from __future__ import annotations

MESSAGES: dict = {}


def thread_created(thread) -> None:
    """New thread: notify the followers of its board."""


def replied(post) -> None:
    """New reply: notify the thread's followers (not its author)."""


def answer_accepted(thread, post) -> None:
    """An answer was accepted: notify the asker and the answer's author."""
