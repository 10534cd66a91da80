"""The supervisor dashboard: figures per librarian, per module and per month, all in SQL.

Every statement starts from the people in view (the viewer's units, narrowed by the
filters) and aggregates only their rows, so the cost follows the size of the unit, not of
the database. Each table is one statement: per-user (or per-module) aggregates in
subqueries, LEFT JOINed to the people in view.

Quiz figures come from the quizzes plugin's per learner and module summary
(:class:`~lms.plugins.quizzes.models.QuizScore`, kept on every start, submit and regrade),
never from the attempts themselves: at 200 attempts a person a 200-person unit has ~38,000
attempts but ~10,000 summary rows, and a person's latest score is one index probe. Last
activity is four index probes per person (the newest lesson view, completion, course
completion and submission), not a union of every row they have (issue 7).

The page and the exports share one formatting step: :func:`people_table`,
:func:`modules_table` and :func:`trends_table` turn figures into :class:`Table` cells
(``text`` for the page and the CSV, ``value`` - a number, a date or a duration - for the
XLSX), so an export cannot drift from the screen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all

from lms.pluginmanager import hook
from lms.auth.models import Unit, User, UserRole
from lms.auth.scoping import supervised_unit_ids, units_below
from lms.clock import aware, local_date, local_today, local_zone, year_bounds
from lms.exports import (  # noqa: F401 - re-exported: the reports plugin's modules use them from here
    MISSING, Cell, Column, Row, Table, decimal_cell, half_up, int_cell, percent_cell, rows_for_export, text_cell)
from lms.extensions import db
from lms.http import parse_int
from lms.plugins.courses.models import Course, Module, ModuleVersion
from lms.plugins.courses.services import visible_to
from lms.plugins.learning.assigning import DONE, OVERDUE, status_select
from lms.plugins.learning.models import CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.quizzes.models import QuizScore

SORTS = ("name", "unit", "jp", "overdue", "last_activity", "best")
TABLES = ("people", "modules", "trends")
TREND_MONTHS = 12
MAX_POSITION = 120  # User.position's length: a longer filter cannot match anyone


class BadFilter(Exception):
    """A filter naming a unit outside the viewer's reach, or not a unit id at all."""


@dataclass(frozen=True)
class Scope:
    """The unit ids behind a request's statements, looked up once by :func:`parse_filters`
    (one statement a request instead of one in each of people, modules, trends and the
    position filter). ``None`` means no restriction (an admin)."""

    viewer_id: int
    people: tuple[int, ...] | None  # whose figures are shown: the unit filter's tree, or the viewer's units
    viewer: tuple[int, ...] | None  # every unit the viewer supervises (the position filter's reach)


@dataclass(frozen=True)
class Filters:
    unit_id: int | None = None
    position: str = ""
    sort: str = "name"
    descending: bool = False
    # resolved for one viewer by parse_filters; not part of the URL and not compared. A
    # Filters made by hand has none and each statement looks the units up itself
    scope: Scope | None = field(default=None, compare=False, repr=False)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL arguments (for sort links and export links)."""
        args = {"unit": self.unit_id or None, "position": self.position or None, "sort": self.sort,
                "dir": "desc" if self.descending else "asc"}
        args.update(changes)
        return {key: value for key, value in args.items() if value is not None}


def _viewer_units(viewer: User) -> tuple[int, ...] | None:
    if viewer.has_role("admin"):
        return None
    return tuple(db.session.scalars(supervised_unit_ids(viewer)))


def _tree(unit_id: int) -> tuple[int, ...]:
    tree = units_below([unit_id])
    return tuple(db.session.scalars(select(tree.c.id)))


def parse_filters(viewer: User, args) -> Filters:
    """Read ``?unit=&position=&sort=&dir=``. An unknown sort falls back to the name; a unit
    that is not a number or not in the viewer's reach raises :class:`BadFilter` (a 404).
    The viewer's units are looked up here, once, for every statement of the request."""
    units = _viewer_units(viewer)
    unit_id = None
    raw = (args.get("unit") or "").strip()
    if raw:
        unit_id = parse_int(raw)
        if unit_id is None:
            raise BadFilter(raw)
        if db.session.get(Unit, unit_id) is None or (units is not None and unit_id not in units):
            raise BadFilter(raw)
    position = (args.get("position") or "").strip()[:MAX_POSITION + 1]
    sort = args.get("sort") if args.get("sort") in SORTS else "name"
    scope = Scope(viewer.id, _tree(unit_id) if unit_id is not None else units, units)
    return Filters(unit_id=unit_id, position=position, sort=sort, descending=args.get("dir") == "desc",
                   scope=scope)


