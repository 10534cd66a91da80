"""The outbox's share of personal-data rights (docs/privacy.md): a person's e-mails are in
their download, go with them when they are erased (queued ones are never sent), and sent
or failed ones are deleted after ``PRIVACY_RETENTION_MAIL_DAYS`` (90)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from lms.extensions import db
from lms.mail.models import OutboxMessage

COLUMNS = ["created_at", "kind", "recipient", "subject", "status", "sent_at", "text_body"]
DONE = ("sent", "failed")


def _mine(user, email: str | None):
    """Rows addressed to the person: by account, or by the address they had."""
    conditions = [OutboxMessage.user_id == user.id]
    if email:
        conditions.append(OutboxMessage.recipient == email)
    return or_(*conditions)


def personal_data(user):
    from lms.privacy import PersonalData

    def rows():
        query = select(OutboxMessage).where(_mine(user, user.email)).order_by(OutboxMessage.id)
        for message in db.session.scalars(query.execution_options(yield_per=200)):
            yield {column: getattr(message, column) for column in COLUMNS}

    return [PersonalData("emails", "E-mail yang dikirim Pembina kepada Anda", "E-mails Pembina sent you",
                         COLUMNS, rows)]


def erase(user, old, tombstone):
    email = (old or {}).get("email")
    deleted = db.session.execute(delete(OutboxMessage).where(_mine(user, email or user.email))).rowcount or 0
    return {"counts": {"emails": deleted}, "files": []}


def purge(now: datetime, dry_run: bool):
    days = int(current_app.config.get("PRIVACY_RETENTION_MAIL_DAYS", 90))
    if days <= 0:
        return {}
    before = now - timedelta(days=days)
    old = (OutboxMessage.status.in_(DONE)) & (func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < before)
    if dry_run:
        return {"emails": db.session.scalar(select(func.count()).select_from(OutboxMessage).where(old)) or 0}
    return {"emails": db.session.execute(delete(OutboxMessage).where(old)).rowcount or 0}
