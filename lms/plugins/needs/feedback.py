"""Module feedback (Kirkpatrick level 1): a learner who finished a module rates it useful,
clear and applicable (1-5) with an optional comment; trainers see the means per module and
the latest comments, without names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.i18n import localized
from lms.transactions import refusals_roll_back
from lms.plugins.courses.models import Course, Module, ModuleVersion
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs.models import ModuleFeedback

COMMENT_MAX = 2000
SCALE = range(1, 6)
SORTS = ("lowest", "title", "responses")


class FeedbackError(ValueError):
    """Feedback that cannot be stored (nothing was saved)."""


@dataclass
class FeedbackSummary:
    """One module's reaction figures: responses and the means (1-5) of each question;
    ``overall`` is the mean of the three means."""

    n: int
    useful: float
    clear: float
    applicable: float
    overall: float


def has_completed(user_id: int, module_id: int) -> bool:
    """True when ``user_id`` finished the module (a ``ModuleCompletion`` exists)."""
    return db.session.scalar(select(func.count()).select_from(ModuleCompletion).where(
        ModuleCompletion.user_id == user_id, ModuleCompletion.module_id == module_id)) > 0


def own_feedback(user_id: int, module_id: int) -> ModuleFeedback | None:
    return db.session.scalar(select(ModuleFeedback).where(ModuleFeedback.user_id == user_id,
                                                          ModuleFeedback.module_id == module_id))


@refusals_roll_back(FeedbackError)
def save_feedback(user: User, module: Module, *, useful: int, clear: int, applicable: int,
                  comment: str = "") -> ModuleFeedback:
    """Store or update ``user``'s feedback on ``module``; refused unless they finished it."""
    if not has_completed(user.id, module.id):
        raise FeedbackError(_l("You can give feedback once you have finished the module."))
    values = (useful, clear, applicable)
    if any(not isinstance(v, int) or v not in SCALE for v in values):
        raise FeedbackError(_l("Answers must be a number from 1 to 5. Nothing was saved."))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise FeedbackError(_l("The comment is too long."))
    feedback = own_feedback(user.id, module.id)
    now = utcnow()
    if feedback is None:
        feedback = ModuleFeedback(user_id=user.id, module_id=module.id, created_at=now)
        db.session.add(feedback)
    feedback.module_version_id = module.current_version.id if module.current_version else None
    feedback.useful, feedback.clear, feedback.applicable = values
    feedback.comment = comment
    feedback.updated_at = now
    db.session.commit()
    return feedback


def feedback_summary(module_ids: list[int] | None = None) -> dict[int, FeedbackSummary]:
    """Per module with feedback (limited to ``module_ids`` when given): the number of
    responses and the means, aggregated in SQL."""
    query = (select(ModuleFeedback.module_id, func.count(), func.avg(ModuleFeedback.useful),
                    func.avg(ModuleFeedback.clear), func.avg(ModuleFeedback.applicable))
             .group_by(ModuleFeedback.module_id))
    if module_ids is not None:
        if not module_ids:
            return {}
        query = query.where(ModuleFeedback.module_id.in_(list(module_ids)))
    result = {}
    for module_id, n, useful, clear, applicable in db.session.execute(query).all():
        useful, clear, applicable = float(useful), float(clear), float(applicable)
        result[module_id] = FeedbackSummary(n=n, useful=useful, clear=clear, applicable=applicable,
                                            overall=(useful + clear + applicable) / 3)
    return result


@dataclass
class SummaryRow:
    module_id: int
    course_title: str
    module_title: str
    summary: FeedbackSummary


def _title(obj, locale: str) -> str:
    return localized(obj, "title", locale)


def summary_rows(locale: str, sort: str = "lowest") -> list[SummaryRow]:
    """The trainers' table: modules with feedback, lowest overall mean first by default."""
    summaries = feedback_summary()
    if not summaries:
        return []
    rows = []
    modules = db.session.scalars(select(Module).where(Module.id.in_(list(summaries))))
    for module in modules:
        version = module.current_version
        module_title = _title(version, locale) if version else module.slug
        rows.append(SummaryRow(module.id, _title(module.course, locale), module_title, summaries[module.id]))
    if sort == "title":
        rows.sort(key=lambda r: (r.course_title.lower(), r.module_title.lower()))
    elif sort == "responses":
        rows.sort(key=lambda r: (-r.summary.n, r.summary.overall))
    else:
        rows.sort(key=lambda r: (r.summary.overall, r.course_title.lower(), r.module_title.lower()))
    return rows


@dataclass
class Comment:
    course_title: str
    module_title: str
    text: str
    at: datetime


def latest_comments(locale: str, limit: int = 20) -> list[Comment]:
    """The newest non-empty comments with their module, never the author."""
    rows = db.session.execute(
        select(ModuleFeedback.comment, ModuleFeedback.updated_at, Course, ModuleVersion, Module.slug)
        .join(Module, Module.id == ModuleFeedback.module_id)
        .join(Course, Course.id == Module.course_id)
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .where(ModuleFeedback.comment != "")
        .order_by(ModuleFeedback.updated_at.desc(), ModuleFeedback.id.desc()).limit(limit)).all()
    return [Comment(_title(course, locale), _title(version, locale) if version else slug, text, at)
            for text, at, course, version, slug in rows]
