"""Access control, deny by default.

Every view declares who may use it: ``@public``, ``@authenticated`` (any signed-in user)
or ``@roles_required("supervisor", "admin")`` (any of these roles). A blueprint can
declare one rule for all its views with :func:`protect_blueprint`. A request to a view
with no declaration is refused with 403 - forgetting a decorator closes a door rather
than opening one - and ``tests/test_access.py`` walks ``app.url_map`` to catch it early.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ACCESS_ATTR = "_lms_access"


def public(view: F) -> F:
    """Anyone may use this view, signed in or not."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def authenticated(view: F) -> F:
    """Any signed-in, active user may use this view."""
    setattr(view, ACCESS_ATTR, AUTHENTICATED)
    return view


def roles_required(*roles: str) -> Callable[[F], F]:
    """Users holding any of ``roles`` may use this view."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, frozenset(roles))
        return view

    return decorate


def protect_blueprint(blueprint: Blueprint, *roles: str) -> Blueprint:
    """Declare ``roles`` for every view of ``blueprint`` that has no rule of its own."""
    if not roles:
        raise ValueError("protect_blueprint needs at least one role")
    setattr(blueprint, ACCESS_ATTR, frozenset(roles))
    return blueprint


def access_rule(app: Flask, endpoint: str):
    """The rule declared for ``endpoint``: PUBLIC, AUTHENTICATED, a frozenset of roles, or None."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = app.view_functions.get(endpoint)
    rule = getattr(view, ACCESS_ATTR, None)
    if rule is None and "." in endpoint:
        blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
        rule = getattr(blueprint, ACCESS_ATTR, None)
    return rule


def check_access():
    """``before_request`` guard applying the declared rule (or refusing undeclared views)."""
    if request.endpoint is None:  # 404 / 405: let Flask answer
        return None
    rule = access_rule(current_app, request.endpoint)
    if rule == PUBLIC:
        return None
    if rule is None:
        current_app.logger.error("Endpoint %s declares no access rule: refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if rule == AUTHENTICATED:
        return None
    if not current_user.has_role(*rule):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_access)
