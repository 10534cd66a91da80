"""Home pages per role, the health check, the language switch and error pages."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for
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
    sections = [(role, home_panels(current_user, role)) for role in roles]
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
    current_app.logger.exception("Unhandled error: %s", error)
    from werkzeug.exceptions import InternalServerError

    return render_error(InternalServerError())


def init_app(app) -> None:
    for code in (400, 401, 403, 404, 405, 413, 429):
        app.register_error_handler(code, render_error)
    app.register_error_handler(500, render_server_error)
