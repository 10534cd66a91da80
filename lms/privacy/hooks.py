"""The privacy core registers its pages, CLI, settings and the core's own personal data
(profile, sessions, audit entries) through the same hooks as any plugin."""
from __future__ import annotations

import lms.privacy.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl


@hookimpl
def lms_init_app(app) -> None:
    from lms.privacy.services import RETENTION_DEFAULTS, erased_at

    app.jinja_env.globals["erased_at"] = erased_at

    for name, days in RETENTION_DEFAULTS.items():
        app.config.setdefault(name, days)
    # Who answers requests for access, correction and erasure (an e-mail or an office), and
    # the data controller's name, both shown on the privacy page (LMS_PRIVACY_*).
    app.config.setdefault("PRIVACY_CONTACT", "")
    app.config.setdefault("PRIVACY_CONTROLLER", "")


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
