"""The gap analysis of a needs round (the contract; see docs/needs.md for every formula).

Every figure is aggregated in SQL (GROUP BY competency, unit or position); Python only
combines the small per-group tables. Needs per source are on one scale, 0 (no need) to 1
(largest possible need):

- self (Borich):   MWDS_c = (sum_j (I_jc - A_jc)) * mean_j(I_jc) / n_c;  need = clamp(MWDS_c / 20)
- supervisor:      need = clamp(mean over ratings of (T_pos - rating) / 4), T_pos the level
                   competencies.yml ``targets`` gives the rated person's position, else
                   NEEDS_DEFAULT_TARGET
- quiz evidence:   mastery M_c = sum(credit * points) / sum(points) over graded answers to
                   questions mapped to c, by people in scope, submitted up to the round's
                   close;  need = 1 - M_c
- patron:          need = clamp((5 - mean value) / 4) over patron answers mapped to c

priority_c = sum_k w_k * need_kc / sum_k w_k over the sources k that have data for c
(weights NEEDS_WEIGHTS; other plugins add sources through ``lms_needs_sources``, e.g. the
evaluations plugin's observed application, need = (4 - mean rating) / 3); a competency with no data from any source has priority None and
ranks last. Per librarian the same formulas with n = 1 (own I and A, the supervisor
ratings of that person, own quiz answers, the patron mean of the person's unit).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from lms.auth.models import Organisation, Unit, User
from lms.auth.scoping import units_below
from lms.clock import local_today
from lms.extensions import db
from lms.pluginmanager import hook
from lms.plugins.courses.models import Competency
from lms.plugins.needs.evidence import quiz_rows, round_end, round_quiz_rows
from lms.plugins.needs.models import SELF, SUPERVISOR, NeedsRound, NeedsRoundUnit, PatronAnswer
from lms.plugins.needs.models import StaffAnswer, StaffResponse

SOURCES: tuple[str, ...] = ("self", "supervisor", "quiz", "patron")


@dataclass
class SourceFigure:
    """One competency's figures from a plugin's source: how much data (``n``), the need
    0..1, a sentence describing the data and the arithmetic, one step per line."""

    n: int
    need: float
    detail: str
    steps: list[str] = field(default_factory=list)
    value: float | None = None  # the source's own measure (e.g. a mean rating), for the impact page
    people: int | None = None  # how many people it is about (the impact page hides fewer than NEEDS_MIN_GROUP)


@dataclass
class NeedsSource:
    """A source another plugin adds to the analysis (hook ``lms_needs_sources``)."""

    name: str
    label: object  # a (lazy) translated string
    default_weight: float
    figures: dict[str, SourceFigure] = field(default_factory=dict)


@dataclass
class CompetencyScore:
    """One competency's figures in one analysis. ``needs`` holds only sources with data."""

    competency_id: str
    area: str
    name_id: str
    name_en: str
    area_name_id: str = ""
    area_name_en: str = ""
    n_self: int = 0
    mean_importance: float | None = None
    mean_ability: float | None = None
    mean_discrepancy: float | None = None
    mwds: float | None = None
    n_supervisor: int = 0
    supervisor_mean: float | None = None
    supervisor_target: float | None = None
    quiz_answers: int = 0
    quiz_mastery: float | None = None  # 0..1
    n_patron: int = 0
    patron_mean: float | None = None
    needs: dict[str, float] = field(default_factory=dict)
    priority: float | None = None
    rank: int | None = None  # 1 = highest priority
    quadrant: str | None = None  # Locus for Focus: "focus" (top right), "maintain", "watch", "low"
    # The sums behind the means, so every figure can be traced (see ``evidence``).
    sum_importance: int = 0
    sum_ability: int = 0
    sum_discrepancy: int = 0
    supervisor_sum: int = 0
    supervisor_gap_sum: float = 0.0  # sum over ratings of (T_pos - rating)
    supervisor_targets: dict[str, tuple[float, int, int]] = field(default_factory=dict)  # position: (T, n, sum)
    quiz_earned: float = 0.0  # sum(credit * points)
    quiz_points: float = 0.0  # sum(points)
    patron_sum: float = 0.0  # answers on the common 1-5 range: fractions from scales other than 5 points
    extra: dict[str, SourceFigure] = field(default_factory=dict)  # plugins' sources with data
    extra_labels: dict[str, object] = field(default_factory=dict)

    @property
    def patron_sum_text(self) -> str:
        return _num(self.patron_sum, 2)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id

    def area_name(self, locale: str) -> str:
        return (self.area_name_en if locale == "en" else self.area_name_id) or self.area


