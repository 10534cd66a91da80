"""Courses plugin hooks: catalogue and lesson pages, nav entry, CLI, librarian home panel."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.courses.models  # noqa: F401 - tables on the metadata for migrations
from lms.auth.models import ROLES
from lms.hookspecs import hookimpl
from lms.nav import NavItem


@hookimpl
def lms_blueprints():
    from lms.plugins.courses.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("courses.catalogue", _l("Courses"), roles=ROLES, order=10)]


@hookimpl
def lms_cli_commands():
    from lms.plugins.courses.cli import courses

    return [courses]
