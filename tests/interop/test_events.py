"""Learning events: what is recorded for views, graded attempts and completions, and that
the table is append-only in the database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from lms.extensions import db
from lms.plugins.interop import services
from lms.plugins.interop.models import LearningEvent, LearningEventIsAppendOnly
from tests.conftest import is_postgresql
from tests.learning.conftest import complete_course, lesson_slugs, lesson_url, module, read, submit_marc

BASE = "http://127.0.0.1:5000"


def events(user_id: int, verb: str | None = None) -> list[LearningEvent]:
    db.session.expire_all()
    query = select(LearningEvent).where(LearningEvent.user_id == user_id).order_by(LearningEvent.id)
    if verb:
        query = query.where(LearningEvent.verb == verb)
    return list(db.session.scalars(query))


def test_a_lesson_view_is_recorded_once_a_day(learner):
    first = lesson_slugs("marc")[0]
    learner.get(lesson_url("marc", first))
    learner.get(lesson_url("marc", first))  # a reload the same day: no second statement
    viewed = events(learner.user.id, "viewed")
    assert len(viewed) == 1
    event = viewed[0]
    lesson = module("marc").current_version.lessons[0]
    assert (event.object_type, event.object_id) == ("lesson", lesson.id)
    assert event.object_iri == f"{BASE}/courses/contoh/marc/{first}"
    assert event.object_name == {"id-ID": lesson.title}  # a lesson has one title, in Indonesian
    assert event.result is None


def test_a_view_on_the_next_day_is_a_new_event(learner):
    target = module("marc")
    lesson = target.current_version.lessons[0]
    today = services.lesson_viewed(learner.user.id, target, lesson,
                                   now=datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc))  # 23:00 in Jakarta
    assert today is not None
    # 00:30 Jakarta the next local day: a new day in the library's calendar
    assert services.lesson_viewed(learner.user.id, target, lesson,
                                  now=datetime(2026, 3, 2, 17, 30, tzinfo=timezone.utc)) is not None
    # 20 minutes later the same local day: nothing
    assert services.lesson_viewed(learner.user.id, target, lesson,
                                  now=datetime(2026, 3, 2, 17, 50, tzinfo=timezone.utc)) is None
    assert len(events(learner.user.id, "viewed")) == 2


def test_a_graded_attempt_records_its_scaled_score(learner):
    submit_marc(learner, right=False)  # nothing answered: 0 of 5 points, failed
    submit_marc(learner, right=True)   # all right: 5 of 5 points, passed
    graded = [e for e in events(learner.user.id) if e.object_type == "assessment"]
    assert [e.verb for e in graded] == ["failed", "passed"]
    assert graded[0].result == {"score": {"scaled": 0.0, "raw": 0.0, "max": 5.0}, "success": False,
                                "completion": True}
    assert graded[1].result == {"score": {"scaled": 1.0, "raw": 5.0, "max": 5.0}, "success": True,
                                "completion": True}
    assert graded[1].object_iri == f"{BASE}/courses/contoh/marc/quiz"
    assert graded[1].object_id == module("marc").id


def test_partial_score_is_percent_over_100(app, learner):
    from tests.learning.conftest import graded_attempt

    graded_attempt(app, learner.user.id, "ddc", 50.0)  # 1.5 of 3 points, below the pass mark
    event = events(learner.user.id, "failed")[-1]
    assert event.result == {"score": {"scaled": 0.5, "raw": 1.5, "max": 3.0}, "success": False, "completion": True}


def test_module_and_course_completion_are_recorded_once(app, learner):
    complete_course(app, learner)
    completed = events(learner.user.id, "completed")
    assert [(e.object_type, e.object_iri) for e in completed] == [
        ("module", f"{BASE}/courses/contoh/marc"),
        ("module", f"{BASE}/courses/contoh/ddc"),
        ("course", f"{BASE}/courses/contoh"),
    ]
    assert all(e.result == {"completion": True} for e in completed)
    # completing again (another pass, lessons read again) records no second completion
    read(learner, "marc")
    submit_marc(learner)
    assert len(events(learner.user.id, "completed")) == 3


def test_the_order_is_view_then_completion(app, learner):
    complete_course(app, learner)
    verbs = [(e.verb, e.object_type) for e in events(learner.user.id)]
    # the last marc lesson's view comes before marc's completion, which follows its pass
    assert verbs.index(("passed", "assessment")) < verbs.index(("completed", "module"))
    assert verbs[-1] == ("completed", "course")


def test_the_base_url_comes_from_config(app, learner):
    app.config["BASE_URL"] = "https://pembina.local"
    learner.get(lesson_url("marc", lesson_slugs("marc")[0]))
    assert events(learner.user.id, "viewed")[0].object_iri.startswith("https://pembina.local/courses/contoh/marc/")


@pytest.mark.skipif(is_postgresql(), reason="the SQLite trigger message; PostgreSQL is checked below")
def test_the_database_refuses_update_and_delete(learner):
    learner.get(lesson_url("marc", lesson_slugs("marc")[0]))
    for statement in ("UPDATE learning_events SET verb = 'passed'", "DELETE FROM learning_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    assert [e.verb for e in events(learner.user.id)] == ["viewed"]


@pytest.mark.skipif(not is_postgresql(), reason="PostgreSQL only")
def test_the_database_refuses_update_and_delete_postgresql(learner):  # pragma: no cover - CI
    learner.get(lesson_url("marc", lesson_slugs("marc")[0]))
    for statement in ("UPDATE learning_events SET verb = 'passed'", "DELETE FROM learning_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))


def test_the_orm_refuses_changes(learner):
    learner.get(lesson_url("marc", lesson_slugs("marc")[0]))
    event = events(learner.user.id)[0]
    event.verb = "passed"
    with pytest.raises(LearningEventIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(events(learner.user.id)[0])
    with pytest.raises(LearningEventIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert [e.verb for e in events(learner.user.id)] == ["viewed"]


def test_events_are_not_written_before_the_plugin_is_told(learner):
    """A lesson that does not exist records nothing (the hook is never called)."""
    learner.get(lesson_url("marc", "no-such-lesson"))
    assert events(learner.user.id) == []
