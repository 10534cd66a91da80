"""Server-side sessions: each signed-in browser is a row of ``user_sessions``.

Flask's session cookie is signed, not revocable: before this, a copied cookie signed in for
its whole lifetime whatever happened on the server, and the remember-me cookie carried
``user_id:session_version``, the same value at every sign-in. Now the cookie carries only a
random session id that the server looks up on every request, so signing out, a password
change, an admin's reset or a deactivation ends the session on the server. "Remember me" is a
second random token per session: it restores a session at most once (it is rotated, and the
restored session is not *fresh*: admin work asks for the password again), and it ends on the
server ``REMEMBER_COOKIE_DURATION`` after the password was typed, or at sign-out.

Like ``throttle``, this module commits its own small writes (the user loader has no service
to do it for it). The id and token are stored as SHA-256 hashes only.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import decode_cookie, encode_cookie
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import joinedload

from lms.auth.models import Unit, User, UserSession
from lms.clock import aware, utcnow
from lms.extensions import db

# last_seen_at is written at most this often per session (not a write per request).
TOUCH_EVERY = timedelta(minutes=5)
# A remember-me cookie's payload starts with this; a session id never does.
REMEMBER_PREFIX = "r:"
_CLEAR = "clear"

# The signed-in user, their roles and their live session in one statement. The session is an
# implicit join (FROM users LEFT OUTER JOIN user_roles ..., user_sessions WHERE ...), so the
# page floor stays the one statement it was (tests/test_layout.py pins it). Of the session,
# only the two columns the loader reads: a second ORM entity per request cost the page floor
# ~0.2 ms of CPU (identity map, instance state) for nothing.
_LIVE_SESSION = (
    select(User, UserSession.id, UserSession.last_seen_at)
    .select_from(User)
    .options(joinedload(User.roles), joinedload(User.organisation_roles),
             joinedload(User.unit).joinedload(Unit.library))
    .where(UserSession.token_hash == bindparam("token_hash"),
           UserSession.user_id == User.id,
           UserSession.revoked_at.is_(None),
           UserSession.expires_at > bindparam("now"),
           UserSession.session_version == User.session_version,
           User.active.is_(True))
)
_REMEMBERED = (
    select(User, UserSession)
    .options(joinedload(User.roles), joinedload(User.organisation_roles),
             joinedload(User.unit).joinedload(Unit.library))
    .where(UserSession.remember_hash == bindparam("remember_hash"), UserSession.user_id == User.id)
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user_agent() -> str | None:
    agent = request.headers.get("User-Agent", "") if request else ""
    return agent[:200] or None


def load(ident: str) -> User | None:
    """Flask-Login's user loader. ``ident`` is this browser's session id (from the session
    cookie) or ``r:<token>`` (from the remember-me cookie, which Flask-Login decodes)."""
    if ident.startswith(REMEMBER_PREFIX):
        return _restore(ident[len(REMEMBER_PREFIX):])
    now = utcnow()
    row = db.session.execute(_LIVE_SESSION, {"token_hash": _hash(ident), "now": now}).unique().one_or_none()
    if row is None:
        return None
    user, session_id, last_seen_at = row
    user._session_token = ident  # type: ignore[attr-defined]
    if now - aware(last_seen_at) > TOUCH_EVERY:
        g.lms_touch_session = session_id
    return user


def touch() -> None:
    """``before_request`` (after the access check, where the user was loaded): note that the
    session is in use, at most every TOUCH_EVERY, on a connection of its own so nothing the
    view does later is committed with it and the user loaded for this request stays loaded."""
    session_id = g.pop("lms_touch_session", None)
    if session_id is None:
        return
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow()))


def start(user: User, *, remember: bool, remember_until: datetime | None = None) -> UserSession:
    """Open a new session for ``user`` as this browser's (the caller commits, then calls
    ``login_user``, which stores :meth:`User.get_id`). With ``remember`` a remember-me token
    is issued, valid until ``remember_until`` (default: REMEMBER_COOKIE_DURATION from now)."""
    config = current_app.config
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_hash(token), session_version=user.session_version,
                      created_at=now, last_seen_at=now, expires_at=now + config["PERMANENT_SESSION_LIFETIME"],
                      user_agent=_user_agent())
    if remember:
        remember_token = secrets.token_urlsafe(32)
        row.remember_hash = _hash(remember_token)
        row.remember_expires_at = remember_until or now + config["REMEMBER_COOKIE_DURATION"]
        g.lms_remember_cookie = (encode_cookie(REMEMBER_PREFIX + remember_token), row.remember_expires_at)
    elif _remember_cookie_name() in request.cookies:
        g.lms_remember_cookie = _CLEAR  # an older remember-me cookie must not outlive this choice
    db.session.add(row)
    user._session_token = token  # type: ignore[attr-defined]
    return row


def _restore(remember_token: str) -> User | None:
    """Sign in again from a remember-me token: once. Its session is revoked, a new (not
    fresh) one starts with a new token, valid only as long as the old one was."""
    now = utcnow()
    row = db.session.execute(_REMEMBERED, {"remember_hash": _hash(remember_token)}).unique().one_or_none()
    user, old = row if row is not None else (None, None)
    if (old is None or old.revoked_at is not None or old.remember_expires_at is None
            or aware(old.remember_expires_at) <= now or old.session_version != user.session_version
            or not user.active):
        return _refuse()
    # Conditional, so two requests racing with one token cannot both restore a session.
    claimed = db.session.execute(
        update(UserSession).where(UserSession.id == old.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return _refuse()
    start(user, remember=True, remember_until=aware(old.remember_expires_at))
    db.session.commit()
    session["_user_id"] = user.get_id()  # Flask-Login put the cookie's payload there
    session["_fresh"] = False
    return user


def _refuse() -> None:  # noqa: D401 - returns the loader's "nobody"
    """A remember-me cookie that signs nobody in: drop it from the session and the browser."""
    session.pop("_user_id", None)
    g.lms_remember_cookie = _CLEAR
    return None


def current_hash() -> str | None:
    """The hash of this browser's session id, if it has one."""
    ident = session.get("_user_id")
    return _hash(ident) if ident and not ident.startswith(REMEMBER_PREFIX) else None


