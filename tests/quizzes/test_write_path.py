"""What starting and submitting an attempt cost the database, pinned: under load every start
and submit is a write transaction queued behind SQLite's single writer, so the statements
per request, and above all the statements while the write transaction is open, decide how
many learners a server takes (docs/performance.md, quiz submit). And the guarantees the
short transaction must keep: graded exactly once, the winner's answers kept, answers saved
before the submit graded too."""
from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event, func, select

from lms.extensions import db
from lms.plugins.quizzes import services
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import csrf_token
from tests.quizzes.conftest import module, shown_value, start

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def learner(client_as, imported):
    return client_as("librarian")


@dataclass
class Statements:
    """SQL statements of one request, split by where they ran."""

    own: list[str] = field(default_factory=list)  # the request itself (auth, the quiz service)
    hooks: list[str] = field(default_factory=list)  # inside lms_quiz_submitted (other plugins)
    in_write: list[str] = field(default_factory=list)  # own, from the first write to its commit
    commits: int = 0  # own write transactions committed


@contextmanager
def statements(app):
    """Record the statements run on the app's engine, and which ran in the hooks."""
    seen = Statements()
    state = {"hook": 0, "writing": False}
    manager = app.extensions["lms.plugins"]

    def before(hook_name, _impls, _kwargs):
        if hook_name == "lms_quiz_submitted":
            state["hook"] += 1

    def after(_outcome, hook_name, _impls, _kwargs):
        if hook_name == "lms_quiz_submitted":
            state["hook"] -= 1

    def on_statement(_conn, _cursor, statement, _params, _context, _many):
        sql = " ".join(statement.split())
        if state["hook"]:
            seen.hooks.append(sql)
            return
        seen.own.append(sql)
        if sql.upper().startswith(WRITES):
            state["writing"] = True
        if state["writing"]:
            seen.in_write.append(sql)

    def on_end(_conn):
        if state["writing"] and not state["hook"]:
            seen.commits += 1
        state["writing"] = False

    undo = manager.add_hookcall_monitoring(before, after)
    event.listen(db.engine, "before_cursor_execute", on_statement)
    event.listen(db.engine, "commit", on_end)
    try:
        yield seen
    finally:
        event.remove(db.engine, "commit", on_end)
        event.remove(db.engine, "before_cursor_execute", on_statement)
        undo()


def _shape(sql: str) -> str:
    """``SELECT quiz_answers``: the statement's verb and its (first) table."""
    return sql.split()[0] + " " + re.search(r"\b(?:FROM|INTO|UPDATE) (\w+)", sql).group(1)


def _qids(module_slug: str = "marc") -> dict[str, int]:
    return {q.qid: q.id for q in module(module_slug).current_version.questions}


def _right_answers(client, attempt_id) -> dict:
    page = client.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    q = _qids()
    return {
        f"q-{q['marc-245']}": shown_value(page, q["marc-245"], "245"),
        f"q-{q['marc-multi']}": [shown_value(page, q["marc-multi"], "650"), shown_value(page, q["marc-multi"], "651")],
        f"q-{q['marc-tf']}": "true",
        f"q-{q['marc-short']}": "RDA",
        "csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}"),
    }


def test_start_costs_six_statements_and_two_short_writes(learner, app):
    start(learner)  # the first attempt; submit it so the next start creates one
    first = db.session.scalar(select(func.max(QuizAttempt.id)))
    learner.post(f"/quiz/attempt/{first}/submit", data={"csrf_token": csrf_token(learner, "/"),
                                                        "confirm_unanswered": "1"})
    token = csrf_token(learner, "/quiz/contoh/marc/")
    with statements(app) as seen:
        response = learner.post("/quiz/contoh/marc/start", data={"csrf_token": token})
    assert response.status_code == 302
    # the user with their roles; the course with its module and version; what is open, the
    # count and the next number; the questions (for the layout); the INSERT and the score
    # summary's one upsert. No reload of the new attempt for the redirect, nor of the user
    # for the security headers.
    assert len(seen.own) == 6, seen.own
    assert seen.commits == 1
    assert [_shape(sql) for sql in seen.in_write] == ["INSERT quiz_attempts", "INSERT quiz_scores"], seen.in_write


