"""What *My learning* and the home panel show: JP this year, modules in progress and where
to resume them, assignments that apply to the learner, recommendations and completed courses.

Read-only queries over what :mod:`lms.plugins.learning.services` records; aggregation
happens in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select, union_all

from lms.auth.models import Unit, User
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.courses.services import localized
from lms.plugins.learning.models import Assignment, Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.learning.services import aware, has_questions, local_date, local_today, year_bounds
from lms.plugins.quizzes import services as quizzes


# --- JP ------------------------------------------------------------------------------------

def jp_in_year(user_id: int, year: int | None = None) -> float:
    """JP earned from courses completed in ``year`` (default: this year), summed in SQL, plus
    what plugins add through ``lms_external_jp`` (verified external training)."""
    year = year or local_today().year
    start, end = year_bounds(year)
    total = db.session.scalar(select(func.coalesce(func.sum(CourseCompletion.jp), 0.0)).where(
        CourseCompletion.user_id == user_id, CourseCompletion.completed_at >= start,
        CourseCompletion.completed_at < end))
    external = current_app.extensions["lms.plugins"].hook.lms_external_jp(user_id=user_id, year=year)
    return float(total or 0.0) + sum(float(value or 0.0) for value in external)


@dataclass
class JpProgress:
    earned: float
    target: float

    @property
    def percent(self) -> int:
        """Share of the target reached, 0..100 (for the progress bar)."""
        if self.target <= 0:
            return 100
        return min(100, int(round(100 * self.earned / self.target)))


def jp_progress(user_id: int) -> JpProgress:
    return JpProgress(jp_in_year(user_id), float(current_app.config.get("JP_TARGET") or 0))


# --- My learning ---------------------------------------------------------------------------

@dataclass
class InProgress:
    """A module started but not complete, and where to pick it up."""

    course: Course
    module: Module
    title: str
    course_title: str
    seen: int
    total: int
    last_activity: datetime
    resume_lesson: str | None = None  # lesson slug
    open_attempt_id: int | None = None
    quiz_next: bool = False  # every lesson seen: the quiz is what is left


def in_progress(user_id: int, locale: str, limit: int | None = None) -> list[InProgress]:
    """Modules with lesson views or quiz attempts but no completion, latest activity first."""
    activity = union_all(
        select(LessonView.module_id.label("module_id"), LessonView.last_seen.label("at"))
        .where(LessonView.user_id == user_id),
        quizzes.activity_select(user_id),
    ).subquery()
    last = func.max(activity.c.at).label("last")
    query = (select(Module, last).join(activity, activity.c.module_id == Module.id)
             .join(Course, Course.id == Module.course_id)
             .where(Module.active.is_(True), Module.current_version_id.is_not(None), Course.published.is_(True),
                    Module.id.not_in(select(ModuleCompletion.module_id).where(ModuleCompletion.user_id == user_id)))
             .group_by(Module.id).order_by(last.desc(), Module.id))
    if limit:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    ids = [module.id for module, _ in rows]
    views: dict[int, dict[str, datetime]] = {}
    for module_id, slug, seen_at in db.session.execute(
            select(LessonView.module_id, LessonView.lesson_slug, LessonView.last_seen)
            .where(LessonView.user_id == user_id, LessonView.module_id.in_(ids))):
        views.setdefault(module_id, {})[slug] = aware(seen_at)
    open_attempts = quizzes.open_attempt_ids(user_id, ids)
    items = []
    for module, last_at in rows:
        version = module.current_version
        slugs = [lesson.slug for lesson in version.lessons]
        seen = {slug: at for slug, at in views.get(module.id, {}).items() if slug in slugs}
        item = InProgress(course=module.course, module=module, title=localized(version, "title", locale),
                          course_title=localized(module.course, "title", locale), seen=len(seen),
                          total=len(slugs), last_activity=aware(last_at),
                          open_attempt_id=open_attempts.get(module.id))
        if item.open_attempt_id is None:
            if slugs and len(seen) == len(slugs) and has_questions(version):
                item.quiz_next = True
            elif seen:
                item.resume_lesson = max(seen, key=seen.get)
            elif slugs:
                item.resume_lesson = slugs[0]
        items.append(item)
    return items


def _unit_and_above(unit_id: int) -> Select:
    """Ids of ``unit_id`` and every unit above it (a recursive CTE walking up the tree)."""
    tree = (select(Unit.id.label("id"), Unit.parent_id.label("parent_id")).where(Unit.id == unit_id)
            .cte("unit_path", recursive=True))
    tree = tree.union(select(Unit.id, Unit.parent_id).join(tree, Unit.id == tree.c.parent_id))
    return select(tree.c.id)


def assignments_query(user: User) -> Select:
    """Assignments that apply to ``user``: to them, to their unit or any unit above it, or to
    their position."""
    targets = [Assignment.user_id == user.id]
    if user.unit_id is not None:
        targets.append(Assignment.unit_id.in_(_unit_and_above(user.unit_id)))
    if user.position and user.position.strip():
        targets.append(Assignment.position == user.position.strip())
    return select(Assignment).where(or_(*targets))


@dataclass
class AssignedItem:
    assignment: Assignment
    title: str
    course: Course
    module: Module | None
    due_on: date | None
    done: bool
    overdue: bool
    via: str  # "user", "unit" or "position": why it applies


def assigned(user: User, locale: str, today: date | None = None) -> list[AssignedItem]:
    """The user's assignments, one per course or module (the earliest due date wins),
    unfinished first by due date, with the overdue ones marked."""
    today = today or local_today()
    rows = db.session.scalars(assignments_query(user).order_by(Assignment.due_on.is_(None), Assignment.due_on,
                                                               Assignment.id)).all()
    done_courses = set(db.session.scalars(select(CourseCompletion.course_id)
                                          .where(CourseCompletion.user_id == user.id)))
    done_modules = set(db.session.scalars(select(ModuleCompletion.module_id)
                                          .where(ModuleCompletion.user_id == user.id)))
    items: dict[tuple, AssignedItem] = {}
    for row in rows:
        key = (row.course_id, row.module_id)
        if key in items:
            continue
        if row.module_id is not None:
            module = db.session.get(Module, row.module_id)
            course = module.course
            version = module.current_version
            title = localized(version, "title", locale) if version else module.slug
            done = module.id in done_modules
        else:
            module, course = None, db.session.get(Course, row.course_id)
            title = localized(course, "title", locale)
            done = course.id in done_courses
        via = "user" if row.user_id is not None else ("unit" if row.unit_id is not None else "position")
        items[key] = AssignedItem(assignment=row, title=title, course=course, module=module, due_on=row.due_on,
                                  done=done, overdue=bool(not done and row.due_on and row.due_on < today), via=via)
    return sorted(items.values(), key=lambda item: (item.done, item.due_on is None, item.due_on or today))


@dataclass
class CompletedCourse:
    course: Course
    title: str
    completed_on: date
    jp: float
    certificate_code: str | None


def completed_courses(user_id: int, locale: str) -> list[CompletedCourse]:
    rows = db.session.execute(
        select(CourseCompletion, Course, Certificate.code)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(Certificate, Certificate.completion_id == CourseCompletion.id)
        .where(CourseCompletion.user_id == user_id).order_by(CourseCompletion.completed_at.desc())).all()
    return [CompletedCourse(course=course, title=localized(course, "title", locale),
                            completed_on=local_date(completion.completed_at), jp=completion.jp,
                            certificate_code=code) for completion, course, code in rows]


def is_local_url(url: Any) -> bool:
    """Only paths on this site are linked from recommendations (no ``javascript:``, no
    other hosts)."""
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url


def recommendations(user: User) -> list[Any]:
    """What every enabled plugin recommends to ``user`` (``lms_recommendations``), in order."""
    hook = current_app.extensions["lms.plugins"].hook
    found = [item for result in hook.lms_recommendations(user=user) for item in (result or [])]
    return sorted(found, key=lambda item: getattr(item, "order", 50))


@dataclass
class Overview:
    jp: JpProgress
    in_progress: list[InProgress] = field(default_factory=list)
    assigned: list[AssignedItem] = field(default_factory=list)
    recommended: list[Any] = field(default_factory=list)
    completed: list[CompletedCourse] = field(default_factory=list)


def overview(user: User, locale: str) -> Overview:
    """Everything the *My learning* page shows."""
    return Overview(jp=jp_progress(user.id), in_progress=in_progress(user.id, locale),
                    assigned=assigned(user, locale), recommended=recommendations(user),
                    completed=completed_courses(user.id, locale))


def course_progress(user_id: int, course: Course) -> dict:
    """Per module: lessons seen of the current version and completion; the course's certificate."""
    from lms.plugins.learning.models import Certificate, CourseCompletion

    modules = [m for m in course.modules if m.active and m.current_version is not None]
    ids = [m.id for m in modules]
    seen: dict[int, set[str]] = {}
    for module_id, slug in db.session.execute(select(LessonView.module_id, LessonView.lesson_slug).where(
            LessonView.user_id == user_id, LessonView.module_id.in_(ids))):
        seen.setdefault(module_id, set()).add(slug)
    done = set(db.session.scalars(select(ModuleCompletion.module_id).where(
        ModuleCompletion.user_id == user_id, ModuleCompletion.module_id.in_(ids))))
    certificate = db.session.scalar(
        select(Certificate.code).join(CourseCompletion, CourseCompletion.id == Certificate.completion_id)
        .where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course.id))
    result = {}
    for module in modules:
        slugs = {lesson.slug for lesson in module.current_version.lessons}
        result[module.id] = {"seen": len(slugs & seen.get(module.id, set())), "total": len(slugs),
                             "complete": module.id in done}
    return {"modules": result, "complete": certificate is not None, "certificate": certificate}
