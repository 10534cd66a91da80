"""Courses plugin hooks: catalogue and lesson pages, nav entry, CLI, librarian home panel."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.courses.models  # noqa: F401 - tables on the metadata for migrations
from lms.auth.models import ROLES
from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem


@hookimpl
def lms_blueprints():
    from lms.plugins.courses.authoring_views import bp as authoring
    from lms.plugins.courses.views import bp as courses

    return [courses, authoring]


@hookimpl
def lms_nav_items():
    return [NavItem("courses.catalogue", _l("Course catalogue"), roles=ROLES, order=10, group="learn"),
            NavItem("authoring.index", _l("Module authoring"), roles=("trainer", "admin"), order=20, group="teach",
                    scoped=("trainer", "admin"))]


@hookimpl
def lms_cli_commands():
    from lms.plugins.courses.cli import courses

    return [courses]


@hookimpl
def lms_home_panels(user, role):
    from lms.plugins.courses import services

    if role == "librarian":
        return [HomePanel("courses/panels/catalogue.html", order=20, key="courses",
                          context={"rows": services.catalogue(user=user)})]
    if role == "trainer":
        from flask import url_for

        from lms.nav import task_panel

        summary = services.authoring_summary()
        return [task_panel("module-drafts", _l("Module drafts not yet published"), summary["drafts"],
                           url_for("authoring.index"), order=3),
                HomePanel("courses/panels/my_modules.html", order=10, key="my-modules", context={"summary": summary})]
    return []


@hookimpl(tryfirst=True)  # content first: the activity of the other plugins may use it
def lms_demo_seed(app, log):
    from lms.plugins.courses import demo

    demo.seed(log)


@hookimpl(tryfirst=True)  # content first: the activity of the other plugins needs the modules
def lms_demo_scale(app, scale, log):
    from lms.plugins.courses import bench_data as scale_data

    scale_data.seed(scale, log)
