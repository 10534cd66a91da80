"""What a lesson page costs in SQL, and that the cheap path still records everything.

The lesson page is the most requested page of the LMS (issue 7). A repeat view is one
statement for the page and four for recording it; only the first view of a lesson runs the
completion check. The counts are pinned on top of the page floor (``/healthz/session``: the
session's user and the base layout), so a cheaper layout does not break them.
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select

from lms.extensions import db
from lms.plugins.courses import services as courses
from lms.plugins.interop.models import LearningEvent
from lms.plugins.learning import overview
from lms.plugins.learning.models import LessonView
from tests.learning.conftest import (completed_modules, course_completions, graded_attempt, lesson_slugs, lesson_url,
                                     module, only_certificate, read, submit_marc)

PAGE = 1            # the lesson with its module, version, course, pager and quiz flag
RECORD_REPEAT = 4   # xAPI "viewed today?", the previous view, its reading time, the upsert
XAPI_FIRST_TODAY = 1  # the "viewed" learning event, first view of the lesson today


def statements(callable_) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        callable_()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def get(client, url: str) -> list[str]:
    db.session.expire_all()  # each request starts from nothing, as in production

    def run():
        assert client.get(url).status_code == 200

    return statements(run)


def floor(client) -> int:
    return len(get(client, "/healthz/session"))


def test_a_repeat_view_takes_the_floor_plus_five_statements(learner):
    first, second = lesson_slugs("marc")
    read(learner, "marc", first, second)  # both seen before, and today
    base = floor(learner)
    repeat = get(learner, lesson_url("marc", first))
    assert len(repeat) == base + PAGE + RECORD_REPEAT, repeat
    # no completion check, and no second load of the lesson or its module
    assert not any("module_completions" in s or "quiz_attempts" in s for s in repeat)
    assert sum(bool(re.search(r"FROM lessons\b", s)) for s in repeat) == 1


def test_a_first_view_runs_the_completion_check(learner):
    first, second = lesson_slugs("marc")
    read(learner, "marc", first)
    base = floor(learner)
    new = get(learner, lesson_url("marc", second))
    # + is it complete, any lesson unseen and is there a quiz (one statement), the attempts for
    #   the module grade; the module comes from the identity map (nothing commits in between)
    assert len(new) == base + PAGE + RECORD_REPEAT + XAPI_FIRST_TODAY + 3, new
    assert any("module_completions" in s for s in new)


def test_the_page_is_one_statement_and_its_relations_come_from_the_identity_map(learner):
    marc = module("marc")
    slugs = lesson_slugs("marc")
    db.session.expire_all()
    found = []
    assert len(statements(lambda: found.append(courses.lesson_page("contoh", "marc", slugs[1])))) == 1
    page = found[0]

    def touch():
        assert page.module.course is page.course and page.module.current_version is page.version
        assert page.lesson.module_version is page.version

    assert statements(touch) == []
    assert (page.position, page.total, page.has_quiz) == (2, 2, True)
    assert page.previous.slug == slugs[0] and page.next is None
    assert page.module.id == marc.id and page.lesson.slug == slugs[1]
    assert courses.lesson_page("contoh", "marc", "nope") is None
    assert courses.lesson_page("nope", "marc", slugs[0]) is None


def test_every_view_updates_last_seen_and_the_count(learner):
    first = lesson_slugs("marc")[0]
    read(learner, "marc", first)
    db.session.expire_all()
    row = db.session.scalar(select(LessonView).where(LessonView.user_id == learner.user.id))
    earlier = row.last_seen
    # as if read a minute ago: the repeat view must move last_seen (the dashboard's last activity)
    row.last_seen = row.first_seen = earlier - timedelta(minutes=1)
    db.session.commit()
    read(learner, "marc", first)
    db.session.expire_all()
    row = db.session.scalar(select(LessonView).where(LessonView.user_id == learner.user.id))
    assert row.views == 2 and row.last_seen > earlier - timedelta(minutes=1) and row.first_seen < row.last_seen
    assert row.seconds == 60  # the gap to this view, credited to the previous one (itself)
    activity = overview.in_progress(learner.user.id, "en")
    assert activity and activity[0].module.id == module("marc").id


def test_the_last_lesson_seen_completes_the_module_and_the_course(app, learner):
    first, second = lesson_slugs("marc")
    read(learner, "marc", first)
    submit_marc(learner)
    read(learner, "marc", first)  # a repeat view: nothing new
    assert completed_modules(learner.user.id) == set()
    read(learner, "marc", second)  # the last unseen lesson completes the module
    assert completed_modules(learner.user.id) == {"marc"}
    graded_attempt(app, learner.user.id, "ddc", 100.0)  # passed before reading: waits for the lessons
    assert completed_modules(learner.user.id) == {"marc"}
    ddc = lesson_slugs("ddc")
    for slug in ddc[:-1]:
        read(learner, "ddc", slug)
    assert course_completions(learner.user.id) == []
    read(learner, "ddc", ddc[-1])  # the course's last lesson: module, course, certificate
    assert completed_modules(learner.user.id) == {"marc", "ddc"}
    assert len(course_completions(learner.user.id)) == 1
    certificate = only_certificate(learner.user.id)
    verbs = [(e.verb, e.object_type) for e in db.session.scalars(
        select(LearningEvent).where(LearningEvent.user_id == learner.user.id,
                                    LearningEvent.verb == "completed").order_by(LearningEvent.id))]
    assert verbs == [("completed", "module"), ("completed", "module"), ("completed", "course")]
    read(learner, "ddc", ddc[-1])  # viewing again changes nothing
    assert len(course_completions(learner.user.id)) == 1 and only_certificate(learner.user.id).id == certificate.id


def test_the_pager_matches_the_version_s_lessons(learner):
    slugs = lesson_slugs("marc")
    page = learner.get(lesson_url("marc", slugs[-1])).get_data(as_text=True)
    assert f"Lesson {len(slugs)} of {len(slugs)}" in page
    assert 'href="/quiz/contoh/marc/"' in page or "/quiz/" in page  # a quiz follows the last lesson
    assert learner.get(lesson_url("marc", slugs[0])).headers["Cache-Control"] == "no-store"


def test_the_page_statement_is_built_once_and_recording_is_never_cached():
    """The lesson page's select is built once per process; the recording of a view is a
    write that must run every time (a cache on it would skip views and keep every user and
    page object it was called with alive)."""
    assert courses._lesson_page_statement() is courses._lesson_page_statement()
    assert not hasattr(courses.record_lesson_view, "cache_info")
