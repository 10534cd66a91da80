"""Quizzes plugin hooks: the built-in question types and the quiz pages."""
from __future__ import annotations

import lms.plugins.quizzes.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl


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
    from lms.plugins.quizzes import scale as scale_data

    scale_data.seed(scale, log, attempts_per_librarian)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.quizzes import privacy

    return privacy.personal_data(user)
