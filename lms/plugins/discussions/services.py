"""(placeholder - being written)"""
from __future__ import annotations


def open_question_signals(module_ids):
    return {}
