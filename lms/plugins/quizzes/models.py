"""Quiz attempts and every answer given (kept per question for item analysis).

An attempt belongs to one module version forever. Its ``layout`` (question order, option
orders) is fixed when it starts, so reloading shows the same page. Submitting is a single
conditional UPDATE (in_progress -> submitted), so a double click, two tabs or a replayed
form grade it exactly once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "module_version_id", "number"),
        Index("ix_quiz_attempts_user_module", "user_id", "module_id", "status"),
        Index("ix_quiz_attempts_module_status", "module_id", "status", "percent"),
        # item analysis counts submitted attempts per version; dashboards read a person's
        # latest and best scores - both from the index alone
        Index("ix_quiz_attempts_version_status", "module_version_id", "status", "percent"),
        Index("ix_quiz_attempts_user_submitted", "user_id", "status", "submitted_at", "percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1st, 2nd... attempt of this user on this module
    status: Mapped[str] = mapped_column(String(12), default=IN_PROGRESS)
    layout: Mapped[dict] = mapped_column(JSON, default=dict)  # {"questions": [ids], "items": {id: layout}}
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[float | None] = mapped_column(Float)  # points earned
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    answers: Mapped[list["QuizAnswer"]] = relationship(back_populates="attempt", cascade="all, delete-orphan")


class QuizAnswer(db.Model):
    """The learner's response to one question of one attempt, and its credit once graded."""

    __tablename__ = "quiz_answers"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id"),
        # the needs analysis sums the credit of every answer of the attempts in scope per
        # question: from this index alone, without reading the (wide) answer rows
        Index("ix_quiz_answers_attempt_credit", "attempt_id", "question_id", "credit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    response: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # SQL NULL = not answered
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    credit: Mapped[float | None] = mapped_column(Float)  # 0..1 once graded

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class QuizScore(db.Model):
    """Per learner and module, the figures reports need from that learner's attempts there.

    A summary of ``quiz_attempts`` so that a dashboard costs what the unit in view holds
    (people x modules), not every attempt they ever made: at 200 attempts a person, the
    supervisor dashboard read ~38,000 attempt rows for one 200-person unit. It is written
    only by :mod:`lms.plugins.quizzes.services`, in the same transaction as the attempt
    change: one upsert each for a start and a submit (``count_started``,
    ``count_submitted``), a recount for a regrade or deletion (``refresh_scores``); rebuilt
    from the raw rows by
    ``lms quizzes rebuild-scores`` (and by migration 0013). A row exists while the learner
    has at least one attempt (any status) on the module.
    """

    __tablename__ = "quiz_scores"
    __table_args__ = (
        # a person's latest score: one probe at the end of their rows in this index
        Index("ix_quiz_scores_user_latest", "user_id", "latest_at", "latest_id", "latest"),
        # SQLite keeps the rows in primary-key order: a unit's rows are read without a lookup each
        {"sqlite_with_rowid": False},
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)  # every status, in progress included
    submitted: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)  # submitted and passed
    scored: Mapped[int] = mapped_column(Integer)  # submitted with a percent
    # sum of the scored attempts' percents in hundredths (percents carry two decimals): an
    # integer, so a mean over many rows is exact and the same on every database
    percent_hundredths: Mapped[int] = mapped_column(Integer)
    best: Mapped[float | None] = mapped_column(Float)
    latest: Mapped[float | None] = mapped_column(Float)  # of the scored attempt submitted last
    latest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    latest_id: Mapped[int | None] = mapped_column(Integer)  # that attempt (breaks ties on latest_at)
    last_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
