"""Taking quizzes: start, save as you go, submit once, grade on the server.

The only place in the quizzes plugin that commits. Views pass in the current user and the
submitted form; nothing here trusts the page: question ids, option ids and numbers are all
checked against the attempt's own layout.
"""
from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, case, cast, delete, func, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.clock import aware, utcnow
from lms.pluginmanager import hook
from lms.extensions import db
from lms.http import parse_int
from lms.plugins.courses.models import Module, ModuleVersion, Question
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt, QuizScore
from lms.questions import QuestionType, ResponseError
from lms.sql import commit_as_written, dialect_insert

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


def can_retry(user_id: int, module: Module) -> tuple[bool, int | None]:
    """(whether a new attempt may start now, attempts left or None when unlimited), for the
    result page's "try again": the module is still published and no attempt is open."""
    if not module.active or not module.course.published or module.current_version is None:
        return False, None
    if open_attempt(user_id, module.id) is not None:
        return False, None
    left = attempts_left(user_id, module)
    return left is None or left > 0, left


def start_attempt(user_id: int, module: Module) -> QuizAttempt:
    """Resume the open attempt, or start a new one on the module's current version.

    One read tells what is open, how many attempts were used and the next number; the
    write transaction is then the INSERT alone."""
    used, last_number, open_id = db.session.execute(
        select(func.count(QuizAttempt.id), func.max(QuizAttempt.number),
               func.max(case((QuizAttempt.status == IN_PROGRESS, QuizAttempt.id))))
        .where(QuizAttempt.user_id == user_id, QuizAttempt.module_id == module.id)).one()
    if open_id is not None:
        return db.session.get(QuizAttempt, open_id)
    version = module.current_version
    if version is None or not module.active or not version.questions:
        raise QuizError(_("This module has no quiz."))
    config = settings(version)
    if config["attempts"] and used >= config["attempts"]:
        raise QuizError(_("You have used all the attempts allowed for this quiz."))
    rng = random.Random(secrets.randbits(64))
    questions = list(version.questions)
    order = [q.id for q in questions]
    if config["shuffle"]:
        rng.shuffle(order)
    types = registry()
    layout = {"questions": order,
              "items": {str(q.id): types[q.type].layout(q.data, rng, bool(config["shuffle"] and q.shuffle))
                        for q in questions}}
    now = utcnow()
    attempt = QuizAttempt(user_id=user_id, module_id=module.id, module_version_id=version.id,
                          number=(last_number or 0) + 1, status=IN_PROGRESS, layout=layout, started_at=now,
                          deadline=now + timedelta(minutes=config["time_limit"]) if config["time_limit"] else None)
    db.session.add(attempt)
    try:
        db.session.flush()
        count_started(user_id, module.id)
        commit_as_written()  # the redirect reads attempt.id: no reload of what was just written
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
    unanswered: list[int] = field(default_factory=list)  # question ids left blank: submit not confirmed


def _read_form(attempt: QuizAttempt, form, questions: list[Question] | None = None
               ) -> tuple[dict[int, dict | None], dict[int, str]]:
    """Responses by question id from the form, refusing anything outside this attempt."""
    questions = {q.id: q for q in (attempt_questions(attempt) if questions is None else questions)}
    for key in form.keys():
        if key.startswith("q-"):
            ident = key[2:].split("-", 1)[0]
            if parse_int(ident) not in questions:
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


def _check_published(attempt: QuizAttempt) -> Module:
    # one query for the module, its course and current version (the hooks after a submit
    # read all three)
    module = db.session.get(Module, attempt.module_id,
                            options=[joinedload(Module.course), joinedload(Module.current_version)])
    if module is None or not module.active or not module.course.published:
        raise QuizError(_("This module is no longer published; the attempt cannot be changed."))
    return module


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


def unanswered_questions(attempt: QuizAttempt, questions: list[Question],
                         responses: dict[int, dict | None]) -> list[int]:
    """Ids of the questions with no answer, in the attempt's order: the form's answer where
    the form has the question, else what was saved. The saved answers are read only when
    the form leaves a question blank, so a fully answered submit costs nothing more."""
    missing = [q.id for q in questions if responses.get(q.id) is None]
    if all(qid in responses for qid in missing):
        return missing
    saved = dict(db.session.execute(select(QuizAnswer.question_id, QuizAnswer.response)
                                    .where(QuizAnswer.attempt_id == attempt.id,
                                           QuizAnswer.question_id.in_(missing))).all())
    return [qid for qid in missing if qid in responses or saved.get(qid) is None]