def test_submit_costs_nine_statements_five_of_them_in_the_write(learner, app):
    attempt_id = start(learner)
    form = _right_answers(learner, attempt_id)
    with statements(app) as seen:
        response = learner.post(f"/quiz/attempt/{attempt_id}/submit", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    # Before the write: the user with their roles, the attempt, its module with course and
    # version, the questions. The write: claim, read the saved answers, one upsert of every
    # answer with its credit, the score, the score summary's one upsert - then commit.
    assert len(seen.own) == 9, seen.own
    assert seen.commits == 1
    assert [_shape(sql) for sql in seen.in_write] == [
        "UPDATE quiz_attempts", "SELECT quiz_answers", "INSERT quiz_answers", "UPDATE quiz_attempts",
        "INSERT quiz_scores"], seen.in_write
    assert seen.hooks  # learning and interop still hear of it, after the commit
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "submitted" and attempt.percent == 100.0


def test_a_replayed_submit_writes_nothing(learner, app):
    attempt_id = start(learner)
    form = _right_answers(learner, attempt_id)
    learner.post(f"/quiz/attempt/{attempt_id}/submit", data=form)
    with statements(app) as seen:
        response = learner.post(f"/quiz/attempt/{attempt_id}/submit", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    assert seen.commits == 0 and not seen.in_write and not seen.hooks


def test_answers_saved_before_the_submit_are_graded_and_kept(learner):
    """The submit form may carry only some questions (autosave kept the others): those are
    graded on what was saved, and their saved rows are not rewritten."""
    attempt_id = start(learner)
    q = _qids()
    form = _right_answers(learner, attempt_id)
    saved = {"csrf_token": form["csrf_token"], f"q-{q['marc-short']}": "RDA", f"q-{q['marc-tf']}": "false"}
    assert learner.post(f"/quiz/attempt/{attempt_id}/save", data=saved,
                        headers={"Accept": "application/json"}).get_json()["saved"] == 2
    db.session.expire_all()
    before = {a.question_id: a.saved_at for a in db.session.scalars(select(QuizAnswer))}
    last = {"csrf_token": form["csrf_token"], f"q-{q['marc-245']}": form[f"q-{q['marc-245']}"],
            f"q-{q['marc-tf']}": "true", "confirm_unanswered": "1"}  # changes its mind on the true/false question
    assert learner.post(f"/quiz/attempt/{attempt_id}/submit", data=last).status_code == 302
    db.session.expire_all()
    answers = {a.question_id: a for a in db.session.scalars(select(QuizAnswer))}
    assert set(answers) == set(q.values())  # one row per question, the unanswered one too
    assert answers[q["marc-short"]].credit == 1.0 and answers[q["marc-short"]].saved_at == before[q["marc-short"]]
    assert answers[q["marc-tf"]].credit == 1.0 and answers[q["marc-tf"]].response == {"value": True}
    assert answers[q["marc-245"]].credit == 1.0
    assert answers[q["marc-multi"]].response is None and answers[q["marc-multi"]].credit == 0.0
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.score == 3.0 and attempt.max_score == 5.0 and attempt.percent == 60.0


def test_a_submit_racing_the_grading_one_waits_and_changes_nothing(learner, app, monkeypatch, submitted_ids):
    """A second submit (another tab, other answers) arriving while the first is grading
    waits for the write lock (SQLite) or the row (PostgreSQL), then matches nothing: the
    attempt is graded once, on the first submit's answers, and the loser writes no answer."""
    calls = submitted_ids
    attempt_id = start(learner)
    form = _right_answers(learner, attempt_id)
    q = _qids()
    wrong = dict(form, **{f"q-{q['marc-tf']}": "false", f"q-{q['marc-short']}": "MARC"})
    other = app.test_client()
    with other.session_transaction() as session, learner.session_transaction() as source:
        session.update(dict(source))
    second: list[int] = []
    racer = threading.Thread(target=lambda: second.append(
        other.post(f"/quiz/attempt/{attempt_id}/submit", data=wrong).status_code))
    real_grade = services.grade_attempt

    def grade_while_another_submits(attempt, key_overrides=None, **given):
        racer.start()
        time.sleep(0.5)  # the racer reaches its claim and waits on ours
        assert racer.is_alive()
        return real_grade(attempt, key_overrides, **given)

    monkeypatch.setattr(services, "grade_attempt", grade_while_another_submits)
    assert learner.post(f"/quiz/attempt/{attempt_id}/submit", data=form).status_code == 302
    racer.join(timeout=30)
    assert second == [302]
    assert calls == [attempt_id]
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "submitted" and attempt.percent == 100.0
    answers = {a.question_id: a for a in db.session.scalars(select(QuizAnswer))}
    assert len(answers) == 4
    assert answers[q["marc-tf"]].response == {"value": True} and answers[q["marc-short"]].credit == 1.0
