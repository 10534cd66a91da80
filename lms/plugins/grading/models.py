"""What a practical task adds to a quiz answer: the learner's file and the grader's grade.

``EssayUpload`` is one file per essay answer (a new upload replaces it), stored like the
records plugin's evidence (random name outside the web root, type by content).
``EssayGrade`` is the grader's latest word on an answer: the level chosen per criterion,
the feedback, who and when; the answer's own ``credit`` holds the resulting credit and
every grading and regrading is in the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class EssayUpload(db.Model):
    __tablename__ = "essay_uploads"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # sanitised display name
    stored: Mapped[str] = mapped_column(String(64))  # random name on disk
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EssayGrade(db.Model):
    __tablename__ = "essay_grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("quiz_answers.id", ondelete="CASCADE"), unique=True)
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    graded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    levels: Mapped[list] = mapped_column(JSON, default=list)  # points of the chosen level, per criterion
    feedback: Mapped[str] = mapped_column(Text, default="")
    credit: Mapped[float] = mapped_column(Float)
    times: Mapped[int] = mapped_column(Integer, default=1)  # 1 = first grading; more = regraded
