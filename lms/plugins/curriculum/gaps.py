"""The content-gap report: high-priority competencies the course material does not serve well.

For each competency chosen as in a proposal (priority >= threshold, or the top 5, at most 8)
of the latest closed round, sorted by priority: a flag when no active module maps to it,
and its modules whose pass rate (submitted attempts passed / submitted, in SQL) is below
:data:`PASS_RATE_MIN` or whose feedback mean (``overall``, 1-5) is below
:data:`FEEDBACK_MIN`, plus whatever other plugins report through ``lms_content_signals``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, case, func, select

from lms.pluginmanager import hook
from lms.extensions import db
from lms.plugins.courses.models import Module
from lms.plugins.courses.services import visible_to
from lms.plugins.curriculum import services
from lms.plugins.curriculum.proposals import select_competencies

PASS_RATE_MIN = 0.6
FEEDBACK_MIN = 3.0


@dataclass
class ModuleSignal:
    module: Module
    title: str
    course_title: str
    submitted: int = 0
    pass_rate: float | None = None
    feedback_n: int = 0
    feedback_overall: float | None = None
    signals: list[dict[str, Any]] = field(default_factory=list)  # from lms_content_signals

    @property
    def low_pass_rate(self) -> bool:
        return self.pass_rate is not None and self.pass_rate < PASS_RATE_MIN

    @property
    def low_feedback(self) -> bool:
        return self.feedback_overall is not None and self.feedback_overall < FEEDBACK_MIN

    @property
    def concern(self) -> bool:
        return self.low_pass_rate or self.low_feedback or any(s.get("concern") for s in self.signals)


@dataclass
class CompetencyGap:
    competency_id: str
    name: str
    priority: float
    rank: int | None
    modules: list[ModuleSignal]

    @property
    def no_module(self) -> bool:
        return not self.modules

    @property
    def concerns(self) -> list[ModuleSignal]:
        return [m for m in self.modules if m.concern]


def pass_rates(module_ids: list[int]) -> dict[int, tuple[int, float]]:
    """``{module_id: (submitted attempts, share passed)}`` in one GROUP BY."""
    from lms.plugins.quizzes.models import SUBMITTED, QuizAttempt

    if not module_ids:
        return {}
    rows = db.session.execute(
        select(QuizAttempt.module_id, func.count(QuizAttempt.id),
               func.sum(case((QuizAttempt.passed.is_(True), 1), else_=0).cast(Integer)))
        .where(QuizAttempt.module_id.in_(module_ids), QuizAttempt.status == SUBMITTED)
        .group_by(QuizAttempt.module_id)).all()
    return {module_id: (int(n), float(passed or 0) / n) for module_id, n, passed in rows if n}


def feedback(module_ids: list[int]) -> dict:
    """``feedback_summary`` of the needs plugin, or nothing while it is unavailable."""
    try:
        from lms.plugins.needs.feedback import feedback_summary
    except ImportError:  # pragma: no cover - the needs plugin without its feedback part
        return {}
    return feedback_summary(module_ids) if module_ids else {}


def content_signals(module_ids: list[int]) -> dict[int, list[dict]]:
    merged: dict[int, list[dict]] = {}
    for answer in hook().lms_content_signals(module_ids=module_ids):
        for module_id, signal in (answer or {}).items():
            merged.setdefault(module_id, []).append(signal)
    return merged


def content_gaps(locale: str, organisation_id: int | None, viewer=None) -> tuple[Any, list[CompetencyGap]]:
    """``(round, gaps)`` for ``organisation_id``'s latest closed round; ``(None, [])`` without
    one. With a ``viewer``, only the modules of courses they may see count (a course private to
    another library neither fills a gap nor is named)."""
    from lms.plugins.needs.analysis import analyze

    needs_round = services.latest_closed_round(organisation_id) if organisation_id is not None else None
    if needs_round is None:
        return None, []
    analysis = analyze(needs_round)
    chosen = select_competencies(analysis.competencies, services.threshold())
    by_competency = services.modules_by_competency(visible_to(viewer) if viewer is not None else None)
    module_ids = sorted({m.id for s in chosen for m in by_competency.get(s.competency_id, [])})
    rates, summaries, signals = pass_rates(module_ids), feedback(module_ids), content_signals(module_ids)
    gaps = []
    for score in chosen:
        modules = []
        for module in by_competency.get(score.competency_id, []):
            signal = ModuleSignal(module=module, title=services.module_title(module, locale),
                                  course_title=services.course_title(module.course, locale),
                                  signals=signals.get(module.id, []))
            if module.id in rates:
                signal.submitted, signal.pass_rate = rates[module.id]
            summary = summaries.get(module.id)
            if summary is not None and summary.n:
                signal.feedback_n, signal.feedback_overall = summary.n, summary.overall
            modules.append(signal)
        gaps.append(CompetencyGap(competency_id=score.competency_id, name=score.name(locale),
                                  priority=score.priority, rank=score.rank, modules=modules))
    gaps.sort(key=lambda gap: -gap.priority)
    return needs_round, gaps