def submit_attempt(attempt: QuizAttempt, form, confirmed: bool = True) -> tuple[QuizAttempt, SaveResult]:
    """Close the attempt with the form's last answers (if in time) and grade it, exactly once.

    ``confirmed=False`` (the quiz page's Submit button): when questions are still blank,
    nothing is graded - the answers are saved and ``result.unanswered`` lists the blank
    questions, so the page can ask "submit anyway?". A late attempt is always submitted.

    Everything that only reads comes first: the module, the questions, the form. The write
    transaction is then short - claim, store the answers with their credit, total the score,
    commit - so SQLite's single writer lock is held for a few statements, not a request.
    """
    # Held to the end: the session keeps only referenced objects, and the hooks after the
    # commit read the module, its course and version.
    _module = _check_published(attempt)
    result = SaveResult()
    if attempt.status != IN_PROGRESS:
        return attempt, result  # a replayed submit: graded already, nothing to write
    questions = attempt_questions(attempt)
    responses: dict[int, dict | None] = {}
    if not is_late(attempt):
        responses, errors = _read_form(attempt, form, questions)
        if errors:
            return attempt, save_answers(attempt, form)  # keep what can be kept; let them fix the rest
        if not confirmed:
            blank = unanswered_questions(attempt, questions, responses)
            if blank:
                result = save_answers(attempt, form)
                result.unanswered = blank
                return attempt, result
        result.saved = len(responses)
    # Close and grade in ONE transaction: the conditional UPDATE lets only one submit win
    # (a racing one waits for the row, then matches nothing), and no reader ever sees a
    # submitted attempt without its score (the review page once met one mid-grading).
    now = utcnow()
    closed = db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.status == IN_PROGRESS)
        .values(status=SUBMITTED, submitted_at=now).execution_options(synchronize_session=False))
    if closed.rowcount != 1:  # another request submitted it first
        db.session.rollback()
        return attempt, result
    set_committed_value(attempt, "status", SUBMITTED)
    set_committed_value(attempt, "submitted_at", now)
    grade_attempt(attempt, responses=responses, questions=questions)
    count_submitted(attempt)
    # What follows from the grade - the learning event, the module and course completion,
    # the certificate - is written by the hooks in this same transaction and committed with
    # the grade: a worker killed in between leaves all of it or none of it.
    hook().lms_quiz_submitted(attempt=attempt)
    commit_as_written()  # the redirect reads what was just written: no reloads
    return attempt, result


def grade_attempt(attempt: QuizAttempt, key_overrides: dict[int, dict] | None = None, *,
                  responses: dict[int, dict | None] | None = None,
                  questions: list[Question] | None = None) -> None:
    """Credit every question of the attempt (unanswered ones get 0) and total the score.

    A question graded by a person (``QuestionType.manual``) keeps the credit its grader
    wrote; while one is ungraded (credit None) the attempt is *awaiting grading*: its score
    holds the points so far, its ``percent`` and ``passed`` stay None, and so the module
    grade, completion, certificate and JP ignore it until the grader is done.

    ``key_overrides`` maps question ids to a corrected answer key (regrading).
    ``responses`` (question id -> response) are answers to store with their credit, as the
    submit form brings them; the other questions are graded on what was saved before.
    ``questions``: the attempt's questions, when the caller has them already.

    The saved answers are read in the caller's transaction and written back in bulk - one
    upsert for the answers given now (and a row for each question never answered), one
    UPDATE for the credit of the others - not one ORM flush per row.
    """
    types = registry()
    overrides = key_overrides or {}
    responses = responses or {}
    if questions is None:
        questions = attempt_questions(attempt)
    rows = db.session.execute(select(QuizAnswer.question_id, QuizAnswer.response, QuizAnswer.credit)
                              .where(QuizAnswer.attempt_id == attempt.id)).all()
    saved = {row[0]: row[1] for row in rows}
    saved_credit = {row[0]: row[2] for row in rows}
    now = utcnow()
    stored, credited = [], []
    score = maximum = 0.0
    awaiting = False
    for question in questions:
        given = question.id in responses
        response = responses[question.id] if given else saved.get(question.id)
        qtype = types[question.type]
        credit = qtype.grade(overrides.get(question.id, question.data), response)
        if credit is None and qtype.manual and not given:
            credit = saved_credit.get(question.id)  # what the grader wrote; None = not graded yet
        if given or question.id not in saved:
            stored.append({"attempt_id": attempt.id, "question_id": question.id, "response": response,
                           "saved_at": now, "credit": credit})
        else:
            credited.append({"b_question_id": question.id, "b_credit": credit})
        if credit is None:
            awaiting = True
        else:
            score += credit * question.points
        maximum += question.points
    if stored:
        upsert = dialect_insert(QuizAnswer)
        db.session.execute(upsert.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"],
            set_={"response": upsert.excluded.response, "saved_at": upsert.excluded.saved_at,
                  "credit": upsert.excluded.credit}), stored)
    if credited:
        answers = QuizAnswer.__table__.c
        db.session.execute(update(QuizAnswer.__table__)
                           .where(answers.attempt_id == attempt.id, answers.question_id == bindparam("b_question_id"))
                           .values(credit=bindparam("b_credit")), credited)
    if "answers" not in inspect(attempt).unloaded:  # loaded before: let it read the rows again
        for answer in attempt.answers:
            db.session.expire(answer)
        db.session.expire(attempt, ["answers"])
    version = db.session.get(ModuleVersion, attempt.module_version_id)
    attempt.score, attempt.max_score = round(score, 4), maximum
    if awaiting:  # a person grades the rest: no percent, no pass, so nothing counts it yet
        attempt.percent = attempt.passed = None
    else:
        attempt.percent = round(100.0 * score / maximum, 2) if maximum else 0.0
        attempt.passed = attempt.percent >= version.pass_mark
    hook().lms_quiz_graded(attempt=attempt)


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


