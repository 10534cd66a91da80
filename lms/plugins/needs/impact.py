"""Did training move the needle? Two needs rounds compared (Kirkpatrick levels 1-4).

Per competency: the organisation's MWDS in the earlier and the later round and the change.
Then, for the librarians who completed a module mapped to that competency between the two
rounds' closes (a module's competencies: its current version's ``competencies`` plus the
competencies of that version's questions): their mean self-assessed ability, their mean
supervisor rating and their quiz mastery before and after. "Before" quiz evidence is
everything submitted up to the end of the earlier round's last day; "after" is what was
submitted after that, up to the end of the later round's last day.

Side by side per competency, as of each round's end (whole scope, not only completers):
level 1 reaction - the mean of module feedback (useful, clear, applicable; 1-5) on modules
mapped to it; level 2 learning - the round's quiz mastery; level 3 behaviour - another
plugin's source with a ``value`` (the evaluations plugin: observed application, mean 1-4);
level 4 results - the round's patron survey mean (1-5).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select

from lms.auth.models import User, UserRole
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleVersion, Question
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs.analysis import analyze, framework_competencies, quiz_rows, round_end, unit_subtree
from lms.plugins.needs.models import SELF, SUPERVISOR, ModuleFeedback, NeedsRound, StaffAnswer, StaffResponse


@dataclass
class ImpactRow:
    """One competency in the comparison. ``*_before``/``*_after`` of the completers are
    None where they have no data; ``change`` is after minus before (negative = smaller gap)."""

    competency_id: str
    name_id: str
    name_en: str
    mwds_before: float | None = None
    mwds_after: float | None = None
    n_people: int = 0  # librarians who completed a mapped module between the rounds
    ability_before: float | None = None
    ability_after: float | None = None
    supervisor_before: float | None = None
    supervisor_after: float | None = None
    mastery_before: float | None = None
    mastery_after: float | None = None
    # Kirkpatrick levels as of each round's end: (before, after)
    reaction: tuple[float | None, float | None] = (None, None)
    learning: tuple[float | None, float | None] = (None, None)
    behaviour: tuple[float | None, float | None] = (None, None)
    results: tuple[float | None, float | None] = (None, None)

    @property
    def has_levels(self) -> bool:
        return any(value is not None for pair in (self.reaction, self.learning, self.behaviour, self.results)
                   for value in pair)

    @property
    def change(self) -> float | None:
        if self.mwds_before is None or self.mwds_after is None:
            return None
        return self.mwds_after - self.mwds_before

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id


@dataclass
class Impact:
    before: NeedsRound
    after: NeedsRound
    rows: list[ImpactRow]
    behaviour_label: object = None  # the level-3 source's label, when a plugin gives one

    @property
    def completers(self) -> list[ImpactRow]:
        """The rows with at least one librarian who completed a mapped module."""
        return [row for row in self.rows if row.n_people]


def module_competencies() -> dict[int, set[str]]:
    """Module id -> competency ids of its current version (front matter and questions), in one query."""
    rows = db.session.execute(
        select(Module.id, ModuleVersion.competencies, Question.competency_id)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .outerjoin(Question, Question.module_version_id == ModuleVersion.id)).all()
    mapping: dict[int, set[str]] = defaultdict(set)
    for module_id, listed, question_competency in rows:
        mapping[module_id].update(listed or [])
        if question_competency:
            mapping[module_id].add(question_competency)
    return dict(mapping)


def _completers(before: NeedsRound, after: NeedsRound, units: list[int] | None) -> dict[str, set[int]]:
    """Competency id -> librarians who completed a module mapped to it between the closes."""
    query = (select(ModuleCompletion.user_id, ModuleCompletion.module_id).distinct()
             .join(User, User.id == ModuleCompletion.user_id)
             .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == "librarian"))
             .where(ModuleCompletion.completed_at >= round_end(before),
                    ModuleCompletion.completed_at < round_end(after)))
    if units is not None:
        query = query.where(User.unit_id.in_(units))
    mapping = module_competencies()
    people: dict[str, set[int]] = defaultdict(set)
    for user_id, module_id in db.session.execute(query).all():
        for competency_id in mapping.get(module_id, ()):
            people[competency_id].add(user_id)
    return people


def _staff_means(needs_round: NeedsRound, kind: str, user_ids: set[int]) -> dict[tuple[str, int], tuple[int, int]]:
    """(competency, person) -> (answers, sum of ability) in one round, grouped in SQL."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(StaffAnswer.competency_id, StaffResponse.subject_id, func.count(), func.sum(StaffAnswer.ability))
        .join(StaffResponse, StaffResponse.id == StaffAnswer.response_id)
        .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == kind,
               StaffResponse.subject_id.in_(sorted(user_ids)))
        .group_by(StaffAnswer.competency_id, StaffResponse.subject_id)).all()
    return {(cid, uid): (int(n), int(total)) for cid, uid, n, total in rows}


