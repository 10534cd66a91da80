"""Curriculum versions: which modules are required for whom, in which order, by when.

A version is proposed (``draft``) from a closed needs round, edited, then approved; approval
makes it ``active``, marks the previous active one ``superseded`` and creates the
assignments. Versions are never deleted, so the history shows every approved curriculum and
the round it came from. Each item keeps the reason it was chosen as data (competency, rank,
scores), rendered in the reader's language.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db

DRAFT = "draft"
ACTIVE = "active"
SUPERSEDED = "superseded"
DISCARDED = "discarded"

ALL = "all"  # every librarian in the round's scope
UNIT = "unit"  # the members of one unit (and the units below it)
POSITION = "position"  # everyone holding one position (jabatan)
AUDIENCES: tuple[str, ...] = (ALL, UNIT, POSITION)


class CurriculumVersion(db.Model):
    """One organisation's curriculum (``organisation_id``): at most one is active per
    organisation, and approving one supersedes only that organisation's previous version."""

    __tablename__ = "curriculum_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.unit_id", ondelete="RESTRICT"),
                                                 index=True)
    status: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("needs_rounds.id", ondelete="RESTRICT"))
    # The active version when this one was proposed: approving after it changed is refused.
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("curriculum_versions.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list["CurriculumItem"]] = relationship(back_populates="version", order_by="CurriculumItem.position",
                                                         cascade="all, delete-orphan")
    organisation = relationship("Organisation", foreign_keys=[organisation_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])


class CurriculumItem(db.Model):
    """One required module for one audience (all / a unit / a position) with a due date."""

    __tablename__ = "curriculum_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("curriculum_versions.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(12), default=ALL)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    position_name: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[date | None] = mapped_column(Date)
    competency_id: Mapped[str | None] = mapped_column(ForeignKey("competencies.id"))
    priority: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[dict] = mapped_column(JSON, default=dict)

    version: Mapped[CurriculumVersion] = relationship(back_populates="items")
    module = relationship("Module")
    unit = relationship("Unit")


@event.listens_for(CurriculumVersion, "before_insert")
def _default_owner(_mapper, connection, target: CurriculumVersion) -> None:
    """A version created without an owner (the demo, tests) takes its round's organisation,
    else the only top-level one (refused when there are several: never guessed)."""
    from lms.plugins.needs.models import NeedsRound, owner_for

    if target.organisation_id is not None:
        return
    if target.round_id is not None:
        target.organisation_id = connection.scalar(select(NeedsRound.organisation_id)
                                                   .where(NeedsRound.id == target.round_id))
    else:
        target.organisation_id = owner_for(connection, [])
