"""The trainer view: unanswered questions across my modules, oldest first; which modules are
"mine"; home panels; open questions as a content-gap signal; the lists C shows on the index;
and the done-when journey through the pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.courses.models import Course, ModuleVersion
from lms.plugins.discussions import queries, services
from lms.plugins.discussions.models import Post, Thread
from tests.conftest import post_form
from tests.discussions.conftest import module as module_named
from tests.discussions.posting_helpers import ask, first_post, make_board


@pytest.fixture(autouse=True)
def _no_rate_limit(app):
    app.config["DISCUSSIONS_RATE_LIMIT"] = []


def ids(rows) -> list[int]:
    return [row.id for row in rows]


def listed(html: str, list_id: str = "unanswered-list") -> list[int]:
    match = re.search(rf'<ul class="thread-list" id="{list_id}">(.*?)</ul>', html, re.S)
    return [int(n) for n in re.findall(r'data-thread="(\d+)"', match.group(1))] if match else []


def make_author(person, course_slug: str = "contoh") -> None:
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    course.authors = ["Tim Uji", person.full_name.upper()]
    db.session.commit()


# --- which modules are mine -------------------------------------------------------------------------

def test_trainer_modules_come_from_course_authors_or_published_versions(people, marc):
    budi, adi = people["budi"], people["adi"]
    ddc = module_named("ddc")
    assert queries.trainer_module_ids(budi) == set()
    course = marc.course
    course.authors = ["Tim Uji", " budi "]  # the username, any spacing and case
    db.session.commit()
    assert queries.trainer_module_ids(budi) == {marc.id, ddc.id}
    budi.full_name = "Budi Santoso"
    course.authors = ["BUDI SANTOSO"]  # the full name, any case
    db.session.commit()
    assert queries.trainer_module_ids(budi) == {marc.id, ddc.id}
    course.authors = ["Budi Santoso Jr"]  # a different person
    db.session.commit()
    assert queries.trainer_module_ids(budi) == set()
    course.authors = ["Tim Uji"]
    db.session.commit()
    version = db.session.get(ModuleVersion, ddc.current_version_id)
    version.created_by_id = adi.id  # published in the browser by adi
    db.session.commit()
    assert queries.trainer_module_ids(budi) == set() and queries.trainer_module_ids(adi) == {ddc.id}


# --- the unanswered list ------------------------------------------------------------------------------

def test_unanswered_questions_oldest_first_and_only_the_waiting_ones(people, org, marc):
    ani, budi, eko = people["ani"], people["budi"], people["eko"]
    ddc = module_named("ddc")
    older = ask(ani, marc, title="Lama")
    older.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    newer = ask(eko, ddc, title="Baru")
    own_reply = ask(ani, marc, title="Dijawab sendiri")
    services.reply(ani, own_reply, "tambahan dari penanya")  # still unanswered
    answered = ask(ani, marc, title="Dijawab")
    services.reply(budi, answered, "Jawaban")
    resolved = ask(ani, marc, title="Selesai sendiri")
    services.set_resolved(ani, resolved, True)
    locked = ask(ani, marc, title="Terkunci")
    locked.locked_at = utcnow()
    talk = ask(ani, marc, title="Diskusi", kind="discussion")
    withdrawn = ask(eko, marc, title="Ditarik")
    services.delete_post(eko, first_post(withdrawn))
    board = make_board("Semua")
    services.create_thread(ani, title="Di papan", body="Isi", board=board, kind="question")
    db.session.commit()
    assert ids(services.unanswered_questions(budi, mine_only=False)) == [older.id, newer.id, own_reply.id]
    assert talk.id not in ids(services.unanswered_questions(budi, mine_only=False))
    # mine: only modules budi teaches
    assert ids(services.unanswered_questions(budi, mine_only=True)) == []
    ddc.course.authors = ["Budi"]
    db.session.commit()
    assert ids(services.unanswered_questions(budi, mine_only=True)) == [older.id, newer.id, own_reply.id]
    marc.active = False  # a retired module drops out
    db.session.commit()
    assert ids(services.unanswered_questions(budi, mine_only=True)) == [newer.id]


def test_unanswered_page_for_trainers_with_scope(signed_in, people, marc):
    question = ask(people["ani"], marc, title="Menunggu jawaban")
    question.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    budi = signed_in("budi")
    html = budi.get("/discussions/unanswered").get_data(as_text=True)
    # budi has no modules of his own yet: the page shows all modules and says why
    assert 'data-filter="all" aria-current="page"' in html and listed(html) == [question.id]
    assert 'data-days="2"' in html
    html = budi.get("/discussions/unanswered?scope=mine").get_data(as_text=True)
    assert listed(html) == [] and 'class="notice"' in html
    make_author(people["budi"])
    html = budi.get("/discussions/unanswered").get_data(as_text=True)
    assert 'data-filter="mine" aria-current="page"' in html and listed(html) == [question.id]
    assert signed_in("adi").get("/discussions/unanswered?scope=all").status_code == 200


@pytest.mark.parametrize("who", ["ani", "sari"])
def test_unanswered_page_is_for_trainers_and_admins(signed_in, people, who):
    assert signed_in(who).get("/discussions/unanswered").status_code == 403


# --- home panels -------------------------------------------------------------------------------------

def test_trainer_home_shows_unanswered_questions(signed_in, people, marc):
    question = ask(people["ani"], marc, title="Pertanyaan di beranda")
    html = signed_in("budi").get("/").get_data(as_text=True)
    assert 'id="panel-unanswered"' in html and 'data-count="1"' in html
    assert listed(html, "panel-unanswered-list") == [question.id]


def test_librarian_home_shows_my_questions_once_there_are_some(signed_in, people, marc):
    ani = signed_in("ani")
    assert 'id="panel-my-questions"' not in ani.get("/").get_data(as_text=True)
    question = ask(people["ani"], marc, title="Pertanyaan saya")
    html = ani.get("/").get_data(as_text=True)
    assert 'id="panel-my-questions"' in html and listed(html, "panel-my-questions-list") == [question.id]


# --- lists for the index page (C) ---------------------------------------------------------------------

def test_recent_module_threads_and_user_questions(people, org, marc):
    ani, dodi = people["ani"], people["dodi"]
    first = ask(ani, marc, title="Pertama")
    second = ask(dodi, marc, title="Kedua", kind="discussion")
    services.reply(people["budi"], first, "Jawaban")  # first is now the latest activity
    board = make_board("Cabang A", units=[org["branch_a"]])
    on_board = services.create_thread(ani, title="Tanya di papan", body="Isi", board=board, kind="question")
    recent = services.recent_module_threads(ani, limit=10)
    assert ids(recent) == [first.id, second.id]  # board threads are not module threads
    assert recent[0].status == "answered" and recent[0].where == "Mengenal MARC 21"
    assert recent[0].author_name == "Ani" and recent[1].kind == "discussion"
    assert ids(services.recent_module_threads(ani, limit=1)) == [first.id]
    mine = services.user_questions(ani)
    assert ids(mine) == [on_board.id, first.id] and mine[0].where == "Cabang A"
    # ani moves to branch-b: the board question is no longer hers to see
    ani.unit_id = org["branch_b"].id
    db.session.commit()
    assert ids(services.user_questions(ani)) == [first.id]


# --- the content-gap signal -----------------------------------------------------------------------------

def test_open_question_signals_count_unresolved_questions_per_module(app, people, marc):
    app.config["DISCUSSIONS_OPEN_QUESTIONS_CONCERN"] = 2
    ddc = module_named("ddc")
    ani = people["ani"]
    ask(ani, marc, title="Satu")
    ask(ani, marc, title="Dua")
    done = ask(ani, marc, title="Selesai")
    services.set_resolved(ani, done, True)
    ask(ani, marc, title="Diskusi", kind="discussion")
    ask(ani, ddc, title="DDC")
    signals = services.open_question_signals([marc.id, ddc.id, 9999])
    assert {key: (s["value"], s["concern"]) for key, s in signals.items()} == {marc.id: (2, True), ddc.id: (1, False)}
    with force_locale("en"):
        assert str(signals[marc.id]["label"]) == "open questions"
    assert services.open_question_signals([]) == {}
    # through the hook the curriculum's content-gap report calls
    answers = app.extensions["lms.plugins"].hook.lms_content_signals(module_ids=[marc.id])
    assert any(answer.get(marc.id, {}).get("value") == 2 for answer in answers)


# --- the done-when journey, through the pages -----------------------------------------------------------

def test_ani_asks_budi_answers_ani_is_told_and_resolves(signed_in, people, marc):
    from lms.plugins.notifications.models import Notification

    ani, budi = signed_in("ani"), signed_in("budi")
    page = f"/discussions/module/{marc.id}/"
    response = post_form(ani, page, {"kind": "question", "title": "Kapan memakai ruas 490?",
                                      "body": "Bedanya dengan 830 apa? #cat-marc"})
    assert response.status_code == 303
    thread = db.session.scalar(select(Thread))
    assert listed(budi.get("/discussions/unanswered").get_data(as_text=True)) == [thread.id]
    thread_url = f"/discussions/thread/{thread.id}"
    response = post_form(budi, thread_url + "/reply", {"body": "490 untuk seri yang tidak ditelusur."},
                         token_from=thread_url)
    assert response.status_code == 303
    assert listed(budi.get("/discussions/unanswered").get_data(as_text=True)) == []
    answer = db.session.scalar(select(Post).order_by(Post.id.desc()))
    note = db.session.scalar(select(Notification).where(Notification.user_id == people["ani"].id))
    assert note is not None and note.url == f"{thread_url}#post-{answer.id}"
    assert 'class="badge"' in ani.get("/").get_data(as_text=True)  # the unread count in the navigation
    response = post_form(ani, thread_url + "/resolve", {"resolved": "1"}, token_from=thread_url)
    assert response.status_code == 303
    db.session.refresh(thread)
    assert thread.resolved_at is not None
    html = ani.get(thread_url).get_data(as_text=True)
    assert 'data-status="resolved"' in html and 'id="reopen"' in html


def test_a_module_author_without_the_trainer_role_may_accept_answers(people, marc):
    """The issue: trainers *and the module's authors* answer and accept. eko (a librarian)
    becomes an author of the sample course; only then may he accept on its questions."""
    ani, eko, dodi = people["ani"], people["eko"], people["dodi"]
    thread = ask(ani, marc)
    answer = services.reply(dodi, thread, "Ruas 245 berisi judul.")
    with pytest.raises(services.PostingError):
        services.accept_answer(eko, answer)
    make_author(eko)
    services.accept_answer(eko, answer)
    db.session.refresh(thread)
    assert thread.accepted_post_id == answer.id and thread.resolved_at is not None
