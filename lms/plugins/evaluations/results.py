"""What the evaluations show: observed application per person, per group (hidden under the
needs plugin's minimum group size), the transfer gap, and the needs-analysis source.

Definitions (docs/needs.md, "Level 3"):

- a person's observed application of a competency = the mean of their supervisors'
  frequency ratings (1 never .. 4 always) over every indicator of every observation;
  they *apply* it when that mean is at least ``APPLIED`` (3, "often");
- a group's application rate = people who apply / people observed;
- the transfer gap of a competency = people who completed a module mapped to it (so passed
  its quiz) and were observed, but do not apply it / those observed;
- the needs source: A_c = (mean rating - 1) / 3 over the ratings submitted before the
  round's end by people in scope; need = 1 - A_c = (4 - mean) / 3.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from lms.auth.models import Unit, User
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.evaluations.models import APPLIED, COMPLETION, SELF, SUPERVISOR
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.plugins.needs.analysis import min_group


@dataclass
class Application:
    """People observed for one competency (in one unit, or overall) and how many apply it."""

    competency_id: str
    name_id: str
    name_en: str
    unit_id: int | None = None
    unit_name: str = ""
    observed: int = 0
    applied: int = 0
    hidden: bool = False
    completed_observed: int = 0  # of the observed, those who completed a mapped module (passed its quiz)
    completed_not_applied: int = 0
    barriers: Counter = field(default_factory=Counter)
    self_reports: int = 0

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id

    @property
    def rate(self) -> float | None:
        return self.applied / self.observed if self.observed and not self.hidden else None

    gap_hidden: bool = False  # fewer who passed and were observed than NEEDS_MIN_GROUP

    @property
    def gap(self) -> float | None:
        """Share of people who passed but are not observed applying it."""
        if self.gap_hidden or not self.completed_observed:
            return None
        return self.completed_not_applied / self.completed_observed

    def top_barriers(self, limit: int = 3) -> list[tuple[str, int]]:
        return self.barriers.most_common(limit) if not self.hidden else []


def _scope(query, viewer: User | None):
    if viewer is None or viewer.has_role("admin", "trainer"):
        return query
    return query.where(EvaluationWindow.unit_id.in_(supervised_unit_ids(viewer)))


def _per_person(viewer: User | None, kind: str = SUPERVISOR, user_id: int | None = None):
    """(competency, unit at opening, person, origin completion?, ratings, sum) grouped in SQL."""
    completed = func.max(func.cast(EvaluationWindow.origin == COMPLETION, db.Integer))
    query = (select(EvaluationWindow.competency_id, EvaluationWindow.unit_id, EvaluationWindow.user_id, completed,
                    func.count(EvaluationRating.id), func.sum(EvaluationRating.frequency))
             .join(EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id)
             .join(EvaluationRating, EvaluationRating.response_id == EvaluationResponse.id)
             .where(EvaluationResponse.kind == kind))
    if user_id is not None:
        query = query.where(EvaluationWindow.user_id == user_id)
    query = _scope(query, viewer).group_by(EvaluationWindow.competency_id, EvaluationWindow.unit_id,
                                           EvaluationWindow.user_id)
    return db.session.execute(query).all()


def _passed() -> set[tuple[int, str]]:
    """(person, competency) for every completion of a module mapped to the competency (a
    completion needs the module's quiz passed): whoever opened the window."""
    from lms.plugins.needs.impact import module_competencies
    from lms.plugins.learning.models import ModuleCompletion

    observed = select(EvaluationWindow.user_id).join(
        EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id).where(
        EvaluationResponse.kind == SUPERVISOR)
    mapping = module_competencies()
    return {(user_id, cid) for user_id, module_id in db.session.execute(
        select(ModuleCompletion.user_id, ModuleCompletion.module_id).where(ModuleCompletion.user_id.in_(observed)))
        for cid in mapping.get(module_id, ())}


def _competencies() -> dict[str, Competency]:
    return {c.id: c for c in db.session.scalars(select(Competency).order_by(Competency.position, Competency.id))}


def person_application(user_id: int, kind: str = SUPERVISOR) -> dict[str, float]:
    """Competency -> the mean frequency (1-4) rated for ``user_id`` (``kind``: the
    supervisors' observations, or the person's own self-reports)."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cid, _unit, _user, _completed, n, total in _per_person(None, kind, user_id):
        found[cid][0] += n
        found[cid][1] += total or 0
    return {cid: total / n for cid, (n, total) in found.items() if n}


def _barriers(viewer: User | None, by_unit: bool) -> tuple[dict, Counter]:
    """(competency[, unit]) -> barrier code counts of self-reports, and self-reports per key."""
    query = (select(EvaluationWindow.competency_id, EvaluationWindow.unit_id, EvaluationResponse.barriers)
             .join(EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id)
             .where(EvaluationResponse.kind == SELF))
    counts: dict[tuple[str, int | None], Counter] = defaultdict(Counter)
    reports: Counter = Counter()
    for cid, unit_id, codes in db.session.execute(_scope(query, viewer)).all():
        key = (cid, unit_id if by_unit else None)
        counts[key].update(codes or [])
        reports[key] += 1
    return counts, reports


def by_competency(viewer: User | None, *, by_unit: bool = False) -> list[Application]:
    """Observed application per competency (and per unit at opening with ``by_unit``),
    limited to ``viewer``'s units (trainers and admins: everyone). A group with fewer
    observed people than NEEDS_MIN_GROUP is ``hidden``: only its size is shown."""
    competencies = _competencies()
    groups: dict[tuple[str, int | None], Application] = {}
    passed = _passed()
    for cid, unit_id, person, completed, n, total in _per_person(viewer):
        completed = completed or (person, cid) in passed
        if cid not in competencies or not n:
            continue
        key = (cid, unit_id if by_unit else None)
        c = competencies[cid]
        group = groups.setdefault(key, Application(cid, c.name_id, c.name_en, unit_id=key[1]))
        applies = total / n >= APPLIED
        group.observed += 1
        group.applied += int(applies)
        if completed:
            group.completed_observed += 1
            group.completed_not_applied += int(not applies)
    barriers, reports = _barriers(viewer, by_unit)
    threshold = min_group()
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all()) if by_unit else {}
    for key, group in groups.items():
        group.hidden = group.observed < threshold
        group.gap_hidden = group.completed_observed < threshold
        group.unit_name = units.get(key[1], "") if by_unit else ""
        group.barriers = barriers.get(key, Counter())
        group.self_reports = reports.get(key, 0)
    order = list(competencies)
    return sorted(groups.values(), key=lambda g: (order.index(g.competency_id), g.unit_name.lower()))


def transfer_gap(viewer: User | None) -> list[Application]:
    """Competencies people passed (completed a mapped module) but are not observed applying,
    largest gap first; hidden groups last."""
    rows = [row for row in by_competency(viewer) if row.completed_observed]
    return sorted(rows, key=lambda r: (r.gap is None, -(r.gap or 0.0), r.competency_id))


# --- the needs analysis source ---------------------------------------------------------------

def needs_rows(end: datetime, unit_ids: Collection[int] | None, position: str | None,
               user_id: int | None) -> dict[str, tuple[int, int, int]]:
    """Competency -> (ratings, sum of frequencies, people) of supervisors' observations submitted
    before ``end``, of people in ``unit_ids`` (their current unit, as the quiz evidence
    counts) holding ``position``, or of ``user_id`` alone."""
    query = (select(EvaluationWindow.competency_id, func.count(EvaluationRating.id),
                    func.sum(EvaluationRating.frequency), func.count(func.distinct(EvaluationWindow.user_id)))
             .join(EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id)
             .join(EvaluationRating, EvaluationRating.response_id == EvaluationResponse.id)
             .join(User, User.id == EvaluationWindow.user_id)
             .where(EvaluationResponse.kind == SUPERVISOR, EvaluationResponse.submitted_at < end))
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(list(unit_ids)))
    if position:
        query = query.where(User.position == position)
    if user_id is not None:
        query = query.where(EvaluationWindow.user_id == user_id)
    return {cid: (int(n), int(total or 0), int(people)) for cid, n, total, people in
            db.session.execute(query.group_by(EvaluationWindow.competency_id)).all() if n}
