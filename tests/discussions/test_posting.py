"""The posting core (services): threads, replies, edits, deletes, accepted answers, resolved
marks, the recount, the size and rate limits, and the rendering of posts."""
from __future__ import annotations

import hashlib

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.discussions import notify, services
from lms.plugins.discussions.models import Follow, Post, Thread
from lms.plugins.discussions.rendering import render_post
from lms.plugins.discussions.search import index_text
from tests.discussions.conftest import module as module_named
from tests.discussions.posting_helpers import age, ask, first_post, make_board


@pytest.fixture(autouse=True)
def _no_rate_limit(app):
    app.config["DISCUSSIONS_RATE_LIMIT"] = []


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- create_thread -----------------------------------------------------------------------------

def test_create_thread_makes_the_thread_and_its_first_post(people, marc):
    ani = people["ani"]
    thread = ask(ani, marc, title="  Ruas   245  ", body="Apa arti **indikator** kedua?")
    assert (thread.module_id, thread.board_id, thread.kind, thread.title) == (marc.id, None, "question", "Ruas 245")
    assert thread.reply_count == 0 and thread.answered_at is None and thread.resolved_at is None
    post = first_post(thread)
    assert post.author_id == ani.id and post.body_md == "Apa arti **indikator** kedua?"
    assert post.body_html == "<p>Apa arti <strong>indikator</strong> kedua?</p>"
    assert post.search_text == index_text("Ruas 245", "Apa arti **indikator** kedua?")
    # the author follows their own thread
    assert db.session.scalar(select(Follow).where(Follow.user_id == ani.id, Follow.thread_id == thread.id))


def test_script_and_html_injection_are_sanitised(people, marc):
    body = ('<script>alert("x")</script><img src=x onerror="alert(1)"> [klik](javascript:alert(2)) '
            '<a href="https://contoh.id" onclick="steal()">tautan</a> <iframe src="https://evil"></iframe>')
    html = first_post(ask(people["ani"], marc, body=body)).body_html
    for bad in ("<script", "onerror", "javascript:", "onclick", "<iframe", "alert(1)"):
        assert bad not in html
    assert 'href="https://contoh.id"' in html and 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize("title, body, field", [
    ("", "Isi", "title"), ("   ", "Isi", "title"), ("Judul", "", "body"), ("Judul", " \n\t\n ", "body"),
    ("J" * 201, "Isi", "title"),
])
def test_empty_or_too_long_title_or_body_is_refused(people, marc, title, body, field):
    with pytest.raises(services.PostingError) as refused:
        ask(people["ani"], marc, title=title, body=body)
    assert refused.value.field == field and str(refused.value.message)
    assert count(Thread) == 0 and count(Post) == 0


def test_an_enormous_post_is_refused_with_the_limit(app, people, marc):
    app.config["DISCUSSIONS_MAX_CHARS"] = 500
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        ask(people["ani"], marc, body="x" * 501)
    assert "501" in str(refused.value.message) and "500" in str(refused.value.message)
    assert count(Thread) == 0
    ask(people["ani"], marc, body="x" * 500)  # exactly the limit is fine
    assert count(Thread) == 1


def test_kind_must_fit_the_place(people, marc):
    for kind in ("meeting", "poll"):
        with pytest.raises(services.PostingError):
            ask(people["ani"], marc, kind=kind)
    assert ask(people["ani"], marc, kind="discussion").kind == "discussion"
    with pytest.raises(ValueError):
        services.create_thread(people["ani"], title="t", body="b")  # neither module nor board


def test_no_questions_under_an_inactive_module(people, marc):
    marc.active = False
    db.session.commit()
    with pytest.raises(services.PostingError):
        ask(people["ani"], marc)
    assert count(Thread) == 0