@dataclass
class RoundAnalysis:
    round: NeedsRound
    respondents: int  # people who sent a self-assessment (in the filtered scope)
    competencies: list[CompetencyScore]  # ranked: priority desc, None last, then framework order
    weights: dict[str, float]
    mean_importance: float | None = None  # grand means: the Locus-for-Focus cross lines
    mean_discrepancy: float | None = None
    source_labels: dict[str, object] = field(default_factory=dict)  # plugins' sources: name -> label

    @property
    def empty(self) -> bool:
        """True when the round has no responses of any kind in this scope."""
        return not any(c.needs for c in self.competencies)

    def by_id(self, competency_id: str) -> CompetencyScore | None:
        return next((c for c in self.competencies if c.competency_id == competency_id), None)


@dataclass
class PersonalEvidence:
    """One librarian's evidence for one competency, and what it adds up to."""

    competency_id: str
    importance: int | None = None
    ability: int | None = None
    discrepancy: int | None = None  # I - A
    weighted_discrepancy: float | None = None  # (I - A) * I
    supervisor_rating: float | None = None
    target: float | None = None
    quiz_answers: int = 0
    quiz_mastery: float | None = None
    patron_mean: float | None = None  # the person's unit
    needs: dict[str, float] = field(default_factory=dict)
    extra: dict[str, SourceFigure] = field(default_factory=dict)  # plugins' sources with data
    extra_labels: dict[str, object] = field(default_factory=dict)  # their labels, for the columns
    personal_priority: float | None = None
    org_priority: float | None = None
    org_rank: int | None = None
    supervisor_ratings: int = 0
    unit_id: int | None = None  # the unit whose patron mean is shown

    @property
    def has_evidence(self) -> bool:
        return bool(self.needs)


def round_status(needs_round: NeedsRound, today: date | None = None) -> str:
    """``upcoming``, ``open`` or ``closed`` on ``today`` (the library's local date)."""
    today = today or local_today()
    if today < needs_round.opens_on:
        return "upcoming"
    return "open" if today <= needs_round.closes_on else "closed"


def latest_closed_round(today: date | None = None, *, organisation_id: int | None = None,
                        covering_unit_id: int | None = None) -> NeedsRound | None:
    """The round that closed most recently before ``today`` (the default for analysis):
    among those owned by ``organisation_id`` or an organisation below it, and/or those
    whose scope covers ``covering_unit_id`` (see :func:`rounds_covering`), when given."""
    today = today or local_today()
    query = select(NeedsRound).where(NeedsRound.closes_on < today)
    if organisation_id is not None:
        from lms.organisations import ids_below

        query = query.where(NeedsRound.organisation_id.in_(ids_below([organisation_id])))
    if covering_unit_id is not None:
        query = query.where(NeedsRound.id.in_(rounds_covering(covering_unit_id)))
    return db.session.scalar(query.order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))


def rounds_covering(unit_id: int):
    """A select of the ids of the rounds whose scope holds ``unit_id``: one of their units is
    the unit or above it, or they have no units and their organisation is above it (its own
    library's rounds and a provincial round over it; never another library's). One
    recursive CTE walks up from the unit."""
    up = select(Unit.id.label("id"), Unit.parent_id.label("parent_id")).where(Unit.id == unit_id)
    up = up.cte("needs_covering", recursive=True)
    up = up.union(select(Unit.id, Unit.parent_id).join(up, Unit.id == up.c.parent_id))
    scoped = select(NeedsRoundUnit.round_id).where(NeedsRoundUnit.unit_id.in_(select(up.c.id)))
    unscoped = (select(NeedsRound.id).where(NeedsRound.organisation_id.in_(select(up.c.id)),
                                            ~NeedsRound.id.in_(select(NeedsRoundUnit.round_id))))
    return scoped.union(unscoped)


@dataclass
class BreakdownGroup:
    """One unit or position in a breakdown. A group with fewer than NEEDS_MIN_GROUP
    respondents is ``hidden``: its size is shown, its figures are not computed."""

    key: str  # the unit id (as text) or the position; "" for none recorded
    label: str
    n: int
    hidden: bool
    competencies: dict[str, CompetencyScore] = field(default_factory=dict)


