"""The thread page (module and board threads) and its actions: reply, edit, delete, accept,
resolve - each refusal with its message and nothing changed."""
from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.discussions import services
from lms.plugins.discussions.models import Post, Thread
from tests.conftest import post_form
from tests.discussions.posting_helpers import age, ask, first_post, make_board


@pytest.fixture(autouse=True)
def _no_rate_limit(app):
    app.config["DISCUSSIONS_RATE_LIMIT"] = []


def url(thread) -> str:
    return f"/discussions/thread/{thread.id}"


def article_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article id="post-(\d+)"', html)]


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-(\w+)">', html)


def posts() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


@pytest.fixture
def question(people, marc):
    return ask(people["ani"], marc, title="Indikator kedua 245", body="Apa artinya?")


# --- showing a thread -----------------------------------------------------------------------------

def test_thread_shows_posts_with_author_date_and_the_accepted_answer_first(signed_in, people, question):
    ani, budi, eko = people["ani"], people["budi"], people["eko"]
    early = services.reply(eko, question, "Mungkin jumlah karakter?")
    best = services.reply(budi, question, "Jumlah karakter yang diabaikan saat mengurutkan.")
    services.accept_answer(ani, best)
    html = signed_in("eko").get(url(question)).get_data(as_text=True)
    opening = first_post(question)
    assert article_ids(html) == [opening.id, best.id, early.id]
    assert 'data-status="resolved"' in html and 'id="accepted-badge"' in html
    assert re.search(rf'<article id="post-{best.id}"[^>]*\n?[^>]*class="card post post-accepted"', html)
    assert "Budi" in html and "Eko" in html and "<time" in html
    assert 'id="resolve"' not in html and 'id="reply-form"' in html  # eko may reply, not resolve


def test_hidden_post_shows_the_reason_to_everyone_and_the_text_to_moderators(signed_in, people, question):
    rude = services.reply(people["eko"], question, "Teks yang tidak pantas")
    rude.hidden_at, rude.hidden_reason, rude.hidden_by_id = utcnow(), "Bahasa <kasar>", people["budi"].id
    services.recount(question)
    db.session.commit()
    reader = signed_in("dodi").get(url(question)).get_data(as_text=True)
    assert 'data-state="hidden"' in reader and "Bahasa &lt;kasar&gt;" in reader
    assert "Teks yang tidak pantas" not in reader
    moderator = signed_in("budi").get(url(question)).get_data(as_text=True)
    assert "Teks yang tidak pantas" in moderator and 'class="post-original"' in moderator


def test_deleted_post_says_deleted(signed_in, people, question):
    gone = services.reply(people["eko"], question, "Salah utas")
    services.delete_post(people["eko"], gone)
    html = signed_in("ani").get(url(question)).get_data(as_text=True)
    assert 'data-state="deleted"' in html and "Salah utas" not in html


def test_a_hidden_opening_post_hides_the_title_from_readers(signed_in, people, question):
    opening = first_post(question)
    opening.hidden_at, opening.hidden_reason = utcnow(), "spam"
    db.session.commit()
    assert "Indikator kedua 245" not in signed_in("eko").get(url(question)).get_data(as_text=True)
    assert "Indikator kedua 245" in signed_in("budi").get(url(question)).get_data(as_text=True)


def test_board_threads_are_shown_to_members_and_404_for_others(signed_in, people, org):
    board = make_board("Cabang A", units=[org["branch_a"]])
    thread = services.create_thread(people["ani"], title="Rapat evaluasi", body="Agenda", board=board,
                                    kind="discussion")
    assert signed_in("eko").get(url(thread)).status_code == 200  # section below branch-a
    assert signed_in("sari").get(url(thread)).status_code == 200
    assert signed_in("adi").get(url(thread)).status_code == 200
    for outsider in ("dodi", "tono"):
        assert signed_in(outsider).get(url(thread)).status_code == 404
    assert signed_in("ani").get("/discussions/thread/9999").status_code == 404


def test_replying_into_a_board_one_cannot_see_is_404_and_writes_nothing(signed_in, people, org):
    board = make_board("Cabang A", units=[org["branch_a"]])
    thread = services.create_thread(people["ani"], title="Rapat", body="Agenda", board=board, kind="discussion")
    dodi = signed_in("dodi")
    response = post_form(dodi, url(thread) + "/reply", {"body": "Menyusup"}, token_from="/notifications/")
    assert response.status_code == 404 and posts() == 1
    post_id = first_post(thread).id
    for action in ("edit", "delete", "accept"):
        assert post_form(dodi, f"/discussions/post/{post_id}/{action}", {"body": "x"},
                         token_from="/notifications/").status_code == 404
    assert post_form(dodi, url(thread) + "/resolve", {"resolved": "1"}, token_from="/notifications/").status_code == 404


