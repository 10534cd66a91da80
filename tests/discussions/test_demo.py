"""The demo discussions (``lms demo`` on the real courses): boards with the right audiences,
module questions in every state, a past review meeting linked to the demo needs round with
its minutes, budi's unanswered list, searchable posts; a second run adds nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.auth.models import Unit, User
from lms.core.demo import HOME_LIBRARY
from lms.extensions import db
from lms.plugins.courses.services import import_courses
from lms.plugins.discussions import access, queries, search
from lms.plugins.discussions.models import Board, Meeting, Post, Thread
from lms.plugins.needs.analysis import latest_closed_round
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(app, runner):
    app.config["NEEDS_SURVEYS_DIR"] = str(ROOT / "courses" / "surveys")
    assert import_courses([ROOT / "courses"]).ok
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_demo_discussions_tell_the_story(demo, runner, app):
    assert "Diskusi demo: 4 papan, 8 utas, 2 rapat tinjauan." in demo
    boards = {board.name: board for board in db.session.scalars(select(Board))}
    branch_board = boards["Cabang Jekan Raya"]
    # the branch board: its staff and its head see it, another branch does not
    assert access.can_see_board(user("ani"), branch_board) and access.can_see_board(user("citra"), branch_board)
    assert not access.can_see_board(user("gusti"), branch_board)
    assert access.can_see_board(user("erlina"), branch_board)  # the head of the library, above the branch
    # the evaluation board is for supervisors, trainers and admins only
    assert not access.can_see_board(user("ani"), boards["Evaluasi Program Pembinaan"])
    assert access.can_see_board(user("budi"), boards["Evaluasi Program Pembinaan"])

    statuses = {row.title: row.status for row in queries.recent_module_threads(user("ani"), limit=20)}
    assert statuses["Kapan waktu terbaik mengunggah promosi koleksi?"] == "unanswered"
    assert statuses["Ruas 245 untuk judul paralel"] == "resolved"
    assert statuses["Pemustaka marah karena denda keterlambatan"] == "answered"
    accepted = db.session.scalar(select(Thread).where(Thread.title == "Ruas 245 untuk judul paralel"))
    assert db.session.get(Post, accepted.accepted_post_id).author.username == "budi"

    waiting = [row.title for row in queries.unanswered_questions(user("budi"), mine_only=False)]
    assert waiting == ["Pemustaka tidak bisa masuk ke aplikasi seluler",
                       "Kapan waktu terbaik mengunggah promosi koleksi?"]  # oldest first
    assert queries.trainer_module_ids(user("budi"))  # he is named an author of the cataloguing course

    past = db.session.scalar(select(Meeting).join(Thread).where(Thread.title.like("%semester II 2026")))
    assert past.link_kind == "needs_round" and past.link_ref == str(latest_closed_round(organisation_id=db.session.scalar(
        select(Unit.id).where(Unit.code == HOME_LIBRARY))).id)
    assert "Promosi koleksi" in past.minutes_html and "<li>" in past.decisions_html

    # searchable, and only where visible
    with app.test_request_context():
        assert [hit.title for hit in search.search(user("ani"), "piket").hits] == ["Jadwal piket layanan Desember"]
        assert search.search(user("gusti"), "piket").total == 0

    client = app.test_client()
    login(client, "budi", "pembina-demo")
    page = client.get("/discussions/unanswered?scope=all").get_data(as_text=True)
    assert "Pemustaka tidak bisa masuk ke aplikasi seluler" in page

    threads = db.session.scalar(select(func.count()).select_from(Thread))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "Diskusi demo: sudah ada." in again.output
    assert db.session.scalar(select(func.count()).select_from(Thread)) == threads
