"""The annual competency-development report of one unit ("Laporan Pengembangan Kompetensi
Pegawai"): JP per librarian against the target, completions per course, and the needs
round that closed that year.

The year is the library's calendar year: completions count between local midnights of
1 January and the next 1 January (:func:`lms.clock.year_bounds`);
external training counts by its local end date (the records plugin's own rule). Every
figure is aggregated in SQL over the active librarians of the unit and the units below
it; Python only adds up the per-person rows (one per librarian).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select

from lms import organisations
from lms.auth.models import Organisation, Unit, UnitSupervisor, User, UserRole
from lms.auth.scoping import can_see_unit, units_below
from lms.clock import local_today
from lms.exports import Column, Row, Table, decimal_cell, int_cell, text_cell
from lms.extensions import db
from lms.http import INT32_MAX, parse_int
from lms.pluginmanager import plugin_enabled
from lms.plugins.courses.models import Course
from lms.plugins.learning.models import CourseCompletion, ModuleCompletion
from lms.plugins.needs import analysis
from lms.plugins.needs.models import NeedsRound
from lms.plugins.reports.dashboard import (
    LIBRARY_COLUMN, BadFilter, Library, common_target, half_up, jp_target, year_window)

FIRST_YEAR = 2000  # earlier years cannot hold Pembina data; later than this year: nothing yet
TOP_NEEDS = 5


# --- the request: which unit, which year ------------------------------------------------------

def _number(raw: str, maximum: int = INT32_MAX) -> int:
    value = parse_int(raw, max=maximum)
    if value is None:
        raise BadFilter(raw)
    return value


def default_unit(viewer: User) -> Unit | None:
    """The first unit (by name) the viewer supervises; for an admin without one, the first
    top-level unit; for an organisation admin, their (first) library."""
    unit = db.session.scalar(select(Unit).join(UnitSupervisor, UnitSupervisor.unit_id == Unit.id)
                             .where(UnitSupervisor.user_id == viewer.id).order_by(Unit.name, Unit.id).limit(1))
    if unit is None and viewer.has_role("admin"):
        unit = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name, Unit.id).limit(1))
    if unit is None and viewer.organisations_for("admin"):  # an organisation admin: their library
        unit = db.session.scalar(select(Unit).where(Unit.id.in_(viewer.organisations_for("admin")))
                                 .order_by(Unit.name, Unit.id).limit(1))
    return unit


def resolve_unit(viewer: User, raw: str | None) -> Unit:
    """The unit asked for (``?unit=``), or the default. Not a number, unknown, or outside the
    viewer's reach: :class:`BadFilter` (the view answers 404, no hint that it exists)."""
    if raw is None or not raw.strip():
        unit = default_unit(viewer)
        if unit is None:
            raise BadFilter("")
        return unit
    unit = db.session.get(Unit, _number(raw))
    if unit is None or not can_see_unit(viewer, unit.id):
        raise BadFilter(raw)
    return unit


def resolve_year(raw: str | None, today: date | None = None) -> int:
    """``?year=``: from :data:`FIRST_YEAR` to the current local year; empty = this year."""
    today = today or local_today()
    if raw is None or not raw.strip():
        return today.year
    year = _number(raw, 9999)
    if not FIRST_YEAR <= year <= today.year:
        raise BadFilter(raw)
    return year


def offered_years(today: date | None = None, count: int = 6) -> list[int]:
    """The most recent years, newest first, for the year picker."""
    this_year = (today or local_today()).year
    return [year for year in range(this_year, this_year - count, -1) if year >= FIRST_YEAR]


# --- the figures ------------------------------------------------------------------------------

@dataclass
class PersonYear:
    user_id: int
    name: str
    position: str
    pembina_jp: float
    external_jp: float
    courses: int
    modules: int
    trainings: int
    target: float
    library: str = ""

    @property
    def total_jp(self) -> float:
        return self.pembina_jp + self.external_jp

    @property
    def met(self) -> bool:
        # Compared after rounding to two places, so 0.1 + 0.2 JP meets a target of 0.3.
        return half_up(self.total_jp, 2) >= half_up(self.target, 2)


@dataclass
class CourseYear:
    course_id: int
    title: str
    completions: int
    jp: float


@dataclass
class Totals:
    librarians: int = 0
    met: int = 0
    total_jp: float = 0.0
    pembina_jp: float = 0.0
    external_jp: float = 0.0
    courses: int = 0
    modules: int = 0
    trainings: int = 0


@dataclass
class NeedsSummary:
    """The needs round shown in the report. ``top`` is empty when ``hidden`` (fewer
    respondents in the unit than the minimum group)."""

    round: NeedsRound
    respondents: int
    min_group: int
    top: list[analysis.CompetencyScore] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.respondents < self.min_group


@dataclass
class AnnualReport:
    unit: Unit
    year: int
    target: float | None  # None: the unit's libraries have different targets (each row has its own)
    people: list[PersonYear]
    courses: list[CourseYear]
    totals: Totals
    needs: NeedsSummary | None
    libraries: tuple = ()  # dashboard.Library of every library in the unit's tree

    @property
    def mixed(self) -> bool:
        return len(self.libraries) > 1

    @property
    def shown(self) -> tuple:  # the reports' mixed_note macro reads a scope's libraries shown
        return self.libraries


