"""A librarian's personal learning path: the unfinished modules that best answer their own
needs (from the latest closed needs round) and the organisation's.

Score of a module = the largest, over the module's competencies, of
``0.6 x personal_priority + 0.4 x org_priority`` (:data:`PERSONAL_WEIGHT`,
:data:`ORG_WEIGHT`); a missing priority counts 0, and a module scoring 0 (no evidence at
all) is left out. Ties keep catalogue order (course, then module). The competency with the
largest score decides, and the reason names its strongest evidence: the librarian's own
gap (self-assessment), the supervisor's rating or the quiz mastery, whichever shows the
largest need; the organisation's priority alone only when there is no personal evidence.

The round behind the path is the person's own organisation's (:func:`path_round`): the round
of the curriculum in force for them (their organisation's approved version, else that of the
nearest organisation above with one) when it came from a round, else the latest closed round
covering them (their library's, or a provincial round over it) - never another library's.
Without one there is no path.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, literal, select

from lms.auth.models import Unit, User
from lms.extensions import db
from lms.i18n import number
from lms.plugins.courses.models import Competency, Course, Module
from lms.plugins.courses.services import visible_to
from lms.plugins.curriculum import services
from lms.plugins.learning.models import ModuleCompletion

PERSONAL_WEIGHT = 0.6
ORG_WEIGHT = 0.4
PERSONAL_SOURCES: tuple[str, ...] = ("self", "supervisor", "quiz")


@dataclass
class PathStep:
    module: Module
    course: Course
    title: str
    course_title: str
    url: str
    score: float
    competency_id: str
    competency_name: str
    reason: str


def step_score(evidence) -> float:
    """``0.6 x personal + 0.4 x organisation`` priority of one competency (None counts 0)."""
    if evidence is None:
        return 0.0
    return PERSONAL_WEIGHT * (evidence.personal_priority or 0.0) + ORG_WEIGHT * (evidence.org_priority or 0.0)


def strongest_source(evidence) -> str | None:
    """The personal source showing the largest need (``self``, ``supervisor``, ``quiz``), or
    None when the librarian has no personal evidence for the competency."""
    needs = {source: value for source, value in (evidence.needs or {}).items() if source in PERSONAL_SOURCES}
    if not needs:
        return None
    order = {source: index for index, source in enumerate(PERSONAL_SOURCES)}
    return max(needs, key=lambda source: (needs[source], -order[source]))


def _number(value) -> str:
    """A rating or target in the reader's figures (3,5 / 3.5)."""
    return number(value)


def reason_text(evidence, competency_name: str) -> str:
    """One sentence, in the current language, naming the strongest evidence."""
    source = strongest_source(evidence)
    if source == "self":
        main = _("Chosen because of your gap in %(competency)s (importance %(importance)s, ability %(ability)s)",
                 competency=competency_name, importance=evidence.importance, ability=evidence.ability)
    elif source == "supervisor":
        main = _("Chosen because your supervisor rated your %(competency)s at %(rating)s against a target of %(target)s",
                 competency=competency_name, rating=_number(round(evidence.supervisor_rating or 0, 1)),
                 target=_number(evidence.target) if evidence.target is not None else "-")
    elif source == "quiz":
        main = _("Chosen because your quiz mastery in %(competency)s is %(mastery)s",
                 competency=competency_name, mastery=f"{round((evidence.quiz_mastery or 0) * 100)} %")
    else:
        if evidence.org_rank is None:
            return _("Chosen for %(competency)s", competency=competency_name)
        return _("Chosen because %(competency)s is organisation priority #%(rank)s",
                 competency=competency_name, rank=evidence.org_rank)
    if evidence.org_rank is None:
        return main
    return main + " " + _("and organisation priority #%(rank)s", rank=evidence.org_rank)


def rank_modules(modules: list[Module], mapping: dict[int, list[str]], evidence: dict) -> list[tuple]:
    """Pure ordering: ``[(module, score, competency_id)]`` by score (desc), ties in the
    given (catalogue) order; modules scoring 0 are dropped."""
    scored = []
    for index, module in enumerate(modules):
        best_id, best = None, 0.0
        for competency_id in mapping.get(module.id, []):
            score = step_score(evidence.get(competency_id))
            if score > best:
                best_id, best = competency_id, score
        if best_id is not None:
            scored.append((index, module, best, best_id))
    scored.sort(key=lambda row: (-row[2], row[0]))
    return [(module, score, competency_id) for _index, module, score, competency_id in scored]


def path_round(user: User):
    """The needs round ``user``'s path follows (see the module docstring), or None. One
    statement (every librarian's home asks): walking up from the person's unit, the round of
    the nearest organisation's active curriculum, else the latest closed round covering them."""
    from lms.clock import local_today
    from lms.plugins.curriculum.models import ACTIVE, CurriculumVersion
    from lms.plugins.needs.analysis import rounds_covering
    from lms.plugins.needs.models import NeedsRound

    if user.unit_id is None:
        return None
    up = (select(Unit.id.label("id"), Unit.parent_id.label("parent_id"), literal(0).label("depth"))
          .where(Unit.id == user.unit_id).cte(recursive=True))
    up = up.union_all(select(Unit.id, Unit.parent_id, up.c.depth + 1).join(up, Unit.id == up.c.parent_id))
    in_force = (select(CurriculumVersion.round_id).join(up, up.c.id == CurriculumVersion.organisation_id)
                .where(CurriculumVersion.status == ACTIVE)
                .order_by(up.c.depth, CurriculumVersion.id.desc()).limit(1).scalar_subquery())
    covering = (select(NeedsRound.id).where(NeedsRound.closes_on < local_today(),
                                            NeedsRound.id.in_(rounds_covering(user.unit_id)))
                .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1).scalar_subquery())
    return db.session.scalar(select(NeedsRound).where(NeedsRound.id == func.coalesce(in_force, covering)))


def learning_path(user: User, locale: str, limit: int | None = None) -> list[PathStep]:
    """The ranked, unfinished modules for ``user`` (see the module docstring)."""
    from lms.plugins.needs.analysis import librarian_evidence

    needs_round = path_round(user)
    if needs_round is None:
        return []
    evidence = librarian_evidence(user, needs_round)
    if not evidence:
        return []
    done = set(db.session.scalars(select(ModuleCompletion.module_id).where(ModuleCompletion.user_id == user.id)))
    modules = [module for module in services.active_modules(visible_to(user)) if module.id not in done]
    ranked = rank_modules(modules, services.module_competency_map(), evidence)
    if limit is not None:
        ranked = ranked[:limit]
    names = {c.id: (c.name_en if locale == "en" else c.name_id)
             for c in db.session.scalars(select(Competency).where(Competency.id.in_({r[2] for r in ranked})))}
    steps = []
    for module, score, competency_id in ranked:
        name = names.get(competency_id, competency_id)
        steps.append(PathStep(module=module, course=module.course, title=services.module_title(module, locale),
                              course_title=services.course_title(module.course, locale),
                              url=f"/courses/{module.course.slug}/{module.slug}/", score=round(score, 4),
                              competency_id=competency_id, competency_name=name,
                              reason=reason_text(evidence[competency_id], name)))
    return steps


def as_json(steps: list[PathStep]) -> list[dict]:
    return [{"course": step.course.slug, "module": step.module.slug, "title": step.title, "score": step.score,
             "competency": step.competency_id, "reason": step.reason} for step in steps]
