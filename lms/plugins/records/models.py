"""An external training record and its evidence file.

One record holds one evidence file (a certificate scan, an attendance letter). The file lives
outside the web root under a random name (see :mod:`lms.plugins.records.storage`); the row
keeps what is needed to serve it safely: the sanitised display name, the content type found
by reading the file, its size and SHA-256.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db

KINDS = ("seminar", "workshop", "exchange", "conference", "association", "course", "other")
SUBMITTED, VERIFIED, REJECTED = "submitted", "verified", "rejected"
STATUSES = (SUBMITTED, VERIFIED, REJECTED)
MAX_JP = 200.0  # one record; a year-long programme stays well below


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class ExternalTraining(db.Model):
    """Training someone attended outside Pembina. Counts toward JP once ``verified``, in the
    calendar year of ``end_on``."""

    __tablename__ = "external_trainings"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind_known"),
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint(f"jp > 0 AND jp <= {MAX_JP:g}", name="jp_in_range"),
        CheckConstraint("end_on >= start_on", name="dates_in_order"),
        # Per person: their list, their verified JP in a year.
        Index("ix_external_trainings_user_status_end", "user_id", "status", "end_on"),
        # Across people: the review queue and verified JP per year for reports.
        Index("ix_external_trainings_status_end", "status", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(300))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    jp: Mapped[float] = mapped_column(Float)
    competency_id: Mapped[str | None] = mapped_column(ForeignKey("competencies.id", ondelete="SET NULL"),
                                                      index=True)
    status: Mapped[str] = mapped_column(String(12), default=SUBMITTED)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    evidence_name: Mapped[str] = mapped_column(String(200))  # sanitised, for display and download
    evidence_stored: Mapped[str] = mapped_column(String(64), unique=True)  # random token + extension
    evidence_type: Mapped[str] = mapped_column(String(40))  # found from the content, not the name
    evidence_size: Mapped[int] = mapped_column(Integer)
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