def end_current() -> None:
    """Revoke this browser's session and its remember-me token (sign-out; the caller commits).
    The remember-me cookie's own session is revoked too, in case it is another one."""
    now = utcnow()
    hashes = [h for h in (current_hash(),) if h]
    remember_hashes = []
    payload = decode_cookie(request.cookies.get(_remember_cookie_name(), "")) or ""
    if payload.startswith(REMEMBER_PREFIX):
        remember_hashes.append(_hash(payload[len(REMEMBER_PREFIX):]))
    if not hashes and not remember_hashes:
        return
    db.session.execute(
        update(UserSession)
        .where(or_(UserSession.token_hash.in_(hashes), UserSession.remember_hash.in_(remember_hashes)),
               UserSession.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))


def restart(user: User) -> None:
    """After the user changed their own password (which ended every session): a new session
    for this browser, remembered as long as the old one was (the caller commits)."""
    current = current_hash()
    old = db.session.scalar(select(UserSession).where(UserSession.token_hash == current)) if current else None
    remember_until = None
    if old is not None:
        old.revoked_at = old.revoked_at or utcnow()
        if old.remember_hash and old.remember_expires_at and aware(old.remember_expires_at) > utcnow():
            remember_until = aware(old.remember_expires_at)
    start(user, remember=remember_until is not None, remember_until=remember_until)


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that can still sign in (this one included), newest first."""
    now = utcnow()
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
               UserSession.session_version == user.session_version,
               or_(UserSession.expires_at > now, UserSession.remember_expires_at > now))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_agent(agent: str | None) -> str | None:
    """"Firefox, Windows" from a User-Agent header, for the account page's list of sessions;
    None when neither is recognised (the page then says so in the reader's language)."""
    agent = agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    return ", ".join(part for part in (browser, system) if part) or None


def end_others(user: User) -> int:
    """Revoke every session of ``user`` but this browser's (the caller commits)."""
    current = current_hash() or ""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.token_hash != current)
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def end_all(user: User) -> int:
    """Revoke every session and remember-me token of ``user`` (a password reset by e-mail:
    whoever knew the old password is signed out everywhere; the caller commits)."""
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def purge(user: User) -> None:
    """Delete the user's sessions that can never sign in again (at each sign-in, so the table
    holds about one row per browser in use)."""
    now = utcnow()
    db.session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id,
               or_(UserSession.revoked_at.is_not(None),
                   UserSession.session_version != user.session_version,
                   (UserSession.expires_at <= now)
                   & or_(UserSession.remember_expires_at.is_(None), UserSession.remember_expires_at <= now)))
        .execution_options(synchronize_session=False))


def _remember_cookie_name() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def write_remember_cookie(response):
    """``after_request``: set or clear the remember-me cookie as :func:`start` or a refused
    token asked. Flask-Login itself never sets it (``login_user`` is called without
    ``remember``); it still clears it at ``logout_user``."""
    pending = g.pop("lms_remember_cookie", None)
    if pending is None:
        return response
    config = current_app.config
    name = _remember_cookie_name()
    domain, path = config.get("REMEMBER_COOKIE_DOMAIN"), config.get("REMEMBER_COOKIE_PATH", "/")
    if pending == _CLEAR:
        response.delete_cookie(name, domain=domain, path=path)
        return response
    value, expires = pending
    response.set_cookie(name, value=value, expires=expires, domain=domain, path=path,
                        secure=config.get("REMEMBER_COOKIE_SECURE", False),
                        httponly=config.get("REMEMBER_COOKIE_HTTPONLY", True),
                        samesite=config.get("REMEMBER_COOKIE_SAMESITE"))
    return response
