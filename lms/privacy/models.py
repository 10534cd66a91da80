"""Who was erased, and when (UU PDP). A table of its own rather than a column on users, so
that the migration adding it can be undone and redone without loss: the upgrade refills it
from the audit log's ``user.erased`` entries. A certificate of an erased person is revoked
from the moment of the erasure."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class Erasure(db.Model):
    """``user_id`` was erased at ``erased_at``: their identity fields hold a pseudonym."""

    __tablename__ = "privacy_erasures"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
