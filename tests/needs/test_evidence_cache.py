"""The quiz evidence kept for closed rounds (``lms/plugins/needs/evidence.py``): a kept scope
gives the figures a fresh sum gives, and every change that can alter them - a regrade, a
back-dated attempt, a person changing unit or position, a question's competency or points,
the round's close date - gives the new figures, never the kept ones."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, update

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.courses.services import import_courses
from lms.plugins.needs import analysis, evidence
from lms.plugins.needs.models import QuizEvidence, QuizEvidenceScope
from lms.plugins.quizzes.models import QuizAttempt
from lms.plugins.quizzes.services import grade_attempt
from tests.needs.test_analysis import FULL, PARTIAL, local, make_round, quiz, questions


def _fresh(needs_round, people_units=None, position=None) -> dict:
    """The figures summed from the answers, as before any evidence was kept."""
    rows = analysis.quiz_rows(evidence.round_end(needs_round), people_units=people_units, position=position)
    return {cid: (int(n), pytest.approx(earned), pytest.approx(points)) for cid, n, earned, points in rows}


def _quiz_figures(result) -> dict:
    return {c.competency_id: (c.quiz_answers, c.quiz_earned, c.quiz_points) for c in result.competencies
            if c.quiz_answers}


class Statements:
    """Counts the statements that read quiz answers."""

    def __init__(self):
        self.answers = 0

    def __call__(self, conn, cursor, statement, params, context, executemany):
        if "quiz_answers" in statement:
            self.answers += 1


@pytest.fixture
def answer_reads(app):
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)


@pytest.fixture
def staff(imported, make_user, org):
    """Three people with quiz attempts around a round that closed on 31 January 2026."""
    needs_round = make_round(closes=date(2026, 1, 31))
    ana = make_user("ana", unit=org["branch_a"], position="pustakawan")
    budi = make_user("budi", unit=org["section_a1"], position="pranata")
    cici = make_user("cici", unit=org["branch_b"], position="pustakawan")
    quiz(ana, "marc", PARTIAL, local(2026, 1, 5))
    quiz(budi, "marc", {"marc-245": 0.0, "marc-multi": 0.5, "marc-tf": None}, local(2026, 1, 20))
    quiz(cici, "marc", FULL, local(2026, 1, 31, 23, 30))
    quiz(cici, "marc", PARTIAL, local(2026, 2, 1, 0, 30))  # after the close
    return {"round": needs_round, "ana": ana, "budi": budi, "cici": cici, **org}


def _kept_scopes() -> int:
    return db.session.scalar(select(func.count()).select_from(QuizEvidenceScope))


def test_kept_evidence_equals_the_fresh_sums_and_reads_no_answer(staff, answer_reads):
    needs_round = staff["round"]
    first = analysis.analyze(needs_round)
    assert _kept_scopes() == 1 and db.session.scalar(select(func.count()).select_from(QuizEvidence)) == 4
    answer_reads.answers = 0
    second = analysis.analyze(needs_round)
    assert answer_reads.answers == 0  # from the kept sums alone
    assert analysis.to_json(second) == analysis.to_json(first)
    assert _quiz_figures(second) == _fresh(needs_round)
    # ana 3 of 5 points, budi 1 of 3 (marc-tf not graded), cici 5 of 5
    assert _quiz_figures(second)["cat-marc"] == (10, 9.0, 13.0)


@pytest.mark.parametrize("units", ["branch_a", "branch_b"])
def test_kept_evidence_per_unit_and_position(staff, units, answer_reads):
    needs_round = staff["round"]
    for kwargs in ({"unit_ids": [staff[units].id]}, {"position": "pustakawan"},
                   {"unit_ids": [staff[units].id], "position": "pranata"}):
        cold = analysis.analyze(needs_round, **kwargs)
        answer_reads.answers = 0
        warm = analysis.analyze(needs_round, **kwargs)
        assert answer_reads.answers == 0
        assert analysis.to_json(warm) == analysis.to_json(cold)
    assert _kept_scopes() == 3


def test_a_regrade_gives_the_new_figures(staff):
    needs_round, ana = staff["round"], staff["ana"]
    assert _quiz_figures(analysis.analyze(needs_round))["cat-marc"] == (10, 9.0, 13.0)
    version = evidence.current_version()
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == ana.id))
    attempt.layout = {"questions": [answer.question_id for answer in attempt.answers], "items": {}}
    for answer in attempt.answers:  # no response earns nothing
        answer.response = None
    grade_attempt(attempt)  # what results.regrade does for every old attempt
    db.session.commit()
    assert evidence.current_version() == version + 1
    after = _quiz_figures(analysis.analyze(needs_round))
    assert after["cat-marc"] == (10, 6.0, 13.0) == _fresh(needs_round)["cat-marc"]


def test_regrading_through_the_quizzes_command_gives_the_new_figures(app, runner, client_as, imported,
                                                                       make_user, org):
    from tests.conftest import login
    from tests.quizzes.test_results import _take

    make_user("second")
    second = app.test_client()
    login(second, "second")
    right, _wrong = _take(client_as("librarian"), "245"), _take(second, "100")
    # as if the right one was taken in January (written around grade_attempt: invalidate);
    # the other, submitted now, does not count in the January round, before or after
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == right).values(submitted_at=local(2026, 1, 10)))
    evidence.invalidate()
    db.session.commit()
    needs_round = make_round(closes=date(2026, 1, 31))
    before = _quiz_figures(analysis.analyze(needs_round))
    assert before == _fresh(needs_round) and _kept_scopes() == 1

    make_user("budi", roles=("trainer",))
    path = imported / "contoh" / "01-marc.md"
    text = path.read_text().replace("- [ ] 100\n", "- [x] 100\n", 1).replace("- [x] 245\n", "- [ ] 245\n", 1)
    path.write_text(text)
    assert import_courses([imported]).ok
    result = runner.invoke(args=["quizzes", "regrade", "contoh/marc", "--version", "1", "--by", "budi"])
    assert "2 attempt(s) regraded, 2 score(s) changed" in result.output
    db.session.expire_all()
    after = _quiz_figures(analysis.analyze(db.session.get(type(needs_round), needs_round.id)))
    assert after == _fresh(needs_round) and after != before


def test_a_fresh_submit_costs_no_statement_and_keeps_the_evidence(staff, answer_reads):
    """An attempt submitted now cannot count in a round kept (it closed over an hour ago)."""
    needs_round, ana = staff["round"], staff["ana"]
    analysis.analyze(needs_round)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == ana.id))
    attempt.submitted_at = utcnow()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        evidence.quiz_graded(attempt)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []
    version = evidence.current_version()
    attempt.submitted_at = utcnow() - evidence.SETTLE - timedelta(seconds=1)
    evidence.quiz_graded(attempt)
    assert evidence.current_version() == version + 1


def test_a_back_dated_attempt_gives_the_new_figures(staff):
    """Attempts written around grade_attempt (the demo, the factories) call invalidate()."""
    needs_round = staff["round"]
    analysis.analyze(needs_round)
    quiz(staff["budi"], "marc", FULL, local(2026, 1, 30))  # the factory invalidates, as the contract says
    assert _quiz_figures(analysis.analyze(needs_round))["cat-marc"] == (14, 14.0, 18.0) == _fresh(needs_round)[
        "cat-marc"]


def test_a_person_moving_unit_or_position_gives_the_new_figures(staff):
    needs_round, ana = staff["round"], staff["ana"]
    branch_a = [staff["branch_a"].id]
    assert _quiz_figures(analysis.analyze(needs_round, unit_ids=branch_a))["cat-marc"] == (6, 4.0, 8.0)
    assert _quiz_figures(analysis.analyze(needs_round, position="pustakawan"))["cat-marc"] == (8, 8.0, 10.0)
    ana.unit_id = staff["branch_b"].id
    db.session.commit()
    people = analysis._round_people_units(needs_round, analysis.unit_subtree(branch_a))
    assert _quiz_figures(analysis.analyze(needs_round, unit_ids=branch_a))["cat-marc"] == (2, 1.0, 3.0) == _fresh(
        needs_round, people)["cat-marc"]
    ana.position = "pranata"
    db.session.commit()
    assert _quiz_figures(analysis.analyze(needs_round, position="pustakawan"))["cat-marc"] == (4, 5.0, 5.0)
    assert _quiz_figures(analysis.analyze(needs_round, position="pranata"))["cat-marc"] == (6, 4.0, 8.0)


def test_a_question_changing_competency_or_points_gives_the_new_figures(staff):
    needs_round = staff["round"]
    analysis.analyze(needs_round)
    by_qid = questions("marc")
    by_qid["marc-multi"].points = 4.0  # was 2
    by_qid["marc-short"].competency_id = "cat-classification"
    db.session.commit()
    figures = _quiz_figures(analysis.analyze(needs_round))
    assert figures == _fresh(needs_round)
    # cat-marc: marc-245 (1 pt) 3 answers credit 2, marc-multi (4 pts) 3 answers credit 2,
    # marc-tf (1 pt) 2 graded answers credit 1
    assert figures["cat-marc"] == (8, 2 + 8 + 1, 3 + 12 + 2)
    assert figures["cat-classification"] == (2, 2.0, 2.0)


def test_the_close_date_moving_gives_the_new_figures(staff):
    needs_round = staff["round"]
    analysis.analyze(needs_round)
    needs_round.closes_on = date(2026, 2, 1)  # cici's second attempt now counts
    db.session.commit()
    assert _quiz_figures(analysis.analyze(needs_round))["cat-marc"] == (14, 12.0, 18.0) == _fresh(needs_round)[
        "cat-marc"]


def test_a_round_that_ended_less_than_an_hour_ago_is_not_kept(staff, monkeypatch):
    needs_round = staff["round"]
    end = evidence.round_end(needs_round)
    monkeypatch.setattr(evidence, "utcnow", lambda: end + timedelta(minutes=30))
    assert _quiz_figures(analysis.analyze(needs_round)) == _fresh(needs_round)
    assert _kept_scopes() == 0
    monkeypatch.setattr(evidence, "utcnow", lambda: end + evidence.SETTLE)
    analysis.analyze(needs_round)
    assert _kept_scopes() == 1


def test_the_rebuild_command_keeps_every_closed_round(staff, runner):
    analysis.analyze(staff["round"], position="pranata")
    result = runner.invoke(args=["needs", "evidence", "rebuild"])
    assert result.exit_code == 0, result.output
    assert ("kept for 2 scope(s), not kept for 0" in result.output  # English, or Indonesian once compiled
            or "disimpan untuk 2 cakupan, tidak disimpan untuk 0" in result.output)
    assert _kept_scopes() == 2
    assert runner.invoke(args=["needs", "evidence", "rebuild", "--round", "999"]).exit_code != 0


def test_everyone_sees_whole_organisation_figures_from_one_scope(staff):
    """The people digest of a filter follows who the filter selects now."""
    assert evidence.people_digest(None, None) == "*"
    digest = evidence.people_digest([staff["branch_a"].id], None)
    assert digest != evidence.people_digest([staff["branch_b"].id], None)
    db.session.execute(update(User).where(User.id == staff["cici"].id).values(unit_id=staff["branch_a"].id))
    assert evidence.people_digest([staff["branch_a"].id], None) != digest
