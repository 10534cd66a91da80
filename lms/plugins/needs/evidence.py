"""Quiz evidence for the needs analysis: the sums, and the sums kept for closed rounds.

``quiz_rows`` sums the graded answers of submitted attempts per competency (two steps in
SQL: per question, then per competency). Over a whole organisation that reads millions of
answers (~4 s at ``--scale 5000``), and *My learning* pays it on every visit through the
``lms_recommendations`` hook. Answers submitted before a round's close do not change once
the round has closed, except when attempts are regraded, so ``round_quiz_rows`` keeps the
per-question sums of a closed round per scope (``QuizEvidenceScope``/``QuizEvidence``,
~300 rows) and the analysis joins them to the questions as they are now.

Why a kept scope is never stale. The per-question sums of (round, scope) are a function
of: (1) the round's end, (2) the set of people the scope selects, (3) the (question,
credit) of every answer of their submitted attempts with ``submitted_at`` before the end.
Competency and points of the questions are not kept (joined live). A kept scope is used
only when all three are as they were when it was summed:

1. ``ends_at`` is compared with ``round_end(round)`` (the close date or the time zone moved).
2. ``people`` is a SHA-256 of the sorted ids the scope's filter selects now (people move
   unit and position; the filter - the resolved unit tree and the position - is the key).
   A filter without units or position selects everyone: its digest is ``"*"``, and a new
   person's evidence can only come from new attempts, which (3) covers.
3. Attempts. Through the app, ``submitted_at`` is the server's clock when the attempt is
   closed, and ``grade_attempt`` - the only writer of ``credit`` - runs in the same
   transaction, so an answer can enter or change the sums of a closed round only by
   (a) grading an attempt submitted before the end later (regrading), or (b) a submit
   whose transaction, opened before the end, commits after the sums were read.
   (a): ``grade_attempt`` fires ``lms_quiz_graded``; ``quiz_graded`` raises
   ``QuizEvidenceVersion`` in that same transaction when the attempt was submitted more
   than ``SETTLE`` ago. A scope stores the version it read *before* summing, so a change
   committed before that read is in the sums and one committed after it leaves the stored
   version behind the current one (the scope is summed again); this holds for SQLite's
   snapshots and PostgreSQL's READ COMMITTED alike, and no delete can race a rebuild.
   (b): scopes are only kept once ``SETTLE`` (an hour) has passed since the round's end, so
   a submit would have to stay uncommitted for an hour; a grading of an attempt submitted
   less than ``SETTLE`` ago cannot touch any kept scope (every kept round ended at least
   ``SETTLE`` before now), which is why the submit path adds no statement.

Rows written around ``grade_attempt`` (the demo loaders, test factories back-dating
attempts) must call ``invalidate()`` or fire ``lms_quiz_graded`` themselves.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from lms.auth.models import User
from lms.clock import aware, local_zone, utcnow
from lms.extensions import db
from lms.plugins.courses.models import Question
from lms.plugins.needs.models import NeedsRound, QuizEvidence, QuizEvidenceScope, QuizEvidenceVersion
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt

SETTLE = timedelta(hours=1)  # a round's evidence is kept only this long after its end (see 3b)
VERSION_ID = 1


def round_end(needs_round: NeedsRound) -> datetime:
    """The first moment after the round's last local day, in UTC (evidence counts before it)."""
    end = datetime.combine(needs_round.closes_on + timedelta(days=1), time(0), tzinfo=local_zone())
    return end.astimezone(timezone.utc)


# --- the sums --------------------------------------------------------------------------------

def _people_select(people_units: list[int] | None, position: str | None):
    people = select(User.id)
    if people_units is not None:
        people = people.where(User.unit_id.in_(people_units))
    if position:
        people = people.where(User.position == position)
    return people


def _per_question(end: datetime, *, start: datetime | None = None, people_units: list[int] | None = None,
                  position: str | None = None, user_ids: Collection[int] | None = None, by_user: bool = False):
    """(user?, question_id, answers, credit): the first step, graded answers summed per question."""
    attempt_keys = [QuizAttempt.user_id] if by_user else []
    per_question = (select(*attempt_keys, QuizAnswer.question_id, func.count().label("answers"),
                           func.sum(QuizAnswer.credit).label("credit"))
                    .select_from(QuizAttempt)
                    .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
                    .where(QuizAnswer.credit.is_not(None), QuizAttempt.status == SUBMITTED,
                           QuizAttempt.submitted_at < end))
    if start is not None:
        per_question = per_question.where(QuizAttempt.submitted_at >= start)
    if user_ids is not None:
        per_question = per_question.where(QuizAttempt.user_id.in_(list(user_ids)))
    if people_units is not None or position:
        per_question = per_question.where(QuizAttempt.user_id.in_(_people_select(people_units, position)))
    return per_question.group_by(*attempt_keys, QuizAnswer.question_id)