@dataclass
class CompetencyEvidence:
    """The inputs and the arithmetic behind one competency's priority (the evidence page)."""

    round: NeedsRound
    score: CompetencyScore
    respondents: int
    weights: dict[str, float]  # the weights of the sources with data
    steps: list[tuple[str, str]]  # (stage, arithmetic written out), in order
    ranked: int  # how many competencies have a priority


# --- helpers ---------------------------------------------------------------------------------

def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _weights(extra: list[NeedsSource] | None = None) -> dict[str, float]:
    configured = current_app.config.get("NEEDS_WEIGHTS") or {}
    weights = {source: float(configured.get(source, 0.0)) for source in SOURCES}
    for source in extra or []:
        weights[source.name] = float(configured.get(source.name, source.default_weight))
    return weights


def extra_sources(end, units: list[int] | None, position: str | None = None,
                  user_id: int | None = None) -> list[NeedsSource]:
    """The sources other plugins add (``lms_needs_sources``), in plugin order."""
    answers = hook().lms_needs_sources(
        end=end, unit_ids=units, position=position, user_id=user_id)
    return [answer for answer in answers if answer is not None and answer.name not in SOURCES]


def _add_extra(score, sources: list[NeedsSource]) -> None:
    for source in sources:
        figure = source.figures.get(score.competency_id)
        if figure is not None and figure.n:
            score.extra[source.name] = figure
            score.needs[source.name] = _clamp(figure.need)
            if hasattr(score, "extra_labels"):
                score.extra_labels[source.name] = source.label


def _default_target() -> float:
    return float(current_app.config.get("NEEDS_DEFAULT_TARGET", 4))


def min_group() -> int:
    """Groups (units, positions) with fewer respondents than this are hidden."""
    return int(current_app.config.get("NEEDS_MIN_GROUP", 5))


def unit_subtree(unit_ids: Collection[int] | None) -> list[int] | None:
    """The ids of ``unit_ids`` and every unit below them (None: no filter)."""
    if unit_ids is None:
        return None
    if not unit_ids:
        return []
    tree = units_below([int(unit_id) for unit_id in unit_ids])
    return list(db.session.scalars(select(tree.c.id)))


def _round_people_units(needs_round: NeedsRound, units: list[int] | None) -> list[int] | None:
    """The units whose members' quiz answers count: the round's scope within the filter. A
    round without units covers its organisation's tree, never another organisation's people."""
    scope = list(db.session.scalars(select(NeedsRoundUnit.unit_id).where(NeedsRoundUnit.round_id == needs_round.id)))
    scope_units = unit_subtree(scope or [needs_round.organisation_id])
    if units is None:
        return scope_units
    return sorted(set(scope_units) & set(units))


def _priority(needs: dict[str, float], weights: dict[str, float]) -> float | None:
    total = sum(weights.get(source, 0.0) for source in needs)
    if not needs or total <= 0:
        return None
    return sum(weights.get(source, 0.0) * need for source, need in needs.items()) / total


def _staff_scope(query, units: list[int] | None, position: str | None):
    if units is not None:
        query = query.where(StaffResponse.unit_id.in_(units))
    if position:
        query = query.where(StaffResponse.position == position)
    return query


def framework_competencies() -> list[Competency]:
    """Every competency, in the framework's order."""
    return list(db.session.scalars(select(Competency).order_by(Competency.position, Competency.id)))


def _new_score(competency: Competency) -> CompetencyScore:
    return CompetencyScore(competency.id, competency.area, competency.name_id, competency.name_en,
                           area_name_id=competency.area_name_id, area_name_en=competency.area_name_en)


def _self_rows(round_id: int, units, position, group=None):
    """(group?, competency, n, sum I, sum A, sum (I - A)) of self-assessments, grouped in SQL."""
    keys = ([group] if group is not None else []) + [StaffAnswer.competency_id]
    query = (select(*keys, func.count(), func.sum(StaffAnswer.importance), func.sum(StaffAnswer.ability),
                    func.sum(StaffAnswer.importance - StaffAnswer.ability))
             .join(StaffResponse, StaffResponse.id == StaffAnswer.response_id)
             .where(StaffResponse.round_id == round_id, StaffResponse.kind == SELF,
                    StaffAnswer.importance.is_not(None)))
    if group is Unit.organisation_id:
        query = query.outerjoin(Unit, Unit.id == StaffResponse.unit_id)
    return db.session.execute(_staff_scope(query, units, position).group_by(*keys)).all()


