"""Evaluation windows, the two responses to each (the person's self-report and the
supervisor's observation) and their per-indicator ratings.

A window is one person x one competency: opened a set time after a completion of a module
mapped to it (``key`` = ``m<module id>``) or by an admin for a group (``key`` =
``g<opens_on>``); the unique key makes opening idempotent. Ratings copy the indicator's
words, so an answer keeps the behaviour it was about after competencies.yml changes.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db

SELF, SUPERVISOR = "self", "supervisor"
KINDS = (SELF, SUPERVISOR)
COMPLETION, GROUP = "completion", "group"
FREQUENCIES = (1, 2, 3, 4)  # never, sometimes, often, always
APPLIED = 3  # a mean observed frequency from here up counts as "applied"


class EvaluationWindow(db.Model):
    __tablename__ = "evaluation_windows"
    __table_args__ = (
        UniqueConstraint("user_id", "competency_id", "key"),
        CheckConstraint("closes_on >= opens_on", name="dates_in_order"),
        CheckConstraint("origin IN ('completion', 'group')", name="origin_known"),
        Index("ix_evaluation_windows_dates", "closes_on", "opens_on"),
        Index("ix_evaluation_windows_competency_unit", "competency_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    competency_id: Mapped[str] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(12))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))  # at opening
    completed_on: Mapped[date | None] = mapped_column(Date)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)  # the last day answers are taken (local date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # set by `close`
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    responses: Mapped[list["EvaluationResponse"]] = relationship(back_populates="window",
                                                                 cascade="all, delete-orphan")

    def response(self, kind: str) -> "EvaluationResponse | None":
        return next((r for r in self.responses if r.kind == kind), None)


class EvaluationResponse(db.Model):
    """The self-report (``self``: example and barriers) or the observation (``supervisor``:
    note and an optional evidence file, stored by the records plugin's storage)."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (
        UniqueConstraint("window_id", "kind"),
        CheckConstraint("kind IN ('self', 'supervisor')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("evaluation_windows.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    example: Mapped[str] = mapped_column(Text, default="")
    barriers: Mapped[list] = mapped_column(JSON, default=list)  # codes of BARRIERS
    barrier_note: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_stored: Mapped[str | None] = mapped_column(String(64), unique=True)
    evidence_type: Mapped[str | None] = mapped_column(String(40))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    window: Mapped[EvaluationWindow] = relationship(back_populates="responses")
    ratings: Mapped[list["EvaluationRating"]] = relationship(back_populates="response", cascade="all, delete-orphan",
                                                             order_by="EvaluationRating.indicator")


class EvaluationRating(db.Model):
    """How often one indicator was applied (1 never, 2 sometimes, 3 often, 4 always)."""

    __tablename__ = "evaluation_ratings"
    __table_args__ = (
        UniqueConstraint("response_id", "indicator"),
        CheckConstraint("frequency >= 1 AND frequency <= 4", name="frequency_1_4"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("evaluation_responses.id", ondelete="CASCADE"))
    indicator: Mapped[int] = mapped_column(Integer)  # position in the competency's list, from 0
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    frequency: Mapped[int] = mapped_column(Integer)

    response: Mapped[EvaluationResponse] = relationship(back_populates="ratings")
