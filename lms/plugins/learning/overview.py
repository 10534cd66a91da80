"""What *My learning* and the home panel show: JP this year, modules in progress and where
to resume them, assignments that apply to the learner, recommendations and completed courses.

Read-only queries over what :mod:`lms.plugins.learning.services` records; aggregation
happens in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, union_all

from lms.pluginmanager import has_endpoint, hook
from lms.auth.models import User
from lms import organisations
from lms.clock import CURRENT, aware, local_date, local_today, year_bounds
from lms.extensions import db
from lms.i18n import localized
from lms.plugins.courses.models import Course, Module
from lms.plugins.learning import assigning
from lms.plugins.learning.assigning import Status
from lms.plugins.learning.models import Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.learning.services import has_questions
from lms.plugins.quizzes import services as quizzes


# --- JP ------------------------------------------------------------------------------------

def jp_in_year(user_id: int, year: int | None = None, organisation: Any = CURRENT) -> float:
    """JP earned from courses completed in ``year`` (default: this year), summed in SQL, plus
    what plugins add through ``lms_external_jp`` (verified external training). The year is
    that of the person's library (its time zone): pass ``organisation`` when it is known."""
    if organisation is CURRENT:
        organisation = organisations.for_person(user_id)
    year = year or local_today(organisation).year
    start, end = year_bounds(year, organisation)
    total = db.session.scalar(select(func.coalesce(func.sum(CourseCompletion.jp), 0.0)).where(
        CourseCompletion.user_id == user_id, CourseCompletion.completed_at >= start,
        CourseCompletion.completed_at < end))
    external = hook().lms_external_jp(user_id=user_id, year=year)
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
    """This year's JP of the person against their own library's target, in its calendar year."""
    organisation = organisations.for_person(user_id)
    return JpProgress(jp_in_year(user_id, organisation=organisation), organisations.jp_target(organisation))


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


@dataclass
class AssignedItem:
    status: Status
    title: str
    course: Course
    module: Module | None
    due_on: date | None
    via: str  # "user", "unit" or "position": why it applies
    course_title: str = ""

    @property
    def done(self) -> bool:
        return self.status.status == assigning.DONE

    @property
    def overdue(self) -> bool:
        return self.status.status == assigning.OVERDUE

    @property
    def due_soon(self) -> bool:
        return self.status.status == assigning.DUE_SOON


def assigned(user: User, locale: str, today: date | None = None) -> list[AssignedItem]:
    """The user's assignments, one per course or module (the earliest due date wins), from the
    one source of status (:func:`assigning.statuses_of`): overdue first (the oldest due
    first), then due soon, open, done. Only an active librarian has assignments."""
    found = assigning.statuses_of(user.id, today or local_today())
    if not found:
        return []
    titles = assigning.subject_titles_for(found, locale)
    modules = {m.id: m for m in db.session.scalars(select(Module).where(
        Module.id.in_([s.module_id for s in found if s.module_id is not None])))}
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(
        [s.course_id for s in found if s.course_id is not None] + [m.course_id for m in modules.values()])))}
    items = []
    for status in found:
        module = modules.get(status.module_id) if status.module_id is not None else None
        course = courses[module.course_id if module is not None else status.course_id]
        items.append(AssignedItem(status=status, title=titles[(status.course_id, status.module_id)], course=course,
                                  module=module, due_on=status.due_on, via=status.via,
                                  course_title=localized(course, "title", locale)))
    return items


def counts_of(items: list[AssignedItem]) -> dict[str, int]:
    """The status counts of a person's assignments (the same figures as
    :func:`assigning.status_counts`, from rows already loaded)."""
    counts = dict.fromkeys(assigning.STATUS_ORDER, 0)
    for item in items:
        counts[item.status.status] += 1
    return counts


@dataclass
class CompletedCourse:
    course: Course
    title: str
    completed_on: date
    jp: float
    certificate_code: str | None


def completed_courses(user_id: int, locale: str, organisation: Any = CURRENT) -> list[CompletedCourse]:
    """The person's completed courses, newest first, dated in their library's time zone."""
    if organisation is CURRENT:
        organisation = organisations.for_person(user_id)
    rows = db.session.execute(
        select(CourseCompletion, Course, Certificate.code)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(Certificate, Certificate.completion_id == CourseCompletion.id)
        .where(CourseCompletion.user_id == user_id).order_by(CourseCompletion.completed_at.desc())).all()
    return [CompletedCourse(course=course, title=localized(course, "title", locale),
                            completed_on=local_date(completion.completed_at, organisation), jp=completion.jp,
                            certificate_code=code) for completion, course, code in rows]


def is_local_url(url: Any) -> bool:
    """Only paths on this site are linked from recommendations (no ``javascript:``, no
    other hosts)."""
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url


def recommendations(user: User) -> list[Any]:
    """What every enabled plugin recommends to ``user`` (``lms_recommendations``), in order."""
    found = [item for result in hook().lms_recommendations(user=user) for item in (result or [])]
    return sorted(found, key=lambda item: getattr(item, "order", 50))


@dataclass
class MustDo:
    """An unfinished assignment on *My learning*, with the module's progress when started."""

    item: AssignedItem
    progress: InProgress | None = None
    reason: str = ""  # the learning path's reason, when the path also names it


