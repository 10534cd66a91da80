"""Self-reports as xAPI statements (docs/interop.md, "Post-training evaluation"): the learner
``responded`` to "post-training evaluation of competency X" with the mean frequency as the
result; stable ids whatever the base URL; the backfill adds the missing ones once; no
statement for a supervisor's observation."""
from __future__ import annotations

import json
from datetime import datetime, time, timezone

from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.evaluations import services
from lms.plugins.evaluations.models import SELF, EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.plugins.interop.models import LearningEvent
from tests.evaluations.conftest import complete, good_ratings

BASE = "http://127.0.0.1:5000"
RESPONDED = "http://adlnet.gov/expapi/verbs/responded"


def export(runner) -> list[dict]:
    result = runner.invoke(args=["export", "xapi", "--since", "2000-01-01"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def responded(runner) -> list[dict]:
    return [s for s in export(runner) if s["verb"]["id"] == RESPONDED]


def _window(world, move_to) -> EvaluationWindow:
    complete(world["ani"], "marc")
    services.open_windows(move_to(90))
    return db.session.scalar(select(EvaluationWindow))


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(LearningEvent).where(LearningEvent.verb == "responded"))


def test_a_self_report_is_a_responded_statement_with_the_mean_frequency(app, world, move_to, runner):
    window = _window(world, move_to)
    services.submit_self(world["ani"], window, {**good_ratings((3, 4, 2)), "example": "Rahasia kecil saya"},
                         ["workload"])
    services.submit_observation(world["citra"], window, good_ratings((1, 1, 1)) | {"note": "Catatan atasan"})
    (statement,) = responded(runner)
    assert statement["actor"] == {"objectType": "Agent", "name": "Ani Lestari",
                                  "account": {"homePage": BASE, "name": "ani"}}
    assert statement["verb"]["display"] == {"en-US": "responded", "id-ID": "menjawab"}
    assert statement["object"]["id"] == f"{BASE}/competencies/cat-marc/evaluation"
    definition = statement["object"]["definition"]
    assert definition["type"] == "http://adlnet.gov/expapi/activities/assessment"
    assert definition["name"]["id-ID"].startswith("Evaluasi pasca pelatihan: ")
    assert statement["result"] == {"score": {"scaled": 0.6667, "raw": 3.0, "min": 1, "max": 4}, "completion": True}
    assert statement["context"] == {"platform": "Pembina", "language": "id-ID"}
    text = json.dumps(statement, ensure_ascii=False)
    assert "Rahasia" not in text and "workload" not in text and "Catatan" not in text and "citra" not in text
    # a replaced answer is a new statement; the first one stays as it was
    services.submit_self(world["ani"], window, good_ratings((4, 4, 4)), [])
    first, second = responded(runner)
    assert first["id"] == statement["id"] and second["result"]["score"]["scaled"] == 1.0


def test_statement_ids_do_not_depend_on_the_base_url(app, world, move_to, runner):
    window = _window(world, move_to)
    services.submit_self(world["ani"], window, good_ratings(), [])
    before = responded(runner)
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    after = responded(runner)
    assert [s["id"] for s in before] == [s["id"] for s in after]
    assert after[0]["object"]["id"] == "https://pembina.example.go.id/competencies/cat-marc/evaluation"


def test_the_backfill_adds_older_self_reports_once_at_their_own_time(app, world, move_to, runner):
    window = _window(world, move_to)
    when = datetime.combine(window.opens_on, time(9), tzinfo=timezone.utc)
    response = EvaluationResponse(window=window, kind=SELF, responder_id=world["ani"].id, submitted_at=when)
    response.ratings = [EvaluationRating(indicator=i, text_id="x", text_en="x", frequency=2) for i in range(3)]
    db.session.add(response)
    db.session.commit()  # written without the service, as the demo or an older version did
    assert _events() == 0
    result = runner.invoke(args=["interop", "backfill"])
    assert "1 evaluation-self" in result.output, result.output
    (statement,) = responded(runner)
    assert statement["timestamp"].startswith(when.strftime("%Y-%m-%dT09:00:00"))
    assert statement["result"]["score"]["raw"] == 2.0
    again = runner.invoke(args=["interop", "backfill"])
    assert again.output.startswith("0 learning event(s) added"), again.output
    assert _events() == 1