def _fill_self(score: CompetencyScore, n: int, sum_i, sum_a, sum_d) -> None:
    if not n:
        return
    score.n_self, score.sum_importance, score.sum_ability, score.sum_discrepancy = n, int(sum_i), int(sum_a), int(sum_d)
    score.mean_importance = sum_i / n
    score.mean_ability = sum_a / n
    score.mean_discrepancy = sum_d / n
    score.mwds = sum_d * score.mean_importance / n
    score.needs["self"] = _clamp(score.mwds / 20)


def _supervisor_rows(round_id: int, units, position, subject_id: int | None = None):
    """(competency, rated person's position, n, sum ability) of supervisor ratings."""
    query = (select(StaffAnswer.competency_id, StaffResponse.position, func.count(), func.sum(StaffAnswer.ability))
             .join(StaffResponse, StaffResponse.id == StaffAnswer.response_id)
             .where(StaffResponse.round_id == round_id, StaffResponse.kind == SUPERVISOR))
    if subject_id is not None:
        query = query.where(StaffResponse.subject_id == subject_id)
    query = _staff_scope(query, units, position)
    return db.session.execute(query.group_by(StaffAnswer.competency_id, StaffResponse.position)).all()


def _target(targets: dict, position: str | None) -> float:
    value = (targets or {}).get(position) if position else None
    return float(value) if value is not None else _default_target()


def _add_supervisor(score: CompetencyScore, targets: dict, position: str | None, n: int, total) -> None:
    target = _target(targets, position)
    score.n_supervisor += n
    score.supervisor_sum += int(total)
    score.supervisor_gap_sum += target * n - total
    score.supervisor_targets[position or ""] = (target, n, int(total))


def _finish_supervisor(score: CompetencyScore) -> None:
    if not score.n_supervisor:
        return
    n = score.n_supervisor
    score.supervisor_mean = score.supervisor_sum / n
    score.supervisor_target = (score.supervisor_gap_sum + score.supervisor_sum) / n
    score.needs["supervisor"] = _clamp(score.supervisor_gap_sum / n / 4)


def _fill_quiz(score, answers: int, earned, points) -> None:
    score.quiz_answers = int(answers)
    score.quiz_earned, score.quiz_points = float(earned or 0), float(points or 0)
    if score.quiz_points > 0:
        score.quiz_mastery = score.quiz_earned / score.quiz_points
        score.needs["quiz"] = _clamp(1 - score.quiz_mastery)


def _patron_rows(round_id: int, units: list[int] | None):
    query = (select(PatronAnswer.competency_id, func.count(), func.sum(PatronAnswer.value))
             .where(PatronAnswer.round_id == round_id))
    if units is not None:
        query = query.where(PatronAnswer.unit_id.in_(units))
    return db.session.execute(query.group_by(PatronAnswer.competency_id)).all()


def _fill_patron(score, n: int, total) -> None:
    if not n:
        return
    score.n_patron, score.patron_sum = int(n), float(total)
    score.patron_mean = total / n
    score.needs["patron"] = _clamp((5 - score.patron_mean) / 4)


# --- the analysis ----------------------------------------------------------------------------

