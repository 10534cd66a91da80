"""The discussions blueprint; the views live in the ``*_views`` modules that register on it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("discussions", __name__, url_prefix="/discussions")


def error_status(error, default: int = 400) -> int:
    """A refused write's status: 429 when the service said how long to wait (the posting
    rate limit, ``retry_after``), else ``default``. Any refusal the services raise."""
    return 429 if getattr(error, "retry_after", None) else default


def with_retry_after(response, error):
    """``response`` with ``Retry-After`` when ``error`` is the rate limit."""
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
