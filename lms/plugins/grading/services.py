"""Grading practical tasks: the learner's file, the trainers' queue, a grade and its
consequences. The only module of the plugin that commits.

Who grades: admins, every answer; trainers, the answers in the modules they teach - the
course's ``authors`` name them (username or full name) or they published a version of the
module (``courses.services.taught_module_ids``, the authorship the discussions plugin
reads too); nobody their own answers. A trainer for some libraries only
(``organisation_roles``) grades as a trainer does, but only the answers of learners in
those libraries and the libraries below them. Everything else answers 404. A grade writes
the answer's credit and then regrades the attempt through the quizzes plugin's
``grade_attempt``, so the score, the per-learner summary, the module's completion, the
course certificate and JP follow by the same code as an automatically graded quiz
(``lms_quiz_submitted``), in the same transaction as the grade, the learner's
notification and the audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.audit import services as audit
from lms.auth.models import Unit, User
from lms.clock import utcnow
from lms.extensions import db
from lms.organisations import ids_below
from lms.pluginmanager import hook, plugin_enabled
from lms.plugins.courses.models import Course, Module, ModuleVersion, Question
from lms.plugins.courses.services import taught_module_ids
from lms.plugins.grading.models import EssayGrade, EssayUpload
from lms.plugins.grading.questions import Essay, credit_of, word_count
from lms.plugins.quizzes import services as quizzes
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt
from lms.plugins.records import storage

GRADER_ROLES = ("trainer", "admin")
KIND = "grading"  # the notification kind (a row of the notification preferences)
# the row of the notification preferences: (label, hint, default e-mail)
KINDS = {KIND: (_l("Graded practical tasks"), _l("A trainer graded your written answer or practical task."),
                "immediate")}
MESSAGES = {"grading.graded": (_l("Your practical task is graded: %(title)s"),
                               _l("A trainer graded your answer; see the levels and the feedback.")),
            "grading.regraded": (_l("The grade of your practical task changed: %(title)s"),
                                 _l("A trainer graded your answer again; see the levels and the feedback."))}


class GradingError(ValueError):
    """A refused grading or upload; the message is for the user."""


def is_grader(user: User) -> bool:
    return user.has_role(*GRADER_ROLES) or bool(user.organisations_for("trainer"))


def scope(grader: User) -> set[int] | None:
    """The module ids ``grader`` may grade in; None = every module (admins)."""
    if grader.has_role("admin"):
        return None
    if not grader.holds("trainer"):
        return set()
    return taught_module_ids(grader)


def learner_units(grader: User):
    """A select of the unit ids whose learners ``grader`` may grade; None = everyone's (an
    install-wide admin or trainer). A trainer for some libraries: those libraries' units."""
    if grader.has_role("admin", "trainer"):
        return None
    return select(Unit.id).where(Unit.organisation_id.in_(ids_below(sorted(grader.organisations_for("trainer")))))


def _in_scope(grader: User, module_id: int, learner_id: int) -> bool:
    allowed = scope(grader)
    if allowed is not None and module_id not in allowed:
        return False
    units = learner_units(grader)
    return units is None or bool(db.session.scalar(
        select(func.count()).select_from(User).where(User.id == learner_id, User.unit_id.in_(units))))


def _scoped(query, grader: User):
    allowed = scope(grader)
    if allowed is not None:
        query = query.where(QuizAttempt.module_id.in_(sorted(allowed) or [-1]))
    units = learner_units(grader)
    if units is not None:
        query = query.where(QuizAttempt.user_id.in_(select(User.id).where(User.unit_id.in_(units))))
    return query


# --- the learner's file -----------------------------------------------------------------------

def upload_of(attempt_id: int, question_id: int) -> EssayUpload | None:
    return db.session.scalar(select(EssayUpload).where(EssayUpload.attempt_id == attempt_id,
                                                       EssayUpload.question_id == question_id))


