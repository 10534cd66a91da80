"""Password-reset links: a signed, expiring, single-use token (itsdangerous).

The token carries the user id and a *fingerprint* of the account's current secret state: an
HMAC (keyed with ``SECRET_KEY``) of the password hash and the session version. It is valid
for ``PASSWORD_RESET_MAX_AGE`` seconds (an hour) and only while that state is unchanged, so
it dies the moment it is used (the reset sets a new hash and bumps the version), when the
person changes their password, when an admin resets it, and when the account is deactivated.
Nothing is stored for it: there is no table of tokens to steal. The salt keeps these
signatures apart from every other use of ``SECRET_KEY`` (sessions, CSRF).
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from lms.auth.models import User
from lms.extensions import db

SALT = "lms.auth.password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def fingerprint(user: User) -> str:
    """Changes whenever the password or the session version does."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    state = f"{user.id}:{user.password_hash or ''}:{user.session_version}".encode()
    return hmac.new(key, state, hashlib.sha256).hexdigest()[:32]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": fingerprint(user)})


def max_age() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MAX_AGE") or 3600)


def user_for(token: str) -> User | None:
    """The active account ``token`` may reset now, or None (bad signature, expired, used,
    password changed since, account deactivated)."""
    try:
        data = _serializer().loads(token, max_age=max_age())
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or not hmac.compare_digest(fingerprint(user), data["f"]):
        return None
    return user
