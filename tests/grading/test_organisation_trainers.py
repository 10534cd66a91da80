"""Trainers for some libraries only (issue 20): a trainer holding ``trainer`` for ``lib``
(organisation_roles) opens the grading queue and grades the essays of ``lib``'s learners,
never those of the library beside it; an install-wide trainer keeps today's rule."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import OrganisationRole
from lms.extensions import db
from lms.plugins.quizzes.models import QuizAnswer
from tests.conftest import OTHER_MARKER, login
from tests.grading.conftest import question, read_lessons, start, submit


def essay_answer_id(attempt_id: int) -> int:
    return db.session.scalar(select(QuizAnswer.id).where(
        QuizAnswer.attempt_id == attempt_id, QuizAnswer.question_id == question("praktik-deskripsi-rda").id))


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    client.user = user
    return client


@pytest.fixture
def essays(app, make_user, org, other_org, learner):
    """An essay waiting from a learner of each library: {"ours": answer id, "theirs": answer id}."""
    seb = signed_in(app, make_user("seb-ani", unit=other_org["branch"], full_name=f"Ani {OTHER_MARKER}"))
    found = {}
    for key, client in (("ours", learner), ("theirs", seb)):
        read_lessons(client)
        attempt_id = start(client)
        submit(client, attempt_id)
        found[key] = essay_answer_id(attempt_id)
    return found


def test_a_trainer_for_one_library_grades_only_its_learners(app, make_user, org, essays):
    tono = make_user("tono-lib", roles=("librarian",), unit=org["branch_a"], full_name="Tono Trainer")  # an author
    db.session.add(OrganisationRole(user_id=tono.id, organisation_id=org["library"].id, role="trainer"))
    db.session.commit()
    client = signed_in(app, tono)
    queue = client.get("/grading/")
    assert queue.status_code == 200
    page = queue.get_data(as_text=True)
    assert f"/grading/answer/{essays['ours']}" in page
    assert OTHER_MARKER not in page and f"/grading/answer/{essays['theirs']}" not in page
    assert client.get(f"/grading/answer/{essays['ours']}").status_code == 200
    assert client.get(f"/grading/answer/{essays['theirs']}").status_code == 404
    assert 'href="/grading/"' in page  # the Teach menu offers the queue


def test_an_install_wide_trainer_keeps_todays_rule(trainer, essays):
    page = trainer.get("/grading/").get_data(as_text=True)
    assert f"/grading/answer/{essays['ours']}" in page and f"/grading/answer/{essays['theirs']}" in page