def test_board_threads_need_a_visible_open_board(people, org):
    board = make_board("Cabang A", units=[org["branch_a"]])
    thread = services.create_thread(people["ani"], title="Jadwal", body="Rapat Senin", board=board, kind="discussion")
    assert thread.board_id == board.id
    with pytest.raises(services.PostingError):  # dodi works in branch-b
        services.create_thread(people["dodi"], title="Halo", body="Isi", board=board, kind="discussion")
    board.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(services.PostingError):
        services.create_thread(people["ani"], title="Lagi", body="Isi", board=board, kind="discussion")
    assert count(Thread) == 1


# --- reply ---------------------------------------------------------------------------------------

def test_reply_counts_and_marks_answered_only_for_someone_else(people, marc):
    ani, budi = people["ani"], people["budi"]
    thread = ask(ani, marc)
    services.reply(ani, thread, "Tambahan: indikator pertama juga.")
    db.session.refresh(thread)
    assert thread.reply_count == 1 and thread.answered_at is None  # the asker's own reply
    post = services.reply(budi, thread, "Indikator kedua = jumlah karakter yang diabaikan.")
    db.session.refresh(thread)
    assert thread.reply_count == 2 and thread.answered_at is not None
    assert thread.last_post_at == post.created_at
    assert post.search_text == index_text("Indikator kedua = jumlah karakter yang diabaikan.")
    assert db.session.scalar(select(Follow).where(Follow.user_id == budi.id, Follow.thread_id == thread.id))


def test_reply_refused_when_locked_archived_invisible_or_empty(people, org, marc):
    ani, dodi = people["ani"], people["dodi"]
    thread = ask(ani, marc)
    thread.locked_at = utcnow()
    db.session.commit()
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.reply(people["budi"], thread, "Jawaban")
    assert "locked" in str(refused.value.message)
    board = make_board("Cabang A", units=[org["branch_a"]])
    on_board = services.create_thread(ani, title="Rapat", body="Agenda", board=board, kind="discussion")
    with pytest.raises(services.PostingError):
        services.reply(dodi, on_board, "Saya bukan anggota cabang A")
    with pytest.raises(services.PostingError):
        services.reply(ani, on_board, "   ")
    board.archived_at = utcnow()
    db.session.commit()
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.reply(ani, on_board, "Masih bisa?")
    assert "archived" in str(refused.value.message)
    assert count(Post) == 2  # the two opening posts only


# --- the rate limit --------------------------------------------------------------------------------

def test_rate_limit_counts_recent_posts_and_says_when_to_try_again(app, people, marc):
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(2, 60), (4, 3600)]
    ani = people["ani"]
    thread = ask(ani, marc)
    services.reply(ani, thread, "satu")
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.reply(ani, thread, "dua")
    assert 0 < refused.value.retry_after <= 61
    assert "try again in" in str(refused.value.message) and "second" in str(refused.value.message)
    assert count(Post) == 2
    # others are not slowed down by ani
    services.reply(people["budi"], thread, "jawaban")
    # once the posts are older than the minute, the hourly rule is what remains
    for post in db.session.scalars(select(Post).where(Post.author_id == ani.id)):
        age(post, 5)
    services.reply(ani, thread, "dua")
    services.reply(ani, thread, "tiga")  # 4 in the hour now (counted from the table)
    for post in db.session.scalars(select(Post).where(Post.author_id == ani.id)):
        age(post, 10)
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.reply(ani, thread, "empat")
    assert "minute" in str(refused.value.message) and refused.value.retry_after > 60


def test_deleting_does_not_reset_the_rate_limit(app, people, marc):
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(2, 60)]
    ani = people["ani"]
    thread = ask(ani, marc)
    post = services.reply(ani, thread, "salah kirim")
    services.delete_post(ani, post)
    with pytest.raises(services.PostingError):
        services.reply(ani, thread, "lagi")


# --- edit and delete -----------------------------------------------------------------------------

