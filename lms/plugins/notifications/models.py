"""A notification is stored as a *message key and parameters*, not as text: the reader sees
it in their own language, rendered when the page is drawn (``services.MESSAGES``). A
changed wording or a reader switching language needs no data migration.

``dedup_key`` makes "once" a database rule: a reminder carries
``remind:<assignment>:<day>`` and the unique ``(user_id, dedup_key)`` turns a second run of
``lms notifications remind`` on the same day into a no-op (NULL keys never clash).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read_created", "user_id", "read_at", "created_at"),
        UniqueConstraint("user_id", "dedup_key", name="uq_notifications_user_dedup"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # "assignment", "reminder"
    key: Mapped[str] = mapped_column(String(60))  # a key of services.MESSAGES
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(300))  # a local path only
    dedup_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # set when the daily digest e-mailed it (notifications sent without an immediate e-mail)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


EMAIL_CHOICES = ("immediate", "digest", "never")


class NotificationPreference(db.Model):
    """How e-mail reaches one person for one kind of notification, stored only where it
    differs from the kind's default (``preferences.py``): a site that changes a default
    moves everyone who never chose. The primary key ``(user_id, kind)`` is the index every
    read uses (one person's page; many people and one kind at notify time; the digest's
    per-row look-up)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint("email IN ('immediate', 'digest', 'never')", name="email_choice"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(10))
