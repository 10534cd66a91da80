"""Results for trainers and regrading after a fixed answer key. Aggregates run in SQL."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer, case, cast, func, select

from lms.audit.services import record
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleVersion, Question
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt
from lms.plugins.quizzes.services import grade_attempt, refresh_scores


def module_summary(module: Module, version_id: int | None = None) -> dict:
    """Attempts, learners, average score and pass rate of submitted attempts."""
    query = select(func.count(QuizAttempt.id), func.count(func.distinct(QuizAttempt.user_id)),
                   func.avg(QuizAttempt.percent), func.avg(cast(QuizAttempt.passed, Integer))) \
        .where(QuizAttempt.module_id == module.id, QuizAttempt.status == SUBMITTED)
    if version_id:
        query = query.where(QuizAttempt.module_version_id == version_id)
    attempts, learners, average, pass_rate = db.session.execute(query).one()
    return {"attempts": attempts or 0, "learners": learners or 0,
            "average": round(average, 1) if average is not None else None,
            "pass_rate": round(100 * pass_rate, 1) if pass_rate is not None else None}


def question_summary(module: Module, version_id: int | None = None) -> list[dict]:
    """Per question (by its stable id): answers, share fully right, average credit."""
    query = (select(Question.qid, Question.type, func.count(QuizAnswer.id),
                    func.sum(case((QuizAnswer.credit >= 1.0, 1), else_=0)), func.avg(QuizAnswer.credit),
                    func.sum(case((QuizAnswer.response.is_(None), 1), else_=0)))
             .join(QuizAnswer, QuizAnswer.question_id == Question.id)
             .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
             .where(QuizAttempt.module_id == module.id, QuizAttempt.status == SUBMITTED)
             .group_by(Question.qid, Question.type))
    if version_id:
        query = query.where(QuizAttempt.module_version_id == version_id)
    order = {q.qid: i for i, q in enumerate(module.current_version.questions)} if module.current_version else {}
    rows = [{"qid": r[0], "type": r[1], "answers": r[2], "right": r[3] or 0,
             "facility": round(100.0 * (r[3] or 0) / r[2], 1) if r[2] else None,
             "average_credit": round(100.0 * r[4], 1) if r[4] is not None else None, "blank": r[5] or 0}
            for r in db.session.execute(query)]
    return sorted(rows, key=lambda row: (order.get(row["qid"], 10_000), row["qid"]))


@dataclass
class RegradeReport:
    version: int
    attempts: int = 0
    changed: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # qids whose key could not be applied


def _shape(question: Question) -> tuple:
    data = question.data
    return (question.type, len(data.get("options", [])), len(data.get("pairs", [])), len(data.get("items", [])),
            len(data.get("distractors", [])))


def regrade(module: Module, version_number: int, actor_id: int | None) -> RegradeReport:
    """Regrade the submitted attempts of one version with the current version's answer keys.

    A trainer fixes a wrong key by publishing a new version; this applies the fixed keys
    (matched by question id and shape) to the older version's attempts. Attempts keep their
    own questions; only credits and scores change, and the audit log records every change.
    """
    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id,
                                                            ModuleVersion.number == version_number))
    if version is None:
        raise LookupError(f"{module.course.slug}/{module.slug} has no version {version_number}")
    current = {q.qid: q for q in module.current_version.questions}
    report = RegradeReport(version=version_number)
    keys: dict[int, dict] = {}
    for question in version.questions:
        fixed = current.get(question.qid)
        if fixed is None or _shape(fixed) != _shape(question):
            report.skipped.append(question.qid)
            continue
        keys[question.id] = fixed.data
    attempts = list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.module_version_id == version.id, QuizAttempt.status == SUBMITTED)))
    for attempt in attempts:
        before = attempt.percent
        grade_attempt(attempt, key_overrides=keys)
        report.attempts += 1
        if attempt.percent != before:
            report.changed.append({"attempt": attempt.id, "user": attempt.user_id, "before": before,
                                   "after": attempt.percent})
    refresh_scores({(attempt.user_id, attempt.module_id) for attempt in attempts})
    record("quiz.regraded", "module", module.id, course=module.course.slug, module=module.slug,
           version=version_number, attempts=report.attempts, changes=report.changed, skipped=report.skipped,
           actor_id=actor_id)
    db.session.commit()
    return report