def analyze(needs_round: NeedsRound, *, unit_ids: Collection[int] | None = None,
            position: str | None = None) -> RoundAnalysis:
    """Rank the competencies of ``needs_round``; ``unit_ids`` limits every source to people
    (and patron responses) of those units, ``position`` to people holding it.

    Staff answers are filtered by the unit and position copied onto each response; quiz
    answers by the person's current unit and position (and the round's own units, if it
    has any); patron answers by the unit they were imported for (``position`` leaves them
    as they are: patrons rate a unit's service, not a position)."""
    units = unit_subtree(unit_ids)
    people = _round_people_units(needs_round, units)
    sources = extra_sources(round_end(needs_round), people, position)
    weights = _weights(sources)
    competencies = framework_competencies()
    order = {competency.id: index for index, competency in enumerate(competencies)}
    targets = {competency.id: competency.targets or {} for competency in competencies}
    scores = {competency.id: _new_score(competency) for competency in competencies}

    for cid, n, sum_i, sum_a, sum_d in _self_rows(needs_round.id, units, position):
        if cid in scores:
            _fill_self(scores[cid], n, sum_i, sum_a, sum_d)
    for cid, pos, n, total in _supervisor_rows(needs_round.id, units, position):
        if cid in scores:
            _add_supervisor(scores[cid], targets[cid], pos, n, total)
    for cid, answers, earned, points in round_quiz_rows(needs_round, people, position):
        if cid in scores:
            _fill_quiz(scores[cid], answers, earned, points)
    for cid, n, total in _patron_rows(needs_round.id, units):
        if cid in scores:
            _fill_patron(scores[cid], n, total)

    respondents_query = select(func.count(func.distinct(StaffResponse.subject_id))).where(
        StaffResponse.round_id == needs_round.id, StaffResponse.kind == SELF)
    respondents = db.session.scalar(_staff_scope(respondents_query, units, position)) or 0

    for score in scores.values():
        _finish_supervisor(score)
        _add_extra(score, sources)
        score.priority = _priority(score.needs, weights)
    ranked = sorted(scores.values(), key=lambda s: (s.priority is None, -(s.priority or 0.0), order[s.competency_id]))
    for index, score in enumerate(ranked, start=1):
        score.rank = index if score.priority is not None else None

    analysis = RoundAnalysis(needs_round, respondents, ranked, weights,
                             source_labels={source.name: source.label for source in sources})
    _assign_quadrants(analysis)
    return analysis


def _assign_quadrants(analysis: RoundAnalysis) -> None:
    """Locus for Focus: x = mean importance, y = mean discrepancy; the cross lines are the
    grand means over competencies with self-assessment data."""
    plotted = [c for c in analysis.competencies if c.n_self]
    if not plotted:
        return
    analysis.mean_importance = sum(c.mean_importance for c in plotted) / len(plotted)
    analysis.mean_discrepancy = sum(c.mean_discrepancy for c in plotted) / len(plotted)
    for c in plotted:
        important = c.mean_importance >= analysis.mean_importance
        gap = c.mean_discrepancy >= analysis.mean_discrepancy
        c.quadrant = {(True, True): "focus", (True, False): "maintain",
                      (False, True): "watch", (False, False): "low"}[(important, gap)]


BREAKDOWNS: tuple[str, ...] = ("unit", "position", "organisation")


def round_organisations(needs_round: NeedsRound) -> list[int]:
    """The organisations a round covers (a provincial round: the province and the libraries
    below it; a library's round: that library), from the units of its scope."""
    scope = list(db.session.scalars(select(NeedsRoundUnit.unit_id).where(NeedsRoundUnit.round_id == needs_round.id)))
    tree = units_below(scope or [needs_round.organisation_id])
    return list(db.session.scalars(select(Unit.organisation_id).where(Unit.id.in_(select(tree.c.id)),
                                                                        Unit.organisation_id.is_not(None))
                                   .distinct().order_by(Unit.organisation_id)))


def breakdown(needs_round: NeedsRound, by: str = "unit", *, unit_ids: Collection[int] | None = None
              ) -> list[BreakdownGroup]:
    """Self-assessment figures per unit (snapshot), per position or per organisation (of the
    unit recorded with each answer: a provincial round's libraries side by side). Each group
    is held to NEEDS_MIN_GROUP on its own: a smaller one is returned hidden, without
    figures, never merged into another."""
    if by not in BREAKDOWNS:
        raise ValueError(f"breakdown by {by!r}: use one of {', '.join(BREAKDOWNS)}")
    column = {"unit": StaffResponse.unit_id, "position": StaffResponse.position,
              "organisation": Unit.organisation_id}[by]
    units = unit_subtree(unit_ids)
    counts_query = (select(column, func.count(func.distinct(StaffResponse.subject_id)))
                    .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == SELF))
    if by == "organisation":
        counts_query = counts_query.outerjoin(Unit, Unit.id == StaffResponse.unit_id)
    counts = db.session.execute(_staff_scope(counts_query, units, None).group_by(column)).all()
    threshold = min_group()
    labels: dict = {}
    ids = [key for key, _n in counts if key is not None]
    if by == "unit" and ids:
        labels = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    elif by == "organisation" and ids:
        labels = dict(db.session.execute(select(Organisation.unit_id, Organisation.full_name)
                                         .where(Organisation.unit_id.in_(ids))).all())
    groups = {key: BreakdownGroup("" if key is None else str(key),
                                  (key or "") if by == "position" else labels.get(key, ""), n, n < threshold)
              for key, n in counts}
    competencies = {competency.id: competency for competency in framework_competencies()}
    for key, cid, n, sum_i, sum_a, sum_d in _self_rows(needs_round.id, units, None, group=column):
        group = groups.get(key)
        if group is None or group.hidden or cid not in competencies:
            continue
        score = _new_score(competencies[cid])
        _fill_self(score, n, sum_i, sum_a, sum_d)
        group.competencies[cid] = score
    return sorted(groups.values(), key=lambda g: (g.label == "", g.label.lower(), g.key))


