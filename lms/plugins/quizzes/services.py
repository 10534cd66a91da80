"""Taking quizzes: start, save as you go, submit once, grade on the server.

The only place in the quizzes plugin that commits. Views pass in the current user and the
submitted form; nothing here trusts the page: question ids, option ids and numbers are all
checked against the attempt's own layout.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from collections.abc import Iterable

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lms.auth.models import aware, utcnow
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleVersion, Question
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt, QuizScore
from lms.questions import QuestionType, ResponseError

GRACE = timedelta(seconds=30)  # network slack after the time limit, as Moodle allows
DEFAULT_SETTINGS = {"attempts": 0, "time_limit": 0, "shuffle": True, "feedback": "after_attempt",
                    "grading": "highest"}


class QuizError(ValueError):
    """A refused quiz action, with a message fit to show (already translated)."""


def registry() -> dict[str, type[QuestionType]]:
    return current_app.extensions["lms.question_types"]


def settings(version: ModuleVersion) -> dict:
    return {**DEFAULT_SETTINGS, **(version.settings or {}), "pass_mark": version.pass_mark}


def attempts_of(user_id: int, module_id: int) -> list[QuizAttempt]:
    return list(db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user_id,
                                                             QuizAttempt.module_id == module_id)
                                   .order_by(QuizAttempt.number)))


def open_attempt(user_id: int, module_id: int) -> QuizAttempt | None:
    return db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == user_id,
                                                       QuizAttempt.module_id == module_id,
                                                       QuizAttempt.status == IN_PROGRESS))


def attempts_left(user_id: int, module: Module) -> int | None:
    """None when unlimited."""
    allowed = settings(module.current_version)["attempts"]
    if not allowed:
        return None
    used = db.session.scalar(select(func.count(QuizAttempt.id)).where(
        QuizAttempt.user_id == user_id, QuizAttempt.module_id == module.id)) or 0
    return max(0, allowed - used)


def start_attempt(user_id: int, module: Module) -> QuizAttempt:
    """Resume the open attempt, or start a new one on the module's current version."""
    existing = open_attempt(user_id, module.id)
    if existing is not None:
        return existing
    version = module.current_version
    if version is None or not module.active or not version.questions:
        raise QuizError(_("This module has no quiz."))
    if attempts_left(user_id, module) == 0:
        raise QuizError(_("You have used all the attempts allowed for this quiz."))
    config = settings(version)
    rng = random.Random(secrets.randbits(64))
    questions = list(version.questions)
    order = [q.id for q in questions]
    if config["shuffle"]:
        rng.shuffle(order)
    types = registry()
    layout = {"questions": order,
              "items": {str(q.id): types[q.type].layout(q.data, rng, bool(config["shuffle"] and q.shuffle))
                        for q in questions}}
    number = (db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user_id, QuizAttempt.module_id == module.id)) or 0) + 1
    now = utcnow()
    attempt = QuizAttempt(user_id=user_id, module_id=module.id, module_version_id=version.id, number=number,
                          status=IN_PROGRESS, layout=layout, started_at=now,
                          deadline=now + timedelta(minutes=config["time_limit"]) if config["time_limit"] else None)
    db.session.add(attempt)
    try:
        db.session.flush()
        refresh_scores([(user_id, module.id)])
        db.session.commit()
    except IntegrityError:  # another tab started it at the same moment
        db.session.rollback()
        found = open_attempt(user_id, module.id)
        if found is None:
            raise
        return found
    return attempt


