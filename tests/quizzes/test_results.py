"""Trainer results per module and question, and regrading after a fixed key."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.courses.services import import_courses
from lms.plugins.quizzes.models import QuizAttempt
from tests.conftest import csrf_token
from tests.quizzes.conftest import module, shown_value, start


def _take(client, answer_245: str) -> int:
    attempt_id = start(client)
    page = client.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    q = {x.qid: x for x in module("marc").current_version.questions}
    data = {"csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}"),
            f"q-{q['marc-245'].id}": shown_value(page, q["marc-245"].id, answer_245),
            f"q-{q['marc-short'].id}": "RDA", "confirm_unanswered": "1"}
    client.post(f"/quiz/attempt/{attempt_id}/submit", data=data)
    return attempt_id


@pytest.fixture
def two_learners(client_as, imported, make_user, app):
    from tests.conftest import login

    first = client_as("librarian")
    make_user("second")
    second = app.test_client()
    login(second, "second")
    return _take(first, "245"), _take(second, "100")


def test_results_page_aggregates_attempts_and_questions(client_as, two_learners):
    page = client_as("trainer").get("/quiz/results/contoh/marc/").get_data(as_text=True)
    assert '<dd>2</dd>' in page  # two attempts, two learners
    row = page[page.index("<code>marc-245</code>"):]
    row = row[:row.index("</tr>")]
    assert "50,0%" in row  # one of two answered right, in the reader's figures
    assert "<td>Pilihan tunggal</td>" in row and "single" not in row  # the type's label, not its code
    blank = page[page.index("<code>marc-tf</code>"):]
    assert blank[:blank.index("</tr>")].count(">2</td>") == 2  # 2 answers, both left blank


def test_results_are_for_trainers_only(client_as, imported):
    assert client_as("librarian").get("/quiz/results/contoh/marc/").status_code == 403


def test_regrade_applies_a_fixed_key_and_is_audited(app, runner, two_learners, imported, make_user):
    right, wrong = two_learners
    make_user("budi", roles=("trainer",))
    path = imported / "contoh" / "01-marc.md"
    # the trainer finds the key was wrong and publishes a version whose key is 100
    text = path.read_text().replace("- [ ] 100\n", "- [x] 100\n", 1).replace("- [x] 245\n", "- [ ] 245\n", 1)
    path.write_text(text)
    assert import_courses([imported]).ok
    result = runner.invoke(args=["quizzes", "regrade", "contoh/marc", "--version", "1", "--by", "budi"])
    assert result.exit_code == 0, result.output
    assert "2 attempt(s) regraded, 2 score(s) changed" in result.output
    db.session.expire_all()
    scores = {a.id: a.percent for a in db.session.scalars(select(QuizAttempt))}
    assert scores[right] == 20.0 and scores[wrong] == 40.0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.regraded"))
    assert entry.actor.username == "budi" and entry.details["version"] == 1
    assert {c["attempt"] for c in entry.details["changes"]} == {right, wrong}


def test_regrade_needs_a_known_module_and_user(app, runner, imported):
    assert runner.invoke(args=["quizzes", "regrade", "contoh/nope", "--by", "x"]).exit_code != 0
    assert runner.invoke(args=["quizzes", "regrade", "contoh/marc", "--by", "nobody"]).exit_code != 0
