"""The core registers its pages, home panels and CLI commands through the plugin hooks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.auth.models import ROLES
from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem
from lms.pluginmanager import has_endpoint


@hookimpl
def lms_init_app(app) -> None:
    from flask_login import current_user

    from lms.auth.labels import kind_label, role_label
    from lms.core import views
    from lms.nav import nav_menu

    views.init_app(app)
    from lms.markup import prose

    app.jinja_env.filters["prose"] = prose

    app.add_template_global(has_endpoint)  # a link to a page only when the page exists

    @app.context_processor
    def _navigation():
        return {"nav_menu": nav_menu(current_user), "role_label": role_label, "kind_label": kind_label}

    from lms import organisations

    app.jinja_env.globals["current_organisation"] = organisations.for_page

    def logo_url(key: str | None) -> str | None:
        """Where a library logo is served (lms.logos), or None without one."""
        from flask import url_for

        return url_for("core.logo", key=key) if key else None

    app.jinja_env.globals["logo_url"] = logo_url


@hookimpl
def lms_blueprints():
    from lms.core.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("core.home", _l("Home"), roles=ROLES, order=0)]


@hookimpl
def lms_home_panels(user, role):
    from lms.core import services

    if role == "librarian":
        return [HomePanel("core/panels/my_learning.html", order=90, key="my-learning", placeholder=True)]
    if role == "trainer":
        return [HomePanel("core/panels/my_modules.html", order=90, key="my-modules", placeholder=True)]
    if role == "supervisor":
        return [HomePanel("core/panels/my_units.html", order=10,
                          context={"units": services.supervised_units_summary(user)})]
    if role == "admin":
        return [HomePanel("core/panels/organisation.html", order=10,
                          context={"counts": services.organisation_counts()})]
    return []


@hookimpl
def lms_cli_commands():
    from lms.core.cli import backup, demo, restore

    return [demo, backup, restore]


@hookimpl
def lms_migration_locations():
    from lms import resource_dir

    return [str(resource_dir("migrations") / "versions")]