def to_json(analysis: RoundAnalysis) -> dict:
    """The analysis as plain data (the CLI's ``--json`` and any export)."""
    rnd = analysis.round
    return {
        "round": {"id": rnd.id, "title": rnd.title, "opens_on": rnd.opens_on.isoformat(),
                  "closes_on": rnd.closes_on.isoformat()},
        "respondents": analysis.respondents,
        "empty": analysis.empty,
        "weights": dict(analysis.weights),
        "mean_importance": analysis.mean_importance,
        "mean_discrepancy": analysis.mean_discrepancy,
        "competencies": [{
            "rank": c.rank, "id": c.competency_id, "area": c.area, "name_id": c.name_id, "name_en": c.name_en,
            "priority": c.priority, "needs": dict(c.needs), "quadrant": c.quadrant,
            "self": {"n": c.n_self, "mean_importance": c.mean_importance, "mean_ability": c.mean_ability,
                     "mean_discrepancy": c.mean_discrepancy, "mwds": c.mwds},
            "supervisor": {"n": c.n_supervisor, "mean": c.supervisor_mean, "target": c.supervisor_target},
            "quiz": {"answers": c.quiz_answers, "mastery": c.quiz_mastery},
            "patron": {"n": c.n_patron, "mean": c.patron_mean},
            "extra": {name: {"n": f.n, "need": f.need, "steps": list(f.steps)} for name, f in c.extra.items()},
            "sums": {"importance": c.sum_importance, "ability": c.sum_ability, "discrepancy": c.sum_discrepancy,
                     "supervisor_ratings": c.supervisor_sum, "supervisor_gap": c.supervisor_gap_sum,
                     "quiz_earned": c.quiz_earned, "quiz_points": c.quiz_points, "patron_values": c.patron_sum},
        } for c in analysis.competencies],
    }


def _num(value: float, places: int = 3) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def evidence(needs_round: NeedsRound, competency_id: str, *, unit_ids: Collection[int] | None = None
             ) -> CompetencyEvidence | None:
    """The figures behind one competency's priority, with the arithmetic written out step
    by step (None when the competency is unknown)."""
    analysis = analyze(needs_round, unit_ids=unit_ids)
    score = analysis.by_id(competency_id)
    if score is None:
        return None
    steps: list[tuple[str, str]] = []
    if score.n_self:
        steps.append(("self", f"MWDS = Σ(I − A) × mean(I) / n = {score.sum_discrepancy} × "
                              f"({score.sum_importance} / {score.n_self}) / {score.n_self} = {_num(score.mwds)}"))
        steps.append(("self", f"need = clamp({_num(score.mwds)} / 20) = {_num(score.needs['self'])}"))
    if score.n_supervisor:
        parts = " + ".join(f"({_num(t)} × {n} − {total})" for t, n, total in score.supervisor_targets.values())
        gap = score.supervisor_gap_sum / score.n_supervisor
        steps.append(("supervisor", f"mean(T − rating) = [{parts}] / {score.n_supervisor} = {_num(gap)}"))
        steps.append(("supervisor", f"need = clamp({_num(gap)} / 4) = {_num(score.needs['supervisor'])}"))
    if score.quiz_mastery is not None:
        steps.append(("quiz", f"M = Σ(credit × points) / Σ points = {_num(score.quiz_earned)} / "
                              f"{_num(score.quiz_points)} = {_num(score.quiz_mastery)}"))
        steps.append(("quiz", f"need = 1 − {_num(score.quiz_mastery)} = {_num(score.needs['quiz'])}"))
    if score.n_patron:
        steps.append(("patron", f"mean = {_num(score.patron_sum)} / {score.n_patron} = {_num(score.patron_mean)}"))
        steps.append(("patron", f"need = clamp((5 − {_num(score.patron_mean)}) / 4) = {_num(score.needs['patron'])}"))
    for name, figure in score.extra.items():
        steps.extend((name, step) for step in figure.steps)
    order = list(SOURCES) + list(score.extra)
    weights = {source: analysis.weights.get(source, 0.0) for source in order if source in score.needs}
    if score.priority is not None:
        top = " + ".join(f"{_num(weights[s])} × {_num(score.needs[s])}" for s in weights)
        bottom = " + ".join(_num(w) for w in weights.values())
        steps.append(("priority", f"priority = ({top}) / ({bottom}) = {_num(score.priority)}"))
    ranked = sum(1 for c in analysis.competencies if c.priority is not None)
    return CompetencyEvidence(needs_round, score, analysis.respondents, weights, steps, ranked)


