"""The demo's external training: real PDF evidence on disk, some verified by the person's own
unit head, two waiting in citra's branch."""
from __future__ import annotations

from sqlalchemy import select

from lms.auth.scoping import can_see_user
from lms.extensions import db
from lms.plugins.records import storage
from lms.plugins.records.models import SUBMITTED, VERIFIED, ExternalTraining
from tests.needs.test_demo import demo  # noqa: F401 - the fixture: real courses + lms demo


def test_demo_records_have_evidence_and_honest_verifiers(demo):  # noqa: F811
    records = list(db.session.scalars(select(ExternalTraining)))
    assert len(records) == 6
    for record in records:
        assert storage.read(record.evidence_stored).startswith(b"%PDF-")
        if record.status == VERIFIED:
            assert record.verified_by is not None and record.verified_by_id != record.user_id
            assert can_see_user(record.verified_by, record.user)
    waiting = {r.user.username for r in records if r.status == SUBMITTED}
    assert {"dewi", "eko"} <= waiting