def test_the_partials_of_the_other_parts_get_their_context(app, signed_in, people, question):
    """thread.html includes the moderation, follow, meeting and search partials with the
    contract's context (``post`` inside each post; thread, posts, now, module, board, access)."""
    probes = {
        "discussions/_moderation_post.html": '<i class="probe-post" data-id="{{ post.id }}"></i>',
        "discussions/_moderation_thread.html":
            '<i class="probe-thread" data-n="{{ posts|length }}" data-mod="{{ access.is_moderator(current_user) }}"'
            ' data-module="{{ module.id }}" data-board="{{ board }}" data-now="{{ now.tzinfo is not none }}"></i>',
        "discussions/_follow_thread.html": '<i class="probe-follow" data-thread="{{ thread.id }}"></i>',
        "discussions/_meeting.html": '<i class="probe-meeting"></i>',
        "discussions/_search_box.html": '<i class="probe-search"></i>',
    }
    app.jinja_env.loader = ChoiceLoader([DictLoader(probes), app.jinja_env.loader])
    answer = services.reply(people["budi"], question, "Jawaban")
    html = signed_in("budi").get(url(question)).get_data(as_text=True)
    assert re.findall(r'class="probe-post" data-id="(\d+)"', html) == [str(first_post(question).id), str(answer.id)]
    assert (f'class="probe-thread" data-n="2" data-mod="True" data-module="{question.module_id}" '
            'data-board="None" data-now="True"') in html
    assert f'class="probe-follow" data-thread="{question.id}"' in html and 'class="probe-search"' in html
    assert "probe-meeting" not in html  # only for meeting threads


# --- reply ---------------------------------------------------------------------------------------

def test_reply_from_the_form(signed_in, people, question):
    budi = signed_in("budi")
    response = post_form(budi, url(question) + "/reply", {"body": "Indikator kedua: karakter diabaikan."},
                         token_from=url(question))
    reply = db.session.scalar(select(Post).order_by(Post.id.desc()))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{url(question)}#post-{reply.id}")
    db.session.refresh(question)
    assert reply.author_id == people["budi"].id and question.reply_count == 1 and question.answered_at


def test_an_empty_or_oversized_reply_re_shows_the_page_with_a_message(app, signed_in, question):
    app.config["DISCUSSIONS_MAX_CHARS"] = 100
    eko = signed_in("eko")
    response = post_form(eko, url(question) + "/reply", {"body": "  "}, token_from=url(question))
    assert response.status_code == 400 and 'class="form-errors"' in response.get_data(as_text=True)
    long_text = "kata " * 30
    response = post_form(eko, url(question) + "/reply", {"body": long_text}, token_from=url(question))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "100" in html and long_text.strip() in html
    assert posts() == 1


def test_a_script_in_a_reply_is_neutralised_on_the_page(signed_in, question):
    eko = signed_in("eko")
    post_form(eko, url(question) + "/reply", {"body": "<script>alert('x')</script>**tebal**"},
              token_from=url(question))
    html = eko.get(url(question)).get_data(as_text=True)
    assert "<script>alert" not in html and "<strong>tebal</strong>" in html


def test_a_locked_thread_has_no_reply_form_and_refuses_replies(signed_in, people, question):
    question.locked_at = utcnow()
    db.session.commit()
    eko = signed_in("eko")
    html = eko.get(url(question)).get_data(as_text=True)
    assert 'id="reply-form"' not in html and 'id="reply-closed"' in html and 'id="thread-locked"' in html
    response = post_form(eko, url(question) + "/reply", {"body": "Tetap mencoba"}, token_from=url(question))
    assert response.status_code == 400
    assert 'id="reply-closed" role="alert"' in response.get_data(as_text=True)
    assert posts() == 1


def test_reply_flooding_answers_429_with_retry_after(app, signed_in, question):
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(1, 60)]
    eko = signed_in("eko")
    assert post_form(eko, url(question) + "/reply", {"body": "satu"}, token_from=url(question)).status_code == 303
    response = post_form(eko, url(question) + "/reply", {"body": "dua"}, token_from=url(question))
    assert response.status_code == 429 and response.headers["Retry-After"].isdigit()
    assert "dua" in response.get_data(as_text=True) and posts() == 2


# --- edit and delete ------------------------------------------------------------------------------

