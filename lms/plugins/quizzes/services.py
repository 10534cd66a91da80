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
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.auth.models import aware, utcnow
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleVersion, Question
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt
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
    current_app.extensions["lms.plugins"].hook.lms_quiz_graded(attempt=attempt)


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