def test_edit_own_post_within_the_window_keeps_the_old_text_in_the_audit_log(people, marc):
    ani = people["ani"]
    thread = ask(ani, marc, title="Judul lama", body="Isi lama")
    post = first_post(thread)
    services.edit_post(ani, post, "Isi **baru**", title="Judul baru")
    db.session.refresh(thread)
    assert thread.title == "Judul baru" and post.body_html == "<p>Isi <strong>baru</strong></p>"
    assert post.edited_at is not None and post.search_text == index_text("Judul baru", "Isi **baru**")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discussion.post_edited"))
    assert entry.target_id == str(post.id) and entry.actor_id == ani.id
    # the old text is kept beside the log (erasable), not in the append-only entry itself
    assert "before" not in entry.details
    assert {item.key: item.value for item in entry.personal} == {"before": "Isi lama", "title_before": "Judul lama"}
    # a reply's edit leaves the title alone even when one is sent
    reply = services.reply(ani, thread, "balasan")
    services.edit_post(ani, reply, "balasan diperbaiki", title="Tidak dipakai")
    db.session.refresh(thread)
    assert thread.title == "Judul baru" and reply.search_text == index_text("balasan diperbaiki")


def test_editing_someone_elses_post_late_or_in_a_locked_thread_is_refused(app, people, marc):
    ani, eko = people["ani"], people["eko"]
    thread = ask(ani, marc, body="Asli")
    post = first_post(thread)
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.edit_post(eko, post, "Diubah orang lain")
    assert "your own" in str(refused.value.message)
    with pytest.raises(services.PostingError):
        services.delete_post(eko, post)
    with pytest.raises(services.PostingError):
        services.edit_post(ani, post, "")  # empty
    age(post, 31)
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.edit_post(ani, post, "Terlambat")
    assert "30 minutes" in str(refused.value.message)
    app.config["DISCUSSIONS_EDIT_MINUTES"] = 60
    reply = services.reply(ani, thread, "balasan")
    thread.locked_at = utcnow()
    db.session.commit()
    with pytest.raises(services.PostingError):
        services.edit_post(ani, reply, "dalam utas terkunci")
    db.session.refresh(post)
    assert post.body_md == "Asli" and post.deleted_at is None and reply.body_md == "balasan"


def test_delete_is_soft_audited_and_recounted(people, marc):
    ani, budi = people["ani"], people["budi"]
    thread = ask(ani, marc)
    answer = services.reply(budi, thread, "Jawaban pertama")
    services.delete_post(budi, answer)
    db.session.refresh(thread)
    assert answer.deleted_at is not None and db.session.get(Post, answer.id) is not None
    assert thread.reply_count == 0 and thread.answered_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discussion.post_deleted"))
    # the log keeps a hash of the text, not the text (docs/privacy.md)
    assert entry.details["body_sha256"] == hashlib.sha256(b"Jawaban pertama").hexdigest() and entry.actor_id == budi.id
    assert answer.body_md == services.DELETED_BODY
    with pytest.raises(services.PostingError):  # deleted posts cannot be edited back
        services.edit_post(budi, answer, "kembali")


# --- accept and resolve --------------------------------------------------------------------------

def test_accepting_an_answer_resolves_the_question(people, marc):
    ani, budi = people["ani"], people["budi"]
    thread = ask(ani, marc)
    answer = services.reply(budi, thread, "Jawaban")
    services.accept_answer(ani, answer)
    db.session.refresh(thread)
    assert thread.accepted_post_id == answer.id and thread.resolved_at is not None
    # opening it again withdraws the accepted answer
    services.set_resolved(ani, thread, False)
    assert thread.resolved_at is None and thread.accepted_post_id is None
    # a trainer may accept too
    services.accept_answer(budi, answer)
    assert thread.accepted_post_id == answer.id


def test_accept_refusals(people, marc):
    ani, budi, eko = people["ani"], people["budi"], people["eko"]
    thread = ask(ani, marc)
    answer = services.reply(budi, thread, "Jawaban")
    with pytest.raises(services.PostingError):  # another librarian
        services.accept_answer(eko, answer)
    with pytest.raises(services.PostingError):  # the question itself
        services.accept_answer(ani, first_post(thread))
    answer.hidden_at = utcnow()
    db.session.commit()
    with pytest.raises(services.PostingError):  # a hidden post
        services.accept_answer(ani, answer)
    talk = ask(ani, marc, kind="discussion", title="Berbagi")
    reply = services.reply(budi, talk, "Menarik")
    with pytest.raises(services.PostingError):  # not a question
        services.accept_answer(ani, reply)
    db.session.refresh(thread)
    assert thread.accepted_post_id is None and thread.resolved_at is None and talk.accepted_post_id is None


