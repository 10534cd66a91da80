"""The auth core registers its blueprint and CLI through the same hooks as any plugin."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    roles = ("librarian", "trainer", "supervisor", "admin")
    return [NavItem("auth.account", _l("My account"), roles=roles, order=90)]


@hookimpl
def lms_cli_commands():
    from lms.auth.cli import users

    return [users]
