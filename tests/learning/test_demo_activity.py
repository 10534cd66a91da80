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


def test_the_new_question_types_are_answered_and_some_essays_graded_by_budi(demo, app):  # noqa: F811
    from lms.plugins.grading import services as grading
    from lms.plugins.grading.models import EssayGrade

    answered = dict(db.session.execute(
        select(Question.type, func.max(QuizAnswer.credit))
        .join(QuizAnswer, QuizAnswer.question_id == Question.id)
        .where(QuizAnswer.response.is_not(None)).group_by(Question.type)).all())
    assert answered["marc"] == 1.0 and answered["classnumber"] == 1.0  # the demo writes right records too
    assert "essay" in answered
    budi = db.session.scalar(select(User).where(User.username == "budi"))
    grades = list(db.session.scalars(select(EssayGrade)))
    assert grades and {g.grader_id for g in grades} == {budi.id}
    assert grading.waiting_count(budi) > 0  # and the queue still has work
    for grade in grades:  # graded through the service: the attempt's score follows the grade
        answer = db.session.get(QuizAnswer, grade.answer_id)
        attempt = db.session.get(QuizAttempt, answer.attempt_id)
        assert answer.credit == grade.credit and attempt.percent is not None
    before = (count(QuizAttempt), count(QuizAnswer), count(EssayGrade), grading.waiting_count(budi))
    app.extensions["lms.plugins"].hook.lms_demo_seed(app=app, log=lambda _line: None)  # idempotent
    db.session.commit()
    assert (count(QuizAttempt), count(QuizAnswer), count(EssayGrade), grading.waiting_count(budi)) == before