def awaiting_grading(attempt: QuizAttempt) -> bool:
    """A submitted attempt whose essays a grader has not graded yet."""
    return attempt.status == SUBMITTED and attempt.percent is None


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
        lock = (dialect_insert(QuizScore).values(user_id=user_id, module_id=module_id, attempts=0, submitted=0,
                                                 passed=0, scored=0, percent_hundredths=0)
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


def count_started(user_id: int, module_id: int) -> None:
    """Add a just-started attempt to the person's :class:`QuizScore` row, in the caller's
    transaction: one upsert instead of :func:`refresh_scores`' recount (the quiz start and
    submit are the hot write path). The increment is applied to the row as it is when the
    statement runs (SQLite has one writer; PostgreSQL's ON CONFLICT DO UPDATE locks the row),
    so concurrent changes add up as a recount would."""
    db.session.execute(
        dialect_insert(QuizScore).values(user_id=user_id, module_id=module_id, attempts=1, submitted=0, passed=0,
                                         scored=0, percent_hundredths=0)
        .on_conflict_do_update(index_elements=["user_id", "module_id"],
                               set_={"attempts": QuizScore.attempts + 1}))


def count_submitted(attempt: QuizAttempt) -> None:
    """Fold a just-graded, just-submitted attempt into its :class:`QuizScore` row (counted
    as started already): one upsert, with the same arithmetic as :func:`score_figures` -
    the hundredths rounded in SQL, "latest" the scored attempt with the latest
    (submitted_at, id). ``tests/quizzes/test_scores.py`` checks the row against a recount."""
    scored = attempt.percent is not None
    row = dialect_insert(QuizScore).values(
        user_id=attempt.user_id, module_id=attempt.module_id, attempts=1, submitted=1,
        passed=1 if attempt.passed else 0, scored=1 if scored else 0,
        percent_hundredths=cast(func.round(bindparam("percent", attempt.percent) * 100), Integer) if scored else 0,
        best=attempt.percent, latest=attempt.percent if scored else None,
        latest_at=attempt.submitted_at if scored else None, latest_id=attempt.id if scored else None,
        last_submitted_at=attempt.submitted_at)
    new = row.excluded
    newer = or_(QuizScore.latest_at.is_(None), new.latest_at > QuizScore.latest_at,
                and_(new.latest_at == QuizScore.latest_at, new.latest_id > QuizScore.latest_id))
    changes = {"submitted": QuizScore.submitted + 1, "passed": QuizScore.passed + new.passed,
               "best": case((or_(QuizScore.best.is_(None), new.best > QuizScore.best), new.best),
                            else_=QuizScore.best),
               "last_submitted_at": case((or_(QuizScore.last_submitted_at.is_(None),
                                              new.last_submitted_at > QuizScore.last_submitted_at),
                                          new.last_submitted_at), else_=QuizScore.last_submitted_at)}
    if scored:
        changes.update({"scored": QuizScore.scored + 1,
                        "percent_hundredths": QuizScore.percent_hundredths + new.percent_hundredths,
                        "latest": case((newer, new.latest), else_=QuizScore.latest),
                        "latest_at": case((newer, new.latest_at), else_=QuizScore.latest_at),
                        "latest_id": case((newer, new.latest_id), else_=QuizScore.latest_id)})
    db.session.execute(row.on_conflict_do_update(index_elements=["user_id", "module_id"], set_=changes))


def rebuild_scores() -> int:
    """Replace every :class:`QuizScore` row with figures computed from all attempts (after
    bulk loads, or to check the summary); the caller commits. Returns the number of rows."""
    db.session.execute(delete(QuizScore))
    db.session.execute(insert(QuizScore).from_select(list(SCORE_COLUMNS), score_figures()))
    return db.session.scalar(select(func.count()).select_from(QuizScore)) or 0