def _scope(viewer: User, filters: Filters) -> Scope:
    """The filters' scope when it was resolved for this viewer, else looked up now."""
    if filters.scope is not None and filters.scope.viewer_id == viewer.id:
        return filters.scope
    units = _viewer_units(viewer)
    return Scope(viewer.id, _tree(filters.unit_id) if filters.unit_id is not None else units, units)


def people_in_view(viewer: User, filters: Filters) -> Select:
    """Ids of the active librarians the viewer sees with these filters.

    The units are looked up first (once a request, by :func:`parse_filters`) and written
    into the statement as a list (a few dozen ids at most): PostgreSQL cannot estimate a
    recursive CTE, took a 200-person unit for half the organisation, and planned every
    figure over a 5,000-person scale as a scan of whole tables (issue 7)."""
    query = select(User.id.label("user_id")).where(
        User.active.is_(True), exists().where(UserRole.user_id == User.id, UserRole.role == "librarian"))
    units = _scope(viewer, filters).people
    if units is not None:
        query = query.where(User.unit_id.in_(list(units)))
    if filters.position:
        query = query.where(User.position == filters.position)  # a bound parameter
    return query


def offered_units(viewer: User) -> list[Unit]:
    """The units the viewer may filter by."""
    query = select(Unit).order_by(Unit.name)
    if not viewer.has_role("admin"):
        query = query.where(Unit.id.in_(supervised_unit_ids(viewer)))
    return list(db.session.scalars(query))


def offered_positions(viewer: User, filters: Filters | None = None) -> list[str]:
    """The positions held by people the viewer sees (for the position filter): everyone in
    the viewer's units, whatever the filters (``filters`` only lends its resolved scope)."""
    scope = _scope(viewer, filters or Filters())
    ids = people_in_view(viewer, Filters(scope=Scope(viewer.id, scope.viewer, scope.viewer)))
    return [p for p in db.session.scalars(select(User.position).distinct().where(
        User.id.in_(ids), User.position.is_not(None), User.position != "").order_by(User.position))]


# --- per librarian -------------------------------------------------------------------------

@dataclass
class PersonFigures:
    user_id: int
    name: str
    unit: str
    position: str
    assigned: int
    completed: int
    overdue: int
    latest: float | None
    best: float | None
    jp: float
    last_activity: datetime | None