# --- one librarian ---------------------------------------------------------------------------

def librarian_evidence(user: User, needs_round: NeedsRound | None = None) -> dict[str, PersonalEvidence]:
    """Per competency, ``user``'s own evidence in ``needs_round`` (default: the latest
    closed round) and the organisation's priority for it.

    Every competency of the framework is a key (framework order); ``has_evidence`` tells
    the ones with any of the person's own data. Empty when there is no round at all."""
    if needs_round is None and user.unit_id is not None:
        needs_round = latest_closed_round(covering_unit_id=user.unit_id)
    if needs_round is None:
        return {}
    sources = extra_sources(round_end(needs_round), None, None, user.id)
    weights = _weights(sources)
    competencies = framework_competencies()
    org = analyze(needs_round)
    result = {c.id: PersonalEvidence(c.id) for c in competencies}
    for item in result.values():
        score = org.by_id(item.competency_id)
        item.org_priority, item.org_rank = score.priority, score.rank

    own = db.session.execute(
        select(StaffAnswer.competency_id, StaffAnswer.importance, StaffAnswer.ability, StaffResponse.unit_id)
        .join(StaffResponse, StaffResponse.id == StaffAnswer.response_id)
        .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == SELF,
               StaffResponse.subject_id == user.id)).all()
    snapshot_unit = None
    for cid, importance, ability, unit_id in own:
        snapshot_unit = unit_id
        item = result.get(cid)
        if item is None or importance is None:
            continue
        item.importance, item.ability = importance, ability
        item.discrepancy = importance - ability
        item.weighted_discrepancy = float(item.discrepancy * importance)
        item.needs["self"] = _clamp(item.weighted_discrepancy / 20)

    targets = {c.id: c.targets or {} for c in competencies}
    ratings: dict[str, CompetencyScore] = {}
    for cid, pos, n, total in _supervisor_rows(needs_round.id, None, None, subject_id=user.id):
        if cid in result:
            score = ratings.setdefault(cid, CompetencyScore(cid, "", "", ""))
            _add_supervisor(score, targets[cid], pos, n, total)
    for cid, score in ratings.items():
        _finish_supervisor(score)
        item = result[cid]
        item.supervisor_rating, item.target = score.supervisor_mean, score.supervisor_target
        item.supervisor_ratings = score.n_supervisor
        item.needs["supervisor"] = score.needs["supervisor"]

    for cid, answers, earned, points in quiz_rows(round_end(needs_round), user_ids=[user.id]):
        if cid in result and points:
            item = result[cid]
            item.quiz_answers, item.quiz_mastery = int(answers), float(earned) / float(points)
            item.needs["quiz"] = _clamp(1 - item.quiz_mastery)

    unit_id = snapshot_unit if snapshot_unit is not None else user.unit_id
    if unit_id is not None:
        for cid, n, total in db.session.execute(
                select(PatronAnswer.competency_id, func.count(), func.sum(PatronAnswer.value))
                .where(PatronAnswer.round_id == needs_round.id, PatronAnswer.unit_id == unit_id)
                .group_by(PatronAnswer.competency_id)).all():
            if cid in result and n:
                item = result[cid]
                item.unit_id, item.patron_mean = unit_id, total / n
                item.needs["patron"] = _clamp((5 - item.patron_mean) / 4)

    for item in result.values():
        _add_extra(item, sources)
        item.personal_priority = _priority(item.needs, weights)
    return result
