"""``lms export xapi --lrs``: statements reach a real learning record store (Ralph, started by
the test session) in batches, resumably, retried, with refusals reported per statement; and
the statement ids stay the same whatever the base URL."""
from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, func, select

from lms.extensions import db
from lms.plugins.evaluations.models import EvaluationResponse
from lms.plugins.interop import services
from lms.plugins.interop.models import LearningEvent
from lms.plugins.learning.models import CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.quizzes.models import SUBMITTED, QuizAttempt
from tests.learning.conftest import complete_course, lesson_slugs, lesson_url, module
from tests.needs.test_demo import demo  # noqa: F401 - the fixture: real courses + lms demo

MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"


def export(runner, *args: str) -> list[dict]:
    result = runner.invoke(args=["export", "xapi", "--since", "2000-01-01", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def push(runner, url: str, *args: str):
    return runner.invoke(args=["export", "xapi", "--lrs", url, *args])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def delivered() -> int:
    """Statements remembered as accepted (imported here: the table is new in 0019)."""
    from lms.plugins.interop.models import XapiDelivery

    return count(XapiDelivery)


def test_the_demos_history_reaches_ralph_and_a_second_push_sends_nothing(demo, runner, lrs, proxy):  # noqa: F811
    # the demo's year of history has an event per fact, at the fact's own time
    graded = count(QuizAttempt, QuizAttempt.status == SUBMITTED, QuizAttempt.percent.is_not(None))
    self_reports = count(EvaluationResponse, EvaluationResponse.kind == "self")
    facts = count(LessonView) + graded + count(ModuleCompletion) + count(CourseCompletion) + self_reports
    assert graded > 100 and self_reports > 10 and count(LearningEvent) == facts
    exported = export(runner)
    assert len(exported) == facts
    attempt = db.session.scalars(select(QuizAttempt).where(QuizAttempt.status == SUBMITTED)
                                 .order_by(QuizAttempt.submitted_at)).first()
    stamps = {s["timestamp"] for s in exported if s["verb"]["id"].endswith(("/passed", "/failed"))}
    assert attempt.submitted_at.strftime("%Y-%m-%dT%H:%M:%S") in {stamp[:19] for stamp in stamps}

    result = push(runner, proxy.url, "--batch-size", "250")
    assert result.exit_code == 0, result.output
    held = lrs.statements()
    assert len(held) == facts and {s["id"] for s in held} == {s["id"] for s in exported}
    assert f"{facts} statement(s) accepted" in result.output
    lesson = next(s for s in held if s["object"]["definition"]["type"].endswith("/lesson"))
    assert lesson["context"]["contextActivities"]["parent"][0]["definition"]["type"] == MODULE_TYPE
    assert lesson["context"]["contextActivities"]["grouping"][0]["definition"]["type"] == COURSE_TYPE
    assert lesson["context"]["platform"] == "Pembina" and lesson["context"]["language"] == "id-ID"
    # the post-training evaluation's self-reports are accepted too (docs/interop.md)
    answers = [s for s in held if s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/responded"]
    assert len(answers) == self_reports
    assert all(s["object"]["id"].endswith("/evaluation") and 0 <= s["result"]["score"]["scaled"] <= 1
               for s in answers)

    sent = len(proxy.posted)
    again = push(runner, proxy.url)
    assert again.exit_code == 0, again.output
    assert len(proxy.posted) == sent == facts  # nothing new went out
    assert f"0 statement(s) accepted (0 already held), 0 refused, {facts} skipped" in again.output
    assert len(lrs.statements()) == facts
    # the backfill is done: running it again adds nothing
    assert runner.invoke(args=["interop", "backfill"]).output.startswith("0 learning event(s) added")


def test_two_exports_under_different_base_urls_give_the_same_ids(app, runner, learner):
    complete_course(app, learner)
    first = export(runner)
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    second = export(runner)
    assert len(first) == len(second) >= 7
    assert [s["id"] for s in first] == [s["id"] for s in second]
    # activity ids follow today's base, whatever the event stored when it was recorded
    assert all(s["object"]["id"].startswith("https://pembina.example.go.id/courses/contoh") for s in second)
    assert all(s["actor"]["account"]["homePage"] == "https://pembina.example.go.id" for s in second)


def test_statements_say_where_an_activity_sits(app, runner, learner):
    complete_course(app, learner)
    by_type = {}
    for item in export(runner):
        by_type.setdefault(item["object"]["definition"]["type"].rsplit("/", 1)[1], item)
    base = "http://127.0.0.1:5000/courses/contoh"
    lesson, quiz = by_type["lesson"], by_type["assessment"]
    for item in (lesson, quiz):
        assert [a["id"] for a in item["context"]["contextActivities"]["parent"]] == [f"{base}/marc"]
        assert [a["id"] for a in item["context"]["contextActivities"]["grouping"]] == [base]
    assert quiz["object"]["id"] == f"{base}/marc/quiz"
    assert [a["id"] for a in by_type["module"]["context"]["contextActivities"]["parent"]] == [base]
    assert "contextActivities" not in by_type["course"]["context"]
    # names say their language: the sample course has an English title, its lessons do not
    assert set(by_type["course"]["object"]["definition"]["name"]) == {"id-ID", "en-US"}
    assert set(lesson["object"]["definition"]["name"]) == {"id-ID"}


def test_backfill_adds_only_facts_without_events_at_their_own_times(app, runner, learner):
    from lms.clock import utcnow
    from lms.plugins.quizzes import services as quiz_services

    marc = module("marc")
    times = []
    for hours in (30, 20, 10):  # three graded attempts written without their event
        attempt = quiz_services.start_attempt(learner.user.id, marc)
        attempt.status, attempt.score, attempt.max_score, attempt.percent = SUBMITTED, 5.0, 5.0, 100.0
        attempt.passed, attempt.submitted_at = True, utcnow().replace(microsecond=0) - timedelta(hours=hours)
        times.append(attempt.submitted_at)
        db.session.commit()
    # an event from before facts were named covers the latest attempt
    db.session.add(LearningEvent(occurred_at=times[-1], user_id=learner.user.id, verb="passed",
                                 object_type="assessment", object_id=marc.id, object_iri="http://old/x",
                                 object_name={"id-ID": "x"}, result=None))
    db.session.commit()
    result = runner.invoke(args=["interop", "backfill"])
    assert result.exit_code == 0 and result.output.startswith("2 learning event(s) added"), result.output
    added = db.session.scalars(select(LearningEvent).where(LearningEvent.source.is_not(None))
                               .order_by(LearningEvent.occurred_at)).all()
    assert [e.occurred_at.replace(tzinfo=None) for e in added] == [t.replace(tzinfo=None) for t in times[:2]]
    assert runner.invoke(args=["interop", "backfill"]).output.startswith("0 learning event(s) added")


def test_a_refused_statement_is_reported_with_its_reason_and_the_rest_get_through(app, runner, learner, lrs,
                                                                               make_user):
    complete_course(app, learner)
    nameless = make_user("", full_name="Tanpa Nama")  # an account name Ralph refuses (empty)
    target = module("marc")
    services.lesson_viewed(nameless.id, target, target.current_version.lessons[0])
    db.session.commit()
    everything = export(runner)
    refused = next(s["id"] for s in everything if s["actor"]["account"]["name"] == "")
    result = push(runner, lrs.url, "--batch-size", "4")
    assert result.exit_code == 1, result.output
    assert f"statement {refused} refused: HTTP 422" in result.output and "account" in result.output
    held = {s["id"] for s in lrs.statements()}
    assert held == {s["id"] for s in everything} - {refused}
    assert delivered() == len(everything) - 1


def test_a_store_that_is_down_then_up_is_retried(app, runner, learner, lrs, proxy):
    complete_course(app, learner)
    proxy.drop_next, proxy.fail_next = 1, 2  # a connection closed unanswered, then two 503s
    result = push(runner, proxy.url)
    assert result.exit_code == 0, result.output
    assert result.output.count("retrying in") == 3
    assert len(lrs.statements()) == len(export(runner)) == len(proxy.posted)


def test_a_store_down_for_good_stops_the_push_and_it_resumes_later(app, runner, learner, lrs, proxy):
    complete_course(app, learner)
    everything = [s["id"] for s in export(runner)]
    proxy.pass_requests = 2  # two batches get through, then the store goes away
    result = push(runner, proxy.url, "--batch-size", "2")
    assert result.exit_code == 1, result.output
    assert "Stopped:" in result.output and "run the same command again" in result.output
    assert delivered() == 4 and len(lrs.statements()) == 4
    proxy.down, proxy.pass_requests = False, None
    again = push(runner, proxy.url, "--batch-size", "2")
    assert again.exit_code == 0, again.output
    assert Counter(proxy.posted) == Counter(everything)  # each statement sent once, in all
    assert {s["id"] for s in lrs.statements()} == set(everything)


def test_a_statement_the_store_already_holds_counts_as_accepted(app, runner, learner, lrs):
    complete_course(app, learner)
    assert push(runner, lrs.url).exit_code == 0
    total = delivered()
    db.session.execute(delete(db.metadata.tables["xapi_deliveries"]))  # forget what was sent; the site moves as well
    db.session.commit()
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    result = push(runner, lrs.url)
    assert result.exit_code == 0, result.output
    assert f"{total} statement(s) accepted ({total} already held)" in result.output
    assert len(lrs.statements()) == total and delivered() == total


def test_bad_store_addresses_and_missing_credentials_are_refused(app, runner, learner):
    lesson = lesson_slugs("marc")[0]
    learner.get(lesson_url("marc", lesson))
    result = push(runner, "http://127.0.0.1:9/xAPI")
    assert result.exit_code != 0 and "LMS_XAPI_LRS_USERNAME" in result.output
    app.config.update(XAPI_LRS_USERNAME="u", XAPI_LRS_PASSWORD="p")
    for url, message in (("https://u:p@lrs.example.org/xAPI", "must not contain a user name or password"),
                         ("http://lrs.example.org/xAPI", "plain http"),
                         ("ftp://lrs.example.org/xAPI", "http(s) address")):
        result = push(runner, url)
        assert result.exit_code != 0 and message in result.output, (url, result.output)
    result = runner.invoke(args=["export", "xapi", "--lrs", "https://lrs.example.org/xAPI", "--output", "x.jsonl"])
    assert result.exit_code != 0 and "do not go together" in result.output
    assert delivered() == 0
