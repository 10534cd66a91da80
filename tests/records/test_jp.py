"""Verified external JP counts toward the learner's JP (through ``lms_external_jp``), in the
calendar year the training ended; submitted and rejected records do not."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.learning.overview import jp_in_year
from lms.plugins.records import services
from lms.plugins.records.models import REJECTED, SUBMITTED, VERIFIED, ExternalTraining


def _add(user, status: str, jp: float, end_on: date, n: int) -> None:
    db.session.add(ExternalTraining(
        user_id=user.id, kind="workshop", provider="P", topic=f"T{n}", start_on=end_on, end_on=end_on, jp=jp,
        status=status, rejection_reason="", evidence_name="e.pdf", evidence_stored=f"{n:032x}.pdf",
        evidence_type="application/pdf", evidence_size=10, evidence_sha256="0" * 64))


def test_verified_jp_sums_verified_records_of_the_year(app, people):
    lib_a, lib_b = people["lib_a"].user, people["lib_b"].user
    _add(lib_a, VERIFIED, 6, date(2026, 1, 1), 1)
    _add(lib_a, VERIFIED, 2.5, date(2026, 12, 31), 2)
    _add(lib_a, VERIFIED, 10, date(2025, 12, 31), 3)  # last year
    _add(lib_a, SUBMITTED, 7, date(2026, 5, 1), 4)
    _add(lib_a, REJECTED, 9, date(2026, 5, 1), 5)
    _add(lib_b, VERIFIED, 4, date(2026, 5, 1), 6)
    db.session.commit()
    assert services.verified_jp(lib_a.id, 2026) == 8.5
    assert services.verified_jp(lib_a.id, 2025) == 10.0
    assert services.verified_jp(lib_a.id, 2024) == 0.0
    rows = dict(db.session.execute(services.verified_jp_select(2026)).all())
    assert rows == {lib_a.id: 8.5, lib_b.id: 4.0}
    assert jp_in_year(lib_a.id, 2026) == 8.5  # no course completed: external JP only


def test_my_learning_counts_a_verified_record_only(app, people, imported):
    from lms.clock import local_today
    from tests.conftest import post_form
    from tests.records.conftest import add_record

    client = people["lib_a"]
    today = local_today().isoformat()
    add_record(client, jp="5", start_on=today, end_on=today, topic="Counted")
    add_record(client, jp="7", start_on=today, end_on=today, topic="Rejected one")
    add_record(client, jp="11", start_on=today, end_on=today, topic="Still waiting")
    ids = {r.topic: r.id for r in db.session.scalars(select(ExternalTraining))}
    assert jp_in_year(client.user.id) == 0.0
    page = client.get("/learning/").get_data(as_text=True)
    assert '<strong>0</strong>' in page
    post_form(people["sup_a"], f"/records/{ids['Counted']}/verify", {}, token_from=f"/records/{ids['Counted']}")
    post_form(people["sup_a"], f"/records/{ids['Rejected one']}/reject", {"reason": "No evidence of attendance"},
              token_from=f"/records/{ids['Rejected one']}")
    assert jp_in_year(client.user.id) == 5.0
    page = client.get("/learning/").get_data(as_text=True)
    assert '<strong>5</strong>' in page


def test_jp_adds_to_course_jp(app, people, imported):
    from lms.plugins.courses.models import Course
    from lms.plugins.learning.models import CourseCompletion

    user = people["lib_a"].user
    course = db.session.scalars(select(Course)).first()
    db.session.add(CourseCompletion(user_id=user.id, course_id=course.id, completed_at=utcnow(), jp=3.0))
    from lms.clock import local_today

    _add(user, VERIFIED, 4.5, local_today(), 1)
    db.session.commit()
    assert jp_in_year(user.id) == 7.5