def libraries_of(unit_id: int) -> tuple[Library, ...]:
    """The libraries of the unit's tree: its own, and those below it (a provincial service's
    annual report holds its libraries' staff, each in their own library's year)."""
    tree = units_below([unit_id])
    rows = db.session.execute(
        select(Organisation.unit_id, Organisation.short_name, Organisation.time_zone, Organisation.jp_target)
        .where(Organisation.unit_id.in_(select(Unit.organisation_id).where(Unit.id.in_(select(tree.c.id)))))
        .order_by(Organisation.short_name, Organisation.unit_id))
    return tuple(Library(int(row[0]), row[1], row[2], float(row[3])) for row in rows)


def librarians_of(unit_id: int) -> Select:
    """Ids of the active librarians of ``unit_id`` and every unit below it."""
    tree = units_below([unit_id])
    return select(User.id.label("user_id")).where(
        User.active.is_(True), User.unit_id.in_(select(tree.c.id)),
        exists().where(UserRole.user_id == User.id, UserRole.role == "librarian"))


def _records_enabled() -> bool:
    return plugin_enabled("records")


def _in_year(query, owner, column, libraries, year: int):
    """``query`` narrowed to rows whose ``column`` falls in ``year`` of the owner's library."""
    start, end = year_window(libraries, Unit.organisation_id, year)
    if organisations.common_zone(libraries) is None:
        query = query.join(User, User.id == owner).outerjoin(Unit, Unit.id == User.unit_id)
    return query.where(column >= start, column < end)


def people_year(unit_id: int, year: int, libraries: tuple[Library, ...] | None = None) -> list[PersonYear]:
    """One row per librarian of the unit (subtree): JP from Pembina courses completed in the
    year, verified external JP ending in the year, courses and modules completed, trainings
    verified - one statement, each source aggregated per person before the join. The year
    and the JP target are each person's library's."""
    libraries = libraries_of(unit_id) if libraries is None else libraries
    ids = librarians_of(unit_id)
    courses = (_in_year(select(CourseCompletion.user_id, func.sum(CourseCompletion.jp).label("jp"),
                               func.count().label("n")), CourseCompletion.user_id,
                        CourseCompletion.completed_at, libraries, year)
               .where(CourseCompletion.user_id.in_(ids))
               .group_by(CourseCompletion.user_id).subquery("courses"))
    modules = (_in_year(select(ModuleCompletion.user_id, func.count().label("n")), ModuleCompletion.user_id,
                        ModuleCompletion.completed_at, libraries, year)
               .where(ModuleCompletion.user_id.in_(ids))
               .group_by(ModuleCompletion.user_id).subquery("modules"))
    columns = [User.id, User.full_name, User.position, func.coalesce(courses.c.jp, 0.0),
               func.coalesce(courses.c.n, 0), func.coalesce(modules.c.n, 0), User.unit_id]
    query = (select(*columns).select_from(User).where(User.id.in_(ids))
             .outerjoin(courses, courses.c.user_id == User.id)
             .outerjoin(modules, modules.c.user_id == User.id))
    if _records_enabled():
        from lms.plugins.records.services import verified_trainings_select

        verified = verified_trainings_select(year)
        external = verified.where(verified.selected_columns.user_id.in_(ids)).subquery("external")
        query = query.add_columns(func.coalesce(external.c.jp, 0.0), func.coalesce(external.c.trainings, 0))
        query = query.outerjoin(external, external.c.user_id == User.id)
    library_of = select(Unit.organisation_id).where(Unit.id == User.unit_id).scalar_subquery()
    query = query.add_columns(library_of).order_by(func.lower(User.full_name), User.id)
    by_id = {library.unit_id: library for library in libraries}
    default = jp_target()
    rows = []
    for row in db.session.execute(query):
        external_jp, trainings = (row[7], row[8]) if len(row) > 8 else (0.0, 0)
        library = by_id.get(row[-1])
        rows.append(PersonYear(user_id=row[0], name=row[1], position=row[2] or "", pembina_jp=float(row[3]),
                               courses=int(row[4]), modules=int(row[5]), external_jp=float(external_jp),
                               trainings=int(trainings), target=library.jp_target if library else default,
                               library=library.name if library else ""))
    return rows


def courses_year(unit_id: int, year: int, locale: str,
                 libraries: tuple[Library, ...] | None = None) -> list[CourseYear]:
    """Completions and JP per course by the unit's librarians in the year (each in their
    library's year), most completed first."""
    libraries = libraries_of(unit_id) if libraries is None else libraries
    ids = librarians_of(unit_id)
    title = func.coalesce(Course.title_en if locale == "en" else Course.title_id, Course.title_id)
    query = (_in_year(select(Course.id, title, func.count(CourseCompletion.id), func.sum(CourseCompletion.jp))
                      .join(CourseCompletion, CourseCompletion.course_id == Course.id), CourseCompletion.user_id,
                      CourseCompletion.completed_at, libraries, year)
             .where(CourseCompletion.user_id.in_(ids))
             .group_by(Course.id, title)
             .order_by(func.count(CourseCompletion.id).desc(), func.lower(title), Course.id))
    return [CourseYear(course_id=row[0], title=row[1], completions=int(row[2]), jp=float(row[3] or 0.0))
            for row in db.session.execute(query)]