def _mean(groups: dict, competency_id: str, people: set[int]) -> float | None:
    n = total = 0.0
    for person in people:
        count, value = groups.get((competency_id, person), (0, 0))
        n, total = n + count, total + value
    return total / n if n else None


def compare(before_round: NeedsRound, after_round: NeedsRound, *, unit_ids: Collection[int] | None = None
            ) -> Impact:
    """Compare two rounds (``before_round`` must close first; they are swapped otherwise)."""
    if (after_round.closes_on, after_round.id) < (before_round.closes_on, before_round.id):
        before_round, after_round = after_round, before_round
    units = unit_subtree(unit_ids)
    first, second = analyze(before_round, unit_ids=unit_ids), analyze(after_round, unit_ids=unit_ids)
    people = _completers(before_round, after_round, units)
    everyone = set().union(*people.values()) if people else set()
    ability = (_staff_means(before_round, SELF, everyone), _staff_means(after_round, SELF, everyone))
    rated = (_staff_means(before_round, SUPERVISOR, everyone), _staff_means(after_round, SUPERVISOR, everyone))
    quiz = (_quiz(everyone, None, round_end(before_round)),
            _quiz(everyone, round_end(before_round), round_end(after_round)))
    order = {competency.id: index for index, competency in enumerate(framework_competencies())}
    reaction = (_reaction(round_end(before_round), units), _reaction(round_end(after_round), units))
    rows = []
    for score in sorted(first.competencies, key=lambda c: order.get(c.competency_id, len(order))):
        later = second.by_id(score.competency_id)
        row = ImpactRow(score.competency_id, score.name_id, score.name_en, score.mwds, later.mwds if later else None)
        group = people.get(score.competency_id, set())
        row.n_people = len(group)
        if group:
            row.ability_before = _mean(ability[0], score.competency_id, group)
            row.ability_after = _mean(ability[1], score.competency_id, group)
            row.supervisor_before = _mean(rated[0], score.competency_id, group)
            row.supervisor_after = _mean(rated[1], score.competency_id, group)
            row.mastery_before = _mastery(quiz[0], score.competency_id, group)
            row.mastery_after = _mastery(quiz[1], score.competency_id, group)
        row.reaction = (reaction[0].get(score.competency_id), reaction[1].get(score.competency_id))
        row.learning = (score.quiz_mastery, later.quiz_mastery if later else None)
        row.results = (score.patron_mean, later.patron_mean if later else None)
        row.behaviour = (_behaviour(score), _behaviour(later))
        rows.append(row)
    label = next((c.extra_labels[name] for c in first.competencies + second.competencies
                  for name in c.extra if c.extra[name].value is not None), None)
    return Impact(before_round, after_round, rows, label)


def _behaviour(score) -> float | None:
    """The first plugin source of ``score`` that gives a measure of its own (level 3),
    unless it is about fewer people than NEEDS_MIN_GROUP (then None: not shown)."""
    if score is None:
        return None
    from lms.plugins.needs.analysis import min_group

    return next((figure.value for figure in score.extra.values() if figure.value is not None
                 and (figure.people is None or figure.people >= min_group())), None)


def _reaction(end, units: list[int] | None) -> dict[str, float]:
    """Competency -> the mean of (useful + clear + applicable) / 3 over feedback given before
    ``end`` on modules mapped to it (by people of ``units``)."""
    query = (select(ModuleFeedback.module_id, func.count(),
                    func.sum(ModuleFeedback.useful + ModuleFeedback.clear + ModuleFeedback.applicable))
             .where(ModuleFeedback.created_at < end))
    if units is not None:
        query = query.join(User, User.id == ModuleFeedback.user_id).where(User.unit_id.in_(units))
    mapping = module_competencies()
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for module_id, n, total in db.session.execute(query.group_by(ModuleFeedback.module_id)).all():
        for competency_id in mapping.get(module_id, ()):
            sums[competency_id][0] += n
            sums[competency_id][1] += float(total or 0) / 3
    return {cid: total / n for cid, (n, total) in sums.items() if n}


def _quiz(user_ids: set[int], start, end) -> dict[tuple[str, int], tuple[float, float]]:
    """(competency, person) -> (sum credit*points, sum points) of answers in [start, end)."""
    if not user_ids:
        return {}
    rows = quiz_rows(end, start=start, user_ids=user_ids, by_user=True)
    return {(cid, uid): (float(earned or 0), float(points or 0)) for uid, cid, _n, earned, points in rows}


def _mastery(groups: dict, competency_id: str, people: set[int]) -> float | None:
    earned = points = 0.0
    for person in people:
        got, possible = groups.get((competency_id, person), (0.0, 0.0))
        earned, points = earned + got, points + possible
    return earned / points if points else None
