"""An attempt belongs to one module version: answers aimed at another version are refused."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.courses.models import Question
from lms.plugins.courses.services import import_courses
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import csrf_token
from tests.quizzes.conftest import module, start


@pytest.fixture
def learner(client_as, imported):
    return client_as("librarian")


def _question_id(version_id: int, qid: str) -> int:
    return db.session.scalar(select(Question.id).where(Question.module_version_id == version_id,
                                                       Question.qid == qid))


def test_answers_for_an_old_versions_questions_are_refused(learner, imported):
    old_version = module("marc").current_version_id
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text().replace("Ruas mana yang memuat judul?", "Ruas judul?"))
    assert import_courses([imported]).ok
    attempt_id = start(learner)  # on the new version
    assert db.session.get(QuizAttempt, attempt_id).module_version_id != old_version
    token = csrf_token(learner, f"/quiz/attempt/{attempt_id}")
    forged = {"csrf_token": token, f"q-{_question_id(old_version, 'marc-short')}": "RDA"}
    for action in ("save", "submit"):
        response = learner.post(f"/quiz/attempt/{attempt_id}/{action}", data=forged,
                                headers={"Accept": "application/json"})
        assert response.status_code == 400
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "in_progress"
    assert db.session.scalar(select(func.count(QuizAnswer.id))) == 0
