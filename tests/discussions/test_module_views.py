"""A module's discussion page (list, filters, pages, the ask form) and the panel on the
module page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.discussions import services
from lms.plugins.discussions.models import Post, Thread
from tests.conftest import post_form
from tests.discussions.posting_helpers import ask, first_post


@pytest.fixture(autouse=True)
def _no_rate_limit(app):
    app.config["DISCUSSIONS_RATE_LIMIT"] = []


def page_of(module) -> str:
    return f"/discussions/module/{module.id}/"


def listed(html: str) -> list[int]:
    """Thread ids in the main list, in order."""
    match = re.search(r'<ul class="thread-list" id="thread-list">(.*?)</ul>', html, re.S)
    return [int(n) for n in re.findall(r'data-thread="(\d+)"', match.group(1))] if match else []


def threads() -> int:
    return db.session.scalar(select(func.count()).select_from(Thread))


def test_signed_out_visitors_are_sent_to_sign_in(client, marc):
    response = client.get(page_of(marc))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_module_is_404(signed_in, marc):
    assert signed_in("ani").get("/discussions/module/9999/").status_code == 404


def test_asking_a_question_from_the_form(signed_in, marc):
    ani = signed_in("ani")
    page = ani.get(page_of(marc)).get_data(as_text=True)
    assert 'id="ask-form"' in page and 'id="thread-list-empty"' in page
    response = post_form(ani, page_of(marc), {"kind": "question", "title": "Indikator 245?",
                                               "body": "Apa arti indikator kedua?"})
    assert response.status_code == 303
    thread = db.session.scalar(select(Thread))
    assert response.headers["Location"].endswith(f"/discussions/thread/{thread.id}")
    assert (thread.title, thread.kind, thread.module_id, thread.author_id) == (
        "Indikator 245?", "question", marc.id, ani.user.id)
    page = ani.get(page_of(marc)).get_data(as_text=True)
    assert listed(page) == [thread.id] and 'data-status="unanswered"' in page


def test_a_discussion_can_be_started_too(signed_in, marc):
    ani = signed_in("ani")
    post_form(ani, page_of(marc), {"kind": "discussion", "title": "Pengalaman di meja layanan", "body": "Berbagi"})
    assert db.session.scalar(select(Thread.kind)) == "discussion"


def test_titles_are_escaped_in_the_list(signed_in, people, marc):
    ask(people["ani"], marc, title='<img src=x onerror="alert(1)">Judul')
    page = signed_in("eko").get(page_of(marc)).get_data(as_text=True)
    assert '<img src=x onerror' not in page and "&lt;img src=x onerror=" in page


@pytest.mark.parametrize("data, marker", [
    ({"kind": "question", "title": "", "body": "Isi"}, r'<ul class="errors" id="title-error">\s*<li>\S'),
    ({"kind": "question", "title": "Judul", "body": "   "}, r'<ul class="errors" id="body-error">\s*<li>\S'),
    ({"kind": "poll", "title": "Judul", "body": "Isi"}, r'kind-choice">(?:(?!</fieldset>).)*<ul class="errors"><li>\S'),
])
def test_bad_input_re_shows_the_form_with_a_message(signed_in, marc, data, marker):
    response = post_form(signed_in("ani"), page_of(marc), data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="ask-form"' in html and 'class="form-errors"' in html
    assert re.search(marker, html, re.S), "the message is shown next to its field"
    assert threads() == 0


def test_an_oversized_question_says_the_limit_and_keeps_the_text(app, signed_in, marc):
    app.config["DISCUSSIONS_MAX_CHARS"] = 300
    text = "panjang " * 50  # 400 characters
    response = post_form(signed_in("ani"), page_of(marc), {"kind": "question", "title": "Panjang", "body": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "300" in html and "399" in html
    assert text.strip() in html  # the text is not lost
    assert threads() == 0


def test_flooding_is_refused_with_when_to_try_again(app, signed_in, marc):
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(1, 60)]
    ani = signed_in("ani")
    assert post_form(ani, page_of(marc), {"kind": "question", "title": "Satu", "body": "Isi"}).status_code == 303
    response = post_form(ani, page_of(marc), {"kind": "question", "title": "Dua", "body": "Isi"})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60
    assert "form-errors" in response.get_data(as_text=True)
    assert threads() == 1


def test_a_post_without_the_csrf_token_is_refused(signed_in, marc):
    response = signed_in("ani").post(page_of(marc), data={"kind": "question", "title": "x", "body": "y"})
    assert response.status_code == 400 and threads() == 0


def test_inactive_module_shows_no_ask_form_and_refuses_posts(signed_in, people, marc):
    ask(people["ani"], marc)
    marc.active = False
    db.session.commit()
    ani = signed_in("ani")
    page = ani.get(page_of(marc))
    assert page.status_code == 200 and 'id="ask-form"' not in page.get_data(as_text=True)
    response = post_form(ani, page_of(marc), {"kind": "question", "title": "Lagi", "body": "Isi"},
                         token_from=f"/discussions/thread/{db.session.scalar(select(Thread.id))}")
    assert response.status_code == 400 and threads() == 1


def test_filters_and_counts(signed_in, people, marc):
    ani, budi = people["ani"], people["budi"]
    waiting = ask(ani, marc, title="Belum dijawab")
    answered = ask(ani, marc, title="Sudah dijawab")
    services.reply(budi, answered, "Jawaban")
    resolved = ask(ani, marc, title="Selesai")
    services.set_resolved(ani, resolved, True)
    talk = ask(ani, marc, title="Diskusi", kind="discussion")
    client = signed_in("eko")
    assert set(listed(client.get(page_of(marc)).get_data(as_text=True))) == {
        waiting.id, answered.id, resolved.id, talk.id}
    assert listed(client.get(page_of(marc) + "?status=unanswered").get_data(as_text=True)) == [waiting.id]
    assert listed(client.get(page_of(marc) + "?status=resolved").get_data(as_text=True)) == [resolved.id]
    html = client.get(page_of(marc) + "?status=bogus").get_data(as_text=True)  # unknown filter: all
    assert len(listed(html)) == 4
    assert re.search(r'data-filter="unanswered"[^>]*>[^<]*<span class="count">1</span>', html)
    for thread, status in ((waiting, "unanswered"), (answered, "answered"), (resolved, "resolved"),
                           (talk, "discussion")):
        assert re.search(rf'data-thread="{thread.id}" data-status="{status}"', html)


def test_pages_of_threads_latest_activity_first(app, signed_in, people, marc):
    app.config["DISCUSSIONS_PAGE_SIZE"] = 2
    made = [ask(people["ani"], marc, title=f"Pertanyaan {n}") for n in range(3)]
    services.reply(people["budi"], made[0], "Jawaban")  # the oldest is now the most recent activity
    client = signed_in("eko")
    first = client.get(page_of(marc)).get_data(as_text=True)
    assert listed(first) == [made[0].id, made[2].id] and 'class="pagination"' in first
    assert listed(client.get(page_of(marc) + "?page=2").get_data(as_text=True)) == [made[1].id]
    assert listed(client.get(page_of(marc) + "?page=99").get_data(as_text=True)) == [made[1].id]


def test_withdrawn_threads_are_listed_for_moderators_only(signed_in, people, marc):
    kept = ask(people["ani"], marc, title="Tetap")
    gone = ask(people["ani"], marc, title="Disembunyikan")
    opening = first_post(gone)
    opening.hidden_at, opening.hidden_reason = utcnow(), "spam"
    db.session.commit()
    assert listed(signed_in("eko").get(page_of(marc)).get_data(as_text=True)) == [kept.id]
    html = signed_in("budi").get(page_of(marc)).get_data(as_text=True)
    assert set(listed(html)) == {kept.id, gone.id} and 'class="thread-item withdrawn"' in html


# --- the panel on the module page -------------------------------------------------------------------

def test_module_page_panel_counts_and_links_to_ask(signed_in, people, marc):
    client = signed_in("eko")
    html = client.get("/courses/contoh/marc/").get_data(as_text=True)
    assert 'id="module-discussions"' in html and f'href="/discussions/module/{marc.id}/#ask"' in html
    waiting = ask(people["ani"], marc, title="Pertanyaan panel")
    resolved = ask(people["ani"], marc, title="Terjawab")
    services.set_resolved(people["ani"], resolved, True)
    html = client.get("/courses/contoh/marc/").get_data(as_text=True)
    assert 'data-questions="2" data-unanswered="1"' in html
    assert f'href="/discussions/thread/{waiting.id}"' in html and "Pertanyaan panel" in html


def test_the_panel_query_count_does_not_grow_with_threads(app, signed_in, people, marc):
    """The list pages aggregate in SQL: the number of queries stays flat with more threads."""
    from sqlalchemy import event

    client = signed_in("eko")

    def queries_for(path: str) -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    ask(people["ani"], marc, title="Satu")
    one = queries_for(page_of(marc)), queries_for("/courses/contoh/marc/")
    for n in range(5):
        thread = ask(people["dodi"], marc, title=f"Lagi {n}")
        services.reply(people["budi"], thread, "Jawaban")
    assert (queries_for(page_of(marc)), queries_for("/courses/contoh/marc/")) == one
    assert db.session.scalar(select(func.count()).select_from(Post)) == 11
