"""Curriculum plugin hooks: personal learning paths on *My learning*, curriculum proposals
from needs rounds, approval and history, the content-gap report, ``lms curriculum``."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

import lms.plugins.curriculum.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem, Recommendation

# Settings (``LMS_CURRICULUM_*`` in the environment); see docs/needs.md.
DEFAULT_SETTINGS = {
    "CURRICULUM_PRIORITY_THRESHOLD": 0.35,  # a competency at or above this priority is "high priority"
    "CURRICULUM_DUE_STEP_DAYS": 30,  # two items per step: +30, +30, +60, +60, ... days
    "CURRICULUM_PATH_LENGTH": 5,  # steps of the learning path shown on My learning
}


@hookimpl
def lms_default_settings(app):
    return DEFAULT_SETTINGS


@hookimpl
def lms_blueprints():
    from lms.plugins.curriculum.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("curriculum.index", _l("Curriculum"), roles=("trainer",), order=41, group="teach"),
            NavItem("curriculum.index", _l("Curriculum"), roles=("supervisor", "admin"), order=41, group="supervise")]


@hookimpl
def lms_recommendations(user):
    from flask import current_app

    from lms.plugins.curriculum.paths import learning_path

    steps = learning_path(user, str(get_locale() or "id"), limit=current_app.config["CURRICULUM_PATH_LENGTH"])
    return [Recommendation(title=f"{step.title} ({step.course_title})", url=step.url, reason=step.reason,
                           order=10 + index) for index, step in enumerate(steps)]


@hookimpl
def lms_cli_commands():
    from lms.plugins.curriculum.cli import curriculum

    return [curriculum]


@hookimpl
def lms_demo_seed(app, log):
    from lms.plugins.curriculum import demo

    demo.seed(log)


@hookimpl
def lms_home_panels(user, role):
    """Trainers: a curriculum draft waiting to be approved or discarded."""
    from flask import url_for

    from lms.nav import task_panel
    from lms.plugins.curriculum import services
    from lms.plugins.needs.reach import own_id

    if role != "trainer":
        return []
    draft = services.current_draft(own_id(user))
    return [task_panel("curriculum-draft", _l("Curriculum drafts waiting for approval"),
                       1 if draft is not None else 0, url_for("curriculum.index"), order=4)]
