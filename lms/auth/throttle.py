"""Login throttling: after repeated failures a username (or an address) waits a while.

Counts live in the database, so every worker of a multi-process server sees them.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from lms.auth.models import LoginThrottle, aware, utcnow
from lms.extensions import db


def _keys(username: str, address: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    keys = [(f"user:{username.strip().lower()}"[:120], int(config["LOGIN_MAX_FAILURES"]))]
    if address:
        keys.append((f"ip:{address}"[:120], int(config["LOGIN_MAX_FAILURES_PER_IP"])))
    return keys


def locked_minutes(username: str, address: str | None) -> int:
    """Minutes left before another attempt is allowed; 0 when not locked."""
    now = utcnow()
    longest = 0
    for key, _limit in _keys(username, address):
        row = db.session.get(LoginThrottle, key)
        until = aware(row.locked_until) if row else None
        if until and until > now:
            longest = max(longest, int((until - now).total_seconds() // 60) + 1)
    return longest


def register_failure(username: str, address: str | None) -> None:
    """Count a failure; lock the key when it reaches its limit within the window."""
    now = utcnow()
    window = timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
    for key, limit in _keys(username, address):
        row = db.session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            db.session.add(row)
        if aware(row.window_start) + window < now:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + window
    db.session.commit()


def clear(username: str) -> None:
    """Forget a username's failures after a successful sign-in."""
    row = db.session.get(LoginThrottle, f"user:{username.strip().lower()}"[:120])
    if row is not None:
        db.session.delete(row)
        db.session.commit()
