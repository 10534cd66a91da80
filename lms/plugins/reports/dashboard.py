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

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all

from lms.pluginmanager import hook
from lms import organisations
from lms.auth.models import Organisation, Unit, User, UserRole
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
    """A filter naming a unit or a library outside the viewer's reach, or not an id at all."""


@dataclass(frozen=True)
class Library:
    """What a report needs of an organisation: its name, its calendar (time zone) and its
    yearly JP target (issue 20): a person's figures follow their own library's."""

    unit_id: int
    name: str
    time_zone: str
    jp_target: float


@dataclass(frozen=True)
class Scope:
    """The unit ids behind a request's statements, looked up once by :func:`parse_filters`
    (one statement a request instead of one in each of people, modules, trends and the
    position filter). ``None`` means no restriction (an admin)."""

    viewer_id: int
    people: tuple[int, ...] | None  # whose figures are shown: the unit filter's tree, or the viewer's units
    viewer: tuple[int, ...] | None  # every unit the viewer supervises (the position filter's reach)
    # the libraries the viewer reaches (the library filter's choices) and those of the people shown
    libraries: tuple[Library, ...] = ()
    shown: tuple[Library, ...] = ()
    # the viewer's units in the chosen library (the unit and position filters' reach); None: all
    library_units: tuple[int, ...] | None = None

    @property
    def mixed(self) -> bool:
        """The people shown belong to more than one library: the tables then say whose."""
        return len(self.shown) > 1


@dataclass(frozen=True)
class Filters:
    unit_id: int | None = None
    position: str = ""
    organisation_id: int | None = None
    sort: str = "name"
    descending: bool = False
    # resolved for one viewer by parse_filters; not part of the URL and not compared. A
    # Filters made by hand has none and each statement looks the units up itself
    scope: Scope | None = field(default=None, compare=False, repr=False)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL arguments (for sort links and export links)."""
        args = {"organisation": self.organisation_id or None, "unit": self.unit_id or None,
                "position": self.position or None, "sort": self.sort,
                "dir": "desc" if self.descending else "asc"}
        args.update(changes)
        return {key: value for key, value in args.items() if value is not None}


_LIBRARY_COLUMNS = (Organisation.unit_id, Organisation.short_name, Organisation.time_zone, Organisation.jp_target)


def _library(row) -> Library:
    return Library(int(row[0]), row[1], row[2], float(row[3]))


def _viewer_units(viewer: User) -> tuple[tuple[tuple[int, int | None], ...] | None, tuple[Library, ...]]:
    """The viewer's units with their library ids (None for an admin: every unit), and the
    libraries they reach - one statement (an admin: one for the libraries)."""
    if viewer.has_role("admin"):
        rows = db.session.execute(select(*_LIBRARY_COLUMNS).order_by(Organisation.short_name, Organisation.unit_id))
        return None, tuple(_library(row) for row in rows)
    rows = db.session.execute(
        select(Unit.id, Unit.organisation_id, *_LIBRARY_COLUMNS[1:])
        .outerjoin(Organisation, Organisation.unit_id == Unit.organisation_id)
        .where(Unit.id.in_(supervised_unit_ids(viewer)))).all()
    libraries = {row[1]: _library(row[1:]) for row in rows if row[1] is not None and row[2] is not None}
    return (tuple((row[0], row[1]) for row in rows),
            tuple(sorted(libraries.values(), key=lambda library: (library.name, library.unit_id))))


def _tree(unit_id: int) -> tuple[tuple[int, int | None], ...]:
    tree = units_below([unit_id])
    return tuple((row[0], row[1]) for row in db.session.execute(
        select(Unit.id, Unit.organisation_id).where(Unit.id.in_(select(tree.c.id)))))


def _library_units(organisation_id: int) -> tuple[tuple[int, int | None], ...]:
    return tuple((unit_id, organisation_id) for unit_id in db.session.scalars(
        select(Unit.id).where(Unit.organisation_id == organisation_id)))


def _resolve(viewer: User, unit_id: int | None, organisation_id: int | None, check=False) -> Scope:
    """The scope of the people shown: the viewer's units, narrowed to a unit's tree and to
    one library's units. ``check``: a unit or a library outside the viewer's reach raises
    :class:`BadFilter`."""
    units, libraries = _viewer_units(viewer)
    reach = None if units is None else {unit for unit, _library_id in units}
    if check and organisation_id is not None and organisation_id not in {library.unit_id for library in libraries}:
        raise BadFilter(str(organisation_id))
    if check and unit_id is not None and (db.session.get(Unit, unit_id) is None
                                          or (reach is not None and unit_id not in reach)):
        raise BadFilter(str(unit_id))
    people = units
    in_library = units
    if organisation_id is not None:
        in_library = tuple(pair for pair in (units if units is not None else _library_units(organisation_id))
                           if pair[1] == organisation_id)
        people = in_library
    if unit_id is not None:
        people = _tree(unit_id)
        if organisation_id is not None:
            people = tuple(pair for pair in people if pair[1] == organisation_id)
    if people is None:
        shown = libraries
    else:
        present = {library_id for _unit, library_id in people}
        shown = tuple(library for library in libraries if library.unit_id in present)
    return Scope(viewer.id, None if people is None else tuple(unit for unit, _library_id in people),
                 None if units is None else tuple(sorted(reach)), libraries, shown,
                 None if in_library is None else tuple(unit for unit, _library_id in in_library))


def parse_filters(viewer: User, args) -> Filters:
    """Read ``?organisation=&unit=&position=&sort=&dir=``. An unknown sort falls back to the
    name; a unit or library that is not a number or not in the viewer's reach raises
    :class:`BadFilter` (a 404). The viewer's units are looked up here, once, for every
    statement of the request."""
    ids = {}
    for name in ("unit", "organisation"):
        raw = (args.get(name) or "").strip()
        ids[name] = None
        if raw:
            ids[name] = parse_int(raw)
            if ids[name] is None:
                raise BadFilter(raw)
    position = (args.get("position") or "").strip()[:MAX_POSITION + 1]
    sort = args.get("sort") if args.get("sort") in SORTS else "name"
    scope = _resolve(viewer, ids["unit"], ids["organisation"], check=True)
    return Filters(unit_id=ids["unit"], position=position, sort=sort, descending=args.get("dir") == "desc",
                   organisation_id=ids["organisation"], scope=scope)


def _scope(viewer: User, filters: Filters) -> Scope:
    """The filters' scope when it was resolved for this viewer, else looked up now."""
    if filters.scope is not None and filters.scope.viewer_id == viewer.id:
        return filters.scope
    return _resolve(viewer, filters.unit_id, filters.organisation_id)


