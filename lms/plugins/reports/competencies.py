"""Quiz mastery per person and competency, and the supervisor's competency heatmap.

Mastery follows the needs analysis (``docs/needs.md``): M = sum(credit * points) /
sum(points) over graded answers, in submitted attempts, to questions mapped to the
competency - here over all time, not up to a round's close. One GROUP BY (user,
competency) statement covers everyone in view; it starts from the viewed people's attempts
(``ix_quiz_attempts_*`` on user_id) so its cost follows the unit, not the database.

The "needs" column group repeats, per unit of the people in view, that unit's priority rank
of each competency in the latest closed needs round - only where the unit had at least
NEEDS_MIN_GROUP respondents (the promise the survey makes to staff).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from lms.auth.models import Unit, User
from lms.auth.scoping import units_below
from lms.exports import Cell, Column, Row, Table, text_cell
from lms.extensions import db
from lms.i18n import localized
from lms.plugins.courses.models import Competency, Question
from lms.plugins.needs import analysis
from lms.plugins.needs.models import SELF, NeedsRound, StaffResponse
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt
from lms.plugins.reports import dashboard

BAND_LIMITS = (20, 40, 60, 80)  # m-0 below 20 %, m-1 below 40 %, ... m-4 from 80 %
NO_EVIDENCE = "m-none"


def band(percent: float | None) -> str:
    """The CSS class of a mastery percentage (rounded as shown): ``m-0``..``m-4``, or
    ``m-none`` without evidence."""
    if percent is None:
        return NO_EVIDENCE
    shown = int(dashboard.half_up(percent))
    return f"m-{sum(1 for limit in BAND_LIMITS if shown >= limit)}"


@dataclass(frozen=True)
class Mastery:
    answers: int
    earned: float  # sum(credit * points)
    points: float  # sum(points)

    @property
    def percent(self) -> float | None:
        return 100 * self.earned / self.points if self.points > 0 else None


def mastery_statement(user_ids: Select | list[int]) -> Select:
    """(user, competency, answers, sum credit*points, sum points) of graded answers to mapped
    questions in submitted attempts of ``user_ids`` (a select of ids or a list)."""
    return (select(QuizAttempt.user_id, Question.competency_id, func.count(),
                   func.sum(QuizAnswer.credit * Question.points), func.sum(Question.points))
            .select_from(QuizAttempt)
            .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
            .join(Question, Question.id == QuizAnswer.question_id)
            .where(QuizAttempt.user_id.in_(user_ids), QuizAttempt.status == SUBMITTED,
                   QuizAnswer.credit.is_not(None), Question.competency_id.is_not(None))
            .group_by(QuizAttempt.user_id, Question.competency_id))


def mastery_by_user(user_ids: Select | list[int]) -> dict[int, dict[str, Mastery]]:
    """{user id: {competency id: Mastery}} - one SQL statement."""
    result: dict[int, dict[str, Mastery]] = {}
    for user_id, cid, answers, earned, points in db.session.execute(mastery_statement(user_ids)):
        result.setdefault(user_id, {})[cid] = Mastery(int(answers), float(earned or 0), float(points or 0))
    return result


def framework_by_area(locale: str) -> list[tuple[str, list[Competency]]]:
    """The framework's competencies grouped by area, in the framework's order."""
    groups: list[tuple[str, list[Competency]]] = []
    for competency in analysis.framework_competencies():
        name = (competency.area_name_en if locale == "en" else competency.area_name_id) or competency.area
        if not groups or groups[-1][0] != name:
            groups.append((name, []))
        groups[-1][1].append(competency)
    return groups


def competency_name(competency: Competency, locale: str) -> str:
    return localized(competency, "name", locale)


# --- the heatmap -----------------------------------------------------------------------------

@dataclass
class Person:
    user_id: int
    name: str
    unit: str


@dataclass
class UnitNeeds:
    """One unit's column in the "needs" group: ranks when the unit had enough respondents."""

    unit_id: int
    name: str
    respondents: int
    shown: bool
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass
class Heatmap:
    areas: list[tuple[str, list[Competency]]]
    people: list[Person]
    mastery: dict[int, dict[str, Mastery]]
    needs_round: NeedsRound | None
    units: list[UnitNeeds]
    min_group: int

    def percent(self, user_id: int, competency_id: str) -> float | None:
        found = self.mastery.get(user_id, {}).get(competency_id)
        return found.percent if found else None

    def cell(self, user_id: int, competency_id: str) -> tuple[str, str]:
        """(text, CSS class) of one cell: the whole percentage, or a dash without evidence."""
        percent = self.percent(user_id, competency_id)
        return dashboard.percent_cell(percent).text, band(percent)

    def rank_cell(self, unit: UnitNeeds, competency_id: str) -> Cell:
        """A unit's needs rank of a competency: blank when hidden or unranked."""
        rank = unit.ranks.get(competency_id) if unit.shown else None
        return Cell("", None) if rank is None else Cell(str(rank), rank)


