"""Libraries side by side: one row per library a provincial supervisor (or an install-wide
admin) reaches - staff, active learners (a lesson seen, a module or course completed or a quiz submitted
this year), course completions and JP this year, the share of
staff reaching their library's own JP target, and quiz mastery (issue 20, item 3).

Every figure is aggregated in SQL, two statements for all the libraries together (not one a
library): people, activity, completions and JP grouped by the person's library; mastery
grouped the same way. "This year" is each library's own calendar year (its time zone: the
bounds are a CASE on the person's library when the zones differ). A library with fewer staff
in view than the anonymity threshold (``NEEDS_MIN_GROUP``, the needs survey's promise) shows
its staff count only, as the needs reports do with small groups.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric, case, cast, exists, func, or_, select, union_all

from lms import organisations
from lms.auth.models import Unit, User
from lms.clock import local_today
from lms.exports import MISSING, Cell, Column, Row, Table, decimal_cell, int_cell, percent_cell, text_cell
from lms.extensions import db
from lms.pluginmanager import hook
from lms.plugins.courses.models import Question
from lms.plugins.learning.models import CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.needs.analysis import min_group
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt, QuizScore
from lms.plugins.reports.dashboard import Filters, Library, Scope, people_in_view, shown_libraries, year_window


@dataclass
class LibraryFigures:
    library: Library
    staff: int = 0
    active: int = 0
    completions: int = 0
    jp_mean: float | None = None
    reached: int = 0
    mastery: float | None = None  # points earned / points possible, percent
    hidden: bool = False  # fewer staff than the anonymity threshold: figures withheld

    @property
    def reached_percent(self) -> float | None:
        return 100 * self.reached / self.staff if self.staff else None


def figures(viewer: User, scope: Scope, today: date | None = None) -> list[LibraryFigures]:
    """One row per library the viewer reaches, by name, over the active librarians in view."""
    today = today or local_today()
    year = today.year
    filters = Filters(scope=scope)
    libraries = shown_libraries(viewer, filters)
    ids = people_in_view(viewer, filters)
    people = (select(User.id.label("user_id"), Unit.organisation_id.label("library_id"))
              .join(Unit, Unit.id == User.unit_id).where(User.id.in_(ids)).cte("people"))
    start, end = year_window(libraries, people.c.library_id, year)

    # JP: course completions in the person's library's year, plus verified external training
    completions = (select(CourseCompletion.user_id.label("user_id"), func.count().label("n"),
                          func.sum(CourseCompletion.jp).label("jp"))
                   .join(people, people.c.user_id == CourseCompletion.user_id)
                   .where(CourseCompletion.completed_at >= start, CourseCompletion.completed_at < end)
                   .group_by(CourseCompletion.user_id).subquery("done"))
    earned = [select(completions.c.user_id, completions.c.jp)]
    for extra in hook().lms_external_jp_select(year=year):
        if extra is not None:
            rows = extra.subquery()
            earned.append(select(rows.c.user_id, rows.c.jp).where(rows.c.user_id.in_(select(people.c.user_id))))
    sources = union_all(*earned).subquery("earned")
    jp = select(sources.c.user_id, func.sum(sources.c.jp).label("jp")).group_by(sources.c.user_id).subquery("jp")

    # active learners: a lesson seen, a module or course completed or a quiz submitted in the year
    active = or_(
        exists().where(LessonView.user_id == people.c.user_id, LessonView.last_seen >= start,
                       LessonView.last_seen < end),
        exists().where(ModuleCompletion.user_id == people.c.user_id, ModuleCompletion.completed_at >= start,
                       ModuleCompletion.completed_at < end),
        exists().where(QuizScore.user_id == people.c.user_id, QuizScore.last_submitted_at >= start,
                       QuizScore.last_submitted_at < end))
    person_jp = func.coalesce(jp.c.jp, 0.0)
    target = (select(organisations.Organisation.jp_target)
              .where(organisations.Organisation.unit_id == people.c.library_id).scalar_subquery())
    # compared at two places, as the annual report does: 0.1 + 0.2 JP meets a target of 0.3
    reached = func.round(cast(person_jp, Numeric(12, 4)), 2) >= func.round(cast(target, Numeric(12, 4)), 2)
    rows = db.session.execute(
        select(people.c.library_id, func.count(),
               func.sum(case((or_(completions.c.n.is_not(None), active), 1), else_=0)),
               func.sum(func.coalesce(completions.c.n, 0)), func.avg(person_jp),
               func.sum(case((reached, 1), else_=0)))
        .select_from(people)
        .outerjoin(completions, completions.c.user_id == people.c.user_id)
        .outerjoin(jp, jp.c.user_id == people.c.user_id)
        .group_by(people.c.library_id)).all()

    # quiz mastery as the heatmap and the needs analysis count it, pooled over the library's staff
    mastery = dict(db.session.execute(
        select(people.c.library_id,
               func.sum(QuizAnswer.credit * Question.points) * 100.0 / func.nullif(func.sum(Question.points), 0))
        .select_from(QuizAttempt)
        .join(people, people.c.user_id == QuizAttempt.user_id)
        .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
        .join(Question, Question.id == QuizAnswer.question_id)
        .where(QuizAttempt.status == SUBMITTED, QuizAnswer.credit.is_not(None), Question.competency_id.is_not(None))
        .group_by(people.c.library_id)).all())

    found = {row[0]: row for row in rows}
    threshold = min_group()
    result = []
    for library in libraries:
        row = found.get(library.unit_id)
        item = LibraryFigures(library)
        if row is not None:
            item.staff, item.active, item.completions = int(row[1]), int(row[2] or 0), int(row[3] or 0)
            item.jp_mean, item.reached = float(row[4] or 0.0), int(row[5] or 0)
            value = mastery.get(library.unit_id)
            item.mastery = None if value is None else float(value)
        item.hidden = 0 < item.staff < threshold
        result.append(item)
    return result


COLUMNS = [
    Column("library", _l("Library")), Column("staff", _l("Staff"), True),
    Column("active", _l("Active learners this year"), True),
    Column("completions", _l("Course completions this year"), True),
    Column("jp_mean", _l("Mean JP this year"), True), Column("jp_target", _l("JP target"), True),
    Column("reached", _l("Reached the JP target (%)"), True),
    Column("mastery", _l("Mean quiz mastery (%)"), True),
]


def table(rows: list[LibraryFigures]) -> Table:
    """The side-by-side table, for the page and the exports alike; a hidden row keeps its
    library, staff count and target, and a dash for everything else."""
    out = []
    for item in rows:
        cells = [text_cell(item.library.name), int_cell(item.staff)]
        if item.hidden:
            cells += [Cell(MISSING)] * 3 + [decimal_cell(item.library.jp_target), Cell(MISSING), Cell(MISSING)]
        else:
            cells += [int_cell(item.active), int_cell(item.completions),
                      decimal_cell(item.jp_mean if item.staff else None), decimal_cell(item.library.jp_target),
                      percent_cell(item.reached_percent), percent_cell(item.mastery)]
        out.append(Row(cells, css="hidden-group" if item.hidden else ""))
    return Table("organisations", _l("Libraries side by side"), COLUMNS, out)
