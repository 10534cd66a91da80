"""A person's notifications for their download; erasure deletes them and takes the
person's old name (and the titles of what they wrote) out of other people's notifications;
the retention setting ``PRIVACY_RETENTION_NOTIFICATIONS_DAYS`` purges old ones."""
from __future__ import annotations

import json

from sqlalchemy import Text, cast, delete, func, or_, select

from lms.extensions import db
from lms.plugins.notifications.models import Notification
from lms.privacy import model_data


def personal_data(user):
    return [model_data("notifications", "Notifikasi untuk Anda: jenis, isi (parameter), tautan, kapan dibuat, dibaca, dikirim lewat e-mail.",
                       "Notifications sent to you: kind, content (parameters), link, when made, read and e-mailed.",
                       Notification, Notification.user_id == user.id, exclude=("dedup_key",))]


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def erase(user, old, tombstone):
    deleted = db.session.execute(delete(Notification).where(Notification.user_id == user.id)).rowcount or 0
    return {"counts": {"notifications": deleted}, "files": []}


def scrub(replacements: dict[str, str]) -> int:
    """Replace each key of ``replacements`` (an erased person's old name, username, titles
    they wrote) by its value in the parameters of everyone's notifications; returns how
    many changed."""
    texts = sorted((text for text in replacements if text and len(text) >= 2), key=len, reverse=True)
    if not texts:
        return 0
    # JSON text as stored (json.dumps escapes non-ASCII): a LIKE finds the candidates
    fragments = {json.dumps(text)[1:-1] for text in texts} | set(texts)
    stored = cast(Notification.params, Text)
    query = select(Notification).where(or_(*(stored.like(f"%{_like(f)}%", escape="\\") for f in fragments)))
    changed = 0
    for notification in db.session.scalars(query):
        params = dict(notification.params or {})
        for key, value in params.items():
            if isinstance(value, str):
                for text in texts:
                    value = value.replace(text, replacements[text])
                params[key] = value
        if params != notification.params:
            notification.params = params
            changed += 1
    return changed


def purge(now, dry_run: bool) -> dict[str, int]:
    from lms.privacy.services import cutoff

    before = cutoff("PRIVACY_RETENTION_NOTIFICATIONS_DAYS", now)
    if before is None:
        return {}
    old = Notification.created_at < before
    if dry_run:
        return {"notifications": db.session.scalar(select(func.count()).select_from(Notification).where(old)) or 0}
    return {"notifications": db.session.execute(delete(Notification).where(old)).rowcount or 0}
