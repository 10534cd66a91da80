"""Moderation: hiding and unhiding posts with a reason (never deleted, always audited),
readers' reports and the moderators' queue, locking threads.

Threads are built straight from the models (a first post with rendered HTML and search
text) so these tests do not depend on the posting rules; replying to a locked thread goes
through the posting service and the reply page, as a reader would.
"""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from lms.markdown_html import render_markdown
from lms.plugins.discussions import access, moderation, services
from lms.plugins.discussions.models import Board, BoardUnit, Post, PostReport, Thread
from lms.plugins.discussions.search import index_text
from tests.conftest import csrf_token, post_form


# --- building threads ---------------------------------------------------------------------------

def _post(thread: Thread, author, body: str, first: bool = False) -> Post:
    post = Post(thread=thread, author_id=author.id, body_md=body, body_html=render_markdown(body),
                search_text=index_text(thread.title, body) if first else index_text(body))
    db.session.add(post)
    return post


def make_thread(author, *, module=None, board=None, title="Cara membuat cantuman MARC?",
                body="Bagaimana mengisi tag 245?", replies=()) -> Thread:
    """A thread with its first post and ``replies`` as (author, body) pairs, counted like the
    posting service counts them."""
    thread = Thread(module_id=module.id if module else None, board_id=board.id if board else None,
                    kind="question" if module else "discussion", title=title, author_id=author.id,
                    organisation_id=access.organisation_of(author) if module else None)
    db.session.add(thread)
    _post(thread, author, body, first=True)
    for replier, text in replies:
        _post(thread, replier, text)
        thread.reply_count += 1
        if replier.id != author.id and thread.answered_at is None:
            thread.answered_at = utcnow()
    db.session.commit()
    return thread