def test_edit_own_post_through_the_page(signed_in, people, question):
    ani = signed_in("ani")
    opening = first_post(question)
    page = ani.get(f"/discussions/post/{opening.id}/edit")
    assert page.status_code == 200 and 'id="edit-form"' in page.get_data(as_text=True)
    assert 'name="title"' in page.get_data(as_text=True)  # the first post carries the title
    response = post_form(ani, f"/discussions/post/{opening.id}/edit", {"title": "Judul baru", "body": "Isi baru"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#post-{opening.id}")
    db.session.refresh(opening)
    db.session.refresh(question)
    assert opening.body_md == "Isi baru" and question.title == "Judul baru" and opening.edited_at
    html = ani.get(url(question)).get_data(as_text=True)
    assert 'class="meta post-edited"' in html
    response = post_form(ani, f"/discussions/post/{opening.id}/edit", {"title": "", "body": "Isi"})
    assert response.status_code == 400 and question.title == "Judul baru"


def test_editing_someone_elses_post_or_too_late_is_refused(signed_in, people, question):
    opening = first_post(question)
    eko = signed_in("eko")
    page = eko.get(f"/discussions/post/{opening.id}/edit")
    assert page.status_code == 403 and 'id="edit-refused"' in page.get_data(as_text=True)
    response = post_form(eko, f"/discussions/post/{opening.id}/edit", {"title": "Dibajak", "body": "Dibajak"},
                         token_from=url(question))
    assert response.status_code == 403
    age(opening, 45)
    response = post_form(signed_in("ani"), f"/discussions/post/{opening.id}/edit", {"title": "x", "body": "Telat"},
                         token_from=url(question))
    assert response.status_code == 403
    db.session.refresh(opening)
    assert opening.body_md == "Apa artinya?" and opening.edited_at is None
    # no edit or delete buttons once the window has closed
    assert "edit-post" not in signed_in("ani").get(url(question)).get_data(as_text=True)


def test_delete_own_post_and_refusal_for_others(signed_in, people, question):
    reply = services.reply(people["eko"], question, "Hapus saya")
    ani = signed_in("ani")
    response = post_form(ani, f"/discussions/post/{reply.id}/delete", {}, token_from=url(question))
    assert response.status_code == 303
    assert "error" in flashes(ani.get(url(question)).get_data(as_text=True))
    db.session.refresh(reply)
    assert reply.deleted_at is None
    eko = signed_in("eko")
    assert f'id="delete-{reply.id}"' in eko.get(url(question)).get_data(as_text=True)
    response = post_form(eko, f"/discussions/post/{reply.id}/delete", {}, token_from=url(question))
    assert response.status_code == 303
    assert "success" in flashes(eko.get(url(question)).get_data(as_text=True))
    db.session.refresh(reply)
    db.session.refresh(question)
    assert reply.deleted_at is not None and question.reply_count == 0


# --- accept and resolve ---------------------------------------------------------------------------

def test_the_asker_accepts_an_answer_and_resolves(signed_in, people, question):
    answer = services.reply(people["budi"], question, "Jawaban")
    ani = signed_in("ani")
    html = ani.get(url(question)).get_data(as_text=True)
    assert f'id="accept-{answer.id}"' in html and 'id="resolve"' in html
    response = post_form(ani, f"/discussions/post/{answer.id}/accept", {}, token_from=url(question))
    assert response.status_code == 303
    db.session.refresh(question)
    assert question.accepted_post_id == answer.id and question.resolved_at is not None
    html = ani.get(url(question)).get_data(as_text=True)
    assert 'id="reopen"' in html and f'id="accept-{answer.id}"' not in html
    post_form(ani, url(question) + "/resolve", {"resolved": "0"}, token_from=url(question))
    db.session.refresh(question)
    assert question.resolved_at is None and question.accepted_post_id is None
    post_form(ani, url(question) + "/resolve", {"resolved": "1"}, token_from=url(question))
    db.session.refresh(question)
    assert question.resolved_at is not None


def test_accept_and_resolve_refused_for_other_librarians(signed_in, people, question):
    answer = services.reply(people["budi"], question, "Jawaban")
    eko = signed_in("eko")
    html = eko.get(url(question)).get_data(as_text=True)
    assert f'id="accept-{answer.id}"' not in html and 'id="resolve"' not in html
    post_form(eko, f"/discussions/post/{answer.id}/accept", {}, token_from=url(question))
    assert "error" in flashes(eko.get(url(question)).get_data(as_text=True))
    post_form(eko, url(question) + "/resolve", {"resolved": "1"}, token_from=url(question))
    assert "error" in flashes(eko.get(url(question)).get_data(as_text=True))
    db.session.refresh(question)
    assert question.accepted_post_id is None and question.resolved_at is None


def test_resolve_with_a_strange_value_changes_nothing(signed_in, question):
    ani = signed_in("ani")
    post_form(ani, url(question) + "/resolve", {"resolved": "maybe"}, token_from=url(question))
    assert "error" in flashes(ani.get(url(question)).get_data(as_text=True))
    db.session.refresh(question)
    assert question.resolved_at is None


def test_actions_need_the_csrf_token(signed_in, people, question):
    answer = services.reply(people["budi"], question, "Jawaban")
    ani = signed_in("ani")
    assert ani.post(f"/discussions/post/{answer.id}/accept").status_code == 400
    assert ani.post(url(question) + "/resolve", data={"resolved": "1"}).status_code == 400
    assert ani.post(url(question) + "/reply", data={"body": "tanpa token"}).status_code == 400
    db.session.refresh(question)
    assert question.resolved_at is None and db.session.scalar(select(func.count()).select_from(Thread)) == 1


def test_edit_flooding_answers_429_with_retry_after(app, signed_in, question):
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(2, 60)]  # the question itself is one write
    ani = signed_in("ani")
    opening = first_post(question)
    path = f"/discussions/post/{opening.id}/edit"
    assert post_form(ani, path, {"title": "Judul", "body": "Isi satu"}).status_code == 303
    response = post_form(ani, path, {"title": "Judul", "body": "Isi dua"})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60
    assert "Isi dua" in response.get_data(as_text=True)  # the text is not lost
    db.session.refresh(opening)
    assert opening.body_md == "Isi satu"
