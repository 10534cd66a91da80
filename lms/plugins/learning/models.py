"""Progress records: lesson views, completions, certificates and assignments.

Completions and certificates are facts about the past: once written they are never
withdrawn, even when a module later gains a lesson. Unique constraints make every
"record it once" step safe when two requests race (the loser's insert does nothing).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class LessonView(db.Model):
    """One row per learner and lesson: when it was first and last opened, how often, and an
    estimate of the reading time (see ``services.record_lesson_view``)."""

    __tablename__ = "lesson_views"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "lesson_slug"),
        Index("ix_lesson_views_user_last_seen", "user_id", "last_seen"),
        # the dashboard's per module reach and reading time over a unit's people, from the index alone
        Index("ix_lesson_views_user_module_seconds", "user_id", "module_id", "seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    lesson_slug: Mapped[str] = mapped_column(String(80))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    views: Mapped[int] = mapped_column(Integer, default=1)
    seconds: Mapped[int] = mapped_column(Integer, default=0)  # estimated time on the page


class ModuleCompletion(db.Model):
    """A learner finished a module: every lesson seen and, if it has a quiz, a passing grade."""

    __tablename__ = "module_completions"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        # a person's last completion (one probe), completions per month and per module of a
        # unit's people - all from the index alone
        Index("ix_module_completions_user_completed", "user_id", "completed_at", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CourseCompletion(db.Model):
    """A learner finished every active module of a course; ``jp`` is the course's JP then."""

    __tablename__ = "course_completions"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_course_completions_user_completed", "user_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    jp: Mapped[float] = mapped_column(Float)

    certificate: Mapped["Certificate | None"] = relationship(back_populates="completion")


class Certificate(db.Model):
    """The proof of a course completion, verifiable by anyone through its ``code``.

    Name, titles, date and JP are a snapshot taken when it was issued, so a later rename
    of the learner or the course does not change a certificate already printed.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("course_completions.id", ondelete="RESTRICT"),
                                               unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    course_title_id: Mapped[str] = mapped_column(String(300))
    course_title_en: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date] = mapped_column(Date)
    jp: Mapped[float] = mapped_column(Float)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The issuing library and who signs for it, as they were on the day (organisations).
    issuer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signatory_position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signatory_nip: Mapped[str] = mapped_column(String(32), default="", server_default="")
    issuer_logo: Mapped[str | None] = mapped_column(String(64))  # key in organisation_logos (lms.logos)

    completion: Mapped[CourseCompletion] = relationship(back_populates="certificate")


def _count_set(*columns: str) -> str:
    """SQL counting the non-NULL ``columns`` (portable: PostgreSQL cannot add booleans)."""
    return " + ".join(f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in columns)


class Assignment(db.Model):
    """A course or module someone must take by a date.

    The target is one user, one unit (its members and the members of every unit below it)
    or one position (*jabatan*, matched exactly against ``User.position``, so the index
    serves it; the assignment form should offer the positions that exist).
    """

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(_count_set("user_id", "unit_id", "position") + " = 1", name="one_target"),
        CheckConstraint(_count_set("course_id", "module_id") + " = 1", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str | None] = mapped_column(String(120), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
