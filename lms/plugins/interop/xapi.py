"""Learning events as xAPI statements (JSON lines for a learning record store).

One statement per event: ``actor`` (an account on ``BASE_URL`` named by username),
``verb`` (an ADL verb IRI), ``object`` (an activity with the event's stable IRI), ``result``
when the event has one, and ``timestamp`` in UTC. The statement ``id`` is a UUID5 of the
base URL and the event id, so exporting the same events twice gives the same ids and a
record store can drop duplicates.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.interop.models import LearningEvent
from lms.plugins.interop.services import base_url

VERB_IRI = "http://adlnet.gov/expapi/verbs/"
ACTIVITY_IRI = "http://adlnet.gov/expapi/activities/"
VERB_DISPLAY_ID = {"viewed": "melihat", "attempted": "mencoba", "completed": "menyelesaikan",
                   "passed": "lulus", "failed": "tidak lulus"}
BATCH = 500  # rows fetched at a time: the export streams, whatever the table's size


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, millisecond precision (what record stores expect)."""
    return _utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_id(base: str, event_id: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/xapi/events/{event_id}"))


def statement(event: LearningEvent, username: str, full_name: str, base: str) -> dict:
    """The xAPI statement of one event."""
    data = {
        "id": statement_id(base, event.id),
        "actor": {"objectType": "Agent", "name": full_name, "account": {"homePage": base, "name": username}},
        "verb": {"id": VERB_IRI + event.verb,
                 "display": {"en-US": event.verb, "id-ID": VERB_DISPLAY_ID.get(event.verb, event.verb)}},
        "object": {"objectType": "Activity", "id": event.object_iri,
                   "definition": {"name": dict(event.object_name or {}),
                                  "type": ACTIVITY_IRI + event.object_type}},
        "timestamp": timestamp(event.occurred_at),
    }
    if event.result:
        data["result"] = dict(event.result)
    return data


def statements(since: datetime, until: datetime | None = None) -> Iterator[dict]:
    """Statements of the events in [since, until), oldest first, streamed ``BATCH`` rows at a time."""
    base = base_url()
    query = (select(LearningEvent, User.username, User.full_name).join(User, User.id == LearningEvent.user_id)
             .where(LearningEvent.occurred_at >= since))
    if until is not None:
        query = query.where(LearningEvent.occurred_at < until)
    query = query.order_by(LearningEvent.occurred_at, LearningEvent.id).execution_options(yield_per=BATCH)
    for event, username, full_name in db.session.execute(query):
        yield statement(event, username, full_name, base)


def write_json_lines(out, since: datetime, until: datetime | None = None) -> int:
    """Write one statement per line to ``out``; return how many."""
    count = 0
    for item in statements(since, until):
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
