"""Lesson views, the time-on-page estimate, module and course completion, certificates, JP."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms.clock import local_date, local_today
from lms.extensions import db
from lms.plugins.courses.models import Course
from lms.plugins.learning import overview, services
from lms.plugins.learning.models import Certificate, CourseCompletion, LessonView, ModuleCompletion
from tests.learning.conftest import (complete_course, completed_modules, course_completions, graded_attempt,
                                     lesson_slugs, lesson_url, module, only_certificate, read, submit_marc)


def _views(user_id: int) -> dict[str, LessonView]:
    db.session.expire_all()
    return {row.lesson_slug: row for row in db.session.scalars(select(LessonView).where(LessonView.user_id == user_id))}


# --- lesson views ----------------------------------------------------------------------------

def test_opening_a_lesson_records_one_row_per_lesson(learner):
    first, second = lesson_slugs("marc")
    learner.get(lesson_url("marc", first))
    views = _views(learner.user.id)
    assert list(views) == [first]
    row = views[first]
    assert row.views == 1 and row.module_id == module("marc").id
    assert row.first_seen == row.last_seen and row.seconds == 0
    learner.get(lesson_url("marc", second))
    learner.get(lesson_url("marc", first))
    views = _views(learner.user.id)
    assert set(views) == {first, second}
    assert views[first].views == 2 and views[second].views == 1
    assert views[first].last_seen > views[first].first_seen == row.first_seen


def test_an_unknown_lesson_records_nothing(learner):
    assert learner.get(lesson_url("marc", "no-such-lesson")).status_code == 404
    assert _views(learner.user.id) == {}


def test_time_on_page_is_the_gap_to_the_next_view_capped_at_ten_minutes(learner, make_user):
    marc = module("marc")
    first, second = lesson_slugs("marc")
    user_id = learner.user.id
    other = make_user("budi").id
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    services.record_lesson_view(user_id, marc.id, first, now=t0)
    services.record_lesson_view(other, marc.id, second, now=t0 + timedelta(seconds=30))  # someone else
    services.record_lesson_view(user_id, marc.id, second, now=t0 + timedelta(seconds=90))
    views = _views(user_id)
    assert views[first].seconds == 90  # the other learner's view does not cut this one short
    assert views[second].seconds == 0
    # away for an hour: the lesson left open is credited ten minutes, not sixty
    services.record_lesson_view(user_id, marc.id, first, now=t0 + timedelta(seconds=90, hours=1))
    views = _views(user_id)
    assert views[second].seconds == 600
    assert views[first].seconds == 90 and views[first].views == 2
    # a reload of the same lesson credits that lesson
    services.record_lesson_view(user_id, marc.id, first, now=t0 + timedelta(seconds=90 + 45, hours=1))
    assert _views(user_id)[first].seconds == 135


# --- module completion ----------------------------------------------------------------------

def test_reading_every_lesson_does_not_complete_a_module_with_a_quiz(learner):
    read(learner, "marc")
    assert completed_modules(learner.user.id) == set()


def test_a_failed_quiz_does_not_complete_the_module_and_a_pass_does(learner):
    read(learner, "marc")
    submit_marc(learner, right=False)
    assert completed_modules(learner.user.id) == set()
    submit_marc(learner, right=True)
    assert completed_modules(learner.user.id) == {"marc"}


def test_a_passed_quiz_waits_for_the_last_lesson(learner):
    first, second = lesson_slugs("marc")
    read(learner, "marc", first)
    submit_marc(learner)
    assert completed_modules(learner.user.id) == set()
    read(learner, "marc", second)  # the lesson view completes it
    assert completed_modules(learner.user.id) == {"marc"}


def test_the_grading_method_decides(app, learner):
    """DDC grades by the last attempt: a pass followed by a fail is not a pass."""
    read(learner, "ddc")
    graded_attempt(app, learner.user.id, "ddc", 40.0)
    assert completed_modules(learner.user.id) == set()
    graded_attempt(app, learner.user.id, "ddc", 80.0)
    assert completed_modules(learner.user.id) == {"ddc"}


def test_completion_is_kept_when_a_new_version_adds_a_lesson(app, learner, imported):
    read(learner, "marc")
    submit_marc(learner)
    assert completed_modules(learner.user.id) == {"marc"}
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text(encoding="utf-8").replace("## Kuis", "## Pelajaran baru\nIsi baru.\n\n## Kuis"),
                    encoding="utf-8")
    from lms.plugins.courses.services import import_courses

    assert import_courses([imported]).ok
    assert len(lesson_slugs("marc")) == 3
    assert not services.module_requirements_met(learner.user.id, module("marc"))
    services.update_progress(learner.user.id, module("marc"))
    assert completed_modules(learner.user.id) == {"marc"}


# --- course completion and certificates --------------------------------------------------------

CODE_RE = re.compile(rf"^[{services.CODE_ALPHABET}]{{{services.CODE_LENGTH}}}$")


def test_one_module_is_not_the_course(learner):
    read(learner, "marc")
    submit_marc(learner)
    assert course_completions(learner.user.id) == []
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_completing_every_module_completes_the_course_with_one_certificate(app, learner):
    certificate = complete_course(app, learner)
    [completion] = course_completions(learner.user.id)
    assert completion.jp == 2.0
    assert certificate.completion_id == completion.id
    assert CODE_RE.match(certificate.code), certificate.code
    assert certificate.full_name == learner.user.full_name
    assert (certificate.course_title_id, certificate.course_title_en) == ("Kursus Contoh", "Sample Course")
    assert certificate.completed_on == local_date(completion.completed_at)
    assert certificate.jp == 2.0


def test_completion_twice_and_a_second_pass_issue_no_second_certificate(app, learner):
    certificate = complete_course(app, learner)
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    again = services.complete_course(learner.user.id, course)
    services.complete_course(learner.user.id, course)
    assert again.id == certificate.completion_id
    submit_marc(learner)  # another passing attempt announces lms_quiz_submitted again
    read(learner, "ddc")
    assert only_certificate(learner.user.id).code == certificate.code
    assert len(course_completions(learner.user.id)) == 1
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 2


def test_racing_requests_still_record_once(app, learner, monkeypatch):
    """Two requests that both saw 'not complete yet' insert the same rows: the unique
    constraints turn the second insert into nothing, not an error or a duplicate."""
    certificate = complete_course(app, learner)
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    real_completion_of = services.completion_of
    calls: list[int] = []

    def stale_then_real(user_id, course_id):
        calls.append(course_id)
        return None if len(calls) == 1 else real_completion_of(user_id, course_id)

    monkeypatch.setattr(services, "is_module_complete", lambda user_id, module_id: False)
    monkeypatch.setattr(services, "completion_of", stale_then_real)
    services.complete_course(learner.user.id, course)
    assert len(calls) == 2  # read before the (ignored) insert, then again after it
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 2
    assert len(course_completions(learner.user.id)) == 1
    assert only_certificate(learner.user.id).code == certificate.code


def test_certificate_codes_use_the_unambiguous_alphabet():
    codes = {services.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(CODE_RE.match(code) for code in codes)
    assert not set("01ILO") & set("".join(codes))
    assert services.normalise_code(" abcd-efgh 23 ") == "ABCDEFGH23"


def test_the_certificate_keeps_the_name_it_was_issued_with(app, learner):
    certificate = complete_course(app, learner)
    learner.user.full_name = "Nama Baru"
    db.session.commit()
    assert only_certificate(learner.user.id).full_name == certificate.full_name != "Nama Baru"


# --- JP ------------------------------------------------------------------------------------

@pytest.fixture
def second_course(imported):
    course = Course(slug="lain", topic_id="cataloguing", title_id="Kursus Lain", title_en="Another Course",
                    summary_id="-", summary_en="-", level="beginner", version_label="1", jp=5.0, source_hash="x")
    db.session.add(course)
    db.session.commit()
    return course


def test_jp_this_year_counts_only_this_years_completions(app, learner, second_course):
    complete_course(app, learner)  # contoh, 2 JP, today
    this_year = local_today().year
    last_year = datetime(this_year - 1, 6, 15, 3, 0, tzinfo=timezone.utc)
    db.session.add(CourseCompletion(user_id=learner.user.id, course_id=second_course.id, completed_at=last_year,
                                    jp=5.0))
    db.session.commit()
    assert overview.jp_in_year(learner.user.id) == 2.0
    assert overview.jp_in_year(learner.user.id, this_year - 1) == 5.0
    page = learner.get("/learning/").get_data(as_text=True)
    jp = page.split('id="my-jp"')[1].split("</section>")[0]
    assert "<strong>2</strong>" in jp and "20 JP" in jp


def test_the_year_follows_the_library_clock(app, learner, second_course):
    """31 December 18:00 UTC is already 1 January in Palangkaraya (UTC+7)."""
    new_year_eve = datetime(2025, 12, 31, 18, 0, tzinfo=timezone.utc)
    db.session.add(CourseCompletion(user_id=learner.user.id, course_id=second_course.id,
                                    completed_at=new_year_eve, jp=5.0))
    db.session.commit()
    assert overview.jp_in_year(learner.user.id, 2026) == 5.0
    assert overview.jp_in_year(learner.user.id, 2025) == 0.0
    assert local_date(new_year_eve).isoformat() == "2026-01-01"