def shown_libraries(viewer: User, filters: Filters) -> tuple[Library, ...]:
    """The libraries of the people a report shows (their calendars and targets apply)."""
    return _scope(viewer, filters).shown


def common_target(libraries) -> float | None:
    """The JP target the libraries share (the install's without any), None when they differ."""
    targets = {library.jp_target for library in libraries}
    if not targets:
        return jp_target()
    return targets.pop() if len(targets) == 1 else None


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


def offered_units(viewer: User, filters: Filters | None = None) -> list[Unit]:
    """The units the viewer may filter by (in the chosen library, when one is)."""
    query = select(Unit).order_by(Unit.name)
    if not viewer.has_role("admin"):
        query = query.where(Unit.id.in_(supervised_unit_ids(viewer)))
    if filters is not None and filters.organisation_id is not None:
        query = query.where(Unit.organisation_id == filters.organisation_id)
    return list(db.session.scalars(query))


def offered_positions(viewer: User, filters: Filters | None = None) -> list[str]:
    """The positions held by people the viewer sees (for the position filter): everyone in
    the viewer's units (of the chosen library), whatever the other filters (``filters`` only
    lends its resolved scope)."""
    scope = _scope(viewer, filters or Filters())
    reach = scope.library_units
    ids = people_in_view(viewer, Filters(scope=Scope(viewer.id, reach, reach)))
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
    target: float = 0.0  # their library's yearly JP target
    library: str = ""  # their library's short name
    zone: Any = None  # their library's time zone (a ZoneInfo; None: the install's)


def people_figures(viewer: User, filters: Filters, today: date | None = None) -> list[PersonFigures]:
    """One row per librarian in view, sorted as asked: a single SQL statement. Each person's
    JP counts in their own library's calendar year and is held against its target."""
    today = today or local_today()
    libraries = shown_libraries(viewer, filters)
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

    # JP: completed courses, plus what other plugins count (verified external training); the
    # year is the person's library's (one zone: two plain bounds; several: a CASE on the library)
    completions = select(CourseCompletion.user_id.label("user_id"), CourseCompletion.jp.label("jp"))
    start, end = year_window(libraries, Unit.organisation_id, today.year)
    if not _single_zone(libraries):
        completions = (completions.join(User, User.id == CourseCompletion.user_id)
                       .outerjoin(Unit, Unit.id == User.unit_id))
    earned = [completions.where(CourseCompletion.user_id.in_(ids), CourseCompletion.completed_at >= start,
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
                    func.coalesce(jp.c.jp, 0.0), last.c.at, Unit.organisation_id)
             .select_from(User).join(people, people.c.user_id == User.id)
             .outerjoin(Unit, Unit.id == User.unit_id)
             .outerjoin(assigned, assigned.c.user_id == User.id)
             .outerjoin(scores, scores.c.user_id == User.id)
             .outerjoin(jp, jp.c.user_id == User.id)
             .outerjoin(last, last.c.user_id == User.id)
             .order_by(case((key.is_(None), 1), else_=0), key.desc() if filters.descending else key.asc(),
                       func.lower(User.full_name), User.id))
    by_id = {library.unit_id: library for library in libraries}
    default = jp_target()
    figures = []
    for row in db.session.execute(query):
        library = by_id.get(row[11])
        figures.append(PersonFigures(
            user_id=row[0], name=row[1], unit=row[2] or "", position=row[3] or "", assigned=int(row[4]),
            completed=int(row[5]), overdue=int(row[6]), latest=row[7], best=row[8], jp=float(row[9]),
            last_activity=aware(row[10]), target=library.jp_target if library else default,
            library=library.name if library else "", zone=local_zone(library) if library else None))
    return figures


