"""Learning events as xAPI statements (JSON lines for a file, or batches for a record store).

One statement per event:

- ``id``: a UUID5 of Pembina's own namespace and the fact the event records (its
  ``source``, e.g. ``quiz-attempt:12``), or ``learning-event:<id>`` for events written before
  facts were named. Never of the base URL: moving the site, or exporting twice, gives the
  same ids, so a record store recognises a statement it already holds.
- ``actor``: an account on ``BASE_URL`` named by username.
- ``verb``: ADL's published verbs (a lesson view is ``experienced``).
- ``object``: an activity whose id is built **now**, from ``BASE_URL`` and the slugs of the
  course, module and lesson (never a title, never the address stored at record time), with
  an ADL activity type and today's titles as language maps that say their language.
- ``context``: ``contextActivities`` (a lesson or quiz: parent module, grouping course; a
  module: parent course), ``language`` of the content (``id-ID``) and ``platform``.
- ``result`` when the event has one, and ``timestamp`` in UTC (the fact's own time).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.interop.models import LearningEvent
from lms.plugins.interop.services import base_url, names

# Fixed for ever: uuid5(NAMESPACE_URL, "https://pembina.invalid/xapi/statements"). Changing
# it would give every statement a new id and make record stores keep duplicates.
STATEMENT_NAMESPACE = uuid.UUID("b6e6be49-9d29-5fa9-b947-b30c22a9bcc1")
PLATFORM = "Pembina"
CONTENT_LANGUAGE = "id-ID"  # courses are written in Indonesian (courses/*)

# Published vocabulary only (docs/interop.md lists the source of each IRI).
VERBS = {
    "viewed": ("http://adlnet.gov/expapi/verbs/experienced", "experienced", "mempelajari"),
    "attempted": ("http://adlnet.gov/expapi/verbs/attempted", "attempted", "mencoba"),
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "completed", "menyelesaikan"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "passed", "lulus"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "failed", "tidak lulus"),
    "responded": ("http://adlnet.gov/expapi/verbs/responded", "responded", "menjawab"),
}
ACTIVITY_TYPES = {
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "module": "http://adlnet.gov/expapi/activities/module",
    "course": "http://adlnet.gov/expapi/activities/course",
    "evaluation": "http://adlnet.gov/expapi/activities/assessment",  # a self-report questionnaire
}
EVALUATION_NAME = ("Evaluasi pasca pelatihan: %s", "Post-training evaluation: %s")
BATCH = 500  # rows fetched at a time: the export streams, whatever the table's size


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, millisecond precision (what record stores expect)."""
    return _utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_id(event: LearningEvent) -> str:
    """The event's statement id: from the fact it records, never from the base URL."""
    key = event.source or f"learning-event:{event.id}"
    return str(uuid.uuid5(STATEMENT_NAMESPACE, key))


def _activity(iri: str, kind: str, name: dict) -> dict:
    return {"objectType": "Activity", "id": iri, "definition": {"type": ACTIVITY_TYPES[kind], "name": name}}


