"""Quizzes plugin hooks: the built-in question types and the quiz pages."""
from __future__ import annotations

import lms.plugins.quizzes.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem


@hookimpl
def lms_question_types():
    from lms.questions import BUILTIN_TYPES

    return list(BUILTIN_TYPES)


@hookimpl
def lms_blueprints():
    from lms.plugins.quizzes.item_views import bp as items_bp
    from lms.plugins.quizzes.views import bp

    return [bp, items_bp]


@hookimpl
def lms_cli_commands():
    from lms.plugins.quizzes.cli import quizzes

    return [quizzes]


@hookimpl
def lms_demo_scale(app, scale, log, attempts_per_librarian):
    from lms.plugins.quizzes import bench_data as scale_data

    scale_data.seed(scale, log, attempts_per_librarian)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.quizzes import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_nav_items():
    from flask_babel import lazy_gettext as _l

    return [NavItem("quiz_items.index", _l("Item analysis"), roles=("trainer", "admin"), order=25, group="teach"),
            NavItem("quiz_items.index", _l("Item analysis"), roles=("supervisor",), order=34, group="supervise")]


@hookimpl
def lms_home_panels(user, role):
    """Trainers: how many quiz questions the item analysis flags."""
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from lms.nav import task_panel
    from lms.plugins.quizzes import item_analysis

    if role != "trainer":
        return []
    return [task_panel("quiz-items", _l("Quiz questions flagged by the item analysis"),
                       item_analysis.flagged_count(), url_for("quiz_items.index"), order=2)]