def attempt_questions(attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions in its own fixed order."""
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(
        Question.module_version_id == attempt.module_version_id))}
    return [by_id[qid] for qid in attempt.layout["questions"] if qid in by_id]


def is_late(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    deadline = aware(attempt.deadline)
    return deadline is not None and (now or utcnow()) > deadline + GRACE


@dataclass
class SaveResult:
    errors: dict[int, str] = field(default_factory=dict)  # question id -> message
    saved: int = 0
    closed: bool = False  # the attempt was already submitted or the time is up


def _read_form(attempt: QuizAttempt, form) -> tuple[dict[int, dict | None], dict[int, str]]:
    """Responses by question id from the form, refusing anything outside this attempt."""
    questions = {q.id: q for q in attempt_questions(attempt)}
    for key in form.keys():
        if key.startswith("q-"):
            ident = key[2:].split("-", 1)[0]
            if not ident.isdigit() or int(ident) not in questions:
                raise QuizError(_("The form holds an answer to a question that is not in this attempt."))
    types = registry()
    responses: dict[int, dict | None] = {}
    errors: dict[int, str] = {}
    for qid, question in questions.items():
        name = f"q-{qid}"
        if name not in form and not any(k.startswith(name + "-") for k in form.keys()):
            continue  # not on this form (a save of one question)
        try:
            responses[qid] = types[question.type].read(form.getlist(name), question.data,
                                                       attempt.layout["items"][str(qid)], name, form)
        except ResponseError as error:
            errors[qid] = str(error)
    return responses, errors


def _check_published(attempt: QuizAttempt) -> None:
    module = db.session.get(Module, attempt.module_id)
    if module is None or not module.active or not module.course.published:
        raise QuizError(_("This module is no longer published; the attempt cannot be changed."))


def save_answers(attempt: QuizAttempt, form) -> SaveResult:
    """Store what the learner has answered so far (autosave, or the Save button)."""
    _check_published(attempt)
    result = SaveResult()
    if attempt.status != IN_PROGRESS or is_late(attempt):
        result.closed = True
        return result
    responses, result.errors = _read_form(attempt, form)
    for retry in (True, False):
        existing = {a.question_id: a for a in attempt.answers}
        now = utcnow()
        for qid, response in responses.items():
            answer = existing.get(qid)
            if answer is None:
                answer = QuizAnswer(attempt_id=attempt.id, question_id=qid)
                db.session.add(answer)
            answer.response, answer.saved_at = response, now
        try:
            db.session.commit()
            break
        except IntegrityError:  # another request (a second tab, a quick autosave) inserted it first
            db.session.rollback()
            db.session.expire(attempt)
            if not retry:
                raise
    result.saved = len(responses)
    return result


def submit_attempt(attempt: QuizAttempt, form) -> tuple[QuizAttempt, SaveResult]:
    """Save the last answers (if in time), then close and grade the attempt exactly once."""
    _check_published(attempt)
    result = SaveResult()
    if attempt.status == IN_PROGRESS and not is_late(attempt):
        result = save_answers(attempt, form)
        if result.errors:
            return attempt, result  # let the learner fix them; nothing is closed
    # Close and grade in ONE transaction: the conditional UPDATE lets only one submit win
    # (a racing one waits for the row, then matches nothing), and no reader ever sees a
    # submitted attempt without its score (the review page once met one mid-grading).
    closed = db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.status == IN_PROGRESS)
        .values(status=SUBMITTED, submitted_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(attempt)
    if closed.rowcount == 1:
        grade_attempt(attempt)
        refresh_scores([(attempt.user_id, attempt.module_id)])
        db.session.commit()
        current_app.extensions["lms.plugins"].hook.lms_quiz_submitted(attempt=attempt)
    else:
        db.session.commit()
    return attempt, result


def grade_attempt(attempt: QuizAttempt, key_overrides: dict[int, dict] | None = None) -> None:
    """Credit every question of the attempt (unanswered ones get 0) and total the score.

    ``key_overrides`` maps question ids to a corrected answer key (regrading)."""
    types = registry()
    overrides = key_overrides or {}
    answers = {a.question_id: a for a in attempt.answers}
    score = maximum = 0.0
    for question in attempt_questions(attempt):
        answer = answers.get(question.id)
        if answer is None:
            answer = QuizAnswer(attempt_id=attempt.id, question_id=question.id, response=None)
            db.session.add(answer)
            attempt.answers.append(answer)
        answer.credit = types[question.type].grade(overrides.get(question.id, question.data), answer.response)
        score += answer.credit * question.points
        maximum += question.points
    version = db.session.get(ModuleVersion, attempt.module_version_id)
    attempt.score, attempt.max_score = round(score, 4), maximum
    attempt.percent = round(100.0 * score / maximum, 2) if maximum else 0.0
    attempt.passed = attempt.percent >= version.pass_mark


def close_if_late(attempt: QuizAttempt) -> QuizAttempt:
    """An attempt past its time limit is submitted with what was saved in time."""
    if attempt.status == IN_PROGRESS and is_late(attempt):
        from werkzeug.datastructures import MultiDict

        submit_attempt(attempt, MultiDict())
    return attempt


def module_grade(user_id: int, module: Module) -> tuple[float | None, bool]:
    """(percent, passed) by the quiz's grading method over the submitted attempts."""
    attempts = [a for a in attempts_of(user_id, module.id) if a.status == SUBMITTED and a.percent is not None]
    if not attempts or module.current_version is None:
        return None, False
    method = settings(module.current_version)["grading"]
    values = [a.percent for a in attempts]
    percent = {"highest": max(values), "average": sum(values) / len(values), "first": values[0],
               "last": values[-1]}[method]
    return round(percent, 2), percent >= module.current_version.pass_mark


def show_feedback(attempt: QuizAttempt, module: Module) -> bool:
    mode = settings(db.session.get(ModuleVersion, attempt.module_version_id))["feedback"]
    if mode == "never" or attempt.status != SUBMITTED:
        return False
    if mode == "after_pass":
        return module_grade(attempt.user_id, module)[1]
    return True


# --- for other plugins (progress, reports): selects they can compose in SQL ----------------

def activity_select(user_id: int):
    """A select of (module_id, at): when ``user_id`` last worked on each module's quiz."""
    return (select(QuizAttempt.module_id.label("module_id"),
                   func.coalesce(QuizAttempt.submitted_at, QuizAttempt.started_at).label("at"))
            .where(QuizAttempt.user_id == user_id))


def attempted_select():
    """A select of (user_id, module_id) for every quiz attempt."""
    return select(QuizAttempt.user_id, QuizAttempt.module_id)


def open_attempt_ids(user_id: int, module_ids: list[int]) -> dict[int, int]:
    """module id -> id of the user's attempt in progress, for the given modules."""
    return dict(db.session.execute(
        select(QuizAttempt.module_id, QuizAttempt.id).where(QuizAttempt.user_id == user_id,
                                                            QuizAttempt.module_id.in_(module_ids),
                                                            QuizAttempt.status == IN_PROGRESS)).all())


def progress_select():
    """A select of (user_id, module_id, started, passed_at, last_at) over submitted attempts:
    when each learner started a module's quiz, first submitted a passing attempt (None if
    never) and last submitted one - what progress records are derived from."""
    return (select(QuizAttempt.user_id, QuizAttempt.module_id, func.min(QuizAttempt.started_at).label("started"),
                   func.min(case((QuizAttempt.passed.is_(True), QuizAttempt.submitted_at))).label("passed_at"),
                   func.max(QuizAttempt.submitted_at).label("last_at"))
            .where(QuizAttempt.status == SUBMITTED)
            .group_by(QuizAttempt.user_id, QuizAttempt.module_id))


# --- the per learner and module summary (QuizScore) ---------------------------------------

SCORE_COLUMNS = ("user_id", "module_id", "attempts", "submitted", "passed", "scored", "percent_hundredths",
                 "best", "latest", "latest_at", "latest_id", "last_submitted_at")


def score_figures(*where):
    """A select of :data:`SCORE_COLUMNS` per (user, module) computed from the raw attempts
    that match ``where`` (conditions on ``QuizAttempt``) - what a :class:`QuizScore` row holds.

    "Latest" is the submitted attempt with a percent that was submitted last (ties: the
    higher id), as the dashboard has always ranked them."""
    scored = and_(QuizAttempt.status == SUBMITTED, QuizAttempt.percent.is_not(None))
    ranked = (select(QuizAttempt.user_id, QuizAttempt.module_id, QuizAttempt.id, QuizAttempt.status,
                     QuizAttempt.passed, QuizAttempt.percent, QuizAttempt.submitted_at,
                     case((scored, 1), else_=0).label("is_scored"),
                     func.row_number().over(partition_by=(QuizAttempt.user_id, QuizAttempt.module_id),
                                            order_by=(case((scored, 0), else_=1), QuizAttempt.submitted_at.desc(),
                                                      QuizAttempt.id.desc())).label("recency"))
              .where(*where).subquery("ranked"))
    is_submitted = ranked.c.status == SUBMITTED
    last = and_(ranked.c.recency == 1, ranked.c.is_scored == 1)
    return (select(ranked.c.user_id, ranked.c.module_id, func.count().label("attempts"),
                   func.sum(case((is_submitted, 1), else_=0)).label("submitted"),
                   func.sum(case((and_(is_submitted, ranked.c.passed.is_(True)), 1), else_=0)).label("passed"),
                   func.sum(ranked.c.is_scored).label("scored"),
                   func.coalesce(func.sum(case((ranked.c.is_scored == 1,
                                                cast(func.round(ranked.c.percent * 100), Integer)))), 0)
                   .label("percent_hundredths"),
                   func.max(case((is_submitted, ranked.c.percent))).label("best"),
                   func.max(case((last, ranked.c.percent))).label("latest"),
                   func.max(case((last, ranked.c.submitted_at))).label("latest_at"),
                   func.max(case((last, ranked.c.id))).label("latest_id"),
                   func.max(ranked.c.submitted_at).label("last_submitted_at"))
            .group_by(ranked.c.user_id, ranked.c.module_id))


def refresh_scores(pairs: Iterable[tuple[int, int]]) -> None:
    """Recompute the :class:`QuizScore` rows of these (user id, module id) pairs from their
    attempts, in the caller's transaction - call it wherever attempts are added, graded,
    regraded or deleted, before the commit. Each row is locked first (an upsert), so two
    transactions changing the same pair's attempts serialise and the later one counts
    both (PostgreSQL's read-committed statements see what committed before them)."""
    for user_id, module_id in sorted(set(pairs)):
        lock = (_insert_score().values(user_id=user_id, module_id=module_id, attempts=0, submitted=0, passed=0,
                                       scored=0, percent_hundredths=0)
                .on_conflict_do_update(index_elements=["user_id", "module_id"],
                                       set_={"attempts": QuizScore.attempts}))
        db.session.execute(lock)
        row = db.session.execute(score_figures(QuizAttempt.user_id == user_id,
                                               QuizAttempt.module_id == module_id)).mappings().first()
        key = (QuizScore.user_id == user_id, QuizScore.module_id == module_id)
        if row is None:
            db.session.execute(delete(QuizScore).where(*key))
        else:
            db.session.execute(update(QuizScore).where(*key).values(
                {name: row[name] for name in SCORE_COLUMNS[2:]}))


def rebuild_scores() -> int:
    """Replace every :class:`QuizScore` row with figures computed from all attempts (after
    bulk loads, or to check the summary); the caller commits. Returns the number of rows."""
    db.session.execute(delete(QuizScore))
    db.session.execute(insert(QuizScore).from_select(list(SCORE_COLUMNS), score_figures()))
    return db.session.scalar(select(func.count()).select_from(QuizScore)) or 0


def _insert_score():
    """The dialect's INSERT (``on_conflict_do_update`` exists on SQLite and PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(QuizScore)
