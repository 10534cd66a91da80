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
(weights NEEDS_WEIGHTS); a competency with no data from any source has priority None and
ranks last. Per librarian the same formulas with n = 1 (own I and A, the supervisor
ratings of that person, own quiz answers, the patron mean of the person's unit).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.learning.services import local_today
from lms.plugins.needs.models import NeedsRound

SOURCES: tuple[str, ...] = ("self", "supervisor", "quiz", "patron")


@dataclass
class CompetencyScore:
    """One competency's figures in one analysis. ``needs`` holds only sources with data."""

    competency_id: str
    area: str
    name_id: str
    name_en: str
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

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id


@dataclass
class RoundAnalysis:
    round: NeedsRound
    respondents: int  # people who sent a self-assessment (in the filtered scope)
    competencies: list[CompetencyScore]  # ranked: priority desc, None last, then framework order
    weights: dict[str, float]
    mean_importance: float | None = None  # grand means: the Locus-for-Focus cross lines
    mean_discrepancy: float | None = None

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
    personal_priority: float | None = None
    org_priority: float | None = None
    org_rank: int | None = None


def round_status(needs_round: NeedsRound, today: date | None = None) -> str:
    """``upcoming``, ``open`` or ``closed`` on ``today`` (the library's local date)."""
    today = today or local_today()
    if today < needs_round.opens_on:
        return "upcoming"
    return "open" if today <= needs_round.closes_on else "closed"


def latest_closed_round(today: date | None = None) -> NeedsRound | None:
    """The round that closed most recently before ``today`` (the default for analysis)."""
    today = today or local_today()
    return db.session.scalar(select(NeedsRound).where(NeedsRound.closes_on < today)
                             .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))


def analyze(needs_round: NeedsRound, *, unit_ids: Collection[int] | None = None,
            position: str | None = None) -> RoundAnalysis:
    """Rank the competencies of ``needs_round``; ``unit_ids`` limits every source to people
    (and patron responses) of those units, ``position`` to people holding it."""
    raise NotImplementedError


def librarian_evidence(user: User, needs_round: NeedsRound | None = None) -> dict[str, PersonalEvidence]:
    """Per competency, ``user``'s own evidence in ``needs_round`` (default: the latest
    closed round) and the organisation's priority for it."""
    raise NotImplementedError