def attach_file(attempt: QuizAttempt, question_id: int, data: bytes, filename: str | None) -> EssayUpload:
    """Keep the learner's file for an essay of their open attempt (replacing an earlier
    one), checked by the records plugin's evidence storage: type by content (PDF, PNG,
    JPEG, WebP), size, images rewritten without metadata. Refused: nothing is stored."""
    question = db.session.get(Question, question_id)
    if (attempt.status != IN_PROGRESS or quizzes.is_late(attempt) or question is None
            or question.module_version_id != attempt.module_version_id or question.type != Essay.name):
        raise GradingError(_("This file cannot be added to this attempt."))
    if question.data.get("upload", "none") == "none":
        raise GradingError(_("This question takes no file."))
    try:
        kept = storage.save(data, filename)
    except storage.EvidenceError as error:
        raise GradingError(str(error)) from None
    old = upload_of(attempt.id, question.id)
    replaced = old.stored if old is not None else None
    if old is None:
        old = EssayUpload(attempt_id=attempt.id, question_id=question.id, user_id=attempt.user_id)
        db.session.add(old)
    old.name, old.stored, old.content_type = kept.name, kept.stored, kept.content_type
    old.size, old.sha256, old.uploaded_at = kept.size, kept.sha256, utcnow()
    answer = db.session.scalar(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt.id,
                                                        QuizAnswer.question_id == question.id))
    if answer is None:
        answer = QuizAnswer(attempt_id=attempt.id, question_id=question.id, response={"text": "", "file": True})
        db.session.add(answer)
    else:
        answer.response = {**(answer.response or {"text": ""}), "file": True}
    answer.saved_at = utcnow()
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.remove(kept.stored)
        raise
    if replaced:
        storage.remove(replaced)
    return old


def may_see_upload(user: User, upload: EssayUpload) -> bool:
    """The learner, admins and the trainers who may grade it; nobody else (a 404)."""
    if upload.user_id == user.id:
        return True
    attempt = db.session.get(QuizAttempt, upload.attempt_id)
    return attempt is not None and is_grader(user) and _in_scope(user, attempt.module_id, attempt.user_id)


# --- the queue ----------------------------------------------------------------------------------

@dataclass
class Waiting:
    answer_id: int
    attempt_id: int
    submitted_at: datetime
    learner: str
    course: Course
    module_title_id: str
    module_title_en: str
    qid: str

    @property
    def module(self) -> SimpleNamespace:
        """The module's titles, for ``localized(w.module, 'title')``."""
        return SimpleNamespace(title_id=self.module_title_id, title_en=self.module_title_en)


def _waiting_query(grader: User):
    return _scoped(select(QuizAnswer.id, QuizAttempt.id, QuizAttempt.submitted_at, User.full_name, Course,
                   ModuleVersion.title_id, ModuleVersion.title_en, Question.qid)
            .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
            .join(Question, Question.id == QuizAnswer.question_id)
            .join(ModuleVersion, ModuleVersion.id == QuizAttempt.module_version_id)
            .join(Module, Module.id == QuizAttempt.module_id)
            .join(Course, Course.id == Module.course_id)
            .join(User, User.id == QuizAttempt.user_id)
            .where(Question.type == Essay.name, QuizAnswer.credit.is_(None), QuizAttempt.status == SUBMITTED,
                   QuizAttempt.user_id != grader.id), grader)


def queue(grader: User, limit: int = 200) -> list[Waiting]:
    """Essays awaiting their grader, oldest submission first."""
    rows = db.session.execute(_waiting_query(grader).order_by(QuizAttempt.submitted_at, QuizAnswer.id)
                              .limit(limit)).all()
    return [Waiting(*row) for row in rows]


def waiting_count(grader: User) -> int:
    return db.session.scalar(select(func.count()).select_from(_waiting_query(grader).subquery())) or 0


def recently_graded(grader: User, limit: int = 20) -> list[tuple[EssayGrade, QuizAnswer, QuizAttempt, User]]:
    return list(db.session.execute(_scoped(
        select(EssayGrade, QuizAnswer, QuizAttempt, User)
        .join(QuizAnswer, QuizAnswer.id == EssayGrade.answer_id)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(QuizAttempt.user_id != grader.id), grader)
        .order_by(EssayGrade.graded_at.desc(), EssayGrade.id.desc()).limit(limit)).all())


# --- one answer -----------------------------------------------------------------------------------

@dataclass
class Gradable:
    answer: QuizAnswer
    attempt: QuizAttempt
    question: Question
    learner: User
    module: Module
    upload: EssayUpload | None
    grade: EssayGrade | None

    @property
    def words(self) -> int:
        return word_count((self.answer.response or {}).get("text", ""))


