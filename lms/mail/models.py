"""One row per e-mail. ``services.enqueue`` writes it in the caller's transaction; the
delivery loop (``services.deliver``) moves it queued -> sending -> sent (or failed).

``next_attempt_at`` is when a worker may take the row next: for a *queued* row the end of its
back-off, for a *sending* row the end of the claiming worker's lease. One index on
``(status, next_attempt_at)`` serves the claim, the lease recovery and the admin's list of
failed messages.

``claim_token`` fences a claim: only the worker holding the current token may hand the row to
the SMTP server. ``handed_over_at`` is committed just before the final "." of the SMTP DATA
phase: from then on the server may have accepted the message, so the row is never sent again
(docs/operations.md explains why).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db

STATUSES = ("queued", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "notification", "digest", "password_reset"...
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(400))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # Fixed at enqueue time: a re-send after a failure carries the same headers.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # the Date header
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
