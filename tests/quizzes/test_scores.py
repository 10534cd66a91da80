"""The per learner and module score summary (quiz_scores) always equals its raw attempts.

The dashboard reads best, latest and mean scores from it instead of every attempt, so it
must follow every write: a start (in progress counts as enrolled), a submit, a regrade, a
deleted attempt (through ``refresh_scores``), and the bulk rebuild.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from lms.extensions import db
from lms.plugins.courses.services import import_courses
from lms.plugins.quizzes import services
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt, QuizScore
from tests.conftest import csrf_token, login
from tests.quizzes.conftest import module, shown_value, start


def reference() -> dict[tuple[int, int], dict]:
    """The summary worked out in Python from the raw attempt rows (the slow way)."""
    found: dict[tuple[int, int], list[QuizAttempt]] = {}
    for attempt in db.session.scalars(select(QuizAttempt)):
        found.setdefault((attempt.user_id, attempt.module_id), []).append(attempt)
    rows = {}
    for key, attempts in found.items():
        submitted = [a for a in attempts if a.status == SUBMITTED]
        scored = [a for a in submitted if a.percent is not None]
        last = max(scored, key=lambda a: (a.submitted_at, a.id), default=None)
        moments = [a.submitted_at for a in attempts if a.submitted_at is not None]
        rows[key] = {"attempts": len(attempts), "submitted": len(submitted),
                     "passed": sum(1 for a in submitted if a.passed), "scored": len(scored),
                     "percent_hundredths": sum(round(a.percent * 100) for a in scored),
                     "best": max((a.percent for a in scored), default=None),
                     "latest": last.percent if last else None, "latest_id": last.id if last else None,
                     "latest_at": last.submitted_at.replace(tzinfo=None) if last else None,
                     "last_submitted_at": max(moments).replace(tzinfo=None) if moments else None}
    return rows


def stored() -> dict[tuple[int, int], dict]:
    db.session.expire_all()
    rows = {}
    for row in db.session.scalars(select(QuizScore)):
        figures = {name: getattr(row, name) for name in services.SCORE_COLUMNS[2:]}
        for name in ("latest_at", "last_submitted_at"):
            figures[name] = figures[name].replace(tzinfo=None) if figures[name] else None
        rows[(row.user_id, row.module_id)] = figures
    return rows


def submit(client, answer_245: str) -> int:
    attempt_id = start(client)
    page = client.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    q = {x.qid: x for x in module("marc").current_version.questions}
    data = {"csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}"),
            f"q-{q['marc-245'].id}": shown_value(page, q["marc-245"].id, answer_245),
            f"q-{q['marc-short'].id}": "RDA", "confirm_unanswered": "1"}
    assert client.post(f"/quiz/attempt/{attempt_id}/submit", data=data).status_code == 302
    return attempt_id


def test_summary_follows_starts_submits_regrades_and_deletions(app, runner, client_as, make_user, imported):
    first = client_as("librarian")
    make_user("second")
    second = app.test_client()
    login(second, "second")
    marc = module("marc")

    start(first)  # in progress: a row with one attempt and nothing submitted
    assert stored() == reference()
    (key,) = stored()
    assert stored()[key]["attempts"] == 1 and stored()[key]["submitted"] == 0

    submit(first, "245")  # resumes and submits the open attempt
    submit(first, "100")
    submit(second, "100")
    start(second)
    assert stored() == reference()
    assert {r["attempts"] for r in stored().values()} == {2}

    # a fixed key regrades version 1's attempts: best, latest and the sums follow
    make_user("budi", roles=("trainer",))
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text().replace("- [ ] 100\n", "- [x] 100\n", 1).replace("- [x] 245\n", "- [ ] 245\n", 1))
    assert import_courses([imported]).ok
    result = runner.invoke(args=["quizzes", "regrade", "contoh/marc", "--version", "1", "--by", "budi"])
    assert result.exit_code == 0, result.output
    assert stored() == reference()

    # deleting attempts (no page does; a maintenance script must call refresh_scores)
    victims = list(db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == client_as_user(first))))
    latest = max(victims, key=lambda a: (a.submitted_at, a.id))
    db.session.execute(delete(QuizAnswer).where(QuizAnswer.attempt_id == latest.id))
    db.session.execute(delete(QuizAttempt).where(QuizAttempt.id == latest.id))
    services.refresh_scores([(latest.user_id, marc.id)])
    db.session.commit()
    assert stored() == reference()
    rest = [a.id for a in victims if a.id != latest.id]
    db.session.execute(delete(QuizAnswer).where(QuizAnswer.attempt_id.in_(rest)))
    db.session.execute(delete(QuizAttempt).where(QuizAttempt.id.in_(rest)))
    services.refresh_scores([(latest.user_id, marc.id)])
    db.session.commit()
    assert (latest.user_id, marc.id) not in stored()  # no attempts left: no row
    assert stored() == reference()


def client_as_user(client) -> int:
    return client.user.id


def test_rebuild_equals_the_rows_kept_on_write(app, runner, client_as, make_user, imported):
    first = client_as("librarian")
    submit(first, "245")
    submit(first, "100")
    start(first)
    kept = stored()
    db.session.execute(delete(QuizScore))
    db.session.commit()
    result = runner.invoke(args=["quizzes", "rebuild-scores"])
    assert result.exit_code == 0 and "1 quiz score row(s) rebuilt" in result.output
    assert stored() == kept == reference()
