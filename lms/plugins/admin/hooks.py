"""Admin plugin hooks: its pages, nav entries and the admin home panel."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem


@hookimpl
def lms_blueprints():
    from lms.plugins.admin.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [
        NavItem("admin.users", _l("Users"), roles=("admin",), order=70, group="admin", scoped=("admin",)),
        NavItem("admin.units", _l("Units"), roles=("admin",), order=71, group="admin", scoped=("admin",)),
        NavItem("admin.organisations_list", _l("Libraries"), roles=("admin",), order=72, group="admin",
                scoped=("admin",)),
        NavItem("admin.audit", _l("Audit log"), roles=("admin",), order=73, group="admin", scoped=("admin",)),
    ]


@hookimpl
def lms_home_panels(user, role):
    if role == "admin":
        return [HomePanel("admin/_home_links.html", order=20)]
    return []
