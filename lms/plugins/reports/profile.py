"""A librarian's profile and training record: the civil-servant competency-development record.

Who may open it: the person, a supervisor over their unit, an admin. Anyone else gets
``None`` (the view answers 404, so ids cannot be probed). The person's own self-assessment
answers are read only when the viewer *is* the person: the needs survey promises staff that
supervisors see groups, never individuals' answers.

Every figure is aggregated in SQL: mastery per competency (one GROUP BY), the supervisor's
ratings of the person in the latest closed round (one GROUP BY), JP through the learning
plugin's ``jp_in_year`` (courses plus verified external training).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from lms.auth.models import Unit, User
from lms.auth.scoping import can_see_user
from lms import organisations
from lms.clock import CURRENT, local_date, local_today
from lms.extensions import db
from lms.pluginmanager import plugin_enabled
from lms.plugins.courses.models import Competency, Course, Module, ModuleVersion
from lms.plugins.learning import overview
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs import analysis
from lms.plugins.needs.models import SELF, SUPERVISOR, NeedsRound, StaffAnswer, StaffResponse
from lms.plugins.reports.dashboard import percent_cell
from lms.plugins.reports.competencies import Mastery, band, competency_name, framework_by_area, mastery_by_user


def visible_person(viewer: User, user_id: int) -> User | None:
    """The user if ``viewer`` may see their record (self, admin, a supervisor over their
    unit, an organisation admin over their library), else None."""
    person = db.session.get(User, user_id)
    if person is None:
        return None
    if viewer.id == person.id or viewer.has_role("admin"):
        return person
    if (viewer.has_role("supervisor") or viewer.organisations_for("admin")) and can_see_user(viewer, person):
        return person  # can_see_user scopes an organisation admin to their libraries
    return None


@dataclass
class CompetencyLine:
    competency: Competency
    name: str
    mastery: Mastery | None
    rating: float | None  # mean of the supervisor ratings of the person, latest closed round
    ratings: int
    target: float
    importance: int | None = None  # self-assessment: filled only for the person themself
    ability: int | None = None
    applied: float | None = None  # observed application at work, mean 1-4 (evaluations plugin)
    self_applied: float | None = None  # the person's own self-report, filled only for themself

    @property
    def percent(self) -> float | None:
        return self.mastery.percent if self.mastery else None

    @property
    def percent_text(self) -> str:
        """The whole percentage as the heatmap shows it (a dash without evidence)."""
        return percent_cell(self.percent).text

    @property
    def band(self) -> str:
        return band(self.percent)


@dataclass
class CompletedModule:
    title: str
    course: str
    completed_on: date


@dataclass
class Profile:
    person: User
    unit: str
    own: bool  # the viewer is the person
    areas: list[tuple[str, list[CompetencyLine]]]
    needs_round: NeedsRound | None
    courses: list[Any]  # overview.CompletedCourse
    modules: list[CompletedModule]
    records: list[Any]  # records' ExternalTraining, newest first
    year: int
    jp_total: float
    jp_external: float
    jp_target: float

    @property
    def jp_courses(self) -> float:
        return self.jp_total - self.jp_external

    @property
    def jp_percent(self) -> int:
        return overview.JpProgress(self.jp_total, self.jp_target).percent


def _default_target() -> float:
    return float(current_app.config.get("NEEDS_DEFAULT_TARGET", 4))


def supervisor_ratings(person: User, needs_round: NeedsRound | None) -> dict[str, tuple[float, int]]:
    """{competency: (mean rating, ratings)} of the supervisors' ratings of ``person``."""
    if needs_round is None:
        return {}
    rows = db.session.execute(
        select(StaffAnswer.competency_id, func.avg(StaffAnswer.ability), func.count())
        .join(StaffResponse, StaffResponse.id == StaffAnswer.response_id)
        .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == SUPERVISOR,
               StaffResponse.subject_id == person.id)
        .group_by(StaffAnswer.competency_id)).all()
    return {cid: (float(mean), int(n)) for cid, mean, n in rows}


