"""MARC plugin hooks: the one question type it adds (``type: marc``)."""
from __future__ import annotations

from lms.hookspecs import hookimpl


@hookimpl
def lms_question_types():
    from lms.plugins.marc.question import MarcRecord

    return [MarcRecord]
