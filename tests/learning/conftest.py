"""Fixtures for the learning tests: the sample course imported, a learner, and helpers that
read lessons and take quizzes the way a learner does (or, for the DDC quiz, record a graded
attempt directly and announce it through the same hook)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.learning.models import Certificate, CourseCompletion, ModuleCompletion
from lms.plugins.quizzes import services as quiz_services
from lms.plugins.quizzes.models import SUBMITTED
from tests.conftest import csrf_token
from tests.quizzes.conftest import module, shown_value, start  # noqa: F401 - helpers the tests import from here

COURSE = "contoh"


@pytest.fixture
def learner(client_as, imported):
    """A signed-in librarian who reads Pembina in English (assertions stay true once the
    Indonesian catalog translates these pages)."""
    client = client_as("librarian")
    client.user.locale = "en"
    db.session.commit()
    return client


def lesson_slugs(module_slug: str) -> list[str]:
    return [lesson.slug for lesson in module(module_slug).current_version.lessons]


def lesson_url(module_slug: str, lesson_slug: str) -> str:
    return f"/courses/{COURSE}/{module_slug}/{lesson_slug}"


def read(client, module_slug: str, *lessons: str) -> None:
    """Open lessons (all of the module's when none are named), as a learner clicking through."""
    for slug in lessons or lesson_slugs(module_slug):
        response = client.get(lesson_url(module_slug, slug))
        assert response.status_code == 200, slug


def submit_marc(client, right: bool = True) -> int:
    """Take the MARC quiz through its pages: every answer right (100 %) or nothing answered (0 %)."""
    attempt_id = start(client, "marc")
    page = client.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}")}
    if not right:
        data["confirm_unanswered"] = "1"  # nothing answered: submit anyway
    if right:
        q = {question.qid: question for question in module("marc").current_version.questions}
        data.update({
            f"q-{q['marc-245'].id}": shown_value(page, q["marc-245"].id, "245"),
            f"q-{q['marc-multi'].id}": [shown_value(page, q["marc-multi"].id, "650"),
                                        shown_value(page, q["marc-multi"].id, "651")],
            f"q-{q['marc-tf'].id}": "true",
            f"q-{q['marc-short'].id}": "RDA",
        })
    response = client.post(f"/quiz/attempt/{attempt_id}/submit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return attempt_id


def graded_attempt(app, user_id: int, module_slug: str, percent: float):
    """Record a submitted attempt with ``percent`` and announce it with ``lms_quiz_submitted``,
    committing what the hooks wrote, as the quizzes plugin does after grading (used for the
    DDC quiz, whose matching and ordering widgets are not the subject of these tests)."""
    target = module(module_slug)
    attempt = quiz_services.start_attempt(user_id, target)
    attempt.status, attempt.submitted_at = SUBMITTED, utcnow()
    attempt.score, attempt.max_score, attempt.percent = percent / 100 * 3, 3.0, percent
    attempt.passed = percent >= target.current_version.pass_mark
    app.extensions["lms.plugins"].hook.lms_quiz_submitted(attempt=attempt)
    db.session.commit()
    return attempt


def complete_course(app, client) -> Certificate:
    """Read every lesson and pass both quizzes of the sample course; return the certificate."""
    read(client, "marc")
    submit_marc(client)
    read(client, "ddc")
    graded_attempt(app, client.user.id, "ddc", 100.0)
    return only_certificate(client.user.id)


def only_certificate(user_id: int) -> Certificate:
    db.session.expire_all()
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)).all()
    assert len(certificates) == 1, certificates
    return certificates[0]


def completed_modules(user_id: int) -> set[str]:
    db.session.expire_all()
    rows = db.session.scalars(select(ModuleCompletion).where(ModuleCompletion.user_id == user_id)).all()
    return {module_by_id(row.module_id) for row in rows}


def module_by_id(module_id: int) -> str:
    from lms.plugins.courses.models import Module

    return db.session.get(Module, module_id).slug


def course_completions(user_id: int) -> list[CourseCompletion]:
    db.session.expire_all()
    return list(db.session.scalars(select(CourseCompletion).where(CourseCompletion.user_id == user_id)))
