"""Grading plugin hooks: the essay question type, the grading queue and its home panel,
the learner's notification, personal data."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.grading.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem


@hookimpl
def lms_question_types():
    from lms.plugins.grading.questions import Essay

    return [Essay]


@hookimpl
def lms_blueprints():
    from lms.plugins.grading.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("grading.queue", _l("Grading"), roles=("trainer", "admin"), order=26, group="teach",
                    scoped=("trainer",))]


@hookimpl
def lms_home_panels(user, role):
    """Trainers and admins: how many written answers wait for a grader."""
    from flask import url_for

    from lms.nav import task_panel
    from lms.plugins.grading import services

    if role not in ("trainer", "admin"):
        return []
    return [task_panel("essays-waiting", _l("Practical tasks awaiting grading"), services.waiting_count(user),
                       url_for("grading.queue"), order=2)]


@hookimpl
def lms_notification_messages():
    from lms.plugins.grading import services

    return services.MESSAGES


@hookimpl
def lms_notification_kinds():
    from lms.plugins.grading import services

    return services.KINDS


@hookimpl
def lms_personal_data(user):
    from lms.plugins.grading import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.grading import privacy

    return privacy.erase(user, old, tombstone)


@hookimpl(trylast=True)  # after the learning plugin's demo wrote the attempts it grades
def lms_demo_seed(app, log):
    from lms.plugins.grading import demo

    demo.seed(log)