class Activities:
    """Activity objects and their context, built from today's content and ``BASE_URL``,
    looked up once per object for the whole export."""

    def __init__(self, base: str):
        self.base = base
        self._cache: dict[tuple[str, int], tuple[dict, dict] | None] = {}

    def course(self, course) -> dict:
        return _activity(f"{self.base}/courses/{course.slug}", "course", names(course.title_id, course.title_en))

    def module(self, module) -> dict:
        version = module.current_version
        name = names(version.title_id, version.title_en) if version else names(module.slug)
        return _activity(f"{self.base}/courses/{module.course.slug}/{module.slug}", "module", name)

    def resolve(self, kind: str, object_id: int) -> tuple[dict, dict] | None:
        """``(object, contextActivities)`` for an event's object, or None when it is gone."""
        key = (kind, object_id)
        if key not in self._cache:
            self._cache[key] = self._build(kind, object_id)
        return self._cache[key]

    def _build(self, kind: str, object_id: int) -> tuple[dict, dict] | None:
        from lms.plugins.courses.models import Course, Lesson, Module

        if kind == "course":
            course = db.session.get(Course, object_id)
            return (self.course(course), {}) if course else None
        if kind in ("module", "assessment"):
            module = db.session.get(Module, object_id)
            if module is None:
                return None
            parent = self.module(module)
            if kind == "module":
                return parent, {"parent": [self.course(module.course)]}
            quiz = _activity(f"{parent['id']}/quiz", "assessment", parent["definition"]["name"])
            return quiz, {"parent": [parent], "grouping": [self.course(module.course)]}
        if kind == "lesson":
            lesson = db.session.get(Lesson, object_id)
            if lesson is None:
                return None
            module = lesson.module_version.module
            parent = self.module(module)
            return (_activity(f"{parent['id']}/{lesson.slug}", "lesson", names(lesson.title)),
                    {"parent": [parent], "grouping": [self.course(module.course)]})
        return None

    def evaluation(self, event: LearningEvent) -> dict:
        """The activity a self-report answers: ``<base>/competencies/<id>/evaluation``, built
        from the competency id in the path it was recorded under (an id, never a title),
        named after today's competency."""
        from lms.plugins.courses.models import Competency

        parts = urlsplit(event.object_iri).path.rstrip("/").split("/")
        competency_id = parts[-2] if len(parts) >= 3 and parts[-1] == "evaluation" else ""
        key = ("evaluation", competency_id)
        if key not in self._cache:
            competency = db.session.get(Competency, competency_id) if competency_id else None
            self._cache[key] = (_activity(f"{self.base}/competencies/{competency_id}/evaluation", "evaluation",
                                          names(EVALUATION_NAME[0] % competency.name_id,
                                                EVALUATION_NAME[1] % competency.name_en)), {}) \
                if competency is not None else None
        found = self._cache[key]
        return found[0] if found else self.fallback(event)

    def fallback(self, event: LearningEvent) -> dict:
        """The object of an event whose course content is gone: the path it was recorded
        under, on today's base, with the title it had then."""
        path = urlsplit(event.object_iri).path
        stored = dict(event.object_name or {})
        name = names(stored.get("id-ID", path), stored.get("en-US"))
        return _activity(f"{self.base}{path}", event.object_type, name)


def statement(event: LearningEvent, username: str, full_name: str, activities: Activities) -> dict:
    """The xAPI statement of one event."""
    verb_iri, english, indonesian = VERBS[event.verb]
    if event.object_type == "evaluation":
        found = (activities.evaluation(event), {})
    else:
        found = activities.resolve(event.object_type, event.object_id)
    target, context_activities = found if found else (activities.fallback(event), {})
    context: dict = {"platform": PLATFORM, "language": CONTENT_LANGUAGE}
    if context_activities:
        context["contextActivities"] = context_activities
    data = {
        "id": statement_id(event),
        "actor": {"objectType": "Agent", "name": full_name,
                  "account": {"homePage": activities.base, "name": username}},
        "verb": {"id": verb_iri, "display": {"en-US": english, "id-ID": indonesian}},
        "object": target,
        "context": context,
        "timestamp": timestamp(event.occurred_at),
    }
    if event.result:
        data["result"] = dict(event.result)
    return data


def statements(since: datetime | None = None, until: datetime | None = None) -> Iterator[dict]:
    """Statements of the events in [since, until), oldest first.

    Read ``BATCH`` rows at a time, each page a new query after the last (occurred_at, id)
    seen: the caller may commit between statements (the push records deliveries) without
    breaking an open cursor.
    """
    activities = Activities(base_url())
    query = select(LearningEvent, User.username, User.full_name).join(User, User.id == LearningEvent.user_id)
    if since is not None:
        query = query.where(LearningEvent.occurred_at >= since)
    if until is not None:
        query = query.where(LearningEvent.occurred_at < until)
    query = query.order_by(LearningEvent.occurred_at, LearningEvent.id).limit(BATCH)
    page = query
    while True:
        rows = db.session.execute(page).all()
        built = [statement(event, username, full_name, activities) for event, username, full_name in rows]
        if rows:
            last_at, last_id = rows[-1][0].occurred_at, rows[-1][0].id
        yield from built
        if len(rows) < BATCH:
            return
        page = query.where(or_(LearningEvent.occurred_at > last_at,
                               and_(LearningEvent.occurred_at == last_at, LearningEvent.id > last_id)))


def write_json_lines(out, since: datetime | None, until: datetime | None = None) -> int:
    """Write one statement per line to ``out``; return how many."""
    count = 0
    for item in statements(since, until):
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
