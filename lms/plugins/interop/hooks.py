"""Interop plugin hooks: learning events from lesson views, graded attempts and completions
(see ``services.py`` for what is recorded), the same events for the demo's history, and the ``lms export xapi`` / ``lms interop``
commands (xAPI JSON lines, Moodle GIFT export and import)."""
from __future__ import annotations

import lms.plugins.interop.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl


@hookimpl
def lms_lesson_viewed(user, module, lesson):
    from lms.plugins.interop import services

    services.lesson_viewed(user.id, module, lesson)


@hookimpl
def lms_quiz_submitted(attempt):
    from lms.plugins.interop import services

    services.quiz_graded(attempt)


@hookimpl
def lms_module_completed(user_id, module):
    from lms.plugins.interop import services

    services.module_completed(user_id, module)


@hookimpl
def lms_course_completed(user_id, course, completion):
    from lms.plugins.interop import services

    services.course_completed(user_id, course, completion)


@hookimpl(trylast=True)  # after the plugins that write the demo's history (learning, quizzes)
def lms_demo_seed(app, log):
    from flask_babel import gettext as _

    from lms.plugins.interop import services

    report = services.backfill()
    if report.total:
        log(_("Learning events for the demo's history: %(count)d", count=report.total))


@hookimpl
def lms_cli_commands():
    from lms.plugins.interop.cli import export, interop

    return [export, interop]


@hookimpl
def lms_personal_data(user):
    from lms.plugins.interop import privacy

    return privacy.personal_data(user)