def fresh(model, ident):
    """The row as the database has it now (requests run in their own session)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def posts_of(thread: Thread) -> list[Post]:
    return list(db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.id)))


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def thread_url(thread: Thread) -> str:
    return f"/discussions/thread/{thread.id}"


@pytest.fixture
def branch_b_board(people, org):
    """A board for branch-b only: dodi and tono see it; ani and trainer budi do not."""
    board = Board(slug="cabang-b", name="Forum Cabang B", description="")
    db.session.add(board)
    db.session.flush()
    db.session.add(BoardUnit(board_id=board.id, unit_id=org["branch_b"].id))
    db.session.commit()
    return board


@pytest.fixture
def qa(people, marc):
    """ani asks under module marc; eko and budi reply."""
    return make_thread(people["ani"], module=marc,
                       replies=[(people["eko"], "Isi subfield $a dengan judul."),
                                (people["budi"], "Lihat juga pedoman RDA.")])


@pytest.fixture
def english(people):
    """Everyone reads English, so messages can be checked by their source wording."""
    for person in people.values():
        person.locale = "en"
    db.session.commit()


# --- hiding -------------------------------------------------------------------------------------

def test_hiding_keeps_the_post_records_the_reason_and_recounts_the_thread(app, people, qa):
    first, eko_reply, budi_reply = posts_of(qa)
    assert qa.reply_count == 2
    moderation.hide_post(people["budi"], eko_reply, "  Jawaban keliru dan menyesatkan.  ")

    db.session.expire_all()
    hidden = fresh(Post, eko_reply.id)
    assert hidden is not None and hidden.body_md == "Isi subfield $a dengan judul."  # never deleted
    assert hidden.hidden_at is not None and hidden.hidden_by_id == people["budi"].id
    assert hidden.hidden_reason == "Jawaban keliru dan menyesatkan."
    assert fresh(Thread, qa.id).reply_count == 1  # services.recount ran
    [entry] = audit_entries("discussion_post.hidden")
    assert entry.target_id == str(eko_reply.id) and entry.actor_id == people["budi"].id
    assert entry.details["reason"] == "Jawaban keliru dan menyesatkan."


def test_hiding_every_reply_of_others_makes_the_question_unanswered_again(app, people, marc):
    thread = make_thread(people["ani"], module=marc, replies=[(people["eko"], "Coba tag 100.")])
    assert thread.answered_at is not None
    moderation.hide_post(people["adi"], posts_of(thread)[1], "Spam")
    db.session.expire_all()
    thread = fresh(Thread, thread.id)
    assert thread.reply_count == 0 and thread.answered_at is None


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_hiding_needs_a_reason_of_at_most_300_characters(app, people, qa, reason):
    post = posts_of(qa)[1]
    with pytest.raises(services.PostingError) as refused:
        moderation.hide_post(people["budi"], post, reason)
    assert refused.value.message
    db.session.rollback()
    db.session.expire_all()
    assert fresh(Post, post.id).hidden_at is None
    assert fresh(Thread, qa.id).reply_count == 2
    assert audit_entries("discussion_post.hidden") == []


def test_a_reason_of_exactly_300_characters_is_accepted(app, people, qa):
    post = moderation.hide_post(people["budi"], posts_of(qa)[1], "y" * 300)
    assert post.hidden_reason == "y" * 300


def test_librarians_and_supervisors_cannot_hide(app, people, qa):
    post = posts_of(qa)[1]
    for name in ("ani", "sari"):
        with pytest.raises(services.PostingError):
            moderation.hide_post(people[name], post, "Tidak suka")
    db.session.rollback()
    assert fresh(Post, post.id).hidden_at is None


def test_hiding_twice_or_hiding_a_deleted_post_is_refused(app, people, qa):
    _, eko_reply, budi_reply = posts_of(qa)
    moderation.hide_post(people["budi"], eko_reply, "Keliru")
    with pytest.raises(services.PostingError):
        moderation.hide_post(people["adi"], eko_reply, "Lagi")
    db.session.rollback()
    budi_reply.deleted_at = utcnow()
    db.session.commit()
    with pytest.raises(services.PostingError):
        moderation.hide_post(people["adi"], budi_reply, "Keliru")
    db.session.rollback()
    assert fresh(Post, budi_reply.id).hidden_at is None
    assert len(audit_entries("discussion_post.hidden")) == 1


def test_unhiding_shows_the_post_again_and_the_old_reason_stays_in_the_audit_log(app, people, qa):
    post = posts_of(qa)[1]
    moderation.hide_post(people["budi"], post, "Keliru")
    moderation.unhide_post(people["adi"], post)
    db.session.expire_all()
    post = fresh(Post, post.id)
    assert post.visible and post.hidden_reason is None and post.hidden_by_id is None
    assert fresh(Thread, qa.id).reply_count == 2
    [entry] = audit_entries("discussion_post.unhidden")
    assert entry.details["previous_reason"] == "Keliru" and entry.actor_id == people["adi"].id
    assert audit_entries("discussion_post.hidden")[0].details["reason"] == "Keliru"
    with pytest.raises(services.PostingError):  # not hidden any more
        moderation.unhide_post(people["adi"], post)


def test_a_trainer_cannot_moderate_a_board_outside_his_units(app, people, branch_b_board):
    thread = make_thread(people["dodi"], board=branch_b_board, title="Jadwal layanan",
                         replies=[(people["tono"], "Setuju.")])
    post = posts_of(thread)[1]
    with pytest.raises(services.PostingError):
        moderation.hide_post(people["budi"], post, "Keliru")
    with pytest.raises(services.PostingError):
        moderation.lock_thread(people["budi"], thread, True)
    db.session.rollback()
    moderation.hide_post(people["adi"], post, "Keliru")  # admins see every board
    assert fresh(Post, post.id).hidden_at is not None


# --- hiding through the pages --------------------------------------------------------------------

def test_moderator_hides_from_the_thread_page_and_readers_see_the_reason(app, people, qa, signed_in):
    eko_reply = posts_of(qa)[1]
    budi = signed_in("budi")
    page = budi.get(thread_url(qa)).get_data(as_text=True)
    assert f'id="hide-post-form-{eko_reply.id}"' in page
    assert 'data-action="lock-thread"' in page

    response = post_form(budi, f"/discussions/post/{eko_reply.id}/hide",
                         {"reason": "Berisi data pribadi <b>pemustaka</b>"}, token_from=thread_url(qa))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{thread_url(qa)}#post-{eko_reply.id}")
    assert fresh(Post, eko_reply.id).hidden_at is not None

    ani_page = signed_in("ani").get(thread_url(qa)).get_data(as_text=True)
    assert "Berisi data pribadi &lt;b&gt;pemustaka&lt;/b&gt;" in ani_page  # the reason, escaped
    assert "Isi subfield $a dengan judul." not in ani_page  # the text is not shown to readers
    budi_page = budi.get(thread_url(qa)).get_data(as_text=True)
    assert "Isi subfield $a dengan judul." in budi_page  # moderators still read it
    assert f'id="unhide-post-form-{eko_reply.id}"' in budi_page


def test_hide_page_refusals_show_the_form_again_and_change_nothing(app, people, qa, signed_in, english):
    post = posts_of(qa)[1]
    budi = signed_in("budi")
    response = post_form(budi, f"/discussions/post/{post.id}/hide", {"reason": " "}, token_from=thread_url(qa))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give a reason for hiding the post." in page and f'id="hide-post-form-{post.id}"' in page

    long_reason = "z" * 301
    response = post_form(budi, f"/discussions/post/{post.id}/hide", {"reason": long_reason},
                         token_from=thread_url(qa))
    assert response.status_code == 400
    assert "at most 300 characters" in response.get_data(as_text=True)
    assert f'value="{long_reason}"' in response.get_data(as_text=True)  # what was typed is kept
    db.session.expire_all()
    assert fresh(Post, post.id).hidden_at is None


def test_hide_without_csrf_token_is_refused(app, people, qa, signed_in):
    post = posts_of(qa)[1]
    response = signed_in("budi").post(f"/discussions/post/{post.id}/hide", data={"reason": "Keliru"})
    assert response.status_code == 400
    assert fresh(Post, post.id).hidden_at is None


def test_librarians_cannot_use_the_moderation_endpoints(app, people, qa, signed_in):
    post = posts_of(qa)[1]
    ani = signed_in("ani")
    token = csrf_token(ani, thread_url(qa))
    assert ani.post(f"/discussions/post/{post.id}/hide", data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert ani.post(f"/discussions/post/{post.id}/unhide", data={"csrf_token": token}).status_code == 403
    assert ani.post(f"/discussions/thread/{qa.id}/lock", data={"csrf_token": token, "locked": "1"}).status_code == 403
    assert ani.get("/discussions/moderation").status_code == 403
    db.session.expire_all()
    assert fresh(Post, post.id).hidden_at is None and fresh(Thread, qa.id).locked_at is None


def test_another_boards_posts_answer_404_to_a_trainer_who_cannot_see_it(app, people, branch_b_board, signed_in):
    thread = make_thread(people["dodi"], board=branch_b_board, title="Jadwal layanan",
                         replies=[(people["tono"], "Setuju.")])
    post = posts_of(thread)[1]
    budi = signed_in("budi")
    token = csrf_token(budi, "/discussions/moderation")
    assert budi.post(f"/discussions/post/{post.id}/hide", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert budi.post(f"/discussions/post/{post.id}/unhide", data={"csrf_token": token}).status_code == 404
    assert budi.post(f"/discussions/thread/{thread.id}/lock",
                     data={"csrf_token": token, "locked": "1"}).status_code == 404
    assert budi.post("/discussions/post/999999/hide", data={"csrf_token": token, "reason": "x"}).status_code == 404
    ani = signed_in("ani")
    assert ani.post(f"/discussions/post/{post.id}/report",
                    data={"csrf_token": csrf_token(ani, "/"), "reason": "x"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(PostReport)) == 0


# --- reports ------------------------------------------------------------------------------------

def test_a_reader_reports_a_post_once(app, people, qa, signed_in, english):
    eko_reply = posts_of(qa)[1]
    ani = signed_in("ani")
    page = ani.get(thread_url(qa)).get_data(as_text=True)
    assert f'id="report-post-form-{eko_reply.id}"' in page
    assert f'id="hide-post-form-{eko_reply.id}"' not in page  # no moderation for readers

    response = post_form(ani, f"/discussions/post/{eko_reply.id}/report", {"reason": "Menyinggung"},
                         token_from=thread_url(qa))
    assert response.status_code == 302
    [report] = db.session.scalars(select(PostReport))
    assert (report.post_id, report.reporter_id, report.reason) == (eko_reply.id, people["ani"].id, "Menyinggung")
    page = ani.get(thread_url(qa)).get_data(as_text=True)
    assert f'data-reported="{eko_reply.id}"' in page and f'id="report-post-form-{eko_reply.id}"' not in page

    again = post_form(ani, f"/discussions/post/{eko_reply.id}/report", {"reason": "Lagi"}, token_from=thread_url(qa))
    assert again.status_code == 400
    assert "You have already reported this post" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PostReport)) == 1


def test_report_refusals(app, people, qa, signed_in, english):
    first, eko_reply, budi_reply = posts_of(qa)
    ani = signed_in("ani")
    own = post_form(ani, f"/discussions/post/{first.id}/report", {"reason": "x"}, token_from=thread_url(qa))
    assert own.status_code == 400 and "You cannot report your own post." in own.get_data(as_text=True)
    empty = post_form(ani, f"/discussions/post/{eko_reply.id}/report", {"reason": ""}, token_from=thread_url(qa))
    assert empty.status_code == 400 and "Say briefly what is wrong" in empty.get_data(as_text=True)
    too_long = post_form(ani, f"/discussions/post/{eko_reply.id}/report", {"reason": "r" * 301},
                         token_from=thread_url(qa))
    assert too_long.status_code == 400
    moderation.hide_post(people["budi"], budi_reply, "Keliru")
    hidden = post_form(ani, f"/discussions/post/{budi_reply.id}/report", {"reason": "x"}, token_from=thread_url(qa))
    assert hidden.status_code == 400 and "no longer shown" in hidden.get_data(as_text=True)
    no_token = ani.post(f"/discussions/post/{eko_reply.id}/report", data={"reason": "x"})
    assert no_token.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PostReport)) == 0


def test_the_unique_constraint_backs_the_once_per_reader_rule(app, people, qa):
    post = posts_of(qa)[1]
    moderation.report_post(people["ani"], post, "Keliru")
    with force_locale("en"), pytest.raises(services.PostingError) as refused:
        moderation.report_post(people["ani"], post, "Keliru lagi")
    assert "already reported" in refused.value.message


# --- the queue ------------------------------------------------------------------------------------

def _report(people, post, *names_and_reasons):
    for name, reason in names_and_reasons:
        moderation.report_post(people[name], post, reason)


def test_the_queue_groups_open_reports_by_post_most_reported_first(app, people, qa, signed_in):
    first, eko_reply, budi_reply = posts_of(qa)
    _report(people, budi_reply, ("ani", "Salah tautan"))
    _report(people, eko_reply, ("ani", "Menyesatkan"), ("sari", "Tidak sopan <script>x</script>"))

    page = signed_in("budi").get("/discussions/moderation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    order = re.findall(r'id="reported-post-(\d+)"[^>]*data-report-count="(\d+)"', html)
    assert order == [(str(eko_reply.id), "2"), (str(budi_reply.id), "1")]
    eko_block = html[html.index(f'id="reported-post-{eko_reply.id}"'):html.index(f'id="reported-post-{budi_reply.id}"')]
    assert "Ani" in eko_block and "Sari" in eko_block and "Menyesatkan" in eko_block
    assert "Tidak sopan &lt;script&gt;x&lt;/script&gt;" in eko_block  # reasons are escaped
    assert 'data-action="hide-reported"' in eko_block and 'data-action="dismiss-report"' in eko_block
    assert qa.title in eko_block


def test_the_queue_leaves_out_boards_the_moderator_cannot_see(app, people, branch_b_board, qa, signed_in):
    thread = make_thread(people["dodi"], board=branch_b_board, title="Rahasia cabang B",
                         replies=[(people["tono"], "Setuju.")])
    board_post = posts_of(thread)[1]
    _report(people, board_post, ("dodi", "Keliru"))
    _report(people, posts_of(qa)[1], ("ani", "Keliru"))
    budi_page = signed_in("budi").get("/discussions/moderation").get_data(as_text=True)
    assert f'id="reported-post-{board_post.id}"' not in budi_page and "Rahasia cabang B" not in budi_page
    assert f'id="reported-post-{posts_of(qa)[1].id}"' in budi_page
    adi_page = signed_in("adi").get("/discussions/moderation").get_data(as_text=True)
    assert f'id="reported-post-{board_post.id}"' in adi_page
    assert moderation.open_report_count(people["budi"]) == 1
    assert moderation.open_report_count(people["adi"]) == 2
    assert moderation.open_report_count(people["ani"]) == 0


def test_dismissing_closes_every_open_report_on_the_post(app, people, qa, signed_in, english):
    post = posts_of(qa)[1]
    _report(people, post, ("ani", "Keliru"), ("sari", "Keliru juga"))
    report_id = min(db.session.scalars(select(PostReport.id)))
    budi = signed_in("budi")
    response = post_form(budi, f"/discussions/reports/{report_id}/resolve", {"action": "dismiss"},
                         token_from="/discussions/moderation")
    assert response.status_code == 302 and response.headers["Location"].endswith("/discussions/moderation")
    db.session.expire_all()
    reports = list(db.session.scalars(select(PostReport)))
    assert len(reports) == 2 and all(r.resolved_at and r.resolved_by_id == people["budi"].id for r in reports)
    assert fresh(Post, post.id).visible
    [entry] = audit_entries("discussion_post.reports_dismissed")
    assert entry.details["reports_resolved"] == 2
    page = budi.get("/discussions/moderation").get_data(as_text=True)
    assert 'id="no-reports"' in page

    again = post_form(budi, f"/discussions/reports/{report_id}/resolve", {"action": "dismiss"},
                      token_from="/discussions/moderation")
    assert again.status_code == 400
    assert f'id="resolve-problem-{report_id}"' in again.get_data(as_text=True)
    assert "already handled" in again.get_data(as_text=True)


def test_hiding_from_the_queue_needs_a_reason(app, people, qa, signed_in, english):
    post = posts_of(qa)[1]
    _report(people, post, ("ani", "Keliru"))
    report = db.session.scalar(select(PostReport))
    budi = signed_in("budi")
    response = post_form(budi, f"/discussions/reports/{report.id}/resolve", {"action": "hide", "reason": ""},
                         token_from="/discussions/moderation")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="resolve-problem-{report.id}"' in html and "Give a reason for hiding the post." in html
    bad = post_form(budi, f"/discussions/reports/{report.id}/resolve", {"action": "delete"},
                    token_from="/discussions/moderation")
    assert bad.status_code == 400
    db.session.expire_all()
    assert fresh(PostReport, report.id).resolved_at is None
    assert fresh(Post, post.id).hidden_at is None

    response = post_form(budi, f"/discussions/reports/{report.id}/resolve",
                         {"action": "hide", "reason": "Melanggar pedoman"}, token_from="/discussions/moderation")
    assert response.status_code == 302
    db.session.expire_all()
    assert fresh(Post, post.id).hidden_reason == "Melanggar pedoman"
    assert fresh(PostReport, report.id).resolved_at is not None
    assert audit_entries("discussion_post.hidden")[0].details["reports_resolved"] == 1


def test_hiding_a_post_directly_closes_its_reports(app, people, qa):
    post = posts_of(qa)[1]
    _report(people, post, ("ani", "Keliru"), ("sari", "Keliru"))
    moderation.hide_post(people["budi"], post, "Keliru")
    assert db.session.scalar(select(func.count()).select_from(PostReport)
                             .where(PostReport.resolved_at.is_(None))) == 0


def test_reports_on_a_post_its_author_deleted_can_be_closed(app, people, qa):
    post = posts_of(qa)[1]
    _report(people, post, ("ani", "Keliru"))
    post.deleted_at = utcnow()
    db.session.commit()
    report = db.session.scalar(select(PostReport))
    assert moderation.resolve_report(people["budi"], report, hide=True) == 1  # nothing to hide: just closed
    assert fresh(Post, post.id).hidden_at is None


def test_recently_hidden_posts_can_be_shown_again_from_the_queue(app, people, qa, signed_in):
    post = posts_of(qa)[1]
    moderation.hide_post(people["budi"], post, "Alasan <i>penting</i>")
    budi = signed_in("budi")
    html = budi.get("/discussions/moderation").get_data(as_text=True)
    block = html[html.index(f'id="hidden-post-{post.id}"'):]
    assert "Alasan &lt;i&gt;penting&lt;/i&gt;" in block and "Budi" in block
    assert f'id="unhide-post-form-{post.id}"' in block
    response = post_form(budi, f"/discussions/post/{post.id}/unhide", {"back": "queue"},
                         token_from="/discussions/moderation")
    assert response.status_code == 302 and response.headers["Location"].endswith("/discussions/moderation")
    assert fresh(Post, post.id).visible
    assert f'id="hidden-post-{post.id}"' not in budi.get("/discussions/moderation").get_data(as_text=True)
    again = post_form(budi, f"/discussions/post/{post.id}/unhide", {}, token_from="/discussions/moderation")
    assert again.status_code == 302  # refused with a message, back on the thread
    assert again.headers["Location"].endswith(f"{thread_url(qa)}#post-{post.id}")
    assert len(audit_entries("discussion_post.unhidden")) == 1


def test_the_queue_page_runs_a_fixed_number_of_queries(app, people, marc, signed_in):
    budi = signed_in("budi")

    def queries_for_queue() -> int:
        count = 0

        def count_it(*_args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            assert budi.get("/discussions/moderation").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count_it)
        return count

    def reported_and_hidden_thread(n: int):
        thread = make_thread(people["ani"], module=marc, title=f"Pertanyaan {n}",
                             replies=[(people["eko"], f"Jawaban {n}"), (people["dodi"], f"Lain {n}")])
        _, eko_reply, dodi_reply = posts_of(thread)
        _report(people, eko_reply, ("ani", "Keliru"), ("sari", "Keliru"))
        moderation.hide_post(people["adi"], dodi_reply, "Spam")

    reported_and_hidden_thread(1)
    few = queries_for_queue()
    for n in range(2, 6):
        reported_and_hidden_thread(n)
    assert queries_for_queue() == few


# --- locking --------------------------------------------------------------------------------------

def test_locking_refuses_replies_until_the_thread_is_opened_again(app, people, qa, signed_in, english):
    budi = signed_in("budi")
    response = post_form(budi, f"/discussions/thread/{qa.id}/lock", {"locked": "1"}, token_from=thread_url(qa))
    assert response.status_code == 302
    db.session.expire_all()
    thread = fresh(Thread, qa.id)
    assert thread.locked_at is not None and thread.locked_by_id == people["budi"].id
    assert audit_entries("discussion_thread.locked")[0].target_id == str(qa.id)

    ani = signed_in("ani")
    page = ani.get(thread_url(qa)).get_data(as_text=True)
    assert 'id="thread-locked"' in page and 'data-action="lock-thread"' not in page
    assert 'id="reply-form"' not in page  # the reply box says why instead
    refused = post_form(ani, f"{thread_url(qa)}/reply", {"body": "Masih bisa balas?"}, token_from=thread_url(qa))
    assert refused.status_code == 400
    assert "This thread is locked: no new replies can be posted." in refused.get_data(as_text=True)
    assert len(posts_of(thread)) == 3  # nothing was added
    with pytest.raises(services.PostingError):
        services.reply(people["eko"], fresh(Thread, qa.id), "Lewat layanan juga ditolak")
    db.session.rollback()
    assert len(posts_of(thread)) == 3

    response = post_form(budi, f"/discussions/thread/{qa.id}/lock", {"locked": "0"}, token_from=thread_url(qa))
    assert response.status_code == 302
    db.session.expire_all()
    assert fresh(Thread, qa.id).locked_at is None
    assert len(audit_entries("discussion_thread.unlocked")) == 1
    services.reply(people["eko"], fresh(Thread, qa.id), "Sekarang bisa.")
    assert len(posts_of(thread)) == 4


def test_lock_refusals(app, people, qa, signed_in, english):
    budi = signed_in("budi")
    bad = post_form(budi, f"/discussions/thread/{qa.id}/lock", {"locked": "yes"}, token_from=thread_url(qa))
    assert bad.status_code == 400
    no_token = budi.post(f"/discussions/thread/{qa.id}/lock", data={"locked": "1"})
    assert no_token.status_code == 400
    assert fresh(Thread, qa.id).locked_at is None
    not_locked = post_form(budi, f"/discussions/thread/{qa.id}/lock", {"locked": "0"}, token_from=thread_url(qa),
                           follow_redirects=True)
    assert "This thread is not locked." in not_locked.get_data(as_text=True)
    moderation.lock_thread(people["adi"], qa, True)
    twice = post_form(budi, f"/discussions/thread/{qa.id}/lock", {"locked": "1"}, token_from=thread_url(qa),
                      follow_redirects=True)
    assert "This thread is already locked." in twice.get_data(as_text=True)
    assert len(audit_entries("discussion_thread.locked")) == 1
    with pytest.raises(services.PostingError):
        moderation.lock_thread(people["ani"], qa, False)
