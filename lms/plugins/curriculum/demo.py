"""Demo curriculum: the plan the library followed before its first needs round.

Version 1 was written by hand a year ago - cataloguing first, plus the reference
interview - and approved by the head of the library, with its assignments. The demo needs
round then shows that digital promotion and complaint handling matter more, so a proposal
differs from it in visible ways (added, removed and reordered modules).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import Unit, User
from lms.clock import local_today, local_zone
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.curriculum.models import ACTIVE, ALL, CurriculumItem, CurriculumVersion
from lms.plugins.learning.models import Assignment

NOTE = "Rencana pembinaan awal (disusun manual sebelum analisis kebutuhan)."
# (course slug, module slug), in the order of version 1
V1_MODULES: list[tuple[str, str]] = [
    ("katalogisasi", "deskripsi-bibliografis-rda"),
    ("katalogisasi", "marc21"),
    ("katalogisasi", "klasifikasi-ddc"),
    ("layanan-pelanggan", "wawancara-referensi"),
]


def seed(log) -> None:
    """Create the active version 1 and its assignments once (idempotent)."""
    if db.session.scalar(select(CurriculumVersion.id).limit(1)) is not None:
        log(_("Demo curriculum: already present."))
        return
    root = db.session.scalar(select(Unit).where(Unit.code == "pkp"))
    head = db.session.scalar(select(User).where(User.username == "erlina"))
    modules = []
    for course_slug, module_slug in V1_MODULES:
        module = db.session.scalar(select(Module).join(Course).where(Course.slug == course_slug,
                                                                      Module.slug == module_slug))
        if module is not None:
            modules.append(module)
    if root is None or head is None or not modules:
        log(_("Demo curriculum skipped: run the demo organisation and import the courses first."))
        return
    today = local_today()
    approved = datetime.combine(today - timedelta(days=300), time(10, 0), tzinfo=local_zone())
    version = CurriculumVersion(number=1, status=ACTIVE, note=NOTE, created_at=approved, created_by_id=head.id,
                                approved_at=approved, approved_by_id=head.id, organisation_id=root.organisation_id)
    for position, module in enumerate(modules, start=1):
        due = today - timedelta(days=20) + timedelta(days=45 * ((position - 1) // 2))
        version.items.append(CurriculumItem(module_id=module.id, position=position, audience=ALL,
                                            due_on=due, reason={"manual": True}))
        db.session.add(Assignment(unit_id=root.id, module_id=module.id, due_on=due, assigned_by_id=head.id,
                                  created_at=approved))
    db.session.add(version)
    db.session.commit()
    log(_("Demo curriculum: version 1 with %(count)d modules for the whole library.", count=len(modules)))
