"""Notifications plugin hooks: the page, the unread count in the navigation, telling
librarians about new assignments, ``lms notifications remind`` and ``digest``."""
from __future__ import annotations

import lms.plugins.notifications.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl


@hookimpl
def lms_init_app(app):
    from lms.plugins.notifications import services

    @app.context_processor
    def _notification_count():
        # a callable: the COUNT runs only when the navigation draws it, once per request
        return {"notification_count": services.current_unread}


@hookimpl
def lms_blueprints():
    from lms.plugins.notifications.views import bp

    return [bp]


@hookimpl
def lms_assignment_created(assignment, user_ids):
    from lms.plugins.notifications import services

    services.assignment_created(assignment, user_ids)


@hookimpl
def lms_cli_commands():
    from lms.plugins.notifications.cli import notifications

    return [notifications]


@hookimpl
def lms_personal_data(user):
    from lms.plugins.notifications import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.notifications import privacy

    return privacy.erase(user, old, tombstone)


@hookimpl
def lms_scrub_personal_text(replacements):
    from lms.plugins.notifications import privacy

    return privacy.scrub(replacements)


@hookimpl
def lms_retention_purge(now, dry_run):
    from lms.plugins.notifications import privacy

    return privacy.purge(now, dry_run)
