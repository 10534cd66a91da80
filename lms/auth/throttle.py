"""Login throttling that slows guessing without letting anyone lock a person out.

Three counts per failed sign-in, each a row of ``login_throttle``:

- ``pair:<username>|<address>``: the first ``LOGIN_MAX_FAILURES`` - 1 failures cost nothing
  (typing mistakes); from the ``LOGIN_MAX_FAILURES``-th on, that pair waits 1, 2, 4 ...
  seconds after each, at most ``LOGIN_MAX_DELAY_SECONDS``. Only that address is slowed for
  that username, and its count is forgotten after ``LOGIN_LOCK_MINUTES`` without a failure.
- ``ip:<address>``: ``LOGIN_MAX_FAILURES_PER_IP`` failures over all usernames within
  ``LOGIN_LOCK_MINUTES`` and that address waits for ``LOGIN_LOCK_MINUTES`` (spraying one
  password over many names).
- ``user:<username>``: failures from everywhere. Past ``LOGIN_MAX_FAILURES_PER_USER`` in
  ``LOGIN_USER_WINDOW_HOURS`` (NIST SP 800-63B §5.2.2's ceiling of 100), every address that
  fails for the name waits the longest delay after each failure, so a botnet gets one guess
  per address per delay; an address that has not failed for it (the person, at work or on
  their phone) still signs in. The username itself is never locked.

A refused attempt ("wait N seconds") checks no password and counts nothing. Counting is one
atomic upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``) on SQLite and PostgreSQL,
so concurrent failures neither lose counts nor collide on the first insert. The counts live
in the database, so every worker of a multi-process server sees them.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, literal, select, update

from lms.auth.models import LoginThrottle
from lms.clock import aware, utcnow
from lms.extensions import db
from lms.sql import dialect_insert


def _name(username: str) -> str:
    return username.strip().lower()


def _pair_key(username: str, address: str | None) -> str:
    return f"pair:{_name(username)}|{address or '-'}"[:120]


def _ip_key(address: str) -> str:
    return f"ip:{address}"[:120]


def _user_key(username: str) -> str:
    return f"user:{_name(username)}"[:120]


def wait_seconds(username: str, address: str | None) -> int:
    """Seconds before this address may try this username again; 0 when it may now.

    Past the username's ceiling, a pair that failed before the ceiling was reached waits
    the longest delay after its last failure too (a pair's window starts at its last one).
    """
    config = current_app.config
    pair, user = _pair_key(username, address), _user_key(username)
    keys = [pair, user] + ([_ip_key(address)] if address else [])
    now = utcnow()
    rows = {row.key: row for row in db.session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.window_start, LoginThrottle.locked_until)
        .where(LoginThrottle.key.in_(keys)))}
    until = [aware(row.locked_until) for row in rows.values() if row.locked_until is not None]
    named, tried = rows.get(user), rows.get(pair)
    if (named is not None and tried is not None
            and named.failures >= int(config["LOGIN_MAX_FAILURES_PER_USER"])
            and aware(named.window_start) >= now - timedelta(hours=int(config["LOGIN_USER_WINDOW_HOURS"]))):
        until.append(aware(tried.window_start) + timedelta(seconds=int(config["LOGIN_MAX_DELAY_SECONDS"])))
    longest = max(((moment - now).total_seconds() for moment in until if moment > now), default=0)
    return math.ceil(longest)


def _delay(pair_failures: int, user_failures: int) -> int:
    """The wait after a pair's ``pair_failures``-th failure (0: none)."""
    config = current_app.config
    cap = int(config["LOGIN_MAX_DELAY_SECONDS"])
    if user_failures >= int(config["LOGIN_MAX_FAILURES_PER_USER"]):
        return cap
    over = pair_failures - int(config["LOGIN_MAX_FAILURES"])  # the 5th failure: 2**0 = 1 s
    return 0 if over < 0 else min(2 ** min(over, 30), cap)


def _count(keys: dict[str, datetime], now: datetime, sliding: str) -> dict[str, int]:
    """Add one failure to each key in one statement; a key whose window started before its
    cutoff starts a new window. The ``sliding`` key's window restarts at every failure, so
    its count is forgotten only after a quiet window. Returns the new count of each key."""
    table = LoginThrottle.__table__
    stale = table.c.window_start < case(
        *((table.c.key == key, literal(cutoff, LoginThrottle.window_start.type)) for key, cutoff in keys.items()),
        else_=literal(now, LoginThrottle.window_start.type))
    insert = dialect_insert(LoginThrottle).values(
        [{"key": key, "failures": 1, "window_start": now, "locked_until": None} for key in keys])
    statement = insert.on_conflict_do_update(index_elements=[table.c.key], set_={
        "failures": case((stale, 1), else_=table.c.failures + 1),
        "window_start": case((stale | (table.c.key == sliding), insert.excluded.window_start),
                             else_=table.c.window_start),
        "locked_until": case((stale, None), else_=table.c.locked_until),
    }).returning(table.c.key, table.c.failures)
    return {key: failures for key, failures in db.session.execute(statement)}


def _hold(key: str, until: datetime) -> None:
    """Make ``key`` wait until ``until``, never shortening a longer wait a concurrent
    failure set."""
    column = LoginThrottle.locked_until
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key, (column.is_(None)) | (column < until))
                       .values(locked_until=until))


def register_failure(username: str, address: str | None) -> None:
    """Count a failed sign-in for the pair, the address and the username; make the pair (and
    the address, past its cap) wait as the module docstring says."""
    config = current_app.config
    now = utcnow()
    window = timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"]))
    pair, user = _pair_key(username, address), _user_key(username)
    keys = {pair: now - window, user: now - timedelta(hours=int(config["LOGIN_USER_WINDOW_HOURS"]))}
    if address:
        keys[_ip_key(address)] = now - window
    counts = _count(keys, now, sliding=pair)
    delay = _delay(counts[pair], counts[user])
    if delay:
        _hold(pair, now + timedelta(seconds=delay))
    if address and counts[_ip_key(address)] >= int(config["LOGIN_MAX_FAILURES_PER_IP"]):
        _hold(_ip_key(address), now + window)
    db.session.commit()


def clear(username: str, address: str | None) -> None:
    """Forget the username's failures after a successful sign-in (NIST: a success resets the
    count), and this address's for it. Other addresses' waits for the name stay."""
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.key.in_([_user_key(username), _pair_key(username, address)])))
    db.session.commit()


def count_request(key: str, window: timedelta) -> tuple[int, int]:
    """Count one more request under ``key`` (``reset-ip:...``, ``reset-user:...``) in a fixed
    window of ``window``, with the same atomic upsert as a failed sign-in (committed). Returns
    the count in the current window and the seconds until that window ends."""
    now = utcnow()
    count = _count({key[:120]: now - window}, now, sliding="")[key[:120]]
    started = db.session.scalar(select(LoginThrottle.window_start).where(LoginThrottle.key == key[:120]))
    db.session.commit()
    remaining = (aware(started) + window - now).total_seconds() if started is not None else 0
    return count, max(1, math.ceil(remaining))