def test_resolve_refusals(people, marc):
    ani, eko, budi = people["ani"], people["eko"], people["budi"]
    thread = ask(ani, marc)
    with pytest.raises(services.PostingError):
        services.set_resolved(eko, thread, True)
    assert thread.resolved_at is None
    services.set_resolved(budi, thread, True)  # a moderator may
    assert thread.resolved_at is not None
    talk = ask(ani, marc, kind="discussion", title="Berbagi")
    with pytest.raises(services.PostingError):
        services.set_resolved(ani, talk, True)
    assert talk.resolved_at is None


# --- recount -------------------------------------------------------------------------------------

def test_recount_follows_the_visible_posts(people, marc):
    ani, budi, eko = people["ani"], people["budi"], people["eko"]
    thread = ask(ani, marc)
    own = services.reply(ani, thread, "tambahan")
    first_answer = services.reply(budi, thread, "jawaban budi")
    second = services.reply(eko, thread, "jawaban eko")
    first_answer.hidden_at = utcnow()  # what a moderator's hide does, then recount
    services.recount(thread)
    db.session.commit()
    assert thread.reply_count == 2 and thread.answered_at == second.created_at
    assert thread.last_post_at == second.created_at
    second.deleted_at = utcnow()
    services.recount(thread)
    db.session.commit()
    assert thread.reply_count == 1 and thread.answered_at is None and thread.last_post_at == own.created_at
    first_answer.hidden_at = None
    services.recount(thread)
    db.session.commit()
    assert thread.reply_count == 2 and thread.answered_at == first_answer.created_at


# --- notifications are sent after the commit --------------------------------------------------------

def test_notifications_are_asked_for_after_saving(monkeypatch, people, marc):
    calls = []
    monkeypatch.setattr(notify, "thread_created", lambda thread: calls.append(("created", thread.id)))
    monkeypatch.setattr(notify, "replied", lambda post: calls.append(("replied", post.id)))
    monkeypatch.setattr(notify, "answer_accepted",
                        lambda thread, post, by=None: calls.append(("accepted", post.id, by.id)))
    thread = ask(people["ani"], marc)
    answer = services.reply(people["budi"], thread, "Jawaban")
    services.accept_answer(people["ani"], answer)
    services.accept_answer(people["ani"], answer)  # the same again: nobody told twice
    assert calls == [("created", thread.id), ("replied", answer.id), ("accepted", answer.id, people["ani"].id)]


def test_a_failing_notifier_does_not_lose_the_post(monkeypatch, people, marc):
    def broken(post):
        raise RuntimeError("smtp down")

    monkeypatch.setattr(notify, "replied", broken)
    thread = ask(people["ani"], marc)
    post = services.reply(people["budi"], thread, "Jawaban tetap tersimpan")
    assert db.session.get(Post, post.id).body_md == "Jawaban tetap tersimpan"


def test_a_reply_and_its_notifications_are_kept_or_lost_together(monkeypatch, people, marc):
    """Issue 22: a worker killed while the notifications were written (after the reply had
    been committed) left a reply nobody was told of. The notifications are now written in
    the reply's transaction: a kill (here SystemExit, which no handler catches) keeps neither."""
    from lms.plugins.notifications.models import Notification

    thread = ask(people["ani"], marc)
    real = notify.replied

    def killed_midway(post):
        real(post)  # the notifications are written...
        raise SystemExit("worker killed")  # ...and the worker dies before the commit

    monkeypatch.setattr(notify, "replied", killed_midway)
    with pytest.raises(SystemExit):
        services.reply(people["budi"], thread, "Jawaban yang hilang")
    db.session.rollback()
    assert db.session.scalar(select(Post).where(Post.body_md == "Jawaban yang hilang")) is None
    assert db.session.scalar(select(Notification).where(Notification.user_id == people["ani"].id)) is None