def people_figures(viewer: User, filters: Filters, today: date | None = None) -> list[PersonFigures]:
    """One row per librarian in view, sorted as asked: a single SQL statement."""
    today = today or local_today()
    people = people_in_view(viewer, filters).cte("viewed")
    ids = select(people.c.user_id)

    # assignments: the learning plugin's one source of status (one row per person and subject)
    items = status_select(ids, today).subquery("items")
    assigned = (select(items.c.user_id, func.count().label("assigned"),
                       func.sum(case((items.c.status == DONE, 1), else_=0)).label("completed"),
                       func.sum(case((items.c.status == OVERDUE, 1), else_=0)).label("overdue"))
                .group_by(items.c.user_id).subquery("assigned"))

    # best and latest scores from the per module summary the quizzes plugin keeps (a few
    # dozen rows a person), not from every attempt: the latest is that of the module whose
    # latest scored attempt was submitted last. A CTE, read once: as a subquery it was read
    # twice (here and for the last activity), ~2 ms at 1M attempts
    scores = (select(QuizScore.user_id, func.max(QuizScore.best).label("best"),
                     func.max(QuizScore.last_submitted_at).label("submitted_at"))
              .where(QuizScore.user_id.in_(ids)).group_by(QuizScore.user_id).cte("scores"))
    latest = (select(QuizScore.latest).where(QuizScore.user_id == User.id, QuizScore.latest_id.is_not(None))
              .order_by(QuizScore.latest_at.desc(), QuizScore.latest_id.desc()).limit(1)
              .correlate(User).scalar_subquery())

    start, end = year_bounds(today.year)
    # JP: completed courses, plus what other plugins count (verified external training)
    earned = [select(CourseCompletion.user_id.label("user_id"), CourseCompletion.jp.label("jp"))
              .where(CourseCompletion.user_id.in_(ids), CourseCompletion.completed_at >= start,
                     CourseCompletion.completed_at < end)]
    for extra in hook().lms_external_jp_select(year=today.year):
        if extra is not None:
            rows = extra.subquery()
            earned.append(select(rows.c.user_id, rows.c.jp).where(rows.c.user_id.in_(ids)))
    sources = union_all(*earned).subquery("earned")
    jp = (select(sources.c.user_id, func.sum(sources.c.jp).label("jp"))
          .group_by(sources.c.user_id).subquery("jp"))

    # last activity: the latest of four moments, each one index probe per person (a max
    # over an index on (user_id, moment)), not a union of every row those people have
    def newest(column, owner):
        return select(func.max(column)).where(owner == people.c.user_id).correlate(people).scalar_subquery()

    moments = union_all(
        select(people.c.user_id, newest(LessonView.last_seen, LessonView.user_id).label("at")),
        select(people.c.user_id, newest(ModuleCompletion.completed_at, ModuleCompletion.user_id)),
        select(people.c.user_id, newest(CourseCompletion.completed_at, CourseCompletion.user_id)),
        select(scores.c.user_id, scores.c.submitted_at),
    ).subquery("moments")
    last = (select(moments.c.user_id, func.max(moments.c.at).label("at"))
            .group_by(moments.c.user_id).subquery("last_activity"))

    sort_keys = {
        "name": func.lower(User.full_name), "unit": func.lower(Unit.name),
        "jp": func.coalesce(jp.c.jp, 0.0), "overdue": func.coalesce(assigned.c.overdue, 0),
        "last_activity": last.c.at, "best": scores.c.best,
    }
    key = sort_keys[filters.sort if filters.sort in sort_keys else "name"]
    query = (select(User.id, User.full_name, Unit.name, User.position,
                    func.coalesce(assigned.c.assigned, 0), func.coalesce(assigned.c.completed, 0),
                    func.coalesce(assigned.c.overdue, 0), latest, scores.c.best,
                    func.coalesce(jp.c.jp, 0.0), last.c.at)
             .select_from(User).join(people, people.c.user_id == User.id)
             .outerjoin(Unit, Unit.id == User.unit_id)
             .outerjoin(assigned, assigned.c.user_id == User.id)
             .outerjoin(scores, scores.c.user_id == User.id)
             .outerjoin(jp, jp.c.user_id == User.id)
             .outerjoin(last, last.c.user_id == User.id)
             .order_by(case((key.is_(None), 1), else_=0), key.desc() if filters.descending else key.asc(),
                       func.lower(User.full_name), User.id))
    return [PersonFigures(user_id=row[0], name=row[1], unit=row[2] or "", position=row[3] or "",
                          assigned=int(row[4]), completed=int(row[5]), overdue=int(row[6]),
                          latest=row[7], best=row[8], jp=float(row[9]), last_activity=aware(row[10]))
            for row in db.session.execute(query)]


def jp_target() -> float:
    return float(current_app.config.get("JP_TARGET") or 0)


def supervisor_summary(viewer: User, today: date | None = None) -> dict[str, int]:
    """For the home panel: people in view, how many are below the JP target, and the
    overdue assignments among them - tallied from the same per-person statement as the
    dashboard (one row per person, already aggregated in SQL)."""
    rows = people_figures(viewer, Filters(), today)
    target = jp_target()
    return {"people": len(rows), "behind_jp": sum(1 for row in rows if row.jp < target),
            "overdue": sum(row.overdue for row in rows)}


# --- per module ----------------------------------------------------------------------------

@dataclass
class ModuleFigures:
    module_id: int
    title: str
    course: str
    enrolled: int
    completed: int
    submitted: int
    passed: int
    average: float | None
    takers: int
    seconds: int


