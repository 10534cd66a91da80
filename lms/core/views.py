"""Home pages per role, the health check, the language switch and error pages."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from lms.auth import services as auth_services
from lms.auth.access import authenticated, public
from lms.auth.models import ROLES
from lms.core import services
from lms.nav import home_panels
from lms.security import is_safe_next

bp = Blueprint("core", __name__)


@bp.route("/")
@authenticated
def home():
    roles = [role for role in ROLES if current_user.has_role(role)]
    sections = []
    for role in roles:
        panels = home_panels(current_user, role)
        tasks = [panel.context["task"] for panel in panels if panel.key.startswith("task:")]
        sections.append((role, tasks, [panel for panel in panels if not panel.key.startswith("task:")]))
    return render_template("core/home.html", sections=sections)


@bp.route("/healthz")
@public
def healthz():
    ok = services.database_ok()
    body = {"status": "ok" if ok else "error", "database": "ok" if ok else "unavailable"}
    return jsonify(body), 200 if ok else 503


@bp.route("/healthz/ping")
@public
def healthz_ping():
    """Liveness for a load balancer: the process answers. No session, no database - also the
    benchmark's *bare floor* (docs/performance.md)."""
    return Response("ok\n", mimetype="text/plain")


@bp.route("/healthz/session")
@authenticated
def healthz_session():
    """The smallest signed-in page: session, user, the base layout and nothing else. Shows
    that sign-in works through a proxy; the benchmark's *page floor* (docs/performance.md)."""
    return render_template("core/session.html")


@bp.route("/logos/<key>.png")
@public
def logo(key: str):
    """A library's logo, to anyone: it is on the sign-in page, certificates and the public
    verification page. Serves rows of ``organisation_logos`` and nothing else (no path, no
    file system); the key is the SHA-256 of the bytes, so the answer never changes and may
    be cached for a year."""
    from lms import logos

    found = logos.get(key)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="logo-{key[:12]}.png"'
    response.set_etag(key)
    return response.make_conditional(request)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """The language switcher: a small form, so it works without JavaScript."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            auth_services.set_locale(current_user, lang)
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("core.home"))


def render_error(error: HTTPException):
    """Friendly error pages in the user's language; JSON for API-style requests."""
    code = error.code or 500
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"error": error.name, "status": code}), code
    return render_template("core/error.html", code=code, error=error), code


def render_server_error(error):
    """The 500 page, whatever state the database session is in.

    The session is rolled back first: an error raised by the database leaves it unusable
    (``PendingRollbackError``), and the layout reads the signed-in user and the unread
    count through it. When the database itself is what failed (its connection: an
    operational or interface error) - or the full layout fails all the same - a plain page
    that touches no database answers instead, in the language already chosen for this
    request (the user's, loaded before the failure, or the switcher's), never the server's
    bare 500.
    """
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from werkzeug.exceptions import InternalServerError

    current_app.logger.exception("Unhandled error: %s", error)
    original = getattr(error, "original_exception", None) or error
    locale = _locale_without_database()  # before the rollback expires the user
    services.discard_failed_transaction()
    if not isinstance(original, (OperationalError, InterfaceError, DisconnectionError)):
        try:
            return render_error(InternalServerError())
        except Exception:  # noqa: BLE001 - the error page must not fail
            current_app.logger.exception("The error page failed; answering with the plain one")
            services.discard_failed_transaction()
    return render_plain_error(500, locale)


def _locale_without_database() -> str:
    """The request's language from what is already in memory: the user Flask-Login loaded
    (as loaded - no refresh), the language switcher's choice, or the library's default."""
    from flask import g
    from flask_login import AnonymousUserMixin
    from sqlalchemy import inspect

    languages = current_app.config["LANGUAGES"]
    loaded = g.get("_login_user")
    if loaded is not None and not isinstance(loaded, AnonymousUserMixin):
        locale = inspect(loaded).dict.get("locale")
        if locale in languages:
            return locale
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def render_plain_error(code: int, locale: str):
    """An error page from the request alone: no user, no navigation, no database."""
    from flask_babel import force_locale

    if request.accept_mimetypes.best == "application/json":
        return jsonify({"error": "Internal Server Error", "status": code}), code
    # the template alone, without the context processors (they may read the user or the database)
    template = current_app.jinja_env.get_template("core/error_plain.html")
    with force_locale(locale):
        html = template.render(code=code, locale=locale)
    return html, code


def init_app(app) -> None:
    for code in (400, 401, 403, 404, 405, 413, 429):
        app.register_error_handler(code, render_error)
    app.register_error_handler(500, render_server_error)
