"""``quiz_rows`` sums per question first, then per competency (docs/performance.md, "Needs
analysis at scale"): its figures must equal the sums over single answers, whatever the filter."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.models import Question
from lms.plugins.needs import analysis
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt
from tests.needs.test_analysis import FULL, PARTIAL, local, make_round, quiz


def _reference(end, *, start=None, people_units=None, position=None, user_ids=None, by_user=False) -> dict:
    """The same figures, answer by answer in Python: key -> (answers, earned, points)."""
    totals: dict = defaultdict(lambda: [0, 0.0, 0.0])
    rows = db.session.execute(select(QuizAnswer.credit, Question.points, Question.competency_id, QuizAttempt.user_id,
                                     QuizAttempt.status, QuizAttempt.submitted_at, User.unit_id, User.position)
                              .join(Question, Question.id == QuizAnswer.question_id)
                              .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
                              .join(User, User.id == QuizAttempt.user_id)).all()
    for credit, points, cid, user_id, status, submitted_at, unit_id, user_position in rows:
        if credit is None or cid is None or status != SUBMITTED or submitted_at is None:
            continue
        submitted_at = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=end.tzinfo)
        if submitted_at >= end or (start is not None and submitted_at < start):
            continue
        if user_ids is not None and user_id not in user_ids:
            continue
        if people_units is not None and unit_id not in people_units:
            continue
        if position and user_position != position:
            continue
        total = totals[(user_id, cid) if by_user else cid]
        total[0] += 1
        total[1] += credit * points
        total[2] += points
    return {key: tuple(value) for key, value in totals.items()}


def _rows(**filters) -> dict:
    rows = analysis.quiz_rows(**filters)
    by_user = filters.get("by_user", False)
    return {(row[0], row[1]) if by_user else row[0]: tuple(row[2 if by_user else 1:]) for row in rows}


def test_quiz_rows_equal_the_sums_over_single_answers(imported, make_user, org):
    needs_round = make_round(closes=date(2026, 1, 31))
    ana = make_user("ana", unit=org["branch_a"], position="pustakawan")
    budi = make_user("budi", unit=org["section_a1"], position="pranata")
    cici = make_user("cici", unit=org["branch_b"], position="pustakawan")
    quiz(ana, "marc", PARTIAL, local(2026, 1, 5))
    quiz(ana, "marc", FULL, local(2026, 1, 31, 23, 30))
    quiz(budi, "marc", {"marc-245": 0.0, "marc-multi": 0.5, "marc-tf": None}, local(2026, 1, 20))
    quiz(budi, "marc", FULL, local(2026, 2, 1, 0, 30))  # after the close
    quiz(cici, "marc", PARTIAL, local(2025, 12, 1))
    quiz(cici, "marc", FULL, None, status=IN_PROGRESS)
    end = analysis.round_end(needs_round)
    a_units = analysis.unit_subtree([org["branch_a"].id])
    cases = [
        {},
        {"start": local(2026, 1, 1, 0, 0)},
        {"people_units": a_units},
        {"people_units": []},
        {"position": "pustakawan"},
        {"people_units": a_units, "position": "pranata"},
        {"user_ids": [ana.id, cici.id], "by_user": True},
        {"by_user": True, "start": local(2026, 1, 10)},
    ]
    for filters in cases:
        expected = _reference(end, **filters)
        got = _rows(end=end, **filters)
        assert got.keys() == expected.keys(), filters
        for key, (answers, earned, points) in expected.items():
            assert got[key][0] == answers, (filters, key)
            assert got[key][1] == pytest.approx(earned) and got[key][2] == pytest.approx(points), (filters, key)
    assert _rows(end=end)  # the data did reach the figures