def module_figures(viewer: User, filters: Filters, locale: str) -> list[ModuleFigures]:
    """Per module, over the people in view: enrolled (anyone who opened a lesson or started
    the quiz), completed, submitted and passed attempts, mean score, learners who submitted,
    and reading time. Active modules of published courses are listed even with no activity."""
    people = people_in_view(viewer, filters).cte("viewed")
    ids = select(people.c.user_id)
    # enrolled: people with a lesson view of the module, plus those with only a quiz attempt
    # there; lesson views are read once, per person and module, for reach and reading time
    lessons = (select(LessonView.user_id, LessonView.module_id, func.sum(LessonView.seconds).label("seconds"))
               .where(LessonView.user_id.in_(ids)).group_by(LessonView.user_id, LessonView.module_id)
               .subquery("lessons"))
    reading = (select(lessons.c.module_id, func.count().label("readers"), func.sum(lessons.c.seconds).label("seconds"))
               .group_by(lessons.c.module_id).subquery("reading"))
    completed = (select(ModuleCompletion.module_id, func.count().label("n"))
                 .where(ModuleCompletion.user_id.in_(ids)).group_by(ModuleCompletion.module_id)
                 .subquery("completed"))
    # from the quizzes plugin's per learner and module summary: one row per person and
    # module instead of every attempt; the mean is exact (sums of hundredths)
    scored = func.sum(QuizScore.scored)
    unread = ~select(literal(1)).where(LessonView.user_id == QuizScore.user_id,  # 1: from the index alone
                                       LessonView.module_id == QuizScore.module_id).exists()
    attempts = (select(QuizScore.module_id, func.sum(QuizScore.submitted).label("submitted"),
                       func.sum(QuizScore.passed).label("passed"),
                       case((scored > 0, func.sum(QuizScore.percent_hundredths) / (scored * 100.0))).label("average"),
                       func.sum(case((QuizScore.submitted > 0, 1), else_=0)).label("takers"),
                       func.sum(case((unread, 1), else_=0)).label("quiz_only"))
                .where(QuizScore.user_id.in_(ids)).group_by(QuizScore.module_id).subquery("attempts"))
    enrolled = func.coalesce(reading.c.readers, 0) + func.coalesce(attempts.c.quiz_only, 0)
    title = ModuleVersion.title_en if locale == "en" else ModuleVersion.title_id
    course_title = Course.title_en if locale == "en" else Course.title_id
    query = (select(Module.id, func.coalesce(title, ModuleVersion.title_id, Module.slug),
                    func.coalesce(course_title, Course.title_id),
                    enrolled, func.coalesce(completed.c.n, 0),
                    func.coalesce(attempts.c.submitted, 0), func.coalesce(attempts.c.passed, 0),
                    attempts.c.average, func.coalesce(attempts.c.takers, 0), func.coalesce(reading.c.seconds, 0))
             .select_from(Module).join(Course, Course.id == Module.course_id)
             .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
             .outerjoin(completed, completed.c.module_id == Module.id)
             .outerjoin(attempts, attempts.c.module_id == Module.id)
             .outerjoin(reading, reading.c.module_id == Module.id)
             # a course private to another library is not listed for lack of activity (issue 20)
             .where(or_(and_(Module.active.is_(True), Course.published.is_(True), visible_to(viewer)),
                        enrolled > 0, completed.c.n.is_not(None)))
             .order_by(func.lower(course_title), Module.position, Module.id))
    return [ModuleFigures(module_id=row[0], title=row[1], course=row[2], enrolled=int(row[3]),
                          completed=int(row[4]), submitted=int(row[5]), passed=int(row[6]),
                          average=None if row[7] is None else float(row[7]), takers=int(row[8]),
                          seconds=int(row[9]))
            for row in db.session.execute(query)]


# --- trends --------------------------------------------------------------------------------

def month_buckets(today: date, months: int = TREND_MONTHS) -> list[tuple[date, datetime, datetime]]:
    """The last ``months`` calendar months up to this one: (first day, start, end) with the
    bounds at local midnight expressed in UTC, oldest first."""
    zone = local_zone()
    year, month = today.year, today.month
    firsts = []
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    buckets = []
    for first in firsts:
        following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        start = datetime(first.year, first.month, 1, tzinfo=zone).astimezone(timezone.utc)
        end = datetime(following.year, following.month, 1, tzinfo=zone).astimezone(timezone.utc)
        buckets.append((first, start, end))
    return buckets


@dataclass
class MonthFigures:
    month: date
    modules: int
    courses: int
    jp: float


def trend_figures(viewer: User, filters: Filters, today: date | None = None) -> list[MonthFigures]:
    """Module completions, course completions and JP earned per month, over the people in
    view (two statements). Each row is put in its month by one CASE (the first bound it is
    below) and counted by a GROUP BY: a dozen conditional sums per row cost twice as much."""
    buckets = month_buckets(today or local_today())
    ids = people_in_view(viewer, filters)
    low, high = buckets[0][1], buckets[-1][2]

    def month_of(column):
        return case(*[(column < end, index) for index, (_, _, end) in enumerate(buckets)]).label("month")

    modules = db.session.execute(
        select(month_of(ModuleCompletion.completed_at), func.count())
        .where(ModuleCompletion.user_id.in_(ids), ModuleCompletion.completed_at >= low,
               ModuleCompletion.completed_at < high).group_by("month"))
    courses = db.session.execute(
        select(month_of(CourseCompletion.completed_at), func.count(), func.sum(CourseCompletion.jp))
        .where(CourseCompletion.user_id.in_(ids), CourseCompletion.completed_at >= low,
               CourseCompletion.completed_at < high).group_by("month"))
    module_counts = {month: count for month, count in modules}
    course_counts = {month: (count, jp) for month, count, jp in courses}
    return [MonthFigures(month=first, modules=int(module_counts.get(i, 0)),
                         courses=int(course_counts.get(i, (0, 0.0))[0]),
                         jp=float(course_counts.get(i, (0, 0.0))[1] or 0.0))
            for i, (first, _, _) in enumerate(buckets)]


