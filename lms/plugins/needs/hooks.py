"""Needs plugin hooks: survey pages and home panels, patron CSV import, the analysis, the
module feedback panel, the ``lms needs`` commands and the demo round."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.needs.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem

# Settings (``LMS_NEEDS_*`` in the environment); see docs/needs.md.
DEFAULT_SETTINGS = {
    "NEEDS_MIN_GROUP": 5,  # unit/position results with fewer respondents are hidden
    "NEEDS_WEIGHTS": {"self": 0.4, "supervisor": 0.3, "quiz": 0.15, "patron": 0.15},
    "NEEDS_DEFAULT_TARGET": 4,  # ability level expected when competencies.yml names none
    "NEEDS_SURVEYS_DIR": "courses/surveys",
    "NEEDS_CSV_MAX_BYTES": 5 * 1024 * 1024,
}


@hookimpl
def lms_init_app(app):
    for key, value in DEFAULT_SETTINGS.items():
        app.config.setdefault(key, value)


@hookimpl
def lms_blueprints():
    from lms.plugins.needs import analysis_views, patron_views, views

    return [views.bp, patron_views.bp, analysis_views.bp]


@hookimpl
def lms_nav_items():
    return [NavItem("needs.index", _l("Needs"), roles=("supervisor", "trainer", "admin"), order=40)]


@hookimpl
def lms_cli_commands():
    from lms.plugins.needs.cli import needs

    return [needs]


@hookimpl
def lms_demo_seed(app, log):
    from lms.plugins.needs import demo

    demo.seed(log)
