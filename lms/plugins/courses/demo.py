"""Demo content of one library: a course private to the second demo library (Sampit), so the
demo shows a course that the other library's staff never see (issue 20).

It lives with the plugin, not under ``courses/``: ``make run`` imports ``courses/`` before the
demo has made the second library, and a course naming an organisation that does not exist is
refused (docs/organisations.md). It is checked against the framework already imported.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import Organisation, Unit
from lms.extensions import db
from lms.plugins.courses.authoring import framework_from_db
from lms.plugins.courses.models import Competency, Course
from lms.plugins.courses.services import import_courses

DEMO_COURSES = Path(__file__).resolve().parent / "demo_courses"
PRIVATE_COURSE = "layanan-keliling-mentaya"
OWNER = "kotim"


def seed(log) -> None:
    """Import the private course once; skipped, saying why, when it cannot be yet."""
    if db.session.scalar(select(Course.id).where(Course.slug == PRIVATE_COURSE)) is not None:
        log(_("Demo private course: already present."))
        return
    owner = db.session.scalar(select(Organisation.unit_id).join(Unit, Unit.id == Organisation.unit_id)
                              .where(Unit.code == OWNER))
    if owner is None or db.session.scalar(select(Competency.id).limit(1)) is None:
        log(_("Demo private course skipped: import the courses and seed the organisation first."))
        return
    report = import_courses([DEMO_COURSES / PRIVATE_COURSE], framework=framework_from_db())
    if not report.ok:
        raise RuntimeError("the demo's private course does not import: " + "; ".join(report.problems))
    log(_("Demo private course: %(slug)s, for one library only.", slug=PRIVATE_COURSE))
