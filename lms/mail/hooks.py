"""The outbox is core (password reset in ``lms.auth`` sends mail, and the core never imports
a plugin): it registers its admin page and ``lms mail`` through the same hooks as a plugin."""
from __future__ import annotations

import lms.mail.models  # noqa: F401 - the table on the metadata for migrations
from lms.hookspecs import hookimpl


@hookimpl
def lms_blueprints():
    from lms.mail.views import bp

    return [bp]


@hookimpl
def lms_cli_commands():
    from lms.mail.cli import mail

    return [mail]


@hookimpl
def lms_personal_data(user):
    from lms.mail import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.mail import privacy

    return privacy.erase(user, old, tombstone)


@hookimpl
def lms_retention_purge(now, dry_run):
    from lms.mail import privacy

    return privacy.purge(now, dry_run)
