"""Discussions plugin hooks: the pages, the navigation entry, the discussion panel under
each module, home panels, open questions as a content-gap signal, the notification
messages, ``lms discussions`` commands and the demo threads."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.discussions.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem

# Settings (``LMS_DISCUSSIONS_*`` in the environment); see docs/discussions.md.
DEFAULT_SETTINGS = {
    "DISCUSSIONS_MAX_CHARS": 10_000,  # a post's Markdown; longer is refused with a message
    "DISCUSSIONS_TITLE_MAX": 200,
    "DISCUSSIONS_EDIT_MINUTES": 30,  # authors may edit or delete their posts this long
    "DISCUSSIONS_RATE_LIMIT": [(5, 60), (30, 3600)],  # at most N posts per S seconds, per user
    "DISCUSSIONS_PAGE_SIZE": 20,
    "DISCUSSIONS_OPEN_QUESTIONS_CONCERN": 3,  # open questions that flag a module in the content-gap report
    "DISCUSSIONS_MEETING_MINUTES": 60,  # length of a review meeting in its calendar (.ics) file
}


@hookimpl
def lms_default_settings(app):
    return DEFAULT_SETTINGS


@hookimpl
def lms_blueprints():
    # each *_views module registers its routes on the one blueprint
    from lms.plugins.discussions import (  # noqa: F401
        board_views,
        follow_views,
        moderation_views,
        module_views,
        search_views,
    )
    from lms.plugins.discussions.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    label = _l("Discussions")  # learners ask, trainers answer, supervisors hold review meetings
    return [NavItem("discussions.index", label, roles=("librarian",), order=45, group="learn"),
            NavItem("discussions.index", label, roles=("trainer",), order=45, group="teach"),
            NavItem("discussions.index", label, roles=("supervisor", "admin"), order=45, group="supervise")]


@hookimpl
def lms_module_panels(user, module):
    from lms.plugins.discussions import module_views

    return module_views.module_panels(user, module)


@hookimpl
def lms_home_panels(user, role):
    from lms.plugins.discussions import board_views, module_views

    return module_views.home_panels(user, role) + board_views.home_panels(user, role)


@hookimpl
def lms_content_signals(module_ids):
    from lms.plugins.discussions import services

    return services.open_question_signals(module_ids)


@hookimpl
def lms_notification_messages():
    from lms.plugins.discussions import notify

    return notify.MESSAGES


@hookimpl
def lms_notification_kinds():
    from lms.plugins.discussions import notify

    return notify.KINDS


@hookimpl
def lms_cli_commands():
    from lms.plugins.discussions.cli import discussions

    return [discussions]


@hookimpl(trylast=True)  # after the needs round it links and the other plugins' demo data
def lms_demo_seed(app, log):
    from lms.plugins.discussions import demo

    demo.seed(log)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.discussions import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.discussions import privacy

    return privacy.erase(user, old, tombstone)
