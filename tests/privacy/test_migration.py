"""Migration 0018 takes the personal values out of the audit entries written before it (into
``audit_personal``, where erasure reaches them; a deleted post's text becomes its hash),
leaves the log append-only, and its downgrade puts them back."""
from __future__ import annotations

import hashlib
import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from lms.extensions import db
from tests.test_migrations import empty_app  # noqa: F401 - the fixture


def _entries() -> dict[str, dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT action, details FROM audit_log ORDER BY id")).all()
    return {action: json.loads(details) if isinstance(details, str) else details for action, details in rows}


def test_old_audit_entries_lose_their_personal_values_to_the_erasable_table(empty_app):  # noqa: F811
    upgrade(revision="0015_user_sessions")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, full_name, locale, active, must_change_password, "
                          "session_version, created_at) VALUES ('ani', 'Ani R', 'id', true, false, 1, CURRENT_TIMESTAMP)"))
        for action, details in (("user.created", {"username": "ani", "roles": ["librarian"]}),
                                ("discussion.post_deleted", {"thread_id": 1, "body": "teks rahasia"}),
                                ("discussion.meeting_record_saved", {"minutes_before": "catatan lama"})):
            conn.execute(text("INSERT INTO audit_log (at, actor_id, action, target_type, target_id, details) "
                              "VALUES (CURRENT_TIMESTAMP, 1, :a, 'x', '1', :d)"), {"a": action, "d": json.dumps(details)})
    upgrade()
    entries = _entries()
    assert entries["user.created"] == {"roles": ["librarian"]}
    assert entries["discussion.post_deleted"] == {
        "thread_id": 1, "body_sha256": hashlib.sha256("teks rahasia".encode()).hexdigest()}
    assert entries["discussion.meeting_record_saved"] == {}
    with db.engine.connect() as conn:
        moved = conn.execute(text("SELECT key, value, user_id FROM audit_personal ORDER BY id")).all()
    assert sorted(tuple(row) for row in moved) == [("minutes_before", "catatan lama", 1), ("username", "ani", 1)]
    with pytest.raises(DatabaseError, match="append-only"):  # the triggers are back
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET action = 'forged'"))
    downgrade(revision="0015_user_sessions")
    entries = _entries()
    assert entries["user.created"] == {"roles": ["librarian"], "username": "ani"}
    assert "body" not in entries["discussion.post_deleted"]  # a deleted text is not brought back
