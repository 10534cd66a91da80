"""Writing to the audit log. Callers add the entry to the session they are about to
commit, so the change and its audit entry land together or not at all."""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from lms.audit.models import AuditEntry
from lms.extensions import db


def _current_actor_id() -> int | None:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return None


def record(action: str, target_type: str, target_id: Any = None, *, actor_id: int | None = None,
           **details: Any) -> AuditEntry:
    # details must be JSON: callers pass plain values (numbers, strings, lists, dicts)
    """Add an audit entry (not committed): ``action`` like ``user.roles_changed``."""
    entry = AuditEntry(
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        actor_id=actor_id if actor_id is not None else _current_actor_id(),
        details=details,
    )
    db.session.add(entry)
    return entry
