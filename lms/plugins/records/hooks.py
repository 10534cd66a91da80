"""Records plugin hooks: external training records with evidence, verified by supervisors;
verified JP joins the learner's JP through ``lms_external_jp``."""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

import lms.plugins.records.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import NavItem

# Settings (``LMS_RECORDS_*`` in the environment).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Evidence images: the longest side kept (larger ones are scaled down to it) and the most
# pixels decoded at all (a decompression bomb is refused); see records/images.py.
DEFAULT_IMAGE_MAX_SIDE = 2560
DEFAULT_IMAGE_MAX_PIXELS = 50_000_000


@hookimpl
def lms_default_settings(app):
    return {"RECORDS_MAX_BYTES": DEFAULT_MAX_BYTES, "RECORDS_IMAGE_MAX_SIDE": DEFAULT_IMAGE_MAX_SIDE,
            "RECORDS_IMAGE_MAX_PIXELS": DEFAULT_IMAGE_MAX_PIXELS,
            # Outside the web root: never under static/, never served but through the evidence view.
            "RECORDS_EVIDENCE_DIR": os.path.join(app.instance_path, "evidence")}


@hookimpl
def lms_blueprints():
    from lms.plugins.records.views import bp

    return [bp]


@hookimpl
def lms_nav_items():
    # the learner's own records and the supervisors' review queue: two pages, two names
    return [NavItem("records.index", _l("My training records"), roles=("librarian",), order=8, group="learn"),
            NavItem("records.review", _l("Verify training records"), roles=("supervisor", "admin"), order=33,
                    group="supervise")]


@hookimpl
def lms_external_jp(user_id, year):
    from lms.plugins.records import services

    return services.verified_jp(user_id, year)


@hookimpl
def lms_demo_seed(app, log):
    from lms.plugins.records import demo

    demo.seed(log)


@hookimpl
def lms_external_jp_select(year):
    from lms.plugins.records import services

    return services.verified_jp_select(year)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.records import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.records import privacy

    return privacy.erase(user, old, tombstone)


@hookimpl
def lms_home_panels(user, role):
    """Supervisors: how many training records wait for their verification."""
    from flask import url_for

    from lms.nav import task_panel
    from lms.plugins.records import services

    if role != "supervisor":
        return []
    return [task_panel("records-review", _l("Training records to verify"), services.review_count(user),
                       url_for("records.review"), order=2)]