def totals_of(people: list[PersonYear]) -> Totals:
    """The report's headline figures, added up from the per-person rows."""
    totals = Totals(librarians=len(people))
    pembina = external = Decimal(0)
    for person in people:
        totals.met += person.met
        pembina += Decimal(str(person.pembina_jp))
        external += Decimal(str(person.external_jp))
        totals.courses += person.courses
        totals.modules += person.modules
        totals.trainings += person.trainings
    totals.pembina_jp, totals.external_jp = float(pembina), float(external)
    totals.total_jp = float(pembina + external)
    return totals


def round_for(unit_id: int, year: int, today: date | None = None) -> NeedsRound | None:
    """The last needs round that closed in ``year`` (before ``today``) and covers the unit
    (``needs.analysis.rounds_covering``)."""
    today = today or local_today()
    last_day = min(date(year, 12, 31), today - timedelta(days=1))
    if last_day < date(year, 1, 1):
        return None
    # The needs plugin's one rule of "covers": a round scoped to the unit or a unit above it, or
    # a round without units owned by an organisation at or above it - never another library's.
    return db.session.scalar(
        select(NeedsRound).where(NeedsRound.closes_on >= date(year, 1, 1), NeedsRound.closes_on <= last_day,
                                 NeedsRound.id.in_(analysis.rounds_covering(unit_id)))
        .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))


def needs_summary(unit_id: int, year: int, today: date | None = None) -> NeedsSummary | None:
    """The round of :func:`round_for` analysed for the unit's subtree: the top competencies
    by priority, or nothing but the count when fewer than ``min_group()`` responded."""
    needs_round = round_for(unit_id, year, today)
    if needs_round is None:
        return None
    result = analysis.analyze(needs_round, unit_ids=[unit_id])
    summary = NeedsSummary(round=needs_round, respondents=result.respondents, min_group=analysis.min_group())
    if not summary.hidden:
        summary.top = [score for score in result.competencies if score.priority is not None][:TOP_NEEDS]
    return summary


def build(unit: Unit, year: int, locale: str, today: date | None = None) -> AnnualReport:
    """Everything the annual report page shows."""
    libraries = libraries_of(unit.id)
    people = people_year(unit.id, year, libraries)
    return AnnualReport(unit=unit, year=year, target=common_target(libraries), people=people,
                        courses=courses_year(unit.id, year, locale, libraries), totals=totals_of(people),
                        needs=needs_summary(unit.id, year, today), libraries=libraries)


def library_of(unit: Unit) -> Library | None:
    """The library ``unit`` belongs to (its calendar dates the report), from the unit row."""
    if unit.organisation_id is None:
        return None
    found = db.session.get(Organisation, unit.organisation_id)
    return Library(found.unit_id, found.short_name, found.time_zone, float(found.jp_target)) if found else None


# --- the tables, for the page and the exports alike --------------------------------------------

TABLES = ("people", "courses")

PEOPLE_COLUMNS = [
    Column("no", _l("No."), True), Column("name", _l("Name")), Column("position", _l("Position")),
    Column("pembina_jp", _l("JP from Pembina courses"), True),
    Column("external_jp", _l("JP from verified external training"), True),
    Column("jp", _l("Total JP"), True), Column("jp_target", _l("JP target"), True), Column("met", _l("Target")),
]

COURSE_COLUMNS = [Column("course", _l("Course")), Column("completions", _l("Completions"), True),
                  Column("jp", _l("JP earned"), True)]


def people_table(report: AnnualReport) -> Table:
    """JP per librarian; a report over several libraries says each person's library."""
    rows = []
    for number, p in enumerate(report.people, start=1):
        cells = [int_cell(number), text_cell(p.name), text_cell(p.position), decimal_cell(p.pembina_jp),
                 decimal_cell(p.external_jp), decimal_cell(p.total_jp), decimal_cell(p.target),
                 text_cell(_("Met") if p.met else _("Not met"))]
        if report.mixed:
            cells.insert(2, text_cell(p.library))
        rows.append(Row(cells, css="met" if p.met else "behind"))
    columns = PEOPLE_COLUMNS[:2] + [LIBRARY_COLUMN] + PEOPLE_COLUMNS[2:] if report.mixed else PEOPLE_COLUMNS
    return Table("annual-people", _l("JP per librarian"), columns, rows)


def courses_table(report: AnnualReport) -> Table:
    rows = [Row([text_cell(c.title), int_cell(c.completions), decimal_cell(c.jp)]) for c in report.courses]
    return Table("annual-courses", _l("Completions per course"), COURSE_COLUMNS, rows)


def build_table(name: str, report: AnnualReport) -> Table:
    """The table called ``name`` (one of :data:`TABLES`)."""
    return {"people": people_table, "courses": courses_table}[name](report)
