"""The content-gap report names weak modules: low pass rate, poor feedback, and whatever
other plugins report through ``lms_content_signals``."""
from __future__ import annotations

import re

from lms.clock import utcnow
from lms.extensions import db
from lms.hookspecs import hookimpl
from lms.plugins.needs.models import ModuleFeedback
from lms.plugins.quizzes.models import SUBMITTED, QuizAttempt
from tests.curriculum.conftest import module
from tests.curriculum.test_approval import signed_in


class OpenQuestions:
    """A stand-in discussion plugin: three open questions on the MARC module."""

    def __init__(self, module_id: int):
        self.module_id = module_id

    @hookimpl
    def lms_content_signals(self, module_ids):
        if self.module_id not in module_ids:
            return {}
        return {self.module_id: {"label": "open questions", "value": 3, "concern": True}}


def row(page: str, competency_id: str) -> str:
    return re.search(rf'<tr id="gap-{competency_id}">.*?</tr>', page, re.S).group(0)


def test_weak_modules_and_plugin_signals_are_flagged(app, evidence, trainer):
    marc, ddc = module("marc"), module("ddc")
    ani = evidence["ani"]
    # feedback means 2, 3, 1: overall 2.0, under the 3.0 line
    db.session.add(ModuleFeedback(user_id=ani.id, module_id=marc.id, module_version_id=marc.current_version_id,
                                  useful=2, clear=3, applicable=1))
    # one submitted DDC attempt, failed: pass rate 0 % of 1, under 60 %
    db.session.add(QuizAttempt(user_id=ani.id, module_id=ddc.id, module_version_id=ddc.current_version_id,
                               number=1, status=SUBMITTED, submitted_at=utcnow(), score=1.0, max_score=4.0,
                               percent=25.0, passed=False))
    db.session.commit()
    manager = app.extensions["lms.plugins"]
    plugin = OpenQuestions(marc.id)
    manager.register(plugin)
    try:
        page = signed_in(app, "tina").get("/curriculum/content-gaps").get_data(as_text=True)
    finally:
        manager.unregister(plugin)
    marc_row, ddc_row = row(page, "cat-marc"), row(page, "cat-classification")
    assert "feedback 2.0 (1)" in marc_row and "low feedback" in marc_row and "open questions 3" in marc_row
    assert "low pass rate" not in marc_row
    assert "pass rate 0 % of 1 attempts" in ddc_row and "low pass rate" in ddc_row
    assert "low feedback" not in ddc_row and "open questions" not in ddc_row