def _per_competency(sums, by_user: bool = False):
    """The second step over any ``sums`` with (user?, question_id, answers, credit) columns:
    joined to the questions as they are now, summed per competency."""
    keys = ([sums.c.user_id] if by_user else []) + [Question.competency_id]
    query = (select(*keys, func.sum(sums.c.answers), func.sum(sums.c.credit * Question.points),
                    func.sum(sums.c.answers * Question.points))
             .join(Question, Question.id == sums.c.question_id)
             .where(Question.competency_id.is_not(None)))
    return db.session.execute(query.group_by(*keys)).all()


def quiz_rows(end: datetime, *, start: datetime | None = None, people_units: list[int] | None = None,
              position: str | None = None, user_ids: Collection[int] | None = None, by_user: bool = False):
    """(user?, competency, answers, sum credit*points, sum points) of graded answers to
    questions mapped to a competency, in submitted attempts with ``start <= submitted_at < end``.

    Two steps, both in SQL: the attempts in scope and their answers are summed per question
    (read from the ``ix_quiz_answers_attempt_credit`` index alone, never the answer rows),
    then the few hundred per-question sums are joined to their questions and summed per
    competency - instead of looking up a question for each of millions of answers. Since
    ``points`` is fixed per question, sum(credit * points) = points * sum(credit) and
    sum(points) = points * answers (see docs/performance.md, "Needs analysis at scale")."""
    sums = _per_question(end, start=start, people_units=people_units, position=position, user_ids=user_ids,
                         by_user=by_user).subquery("per_question")
    return _per_competency(sums, by_user)


# --- kept per closed round -------------------------------------------------------------------

def scope_filter(people_units: list[int] | None, position: str | None) -> str:
    """A filter as JSON text: the resolved units (sorted) and the position."""
    return json.dumps({"units": sorted(people_units) if people_units is not None else None,
                       "position": position or None})


def scope_key(people_units: list[int] | None, position: str | None) -> str:
    """The name of a filter: SHA-256 of ``scope_filter``."""
    return hashlib.sha256(scope_filter(people_units, position).encode()).hexdigest()


def people_digest(people_units: list[int] | None, position: str | None) -> str:
    """SHA-256 of the sorted ids of the people the filter selects now (``"*"``: everyone)."""
    if people_units is None and not position:
        return "*"
    ids = db.session.scalars(_people_select(people_units, position).order_by(User.id))
    return hashlib.sha256(",".join(str(user_id) for user_id in ids).encode()).hexdigest()


def current_version() -> int:
    return db.session.scalar(select(QuizEvidenceVersion.version).where(QuizEvidenceVersion.id == VERSION_ID)) or 0


def invalidate() -> None:
    """Raise the evidence version in the caller's transaction (does not commit): every kept
    scope is summed again on its next use. For writes that bypass ``grade_attempt``."""
    raised = db.session.execute(update(QuizEvidenceVersion).where(QuizEvidenceVersion.id == VERSION_ID)
                                .values(version=QuizEvidenceVersion.version + 1))
    if raised.rowcount == 0:  # a schema built without the migration's row
        db.session.add(QuizEvidenceVersion(id=VERSION_ID, version=1))
        db.session.flush()


def quiz_graded(attempt) -> None:
    """``lms_quiz_graded``: the credits of ``attempt`` were just (re)written, in a transaction
    not yet committed. Only an attempt submitted at least ``SETTLE`` ago can be in a kept
    scope (see the module docstring, 3), so a fresh submit costs no statement."""
    submitted_at = aware(attempt.submitted_at)
    if submitted_at is not None and submitted_at >= utcnow() - SETTLE:
        return
    invalidate()


def _kept(needs_round: NeedsRound, key: str, end: datetime, people: str, version: int) -> bool:
    found = db.session.get(QuizEvidenceScope, (needs_round.id, key), populate_existing=True)
    return (found is not None and found.people == people and found.quiz_version == version
            and aware(found.ends_at) == end)


