"""Access control, deny by default.

Every view declares who may use it: ``@public``, ``@authenticated`` (any signed-in user)
or ``@roles_required("supervisor", "admin")`` (any of these roles). A blueprint can
declare one rule for all its views with :func:`protect_blueprint`. A request to a view
with no declaration is refused with 403 - forgetting a decorator closes a door rather
than opening one - and ``tests/test_access.py`` walks ``app.url_map`` to catch it early.

Some views also need a *fresh* sign-in: one where the password was typed in this session,
not restored from a remember-me cookie. Admin-only views ask for it on every POST, and a
blueprint can ask for it on every view (``protect_blueprint(bp, "admin", fresh=True)``);
a session that is not fresh is sent to the password prompt (``auth.reauthenticate``).

Roles held for one organisation (``organisation_roles``: an organisation admin, a trainer who
teaches in some libraries) open a page only where the view says so:
``@roles_required("admin", scoped=True)``. Such a view promises to scope its data to the
viewer's organisations (``lms.auth.scoping``). Every other view keeps asking for the role
install-wide (``User.has_role``), so a view nobody reviewed stays closed to them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_fresh

from lms.auth.models import ORGANISATION_ROLES

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ACCESS_ATTR = "_lms_access"
FRESH_ATTR = "_lms_fresh"
ADMIN_ONLY = frozenset({"admin"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    """Anyone may use this view, signed in or not."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def authenticated(view: F) -> F:
    """Any signed-in, active user may use this view."""
    setattr(view, ACCESS_ATTR, AUTHENTICATED)
    return view


class ScopedRoles(frozenset):
    """A rule of roles where holding some of them for one organisation only is enough
    (``scoped``: those roles). It equals the plain frozenset of the same roles, so every other
    check (a fresh sign-in for admin-only views, the access tests) treats it as that rule."""

    scoped: frozenset[str]

    def __new__(cls, roles, scoped):
        rule = super().__new__(cls, roles)
        rule.scoped = frozenset(scoped)
        return rule

    def __repr__(self) -> str:
        return f"ScopedRoles({sorted(self)!r}, scoped={sorted(self.scoped)!r})"


def roles_required(*roles: str, scoped: bool | tuple[str, ...] = False) -> Callable[[F], F]:
    """Users holding any of ``roles`` install-wide may use this view. With ``scoped`` (True:
    every organisation role among ``roles``; or a tuple of them), so may those holding such a
    role for some organisations only (``organisation_roles``): the view promises to show and
    change nothing outside those organisations (``lms.auth.scoping``)."""
    if not roles:
        raise ValueError("roles_required needs at least one role")
    if scoped is True:
        scoped = tuple(role for role in roles if role in ORGANISATION_ROLES)
    if scoped and not set(scoped) <= set(roles) & set(ORGANISATION_ROLES):
        raise ValueError("scoped names roles of this rule that can be held for an organisation")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, ScopedRoles(roles, scoped) if scoped else frozenset(roles))
        return view

    return decorate


def allows(user, rule) -> bool:
    """Whether signed-in ``user`` passes a rule of roles (plain or :class:`ScopedRoles`)."""
    if user.has_role(*rule):
        return True
    return isinstance(rule, ScopedRoles) and any(user.organisations_for(role) for role in rule.scoped)


def protect_blueprint(blueprint: Blueprint, *roles: str, fresh: bool = False,
                      scoped: bool | tuple[str, ...] = False) -> Blueprint:
    """Declare ``roles`` for every view of ``blueprint`` that has no rule of its own; with
    ``fresh``, every view of it also needs a fresh sign-in; ``scoped`` as for
    :func:`roles_required` (every view of the blueprint then scopes its data)."""
    if not roles:
        raise ValueError("protect_blueprint needs at least one role")
    if scoped is True:
        scoped = tuple(role for role in roles if role in ORGANISATION_ROLES)
    setattr(blueprint, ACCESS_ATTR, ScopedRoles(roles, scoped) if scoped else frozenset(roles))
    setattr(blueprint, FRESH_ATTR, fresh)
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


def needs_fresh_login(app: Flask, endpoint: str, rule, method: str) -> bool:
    """Whether this request needs a fresh sign-in: a change made through an admin-only view,
    or any view of a blueprint declared ``fresh``."""
    if rule == ADMIN_ONLY and method not in SAFE_METHODS:
        return True
    if "." in endpoint:
        blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
        return bool(getattr(blueprint, FRESH_ATTR, False))
    return False


def ask_for_password():
    """Send a session restored from remember-me to the password prompt, then back here (a
    refused POST goes back to the page it came from: the form is shown again, not replayed)."""
    if request.method in SAFE_METHODS:
        target = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc == request.host and referrer.path.startswith("/")
        target = referrer.path + (f"?{referrer.query}" if referrer.query else "") if same_site else "/"
    flash(_("For your security, please enter your password again to continue."), "info")
    return redirect(url_for("auth.reauthenticate", next=target))


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
    if not allows(current_user, rule):
        abort(403)
    if needs_fresh_login(current_app, request.endpoint, rule, request.method) and not login_fresh():
        return ask_for_password()
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_access)
