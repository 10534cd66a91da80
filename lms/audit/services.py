"""Writing to the audit log. Callers add the entry to the session they are about to
commit, so the change and its audit entry land together or not at all."""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from lms.audit.models import AuditEntry, AuditPersonal
from lms.extensions import db


def _current_actor_id() -> int | None:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return None


def record(action: str, target_type: str, target_id: Any = None, *, actor_id: int | None = None,
           personal: dict[str, str | None] | None = None, personal_user_id: int | None = None,
           **details: Any) -> AuditEntry:
    # details must be JSON: callers pass plain values (numbers, strings, lists, dicts)
    """Add an audit entry (not committed): ``action`` like ``user.roles_changed``.

    ``details`` must hold no personal data (names, e-mail, free text): people are named by
    id. Personal values that must be kept for a while (the text of a post before an edit)
    go in ``personal``, stored beside the log for ``personal_user_id``, whose erasure
    deletes them while the log stays untouched (docs/privacy.md)."""
    entry = AuditEntry(
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        actor_id=actor_id if actor_id is not None else _current_actor_id(),
        details=details,
    )
    db.session.add(entry)
    values = {key: value for key, value in (personal or {}).items() if value is not None}
    if values:
        db.session.flush()
        db.session.add_all(AuditPersonal(entry_id=entry.id, user_id=personal_user_id, key=key, value=str(value))
                           for key, value in values.items())
    return entry