def _keep(needs_round: NeedsRound, people_units: list[int] | None, position: str | None, end: datetime,
          people: str, version: int, rows) -> bool:
    """Store the per-question sums in a transaction of their own (the caller's session may
    hold other work); False when it could not be written now (another writer, a race)."""
    key = scope_key(people_units, position)
    if db.engine.dialect.name == "sqlite":
        # our connection holding an open write would make the second connection wait for it
        raw = db.session.connection().connection.dbapi_connection
        if getattr(raw, "in_transaction", False):
            return False
    try:
        with db.engine.begin() as conn:
            conn.execute(delete(QuizEvidence).where(QuizEvidence.round_id == needs_round.id,
                                                    QuizEvidence.scope == key))
            conn.execute(delete(QuizEvidenceScope).where(QuizEvidenceScope.round_id == needs_round.id,
                                                         QuizEvidenceScope.scope == key))
            conn.execute(insert(QuizEvidenceScope).values(round_id=needs_round.id, scope=key, ends_at=end,
                                                          filter=scope_filter(people_units, position),
                                                          people=people, quiz_version=version, built_at=utcnow()))
            if rows:
                conn.execute(insert(QuizEvidence), [{"round_id": needs_round.id, "scope": key, "question_id": qid,
                                                     "answers": answers, "credit": credit}
                                                    for qid, answers, credit in rows])
    except (IntegrityError, DBAPIError) as error:
        current_app.logger.info("needs: quiz evidence of round %s not kept: %s", needs_round.id, error)
        return False
    return True


def _kept_rows(needs_round: NeedsRound, key: str):
    sums = (select(QuizEvidence.question_id, QuizEvidence.answers, QuizEvidence.credit)
            .where(QuizEvidence.round_id == needs_round.id, QuizEvidence.scope == key).subquery("kept"))
    return _per_competency(sums)


def round_quiz_rows(needs_round: NeedsRound, people_units: list[int] | None, position: str | None = None):
    """``quiz_rows(round_end(needs_round), people_units=..., position=...)``, from the kept
    per-question sums when they are still right (module docstring), else summed afresh -
    and kept, once the round ended at least ``SETTLE`` ago."""
    end = round_end(needs_round)
    started = utcnow()
    key = scope_key(people_units, position)
    version = current_version()  # before the sums are read: see 3 in the module docstring
    people = people_digest(people_units, position)
    if _kept(needs_round, key, end, people, version):
        return _kept_rows(needs_round, key)
    if started < end + SETTLE:
        return quiz_rows(end, people_units=people_units, position=position)
    rows = db.session.execute(_per_question(end, people_units=people_units, position=position)).all()
    if _keep(needs_round, people_units, position, end, people, version, rows):
        return _kept_rows(needs_round, key)  # the same SQL as a later warm call: the same figures
    return _combine(rows)


def _combine(rows) -> list[tuple]:
    """The second step in Python, when the sums could not be kept: a few hundred
    per-question rows, rather than reading the millions of answers a second time."""
    questions = dict((qid, (cid, points)) for qid, cid, points in db.session.execute(
        select(Question.id, Question.competency_id, Question.points)
        .where(Question.id.in_([row[0] for row in rows]), Question.competency_id.is_not(None))))
    totals: dict[str, list] = {}
    for qid, answers, credit in rows:
        if qid in questions:
            cid, points = questions[qid]
            total = totals.setdefault(cid, [0, 0.0, 0.0])
            total[0] += answers
            total[1] += credit * points
            total[2] += answers * points
    return [(cid, *total) for cid, total in totals.items()]


def rebuild(needs_round: NeedsRound, people_units: list[int] | None, position: str | None = None) -> bool:
    """Sum and keep one scope now, whatever is kept; False when the round ended less than
    ``SETTLE`` ago or the sums could not be written."""
    end = round_end(needs_round)
    if utcnow() < end + SETTLE:
        return False
    version = current_version()
    people = people_digest(people_units, position)
    rows = db.session.execute(_per_question(end, people_units=people_units, position=position)).all()
    return _keep(needs_round, people_units, position, end, people, version, rows)


def kept_filters(needs_round: NeedsRound) -> list[tuple[list[int] | None, str | None]]:
    """The (people units, position) filters kept for ``needs_round``."""
    filters = []
    for text in db.session.scalars(select(QuizEvidenceScope.filter).where(QuizEvidenceScope.round_id == needs_round.id)
                                   .order_by(QuizEvidenceScope.built_at)):
        data = json.loads(text)
        filters.append((data["units"], data["position"]))
    return filters


def rebuild_round(needs_round: NeedsRound) -> tuple[int, int]:
    """Sum again and keep the whole-organisation scope of ``needs_round`` (what *My learning*
    and the analysis page use) and every scope already kept for it: (kept, not kept).
    For a scheduled run after a round closes (an hour after its end) or after a regrade,
    so that no page view pays the first summing."""
    from lms.plugins.needs.analysis import _round_people_units

    filters = [(_round_people_units(needs_round, None), None)]
    for people_units, position in kept_filters(needs_round):
        if (people_units, position) not in filters:
            filters.append((people_units, position))
    kept = sum(1 for people_units, position in filters if rebuild(needs_round, people_units, position))
    return kept, len(filters) - kept
