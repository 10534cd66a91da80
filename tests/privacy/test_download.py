"""The personal-data download (UU PDP access right): the demo librarian's zip holds every
kind of record kept about her, with the right counts, and nothing of anyone else."""
from __future__ import annotations

import csv
import io
import json
import zipfile

from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from lms.plugins.discussions.models import Post
from lms.plugins.learning.models import Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.needs.models import SELF, ModuleFeedback, StaffAnswer, StaffResponse
from lms.plugins.notifications.models import Notification
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from lms.plugins.records.models import ExternalTraining
from tests.conftest import csrf_token, login
from tests.privacy.conftest import user

KINDS = ["profile", "sessions", "audit_entries", "quiz_attempts", "quiz_answers", "lesson_views",
         "module_completions", "course_completions", "certificates", "assignments", "training_records",
         "discussion_posts", "discussion_threads", "discussion_reports", "discussion_follows", "notifications",
         "self_assessments", "supervisor_ratings", "module_feedback", "learning_events"]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def download(client) -> zipfile.ZipFile:
    response = client.post("/account/data", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def rows(archive: zipfile.ZipFile, kind: str) -> list[dict]:
    data = json.loads(archive.read(f"{kind}.json"))
    table = list(csv.DictReader(io.StringIO(archive.read(f"{kind}.csv").decode("utf-8"))))
    assert len(table) == len(data), kind
    return data


def check_zip(app, username: str) -> dict[str, int]:
    """Download ``username``'s zip, check every kind against the database; the counts."""
    client = app.test_client()
    ani = user(username)
    login(client, username, "pembina-demo")
    archive = download(client)
    names = set(archive.namelist())
    readme = archive.read("README.txt").decode("utf-8")
    for kind in KINDS:
        assert f"{kind}.json" in names and f"{kind}.csv" in names, kind
        assert f"{kind}.json / {kind}.csv" in readme, kind
    assert "id: " in readme and "en: " in readme

    [profile] = rows(archive, "profile")
    assert profile["username"] == username and profile["full_name"] == ani.full_name
    assert profile["email"] == ani.email
    mine = {
        "quiz_attempts": count(QuizAttempt, QuizAttempt.user_id == ani.id),
        "quiz_answers": db.session.scalar(select(func.count()).select_from(QuizAnswer).join(
            QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id).where(QuizAttempt.user_id == ani.id)),
        "lesson_views": count(LessonView, LessonView.user_id == ani.id),
        "module_completions": count(ModuleCompletion, ModuleCompletion.user_id == ani.id),
        "course_completions": count(CourseCompletion, CourseCompletion.user_id == ani.id),
        "certificates": count(Certificate, Certificate.user_id == ani.id),
        "training_records": count(ExternalTraining, ExternalTraining.user_id == ani.id),
        "discussion_posts": count(Post, Post.author_id == ani.id),
        "notifications": count(Notification, Notification.user_id == ani.id),
        "self_assessments": db.session.scalar(select(func.count()).select_from(StaffAnswer).join(StaffResponse).where(
            StaffResponse.subject_id == ani.id, StaffResponse.kind == SELF)),
        "supervisor_ratings": db.session.scalar(select(func.count()).select_from(StaffAnswer).join(StaffResponse).where(
            StaffResponse.subject_id == ani.id, StaffResponse.kind != SELF)),
        "module_feedback": count(ModuleFeedback, ModuleFeedback.user_id == ani.id),
    }
    for kind, expected in mine.items():
        assert len(rows(archive, kind)) == expected, kind
    # every evidence file is in the zip, byte for byte
    for record in rows(archive, "training_records"):
        stored = [name for name in names if name.startswith(f"evidence/{record['id']}-")]
        assert len(stored) == 1
        assert len(archive.read(stored[0])) == record["evidence_size"]
    # audit entries about her: at least her account's creation
    actions = {entry["action"] for entry in rows(archive, "audit_entries")}
    assert "user.created" in actions
    # her download itself is audited, by id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.data_downloaded",
                                                       AuditEntry.target_id == str(ani.id)))
    assert entry.actor_id == ani.id and entry.details == {"by_admin": False}
    return mine


def test_demo_librarians_zips_hold_every_kind_with_the_right_counts(demo, app):
    """The demo librarian (ani), and two demo librarians with certificates (fitri) and
    training records with evidence (eko): together every kind is there and counted right."""
    found = {}
    holder = db.session.scalar(select(User.username).join(Certificate, Certificate.user_id == User.id)
                               .order_by(User.username).limit(1))
    for username in ("ani", holder, "eko"):
        for kind, number in check_zip(app, username).items():
            found[kind] = found.get(kind, 0) + number
    # the demo gives them a history of each kind (a test of nothing would pass empty)
    for kind in ("quiz_attempts", "quiz_answers", "lesson_views", "module_completions", "course_completions",
                 "certificates", "training_records", "discussion_posts", "notifications", "self_assessments",
                 "supervisor_ratings"):
        assert found[kind] > 0, kind


def test_zip_holds_nothing_of_anyone_else(demo, client):
    ani, dewi = user("ani"), user("dewi")
    login(client, "ani", "pembina-demo")
    archive = download(client)
    for kind in ("quiz_attempts", "lesson_views", "module_completions", "course_completions", "certificates",
                 "training_records", "notifications", "module_feedback", "learning_events"):
        assert {row["user_id"] for row in rows(archive, kind)} <= {ani.id}, kind
    assert {row["author_id"] for row in rows(archive, "discussion_posts")} <= {ani.id}
    everything = b"".join(archive.read(name) for name in archive.namelist() if not name.startswith("evidence/"))
    assert dewi.email.encode() not in everything and b"Dewi Kartika Sari" not in everything
    others = db.session.scalars(select(Post.body_md).where(Post.author_id != ani.id, Post.body_md != "")).all()
    assert others and not any(body.encode("utf-8") in everything for body in others if len(body) > 20)


def test_download_needs_a_signed_in_person_and_a_csrf_token(demo, client):
    assert client.post("/account/data").status_code in (302, 400)
    login(client, "ani", "pembina-demo")
    assert client.post("/account/data").status_code == 400  # no token
    page = client.get("/account").get_data(as_text=True)
    assert 'action="/account/data"' in page