def _unit_respondents(needs_round: NeedsRound, unit_id: int) -> int:
    """People who sent a self-assessment in the unit or a unit below (as ``analyze`` counts)."""
    tree = units_below([unit_id])
    return db.session.scalar(
        select(func.count(func.distinct(StaffResponse.subject_id)))
        .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == SELF,
               StaffResponse.unit_id.in_(select(tree.c.id)))) or 0


def unit_needs(people_units: list[tuple[int, str]], needs_round: NeedsRound | None) -> list[UnitNeeds]:
    """Per unit, the priority rank of each competency in ``needs_round``, analysed only for
    units with at least ``min_group()`` respondents (the others are listed, blank)."""
    if needs_round is None:
        return []
    threshold = analysis.min_group()
    result = []
    for unit_id, name in people_units:
        n = _unit_respondents(needs_round, unit_id)
        column = UnitNeeds(unit_id, name, n, n >= threshold)
        if column.shown:
            ranked = analysis.analyze(needs_round, unit_ids=[unit_id])
            column.ranks = {c.competency_id: c.rank for c in ranked.competencies if c.rank is not None}
        result.append(column)
    return result


def heatmap(viewer: User, filters: dashboard.Filters, locale: str) -> Heatmap:
    """People in view (dashboard filters) x competencies: mastery from one GROUP BY
    statement, and the needs ranks of the units those people belong to."""
    ids = dashboard.people_in_view(viewer, filters)
    rows = db.session.execute(
        select(User.id, User.full_name, Unit.id, Unit.name).outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.id.in_(ids)).order_by(func.lower(User.full_name), User.id)).all()
    people = [Person(user_id, name, unit or "") for user_id, name, _unit_id, unit in rows]
    units = sorted({(unit_id, unit) for _u, _n, unit_id, unit in rows if unit_id is not None},
                   key=lambda item: (item[1].lower(), item[0]))
    needs_round = _round_for(viewer, [unit_id for unit_id, _name in units])
    return Heatmap(areas=framework_by_area(locale), people=people,
                   mastery=mastery_by_user(ids) if people else {}, needs_round=needs_round,
                   units=unit_needs(units, needs_round), min_group=analysis.min_group())


def _round_for(viewer: User, unit_ids: list[int]):
    """The needs round whose ranks the heatmap shows: the latest closed one of the one library
    the people in view belong to (or one above it); with several libraries in view, the latest
    covering the viewer's own unit. Never another library's round (issue 20)."""
    libraries = set(db.session.scalars(select(Unit.organisation_id).where(Unit.id.in_(unit_ids)).distinct()))
    if len(libraries) == 1 and None not in libraries:
        library = libraries.pop()
        return (analysis.latest_closed_round(organisation_id=library)
                or analysis.latest_closed_round(covering_unit_id=library))
    if viewer.unit_id is None:
        return None
    return analysis.latest_closed_round(covering_unit_id=viewer.unit_id)


def person_label(person: Person) -> str:
    return f"{person.name} ({person.unit})" if person.unit else person.name


def heatmap_table(h: Heatmap, locale: str) -> Table:
    """The heatmap as one flat table for the exports: a row per competency (its area first),
    a column per person (the page's percentages), then a column per unit's needs rank."""
    columns = [Column("area", _l("Area")), Column("competency", _l("Competency"))]
    columns += [Column(f"user-{p.user_id}", person_label(p), True) for p in h.people]
    columns += [Column(f"unit-{u.unit_id}", f"{_l('Needs priority rank')}: {u.name}", True) for u in h.units]
    rows = []
    for area, competencies in h.areas:
        for competency in competencies:
            cells = [text_cell(area), text_cell(competency_name(competency, locale))]
            cells += [dashboard.percent_cell(h.percent(p.user_id, competency.id)) for p in h.people]
            cells += [h.rank_cell(u, competency.id) for u in h.units]
            rows.append(Row(cells))
    return Table("heatmap", _l("Competency heatmap"), columns, rows)