def own_self_assessment(person: User, needs_round: NeedsRound | None) -> dict[str, tuple[int | None, int]]:
    """{competency: (importance, ability)} of the person's own self-assessment. Call it only
    when the viewer is the person."""
    if needs_round is None:
        return {}
    rows = db.session.execute(
        select(StaffAnswer.competency_id, StaffAnswer.importance, StaffAnswer.ability)
        .join(StaffResponse, StaffResponse.id == StaffAnswer.response_id)
        .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == SELF,
               StaffResponse.subject_id == person.id)).all()
    return {cid: (importance, ability) for cid, importance, ability in rows}


def completed_modules(user_id: int, locale: str, organisation: Any = CURRENT) -> list[CompletedModule]:
    title = ModuleVersion.title_en if locale == "en" else ModuleVersion.title_id
    course = Course.title_en if locale == "en" else Course.title_id
    rows = db.session.execute(
        select(func.coalesce(title, ModuleVersion.title_id, Module.slug), func.coalesce(course, Course.title_id),
               ModuleCompletion.completed_at)
        .select_from(ModuleCompletion).join(Module, Module.id == ModuleCompletion.module_id)
        .join(Course, Course.id == Module.course_id)
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .where(ModuleCompletion.user_id == user_id)
        .order_by(ModuleCompletion.completed_at.desc(), ModuleCompletion.id.desc())).all()
    return [CompletedModule(t, c, local_date(at, organisation)) for t, c, at in rows]


def external_records(user_id: int) -> list[Any]:
    """The person's external training records (every status), when the records plugin is on."""
    if not plugin_enabled("records"):
        return []
    from lms.plugins.records import services as records

    return records.own_records(user_id)


def external_jp(user_id: int, year: int) -> float:
    if not plugin_enabled("records"):
        return 0.0
    from lms.plugins.records import services as records

    return records.verified_jp(user_id, year)


def application(person: User, own: bool) -> tuple[dict[str, float], dict[str, float]]:
    """Observed application per competency (the supervisors' mean rating, 1-4) and, for the
    person themself only, their own self-reported one - when the evaluations plugin is on."""
    if not plugin_enabled("evaluations"):
        return {}, {}
    from lms.plugins.evaluations import results

    return results.person_application(person.id), (results.person_application(person.id, "self") if own else {})


def build(viewer: User, person: User, locale: str, today: date | None = None) -> Profile:
    """Everything the profile page shows about ``person`` to ``viewer`` (already allowed)."""
    library = organisations.for_person(person.id)  # their year, target and dates follow it
    year = (today or local_today(library)).year
    own = viewer.id == person.id
    # the latest closed round over the person's own unit (never another library's)
    needs_round = (analysis.latest_closed_round(today, covering_unit_id=person.unit_id)
                   if person.unit_id is not None else None)
    mastery = mastery_by_user([person.id]).get(person.id, {})
    ratings = supervisor_ratings(person, needs_round)
    answers = own_self_assessment(person, needs_round) if own else {}
    position = (person.position or "").strip()
    default = _default_target()
    applied, self_applied = application(person, own)
    areas = []
    for area, competencies in framework_by_area(locale):
        lines = []
        for competency in competencies:
            target = (competency.targets or {}).get(position) if position else None
            rating, n = ratings.get(competency.id, (None, 0))
            importance, ability = answers.get(competency.id, (None, None))
            lines.append(CompetencyLine(competency, competency_name(competency, locale), mastery.get(competency.id),
                                        rating, n, float(target) if target is not None else default,
                                        importance, ability, applied.get(competency.id),
                                        self_applied.get(competency.id)))
        areas.append((area, lines))
    unit = db.session.get(Unit, person.unit_id).name if person.unit_id else ""
    return Profile(person=person, unit=unit, own=own, areas=areas, needs_round=needs_round,
                   courses=overview.completed_courses(person.id, locale, library),
                   modules=completed_modules(person.id, locale, library), records=external_records(person.id),
                   year=year, jp_total=overview.jp_in_year(person.id, year, library),
                   jp_external=external_jp(person.id, year), jp_target=organisations.jp_target(library))

