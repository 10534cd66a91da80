"""The auth core registers its blueprint and CLI through the same hooks as any plugin."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.auth.models import ROLES
from lms.hookspecs import hookimpl
from lms.nav import NavItem


@hookimpl
def lms_init_app(app) -> None:
    from lms.auth import views

    views.init_app(app)


@hookimpl
def lms_blueprints():
    from lms.auth.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("auth.account", _l("My account"), roles=ROLES, order=90, group="account")]


@hookimpl
def lms_cli_commands():
    from lms.auth.cli import users

    return [users]
