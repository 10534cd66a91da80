"""The demo's learning activity is real data: graded by the real grader, completions backed
by lesson views and passing attempts, certificates for finished courses, ani untouched."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.models import Module, Question
from lms.plugins.learning.models import Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.learning.services import module_requirements_met
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt
from tests.needs.test_demo import demo  # noqa: F401 - the fixture: real courses + lms demo


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_attempts_are_graded_like_the_grader_would(demo):  # noqa: F811
    assert count(QuizAttempt) > 100
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)
                             .where(QuizAttempt.status != SUBMITTED)) == 0
    totals = db.session.execute(
        select(QuizAttempt.id, QuizAttempt.score, QuizAttempt.max_score,
               func.sum(QuizAnswer.credit * Question.points), func.sum(Question.points))
        .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
        .join(Question, Question.id == QuizAnswer.question_id)
        .group_by(QuizAttempt.id, QuizAttempt.score, QuizAttempt.max_score)).all()
    for _id, score, maximum, earned, points in totals:
        assert abs(score - earned) < 1e-3 and maximum == points  # the grader rounds to 4 places
    passed = db.session.scalar(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.passed.is_(True)))
    assert 0 < passed < count(QuizAttempt)  # some fail, and try again


def test_completions_meet_the_requirements_and_courses_have_certificates(demo):  # noqa: F811
    completions = list(db.session.scalars(select(ModuleCompletion)))
    assert len(completions) > 50
    for completion in completions:
        assert module_requirements_met(completion.user_id, db.session.get(Module, completion.module_id))
    assert count(CourseCompletion) == count(Certificate) >= 1
    ani = db.session.scalar(select(User).where(User.username == "ani"))
    for model in (LessonView, QuizAttempt, ModuleCompletion):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == ani.id)) == 0