@dataclass
class Overview:
    jp: JpProgress
    must_do: list[MustDo] = field(default_factory=list)  # unfinished assignments, most urgent first
    in_progress: list[InProgress] = field(default_factory=list)  # started, not assigned
    recommended: list[Any] = field(default_factory=list)  # the learning path, minus the above
    assigned_done: list[AssignedItem] = field(default_factory=list)
    completed: list[CompletedCourse] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def assigned(self) -> list[AssignedItem]:
        return [entry.item for entry in self.must_do] + self.assigned_done


def module_url(course: Course, module: Module) -> str:
    """The module page's path, as the curriculum's learning path links it."""
    return f"/courses/{course.slug}/{module.slug}/"


def plan(user: User, locale: str, today: date | None = None) -> Overview:
    """What the learner has to do, in one ordered list without duplicates: the unfinished
    assignments (overdue, due soon, open), the modules in progress that nobody assigned,
    then the learning path's steps not already listed. Also what home's next step reads."""
    items = assigned(user, locale, today)
    started = in_progress(user.id, locale)
    by_module = {entry.module.id: entry for entry in started}
    must_do = [MustDo(item, by_module.get(item.module.id) if item.module is not None else None)
               for item in items if not item.done]
    taken = {entry.progress.module.id for entry in must_do if entry.progress is not None}
    listed = {module_url(entry.item.course, entry.item.module) for entry in must_do if entry.item.module is not None}
    rest = [entry for entry in started if entry.module.id not in taken]
    listed |= {module_url(entry.course, entry.module) for entry in rest}
    steps = recommendations(user)
    reasons = {getattr(step, "url", None): str(step.reason or "") for step in steps}
    for entry in must_do:
        if entry.item.module is not None:
            entry.reason = reasons.get(module_url(entry.item.course, entry.item.module), "")
    path = [step for step in steps if getattr(step, "url", None) not in listed]
    return Overview(jp=jp_progress(user.id), must_do=must_do, in_progress=rest, recommended=path,
                    assigned_done=[item for item in items if item.done], counts=counts_of(items))


def overview(user: User, locale: str) -> Overview:
    """Everything the *My learning* page shows."""
    result = plan(user, locale)
    result.completed = completed_courses(user.id, locale)
    return result


@dataclass
class NextStep:
    """The one thing home suggests a learner does now, and why."""

    kind: str  # "overdue", "due_soon", "resume", "assigned", "path" or "none"
    title: str = ""
    url: str | None = None
    reason: str = ""
    action: str = ""


def next_step(result: Overview, today: date | None = None) -> NextStep:
    """Overdue assignment (the oldest due first), then due soon, then resume the module in
    progress, then an open assignment, then the first step of the learning path; else none."""
    from lms.i18n import format_day
    from flask_babel import gettext as _

    today = today or local_today()

    def target(entry: MustDo) -> str | None:
        item = entry.item
        if entry.progress is not None:
            return resume_url(entry.progress)
        if item.module is not None:
            return _url("courses.module", slug=item.course.slug, module_slug=item.module.slug)
        return _url("courses.course", slug=item.course.slug)

    def why(item: AssignedItem) -> str:
        return {"unit": _("assigned to your unit"), "position": _("assigned to your position")}.get(
            item.via, _("assigned to you"))

    for kind in (assigning.OVERDUE, assigning.DUE_SOON):
        for entry in result.must_do:
            item = entry.item
            if item.status.status != kind:
                continue
            if kind == assigning.OVERDUE:
                reason = _("It was due on %(date)s (%(days)d days ago) - %(why)s.", date=format_day(item.due_on),
                           days=(today - item.due_on).days, why=why(item))
            else:
                reason = _("It is due on %(date)s (in %(days)d days) - %(why)s.", date=format_day(item.due_on),
                           days=(item.due_on - today).days, why=why(item))
            return NextStep(kind, item.title, target(entry), reason,
                            _("Continue") if entry.progress is not None else _("Start"))
    started = [entry.progress for entry in result.must_do if entry.progress is not None] + result.in_progress
    if started:
        latest = max(started, key=lambda entry: entry.last_activity)
        reason = _("You were last here on %(date)s: %(seen)d of %(total)d lessons read.",
                   date=format_day(latest.last_activity), seen=latest.seen, total=latest.total)
        return NextStep("resume", latest.title, resume_url(latest), reason, _("Continue"))
    if result.must_do:
        entry = result.must_do[0]
        return NextStep("assigned", entry.item.title, target(entry),
                        _("It is assigned to you and not started yet - %(why)s.", why=why(entry.item)), _("Start"))
    if result.recommended:
        step = result.recommended[0]
        return NextStep("path", str(step.title), step.url if is_local_url(step.url) else None,
                        str(step.reason or _("The first step of your learning path.")), _("Start"))
    return NextStep("none")


def _url(endpoint: str, **values) -> str | None:
    """A link to another plugin's page only when that page exists (its plugin is on)."""
    from flask import url_for

    return url_for(endpoint, **values) if has_endpoint(endpoint) else None


def resume_url(item: InProgress) -> str | None:
    """Where a learner picks a module up again (the same rule as the ``resume_link`` macro)."""
    if item.open_attempt_id:
        return _url("quizzes.attempt", attempt_id=item.open_attempt_id)
    if item.quiz_next:
        return _url("quizzes.overview", slug=item.course.slug, module_slug=item.module.slug)
    if item.resume_lesson:
        return _url("courses.lesson", slug=item.course.slug, module_slug=item.module.slug,
                    lesson_slug=item.resume_lesson)
    return _url("courses.module", slug=item.course.slug, module_slug=item.module.slug)


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
