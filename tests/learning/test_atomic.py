"""A fact and everything derived from it are written in one transaction (issue 22).

A worker killed between grading an attempt and writing what follows from the grade left a
graded attempt with no learning event and no completion, and nothing repaired it. Here a
plugin that fails at a chosen point of the chain stands in for the kill: whatever was
written before that point must disappear with the rest, and the learner can simply try
again.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.hookspecs import hookimpl
from lms.plugins.interop.models import LearningEvent
from lms.plugins.learning.models import Certificate, CourseCompletion, ModuleCompletion
from lms.plugins.learning.models import LessonView
from lms.plugins.quizzes.models import QuizAttempt
from tests.learning.conftest import lesson_slugs, lesson_url, module, read, submit_marc


class WorkerKilled(RuntimeError):
    """Stands in for the SIGKILL."""


def crash_in(app, hook_name: str, **placement):
    """Register a plugin whose ``hook_name`` implementation fails; return a function that
    takes it away again."""
    def fail(self, **_kwargs):
        raise WorkerKilled(hook_name)

    params = {"lms_quiz_submitted": "attempt", "lms_module_completed": "user_id, module",
              "lms_course_completed": "user_id, course, completion", "lms_lesson_viewed": "user, module, lesson"}
    namespace: dict = {}
    exec(f"def {hook_name}(self, {params[hook_name]}): fail(self)", {"fail": fail}, namespace)  # noqa: S102
    plugin = type("Crasher", (), {hook_name: hookimpl(**placement)(namespace[hook_name])})()
    manager = app.extensions["lms.plugins"]
    manager.register(plugin, name="crasher")
    return lambda: manager.unregister(name="crasher")


def count(model, **where) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def graded_without_event(user_id: int) -> list[int]:
    """Graded attempts that have no passed/failed learning event: must always be none."""
    db.session.expire_all()
    graded = db.session.scalars(select(QuizAttempt.id).where(QuizAttempt.user_id == user_id,
                                                             QuizAttempt.percent.is_not(None))).all()
    events = count(LearningEvent, user_id=user_id, object_type="assessment")
    return list(graded) if len(graded) != events else []


def test_a_failure_right_after_grading_leaves_no_graded_attempt_without_its_event(app, learner):
    read(learner, "marc")
    undo = crash_in(app, "lms_quiz_submitted", tryfirst=True)  # before the learning and interop plugins
    with pytest.raises(WorkerKilled):
        submit_marc(learner)
    assert graded_without_event(learner.user.id) == []
    assert count(QuizAttempt, user_id=learner.user.id, status="submitted") == 0  # the grade went with them
    assert count(ModuleCompletion, user_id=learner.user.id) == 0
    undo()
    submit_marc(learner)  # the learner submits again: graded, with everything that follows
    assert graded_without_event(learner.user.id) == []
    assert count(ModuleCompletion, user_id=learner.user.id) == 1
    assert count(LearningEvent, user_id=learner.user.id, verb="completed", object_type="module") == 1


def test_a_failure_after_the_completion_takes_the_completion_back_too(app, learner):
    read(learner, "marc")
    undo = crash_in(app, "lms_module_completed", tryfirst=True)  # before the interop plugin's event
    with pytest.raises(WorkerKilled):
        submit_marc(learner)
    assert count(ModuleCompletion, user_id=learner.user.id) == 0  # no completion without its event
    assert graded_without_event(learner.user.id) == []
    undo()
    submit_marc(learner)
    assert count(ModuleCompletion, user_id=learner.user.id) == 1
    assert count(LearningEvent, user_id=learner.user.id, verb="completed", object_type="module") == 1


def test_a_failure_after_the_course_completion_issues_no_half_certificate(app, learner):
    from tests.learning.conftest import graded_attempt

    read(learner, "marc")
    submit_marc(learner)
    read(learner, "ddc")
    undo = crash_in(app, "lms_course_completed", tryfirst=True)
    with pytest.raises(WorkerKilled):
        graded_attempt(app, learner.user.id, "ddc", 100.0)
    db.session.rollback()  # the helper ran in the test's own session: what a dead worker's would do
    assert count(CourseCompletion, user_id=learner.user.id) == 0
    assert count(Certificate, user_id=learner.user.id) == 0
    undo()
    graded_attempt(app, learner.user.id, "ddc", 100.0)
    assert count(CourseCompletion, user_id=learner.user.id) == 1
    assert count(Certificate, user_id=learner.user.id) == 1
    assert count(LearningEvent, user_id=learner.user.id, verb="completed", object_type="course") == 1


def test_a_failure_while_recording_a_view_keeps_neither_the_event_nor_the_view(app, learner):
    first = lesson_slugs("marc")[0]
    undo = crash_in(app, "lms_lesson_viewed", trylast=True)  # after the interop plugin's event
    with pytest.raises(WorkerKilled):
        learner.get(lesson_url("marc", first))
    assert count(LearningEvent, user_id=learner.user.id, verb="viewed") == 0
    assert count(LessonView, user_id=learner.user.id) == 0
    undo()
    read(learner, "marc", first)
    assert count(LearningEvent, user_id=learner.user.id, verb="viewed") == 1
    assert count(LessonView, user_id=learner.user.id, module_id=module("marc").id) == 1
