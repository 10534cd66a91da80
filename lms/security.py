"""Security headers and safe redirects, applied to every response."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def is_safe_next(target: str | None) -> bool:
    """True when ``target`` is a path on this site (no scheme, no host, no ``//`` or ``\\``).

    Used for ``?next=`` after login so it cannot become an open redirect.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# Sent with every response unless the view set its own; checked in one pass over the
# response's headers (every request pays for this, the smallest ones most).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def init_app(app: Flask) -> None:
    """Send the security headers with every response."""

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        present = {key.lower() for key in headers.keys()}
        for name, value in SECURITY_HEADERS + ((HSTS,) if app.config.get("HTTPS") else ()):
            if name.lower() not in present:
                headers.add(name, value)
        if request.endpoint != "static" and "cache-control" not in present:
            # Pages hold personal data: never keep them in shared caches.
            headers["Cache-Control"] = "no-store" if _is_authenticated() else "no-cache"
        return response


def _is_authenticated() -> bool:
    """Whether the response is for a signed-in user, without reloading them.

    When Flask-Login has loaded the user for this request, its answer is whether that is a
    user or the anonymous one: asking the user's ``is_authenticated`` would read ``active``,
    which a commit earlier in the request has expired, and reload the user with their roles
    (two statements) only to choose a header. A signed-in user who was deactivated in the
    meantime gets ``no-store`` too, the stricter of the two answers.
    """
    from flask import g
    from flask_login import AnonymousUserMixin, current_user

    loaded = g.get("_login_user")
    if loaded is not None:
        return not isinstance(loaded, AnonymousUserMixin)
    return bool(getattr(current_user, "is_authenticated", False))