def jp_target() -> float:
    """The install's JP target: the default of a new library and of people without one."""
    return organisations.jp_target(None)


def _single_zone(libraries) -> bool:
    return organisations.common_zone(libraries) is not None


def year_window(libraries, library_column, year: int):
    """[start, end) of ``year`` for rows whose library id is in ``library_column``, each in
    its library's time zone (:func:`lms.organisations.by_zone`)."""
    return (organisations.by_zone(library_column, libraries, lambda zone: year_bounds(year, zone)[0]),
            organisations.by_zone(library_column, libraries, lambda zone: year_bounds(year, zone)[1]))


def supervisor_summary(viewer: User, today: date | None = None) -> dict[str, Any]:
    """For the home panel: people in view, how many are below the JP target, and the
    overdue assignments among them - tallied from the same per-person statement as the
    dashboard (one row per person, already aggregated in SQL)."""
    rows = people_figures(viewer, Filters(), today)
    targets = {row.target for row in rows}
    return {"people": len(rows), "behind_jp": sum(1 for row in rows if row.jp < row.target),
            "target": targets.pop() if len(targets) == 1 else (None if targets else jp_target()),
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

def month_buckets(today: date, months: int = TREND_MONTHS, zone=None) -> list[tuple[date, datetime, datetime]]:
    """The last ``months`` calendar months up to this one: (first day, start, end) with the
    bounds at local midnight (of ``zone``, default the request's) expressed in UTC, oldest first."""
    zone = zone or local_zone()
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
    below) and counted by a GROUP BY: a dozen conditional sums per row cost twice as much.
    The months are each person's library's: with libraries in several time zones each bound
    is a CASE on the person's library (the statements then join the person's unit)."""
    today = today or local_today()
    libraries = shown_libraries(viewer, filters)
    shared = organisations.common_zone(libraries)
    buckets = month_buckets(today, zone=shared)
    ids = people_in_view(viewer, filters)
    if shared is not None:
        low, high, ends = buckets[0][1], buckets[-1][2], [end for _, _, end in buckets]
    else:
        zoned = {}

        def bound(index: int, position: int):
            return organisations.by_zone(Unit.organisation_id, libraries, lambda zone: zoned.setdefault(
                zone, month_buckets(today, zone=zone))[index][position])
        low, high = bound(0, 1), bound(-1, 2)
        ends = [bound(index, 2) for index in range(len(buckets))]

    def month_of(column):
        return case(*[(column < end, index) for index, end in enumerate(ends)]).label("month")

    def joined(query, owner):
        if shared is not None:
            return query
        return query.join(User, User.id == owner).outerjoin(Unit, Unit.id == User.unit_id)

    modules = db.session.execute(joined(
        select(month_of(ModuleCompletion.completed_at), func.count()), ModuleCompletion.user_id)
        .where(ModuleCompletion.user_id.in_(ids), ModuleCompletion.completed_at >= low,
               ModuleCompletion.completed_at < high).group_by("month"))
    courses = db.session.execute(joined(
        select(month_of(CourseCompletion.completed_at), func.count(), func.sum(CourseCompletion.jp)),
        CourseCompletion.user_id)
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


def date_cell(moment: datetime | None, zone=None) -> Cell:
    """The local calendar date (in ``zone``, default the request's), ISO-formatted
    (unambiguous in both languages and in spreadsheets)."""
    if moment is None:
        return Cell(MISSING)
    day = local_date(moment, zone) if zone is not None else local_date(moment)
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


LIBRARY_COLUMN = Column("library", _l("Library"))


def people_table(figures: list[PersonFigures], mixed: bool = False) -> Table:
    """The librarians' table; ``mixed`` (people of several libraries) adds a library column,
    so a report never mixes libraries without saying whose row is whose."""
    percent, jp, target = _memo(percent_cell), _memo(decimal_cell), _memo(decimal_cell)
    rows = []
    for f in figures:
        cells = [text_cell(f.name), text_cell(f.unit), text_cell(f.position), int_cell(f.assigned),
                 int_cell(f.completed), int_cell(f.overdue), percent(f.latest), percent(f.best),
                 jp(f.jp), target(f.target), date_cell(f.last_activity, f.zone)]
        if mixed:
            cells.insert(1, text_cell(f.library))
        rows.append(Row(cells, user_id=f.user_id, css=" ".join(
            name for name, on in (("overdue", f.overdue > 0), ("behind", f.jp < f.target)) if on)))
    columns = PEOPLE_COLUMNS[:1] + [LIBRARY_COLUMN] + PEOPLE_COLUMNS[1:] if mixed else PEOPLE_COLUMNS
    return Table("people", _l("Librarians"), columns, rows)



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
        return people_table(people_figures(viewer, filters), _scope(viewer, filters).mixed)
    if name == "modules":
        return modules_table(module_figures(viewer, filters, locale))
    if name == "trends":
        return trends_table(trend_figures(viewer, filters))
    raise ValueError(name)