def gradable(grader: User, answer_id: int) -> Gradable | None:
    """An essay answer of a submitted attempt that ``grader`` may grade, or None (a 404:
    no such answer, not an essay, still in progress, or the grader's own)."""
    answer = db.session.get(QuizAnswer, answer_id)
    if answer is None or not is_grader(grader):
        return None
    attempt = db.session.get(QuizAttempt, answer.attempt_id)
    question = db.session.get(Question, answer.question_id)
    if (attempt is None or attempt.status != SUBMITTED or question is None or question.type != Essay.name
            or attempt.user_id == grader.id or answer.response is None
            or not _in_scope(grader, attempt.module_id, attempt.user_id)):
        return None
    return Gradable(answer=answer, attempt=attempt, question=question,
                    learner=db.session.get(User, attempt.user_id), module=db.session.get(Module, attempt.module_id),
                    upload=upload_of(attempt.id, question.id),
                    grade=db.session.scalar(select(EssayGrade).where(EssayGrade.answer_id == answer.id)))


def level_value(points: float) -> str:
    """A level's form value: its points as plain text (2, 1.5)."""
    return f"{points:g}"


def read_levels(rubric: list[dict], form) -> list[float]:
    """The level chosen for each criterion (form fields ``criterion-0``...), checked
    against the rubric; every criterion must have one."""
    levels = []
    for index, criterion in enumerate(rubric):
        value = form.get(f"criterion-{index}", "")
        allowed = {level_value(level["points"]): level["points"] for level in criterion["levels"]}
        if value not in allowed:
            raise GradingError(_("Choose a level for every criterion (missing: %(text)s).", text=criterion["text"]))
        levels.append(allowed[value])
    return levels


MAX_FEEDBACK = 5000


def grade(grader: User, item: Gradable, levels: list[float], feedback: str) -> EssayGrade:
    """Record the grade of one essay answer and everything that follows from it, in one
    transaction: the credit, the attempt's score (``grade_attempt``), the learner's score
    summary, the module completion, certificate and JP (``lms_quiz_submitted``, once the
    attempt has no essay left to grade), the learner's notification and the audit entry.
    Grading again (regrading) replaces the grade and is audited the same way."""
    feedback = (feedback or "").replace("\r\n", "\n").strip()
    if len(feedback) > MAX_FEEDBACK:
        raise GradingError(_("The feedback is too long: at most %(n)d characters.", n=MAX_FEEDBACK))
    rubric = item.question.data["rubric"]
    if len(levels) != len(rubric):
        raise GradingError(_("Choose a level for every criterion."))
    credit = credit_of(rubric, levels)
    row = item.grade
    regrade = row is not None
    before = item.answer.credit
    if row is None:
        row = EssayGrade(answer_id=item.answer.id, times=0)
        db.session.add(row)
    row.grader_id, row.graded_at, row.levels, row.feedback, row.credit = grader.id, utcnow(), levels, feedback, credit
    row.times = (row.times or 0) + 1
    item.answer.credit = credit
    db.session.flush()
    attempt = item.attempt
    quizzes.grade_attempt(attempt)
    quizzes.refresh_scores([(attempt.user_id, attempt.module_id)])
    if attempt.percent is not None:  # nothing left to grade: progress, certificate, JP, learning event
        hook().lms_quiz_submitted(attempt=attempt)
    audit.record("quiz.essay_regraded" if regrade else "quiz.essay_graded", "quiz_answer", item.answer.id,
                 attempt=attempt.id, learner=attempt.user_id, question=item.question.qid, levels=levels,
                 credit_before=before, credit=credit, attempt_percent=attempt.percent, actor_id=grader.id)
    _notify(item, regrade)
    db.session.commit()
    return row


def _notify(item: Gradable, regrade: bool) -> None:
    """Tell the learner (in-app; e-mail as they chose for "grading"), when notifications are on."""
    if not plugin_enabled("notifications"):
        return
    from lms.plugins.notifications import services as notifications

    version = db.session.get(ModuleVersion, item.attempt.module_version_id)
    notifications.notify([item.attempt.user_id], KIND, "grading.regraded" if regrade else "grading.graded",
                         {"title_id": version.title_id, "title_en": version.title_en},
                         url=f"/quiz/attempt/{item.attempt.id}/review#review-{item.question.id}", commit=False)


# --- the learner's result page ----------------------------------------------------------------------

def review_extra(answer: QuizAnswer) -> dict:
    """The grade (levels per criterion, feedback) and the file of one essay answer."""
    grade_row = db.session.scalar(select(EssayGrade).where(EssayGrade.answer_id == answer.id))
    return {"grade": grade_row, "upload": upload_of(answer.attempt_id, answer.question_id)}
