"""Recording learning events (the only place in this plugin that writes them).

Hooks call these after the learning and quizzes plugins have recorded their own facts, in
the same transaction: these functions never commit, the service that owns the fact does,
so a fact and its event are kept or lost together. What is recorded:

- ``viewed`` a lesson: the **first view of that lesson by that learner on each local
  day** (library time zone). Re-reading a page ten times in a sitting is one statement;
  coming back tomorrow is another. A record store wants "who looked at what, when", not
  every reload. (Two requests racing in the same second may both write one; harmless.)
- ``passed`` / ``failed`` an assessment (the module's quiz) for every graded attempt, with
  the score: ``scaled = percent / 100``, ``raw`` points, ``max`` points, ``success`` =
  passed, ``completion`` = true.
- ``completed`` a module / a course, once, when the learning plugin records the completion.

Events are never updated or deleted (see ``models.py``).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from functools import cache

from sqlalchemy import bindparam, insert, select

from lms import http
from lms.auth.models import utcnow
from lms.extensions import db
from lms.plugins.interop.models import LearningEvent


def base_url() -> str:
    """The site's ``BASE_URL`` (``XAPI_BASE_URL`` is its deprecated name; lms/http.py), no
    trailing slash: the root of every activity IRI and the actors' account home page."""
    return http.base_url()


def course_iri(course) -> str:
    return f"{base_url()}/courses/{course.slug}"


def module_iri(module) -> str:
    return f"{course_iri(module.course)}/{module.slug}"


def lesson_iri(module, lesson_slug: str) -> str:
    return f"{module_iri(module)}/{lesson_slug}"


def assessment_iri(module) -> str:
    return f"{module_iri(module)}/quiz"


def _names(title_id: str, title_en: str | None = None) -> dict[str, str]:
    return {"id-ID": title_id, "en-US": title_en or title_id}


def _add(user_id: int, verb: str, object_type: str, object_id: int, iri: str, name: dict,
         result: dict | None = None, now: datetime | None = None) -> LearningEvent:
    event = LearningEvent(occurred_at=now or utcnow(), user_id=user_id, verb=verb, object_type=object_type,
                          object_id=object_id, object_iri=iri, object_name=name, result=result)
    db.session.add(event)
    db.session.flush()  # in the caller's transaction: the event commits with the fact it records
    return event


def _local_day_start(now: datetime) -> datetime:
    from lms.plugins.learning.services import local_zone

    zone = local_zone()
    day = now.astimezone(zone).date()
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def lesson_viewed(user_id: int, module, lesson, now: datetime | None = None) -> int | None:
    """Record ``viewed`` for the first view of this lesson today: the new event's id, or
    None when already seen today.

    Written with a plain insert rather than through the ORM like the other events: it
    runs on lesson pages, mostly once per lesson and day, where the ORM's unit of work cost
    more CPU than the insert itself.
    """
    now = now or utcnow()
    iri = lesson_iri(module, lesson.slug)
    start = _local_day_start(now)
    seen = db.session.scalar(_viewed_today(), {"p_user": user_id, "p_start": start,
                                               "p_end": start + timedelta(days=1), "p_iri": iri})
    if seen is not None:
        return None
    events = LearningEvent.__table__
    event_id = db.session.execute(insert(events).values(
        occurred_at=now, user_id=user_id, verb="viewed", object_type="lesson", object_id=lesson.id,
        object_iri=iri, object_name=_names(lesson.title), result=None).returning(events.c.id)).scalar_one()
    return event_id


@cache
def _viewed_today():
    """:func:`lesson_viewed`'s check, built once with bound parameters on the table (not the
    ORM class): it runs on every lesson page, where building the select and the ORM's
    handling of it cost more CPU than running it."""
    events = LearningEvent.__table__
    return select(events.c.id).where(
        events.c.user_id == bindparam("p_user"), events.c.occurred_at >= bindparam("p_start"),
        events.c.occurred_at < bindparam("p_end"), events.c.verb == "viewed",
        events.c.object_iri == bindparam("p_iri")).limit(1)


def quiz_graded(attempt) -> LearningEvent | None:
    """Record ``passed``/``failed`` with the score of a graded attempt."""
    if attempt.percent is None:
        return None
    from lms.plugins.courses.models import Module

    module = db.session.get(Module, attempt.module_id)
    if module is None:
        return None
    version = module.current_version
    title_id = version.title_id if version else module.slug
    title_en = version.title_en if version else module.slug
    result = {"score": {"scaled": round(attempt.percent / 100, 4), "raw": attempt.score, "max": attempt.max_score},
              "success": bool(attempt.passed), "completion": True}
    return _add(attempt.user_id, "passed" if attempt.passed else "failed", "assessment", module.id,
                assessment_iri(module), _names(title_id, title_en), result)


def module_completed(user_id: int, module) -> LearningEvent:
    version = module.current_version
    name = _names(version.title_id, version.title_en) if version else _names(module.slug)
    return _add(user_id, "completed", "module", module.id, module_iri(module), name, {"completion": True})


def course_completed(user_id: int, course, completion=None) -> LearningEvent:
    return _add(user_id, "completed", "course", course.id, course_iri(course), _names(course.title_id, course.title_en),
                {"completion": True})
