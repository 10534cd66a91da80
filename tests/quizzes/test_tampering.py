"""Bad input and tampering: each is refused with a clear message and changes nothing else."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import csrf_token
from tests.quizzes.conftest import module, shown_value, start


@pytest.fixture
def learner(client_as, imported):
    return client_as("librarian")


def _qid(qid: str, module_slug="marc") -> int:
    return next(q.id for q in module(module_slug).current_version.questions if q.qid == qid)


def _save(client, attempt_id, data):
    data = {"csrf_token": csrf_token(client, "/"), **data}
    return client.post(f"/quiz/attempt/{attempt_id}/save", data=data, headers={"Accept": "application/json"})


def _answers() -> int:
    return db.session.scalar(select(func.count(QuizAnswer.id)))


@pytest.mark.parametrize("value", ["7", "-1", "abc", "99999999999999999999"])
def test_unknown_option_ids_are_refused(learner, value):
    attempt_id = start(learner)
    response = _save(learner, attempt_id, {f"q-{_qid('marc-245')}": value})
    assert response.status_code == 200
    assert list(response.get_json()["errors"]) == [str(_qid("marc-245"))]
    assert _answers() == 0


def test_two_choices_for_a_single_choice_question_are_refused(learner):
    attempt_id = start(learner)
    response = _save(learner, attempt_id, {f"q-{_qid('marc-245')}": ["0", "1"]})
    assert response.get_json()["errors"] and _answers() == 0


def test_answers_to_questions_not_in_this_attempt_are_refused(learner):
    attempt_id = start(learner)
    other_module_question = _qid("ddc-num", "ddc")
    for field in (f"q-{other_module_question}", "q-999999", "q-abc", "q-" + "9" * 5000, "q-\u0663"):
        response = _save(learner, attempt_id, {field: "1", f"q-{_qid('marc-short')}": "RDA"})
        assert response.status_code == 400
        assert response.get_json()["error"]
    assert _answers() == 0  # the valid answer in the same forged form is not saved either


@pytest.mark.parametrize("value", ["sembilan ratus", "nan", "NaN", "inf", "-inf", "1e400", "9" * 50, "1e13"])
def test_numeric_answers_must_be_sane_numbers(learner, value):
    attempt_id = start(learner, "ddc")
    response = _save(learner, attempt_id, {f"q-{_qid('ddc-num', 'ddc')}": value})
    assert response.get_json()["errors"], value
    assert _answers() == 0


def test_a_decimal_comma_is_a_number(learner):
    attempt_id = start(learner, "ddc")
    response = _save(learner, attempt_id, {f"q-{_qid('ddc-num', 'ddc')}": "900,0"})
    assert response.get_json() == {"saved": 1, "closed": False, "errors": {}}


def test_overlong_text_is_refused(learner):
    attempt_id = start(learner)
    response = _save(learner, attempt_id, {f"q-{_qid('marc-short')}": "x" * 501})
    assert response.get_json()["errors"] and _answers() == 0


def test_ordering_positions_must_be_a_permutation(learner):
    attempt_id = start(learner, "ddc")
    qid = _qid("ddc-order", "ddc")
    response = _save(learner, attempt_id, {f"q-{qid}-0": "1", f"q-{qid}-1": "1", f"q-{qid}-2": "2"})
    assert response.get_json()["errors"]
    response = _save(learner, attempt_id, {f"q-{qid}-0": "9", f"q-{qid}-1": "1", f"q-{qid}-2": "2"})
    assert response.get_json()["errors"] and _answers() == 0


def test_another_users_attempt_is_invisible(learner, client_as):
    from lms.auth.models import User
    from tests.conftest import login

    attempt_id = start(learner)

    other = User(username="other", full_name="Other")
    other.set_roles(["librarian"])
    other.set_password("correct-horse-battery")
    db.session.add(other)
    db.session.commit()
    intruder = learner.application.test_client()
    login(intruder, "other")
    assert intruder.get(f"/quiz/attempt/{attempt_id}").status_code == 404
    assert intruder.get(f"/quiz/attempt/{attempt_id}/review").status_code == 404
    token = csrf_token(intruder, "/")
    for action in ("save", "submit"):
        response = intruder.post(f"/quiz/attempt/{attempt_id}/{action}",
                                 data={"csrf_token": token, f"q-{_qid('marc-short')}": "RDA"})
        assert response.status_code == 404
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "in_progress" and _answers() == 0


def test_time_limit_is_enforced_on_the_server(learner):
    attempt_id = start(learner)
    _save(learner, attempt_id, {f"q-{_qid('marc-short')}": "RDA"})  # saved in time
    attempt = db.session.get(QuizAttempt, attempt_id)
    attempt.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    late = {f"q-{_qid('marc-tf')}": "true", f"q-{_qid('marc-short')}": "wrong now"}
    response = _save(learner, attempt_id, late)
    assert response.status_code == 409 and response.get_json()["closed"] is True
    token = csrf_token(learner, "/")
    response = learner.post(f"/quiz/attempt/{attempt_id}/submit", data={"csrf_token": token, **late})
    assert response.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "submitted"
    assert attempt.score == 1.0  # only the short answer saved in time counts; the late ones do not


def test_attempts_allowed_are_enforced(learner):
    for _ in range(3):  # ddc allows 3 attempts
        attempt_id = start(learner, "ddc")
        token = csrf_token(learner, f"/quiz/attempt/{attempt_id}")
        learner.post(f"/quiz/attempt/{attempt_id}/submit", data={"csrf_token": token, "confirm_unanswered": "1"})
    token = csrf_token(learner, "/quiz/contoh/ddc/")
    response = learner.post("/quiz/contoh/ddc/start", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/quiz/contoh/ddc/")
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 3
    page = learner.get("/quiz/contoh/ddc/").get_data(as_text=True)
    assert "flash-error" in page


def test_an_unpublished_module_cannot_be_started(learner):
    marc = module("marc")
    marc.active = False
    db.session.commit()
    token = csrf_token(learner, "/")
    assert learner.post("/quiz/contoh/marc/start", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0


def test_an_attempt_keeps_its_version_after_a_new_one_is_published(learner, imported):
    attempt_id = start(learner)
    old_version = db.session.get(QuizAttempt, attempt_id).module_version_id
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text().replace("Ruas mana yang memuat judul?", "Ruas judul?"))
    from lms.plugins.courses.services import import_courses

    assert import_courses([imported]).ok
    page = learner.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    assert "Ruas mana yang memuat judul?" in page  # its own questions, not the new ones
    token = csrf_token(learner, f"/quiz/attempt/{attempt_id}")
    value = shown_value(page, _qid_in_version(old_version, "marc-245"), "245")
    learner.post(f"/quiz/attempt/{attempt_id}/submit",
                 data={"csrf_token": token, f"q-{_qid_in_version(old_version, 'marc-245')}": value,
                       "confirm_unanswered": "1"})
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.module_version_id == old_version and attempt.score == 1.0
    assert start(learner) != attempt_id  # a new attempt uses the new version
    db.session.expire_all()
    newest = db.session.scalar(select(QuizAttempt).order_by(QuizAttempt.id.desc()))
    assert newest.module_version_id == module("marc").current_version_id != old_version


def _qid_in_version(version_id: int, qid: str) -> int:
    from lms.plugins.courses.models import Question

    return db.session.scalar(select(Question.id).where(Question.module_version_id == version_id,
                                                       Question.qid == qid))


def test_missing_csrf_token_is_refused(learner):
    attempt_id = start(learner)
    for action in ("save", "submit"):
        response = learner.post(f"/quiz/attempt/{attempt_id}/{action}", data={f"q-{_qid('marc-short')}": "RDA"})
        assert response.status_code == 400
    assert learner.post("/quiz/contoh/marc/start").status_code == 400
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "in_progress" and _answers() == 0


def test_an_attempt_on_a_module_that_was_unpublished_cannot_be_changed(learner):
    attempt_id = start(learner)
    marc = module("marc")
    marc.active = False
    db.session.commit()
    response = _save(learner, attempt_id, {f"q-{_qid('marc-short')}": "RDA"})
    assert response.status_code == 400 and response.get_json()["error"]
    token = csrf_token(learner, "/")
    assert learner.post(f"/quiz/attempt/{attempt_id}/submit", data={"csrf_token": token}).status_code == 400
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "in_progress" and _answers() == 0


def test_concurrent_submits_grade_once(learner, app, submitted_ids):
    """Two tabs submitting at the same moment: one graded attempt, the hook called once."""
    import threading

    calls = submitted_ids
    attempt_id = start(learner)
    token = csrf_token(learner, f"/quiz/attempt/{attempt_id}")
    data = {"csrf_token": token, f"q-{_qid('marc-short')}": "RDA", "confirm_unanswered": "1"}
    barrier = threading.Barrier(2)
    statuses = []

    def submit():
        client = app.test_client()
        with client.session_transaction() as session, learner.session_transaction() as source:
            session.update(dict(source))
        barrier.wait()
        statuses.append(client.post(f"/quiz/attempt/{attempt_id}/submit", data=data).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302, 302]
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "submitted" and attempt.score == 1.0
    assert calls == [attempt_id]
    assert _answers() == 4  # one row per question, not doubled
