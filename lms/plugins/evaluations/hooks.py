"""Evaluations plugin hooks: the pages, the *What needs you* counts, notification messages
and kinds, the ``lms evaluations`` commands, observed application as a needs-analysis source
and as a content-gap signal, personal data."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.evaluations.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem


@hookimpl
def lms_default_settings(app):
    from lms.plugins.evaluations.services import DEFAULT_SETTINGS

    return dict(DEFAULT_SETTINGS)


@hookimpl
def lms_blueprints():
    from lms.plugins.evaluations.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("evaluations.mine", _l("Applying my training"), roles=("librarian",), order=9, group="learn"),
            NavItem("evaluations.queue", _l("Observe staff at work"), roles=("supervisor", "admin"), order=42,
                    group="supervise"),
            NavItem("evaluations.results_page", _l("Application at work"), roles=("trainer",), order=42, group="teach"),
            NavItem("evaluations.results_page", _l("Application at work"), roles=("supervisor", "admin"), order=43,
                    group="supervise")]


@hookimpl
def lms_home_panels(user, role):
    from flask import url_for

    from lms.nav import task_panel
    from lms.plugins.evaluations import services

    if role == "librarian":
        count = services.own_waiting_count(user)
        return [task_panel("evaluations-self", _l("Evaluations of applying your training"), count,
                           url_for("evaluations.mine"), order=4)] if count else []
    if role == "supervisor":
        count = services.waiting_count(user)
        return [task_panel("evaluations-observe", _l("Staff to observe after training"), count,
                           url_for("evaluations.queue"), order=4)] if count else []
    return []


@hookimpl
def lms_notification_messages():
    from lms.plugins.evaluations.services import MESSAGES

    return MESSAGES


@hookimpl
def lms_notification_kinds():
    from lms.plugins.evaluations.services import NOTIFICATION_KINDS

    return NOTIFICATION_KINDS


@hookimpl
def lms_cli_commands():
    from lms.plugins.evaluations.cli import evaluations

    return [evaluations]


@hookimpl
def lms_needs_sources(end, unit_ids, position, user_id):
    from lms.plugins.evaluations import loop

    return loop.needs_source(end, unit_ids, position, user_id)


@hookimpl
def lms_recommendations(user):
    from lms.plugins.evaluations import loop

    return loop.practice_recommendations(user)


@hookimpl
def lms_content_signals(module_ids):
    from lms.plugins.evaluations import loop

    return loop.content_signals(module_ids)


@hookimpl(trylast=True)  # after the courses, the learning activity and the needs round
def lms_demo_seed(app, log):
    from lms.plugins.evaluations import demo

    demo.seed(log)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.evaluations import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.evaluations import privacy

    return privacy.erase(user, old, tombstone)
