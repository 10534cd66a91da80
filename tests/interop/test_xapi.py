"""``lms export xapi``: JSON lines in the xAPI statement shape, filtered by date, stable ids."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

from lms.extensions import db
from lms.plugins.interop.models import LearningEvent
from tests.learning.conftest import lesson_slugs, lesson_url, submit_marc

BASE = "http://127.0.0.1:5000"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def export(runner, *args: str) -> list[dict]:
    result = runner.invoke(args=["export", "xapi", *args])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def add_event(user_id: int, when: datetime, verb: str = "viewed") -> LearningEvent:
    event = LearningEvent(occurred_at=when, user_id=user_id, verb=verb, object_type="lesson", object_id=1,
                          object_iri=f"{BASE}/courses/contoh/marc/x", object_name={"id-ID": "X", "en-US": "X"})
    db.session.add(event)
    db.session.commit()
    return event


def test_statements_have_the_xapi_shape(runner, learner):
    learner.get(lesson_url("marc", lesson_slugs("marc")[0]))
    submit_marc(learner, right=True)
    statements = export(runner, "--since", "2000-01-01")
    assert len(statements) == 2
    viewed, passed = statements
    user = learner.user
    assert viewed["actor"] == {"objectType": "Agent", "name": user.full_name,
                               "account": {"homePage": BASE, "name": user.username}}
    assert viewed["verb"] == {"id": "http://adlnet.gov/expapi/verbs/experienced",
                              "display": {"en-US": "experienced", "id-ID": "mempelajari"}}
    assert viewed["object"]["objectType"] == "Activity"
    assert viewed["object"]["id"].startswith(f"{BASE}/courses/contoh/marc/")
    assert viewed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert set(viewed["object"]["definition"]["name"]) == {"id-ID"}  # a lesson title is Indonesian only
    assert "result" not in viewed
    assert TIMESTAMP_RE.match(viewed["timestamp"])
    assert uuid.UUID(viewed["id"]).version == 5
    assert passed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert passed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    # the sample module has no English title: the map holds only what exists
    assert passed["object"]["definition"]["name"] == {"id-ID": "Mengenal MARC 21"}
    assert passed["result"] == {"score": {"scaled": 1.0, "raw": 5.0, "max": 5.0}, "success": True,
                                "completion": True}


def test_since_and_until_filter_by_local_day_and_order_is_by_time(runner, learner):
    uid = learner.user.id
    # Jakarta is UTC+7: 2026-03-01 18:00 UTC is already 2 March there
    add_event(uid, datetime(2026, 3, 1, 18, 0, tzinfo=timezone.utc))
    add_event(uid, datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc))  # 23:00 on 1 March, added later
    add_event(uid, datetime(2026, 3, 3, 1, 0, tzinfo=timezone.utc))
    all_three = export(runner, "--since", "2026-03-01")
    assert [s["timestamp"] for s in all_three] == ["2026-03-01T16:00:00.000Z", "2026-03-01T18:00:00.000Z",
                                                   "2026-03-03T01:00:00.000Z"]
    only_2nd = export(runner, "--since", "2026-03-02", "--until", "2026-03-02")
    assert [s["timestamp"] for s in only_2nd] == ["2026-03-01T18:00:00.000Z"]
    from_3rd = export(runner, "--since", "2026-03-03")
    assert [s["timestamp"] for s in from_3rd] == ["2026-03-03T01:00:00.000Z"]


def test_ids_are_stable_across_exports_and_distinct(runner, learner):
    for slug in lesson_slugs("marc"):
        learner.get(lesson_url("marc", slug))
    first = export(runner, "--since", "2000-01-01")
    second = export(runner, "--since", "2000-01-01")
    assert [s["id"] for s in first] == [s["id"] for s in second]
    assert len({s["id"] for s in first}) == len(first) == len(lesson_slugs("marc"))


def test_output_file(runner, learner, tmp_path):
    learner.get(lesson_url("marc", lesson_slugs("marc")[0]))
    target = tmp_path / "out.jsonl"
    result = runner.invoke(args=["interop", "export-xapi", "--since", "2000-01-01", "--output", str(target)])
    assert result.exit_code == 0, result.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["verb"]["display"]["en-US"] == "experienced"


def test_bad_dates_are_refused(runner, learner):
    result = runner.invoke(args=["export", "xapi", "--since", "yesterday"])
    assert result.exit_code != 0 and "--since" in result.output
    result = runner.invoke(args=["export", "xapi", "--since", "2026-03-05", "--until", "2026-03-01"])
    assert result.exit_code != 0 and "--until" in result.output
    result = runner.invoke(args=["export", "xapi"])
    assert result.exit_code != 0 and "--since" in result.output
