"""The audit log table; rows are only ever inserted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db


class AuditEntry(db.Model):
    """Who did what to which record, and when. Never updated, never deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
    personal: Mapped[list["AuditPersonal"]] = relationship(lazy="selectin", order_by="AuditPersonal.id",
                                                            viewonly=True)


class AuditPersonal(db.Model):
    """A personal value of an audit entry (a username, the text of a post before an edit...),
    kept beside the append-only log so that erasing ``user_id`` (UU PDP) can delete it
    without touching the log itself (docs/privacy.md)."""

    __tablename__ = "audit_personal"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id", ondelete="RESTRICT"), index=True)
    # whose data it is: erasing this person deletes the row
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in changed + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")