def test_replying_notifies_the_asker_through_the_notifications_plugin(people, marc):
    from lms.plugins.notifications.models import Notification

    thread = ask(people["ani"], marc)
    post = services.reply(people["budi"], thread, "Jawaban")
    note = db.session.scalar(select(Notification).where(Notification.user_id == people["ani"].id))
    assert note is not None and note.url.endswith(f"/discussions/thread/{thread.id}#post-{post.id}")


# --- rendering -------------------------------------------------------------------------------------

def test_competency_mentions_link_to_the_module(people, marc):
    ddc = module_named("ddc")
    html = render_post("Lihat #cat-marc dan #cat-classification, bukan #tidak-ada.", marc)
    assert '<a href="/courses/contoh/marc/" class="competency-mention" data-competency="cat-marc">#cat-marc</a>' in html
    # cat-classification is not covered by marc: the first active module mapped to it
    assert 'href="/courses/contoh/ddc/"' in html and 'data-competency="cat-classification"' in html
    assert "#tidak-ada" in html and 'data-competency="tidak-ada"' not in html
    # from a thread under ddc, #cat-marc still finds marc (ddc does not cover it)
    assert 'href="/courses/contoh/marc/"' in render_post("#cat-marc", ddc)
    # an inactive module is not a target
    marc.active = False
    db.session.commit()
    assert "competency-mention" not in render_post("#cat-marc", None)


def test_mentions_leave_code_links_and_entities_alone(people, marc):
    html = render_post("`#cat-marc` dan [tautan #cat-marc](https://contoh.id/#cat-marc)\n\n"
                       "```\n#cat-marc\n```\n\n#cat-marc di awal baris, teks#cat-marc, a/#cat-marc", marc)
    assert html.count("competency-mention") == 1  # only the one at the line start
    assert "<code>#cat-marc</code>" in html
    assert "<h1>" not in html and "#cat-marc</a> di awal baris" in html


def test_posts_under_a_thread_link_its_module(people, marc):
    thread = ask(people["ani"], marc, body="Tentang #cat-marc")
    assert 'href="/courses/contoh/marc/"' in first_post(thread).body_html
    reply = services.reply(people["budi"], thread, "Ya, #cat-marc")
    assert "competency-mention" in reply.body_html


def test_a_title_edit_is_what_search_finds(people, marc):
    """An edit of the first post stores the new title with the body for search."""
    thread = ask(people["ani"], marc, title="Katalog", body="mengkatalogkan buku")
    post = first_post(thread)
    services.edit_post(people["ani"], post, "mengkatalogkan buku", title="Klasifikasi")
    assert post.search_text == index_text("Klasifikasi", "mengkatalogkan buku")
    assert "klasifikasi" in post.search_text and "katalog" in post.search_text


def test_edits_count_against_the_rate_limit_across_workers(app, people, marc):
    """An edit re-renders Markdown, so it costs a write like a post (finding 3 of issue 14).
    Counted from the audit log: another worker's session sees the same count."""
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(3, 60)]
    ani = people["ani"]
    post = first_post(ask(ani, marc, body="Isi 0"))
    services.edit_post(ani, post, "Isi 1")
    services.edit_post(ani, post, "Isi 2")  # one post and two edits: three writes in the minute
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        services.edit_post(ani, post, "Isi 3")
    assert 0 < refused.value.retry_after <= 61 and "try again in" in str(refused.value.message)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_md == "Isi 2"  # nothing changed by the refused edit
    edits = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "discussion.post_edited")
    assert db.session.scalar(edits) == 2
    # the edits also hold back new posts, and an unchanged text is no write at all
    with pytest.raises(services.PostingError):
        services.reply(ani, post.thread, "balasan")
    db.session.rollback()
    services.edit_post(ani, db.session.get(Post, post.id), "Isi 2")
    # others are not slowed down by ani
    services.reply(people["budi"], post.thread, "jawaban")
