"""The privacy core registers its pages, CLI, settings and the core's own personal data
(profile, sessions, audit entries) through the same hooks as any plugin."""
from __future__ import annotations

import lms.privacy.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl


@hookimpl
def lms_default_settings(app):
    from lms.privacy.services import RETENTION_DEFAULTS

    # Who answers requests for access, correction and erasure (an e-mail or an office), and
    # the data controller's name, both shown on the privacy page (LMS_PRIVACY_*).
    return {**RETENTION_DEFAULTS, "PRIVACY_CONTACT": "", "PRIVACY_CONTROLLER": ""}


@hookimpl
def lms_init_app(app) -> None:
    from lms.privacy.services import erased_at

    app.jinja_env.globals["erased_at"] = erased_at


@hookimpl
def lms_blueprints():
    from lms.privacy.views import admin_bp, bp

    return [bp, admin_bp]


@hookimpl
def lms_cli_commands():
    from lms.privacy.cli import privacy

    return [privacy]


@hookimpl
def lms_personal_data(user):
    from lms.privacy.services import core_personal_data

    return core_personal_data(user)