# --- formatting shared by the page and the exports -----------------------------------------

def duration_cell(seconds: int) -> Cell:
    """Hours and minutes as ``h:mm``; the XLSX holds a real duration formatted the same way."""
    minutes = int(half_up(seconds / 60))
    return Cell(f"{minutes // 60}:{minutes % 60:02d}", timedelta(minutes=minutes), "[h]:mm")


def date_cell(moment: datetime | None) -> Cell:
    """The local calendar date, ISO-formatted (unambiguous in both languages and in spreadsheets)."""
    if moment is None:
        return Cell(MISSING)
    day = local_date(moment)
    return Cell(day.isoformat(), day, "yyyy-mm-dd")


def month_cell(first: date) -> Cell:
    label = f"{first.year}-{first.month:02d}"
    return Cell(label, label)


PEOPLE_COLUMNS = [
    Column("name", _l("Name"), sort="name"), Column("unit", _l("Unit"), sort="unit"),
    Column("position", _l("Position")), Column("assigned", _l("Assigned"), True),
    Column("completed", _l("Assigned and completed"), True), Column("overdue", _l("Overdue"), True, "overdue"),
    Column("latest", _l("Latest score (%)"), True), Column("best", _l("Best score (%)"), True, "best"),
    Column("jp", _l("JP this year"), True, "jp"), Column("jp_target", _l("JP target"), True),
    Column("last_activity", _l("Last activity"), True, "last_activity"),
]

MODULE_COLUMNS = [
    Column("module", _l("Module")), Column("course", _l("Course")), Column("enrolled", _l("Enrolled"), True),
    Column("completed", _l("Completed"), True), Column("pass_rate", _l("Pass rate (%)"), True),
    Column("average", _l("Average score (%)"), True), Column("attempts", _l("Attempts per learner"), True),
    Column("time", _l("Time spent (h:mm)"), True),
]

TREND_COLUMNS = [
    Column("month", _l("Month")), Column("modules", _l("Modules completed"), True),
    Column("courses", _l("Courses completed"), True), Column("jp", _l("JP earned"), True),
]


def _memo(make):
    """``make`` (a cell maker of one number) remembering its cells by value for one table:
    a unit's scores and JP repeat (Cells are frozen, so rows can share them). Zero is made
    afresh each time (0.0 and -0.0 are equal keys but not the same text)."""
    cells: dict[Any, Cell] = {}

    def cell(value):
        if not value:
            return make(value)
        found = cells.get(value)
        if found is None:
            found = cells[value] = make(value)
        return found
    return cell


def people_table(figures: list[PersonFigures]) -> Table:
    target = jp_target()
    target_cell = decimal_cell(target)  # the same on every row
    percent, jp = _memo(percent_cell), _memo(decimal_cell)
    rows = [Row([text_cell(f.name), text_cell(f.unit), text_cell(f.position), int_cell(f.assigned),
                 int_cell(f.completed), int_cell(f.overdue), percent(f.latest), percent(f.best),
                 jp(f.jp), target_cell, date_cell(f.last_activity)],
                user_id=f.user_id,
                css=" ".join(name for name, on in (("overdue", f.overdue > 0), ("behind", f.jp < target)) if on))
            for f in figures]
    return Table("people", _l("Librarians"), PEOPLE_COLUMNS, rows)


def modules_table(figures: list[ModuleFigures]) -> Table:
    rows = [Row([text_cell(f.title), text_cell(f.course), int_cell(f.enrolled), int_cell(f.completed),
                 percent_cell(100 * f.passed / f.submitted if f.submitted else None), percent_cell(f.average),
                 decimal_cell(f.submitted / f.takers if f.takers else None), duration_cell(f.seconds)])
            for f in figures]
    return Table("modules", _l("Modules"), MODULE_COLUMNS, rows)


def trends_table(figures: list[MonthFigures]) -> Table:
    rows = [Row([month_cell(f.month), int_cell(f.modules), int_cell(f.courses), decimal_cell(f.jp)])
            for f in figures]
    return Table("trends", _l("Completions and JP per month"), TREND_COLUMNS, rows)


def build_table(name: str, viewer: User, filters: Filters, locale: str) -> Table:
    """The table called ``name`` (one of :data:`TABLES`), for the page and the exports alike."""
    if name == "people":
        return people_table(people_figures(viewer, filters))
    if name == "modules":
        return modules_table(module_figures(viewer, filters, locale))
    if name == "trends":
        return trends_table(trend_figures(viewer, filters))
    raise ValueError(name)
