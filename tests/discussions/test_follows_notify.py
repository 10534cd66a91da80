"""Follows and discussion notifications: idempotent follows, the follow buttons (CSRF, 404
for what one may not see, bad input), who is told of replies, answers, accepted answers
and new board threads - never someone who cannot see the board - and the CLI.

Threads are built directly with the models (``make_thread``) so these tests do not depend
on the posting services; ``test_posting_services_follow_and_notify`` at the end runs the
same flow through ``services.create_thread/reply/accept_answer``.
"""
from __future__ import annotations

import pytest
from flask import render_template, url_for
from flask_babel import force_locale
from flask_login import login_user
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.discussions import access, follows, notify
from lms.plugins.discussions.models import Board, BoardUnit, Follow, Post, Thread
from lms.plugins.discussions.search import index_text
from lms.plugins.notifications import services as notifications
from lms.plugins.notifications.models import Notification
from tests.conftest import csrf_token, deliver_mail


# --- test data ------------------------------------------------------------------------------

def make_board(name: str, units=(), archived: bool = False) -> Board:
    board = Board(slug=name.lower().replace(" ", "-"), name=name,
                  units=[BoardUnit(unit_id=unit.id) for unit in units])
    if archived:
        from lms.clock import utcnow

        board.archived_at = utcnow()
    db.session.add(board)
    db.session.commit()
    return board


def make_thread(author, *, module=None, board=None, kind="question", title="Ruas 245?", body="Bagaimana?"):
    thread = Thread(module_id=module.id if module else None, board_id=board.id if board else None, kind=kind,
                    title=title, author_id=author.id,
                    organisation_id=access.organisation_of(author) if module else None)
    thread.posts.append(Post(author_id=author.id, body_md=body, body_html=f"<p>{body}</p>",
                             search_text=index_text(title, body)))
    db.session.add(thread)
    db.session.commit()
    return thread


def make_reply(thread: Thread, author, body="Jawabannya begini.") -> Post:
    post = Post(thread_id=thread.id, author_id=author.id, body_md=body, body_html=f"<p>{body}</p>",
                search_text=index_text(body))
    db.session.add(post)
    db.session.commit()
    return post


def follow(user, thread=None, board=None):
    if thread is not None:
        follows.follow_thread(user.id, thread.id)
    else:
        follows.follow_board(user.id, board.id)
    db.session.commit()


def received(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def follow_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Follow))


@pytest.fixture
def branch_a_board(org):
    return make_board("Evaluasi Cabang A", units=[org["branch_a"]])


# --- follows ---------------------------------------------------------------------------------

def test_follows_are_idempotent(app, people, marc, branch_a_board):
    ani = people["ani"]
    thread = make_thread(ani, module=marc)
    assert follows.follow_thread(ani.id, thread.id) is True
    assert follows.follow_thread(ani.id, thread.id) is False  # no IntegrityError, no second row
    db.session.commit()
    assert follows.follow_thread(ani.id, thread.id) is False  # also once committed
    assert follows.follow_board(ani.id, branch_a_board.id) is True
    assert follows.follow_board(ani.id, branch_a_board.id) is False
    db.session.commit()
    assert follow_rows() == 2
    assert follows.is_following_thread(ani.id, thread.id) and follows.is_following_board(ani.id, branch_a_board.id)
    assert not follows.is_following_thread(people["eko"].id, thread.id)
    assert follows.thread_follower_ids(thread.id) == [ani.id]
    assert follows.board_follower_ids(branch_a_board.id) == [ani.id]
    assert follows.unfollow_thread(ani.id, thread.id) is True
    assert follows.unfollow_thread(ani.id, thread.id) is False
    db.session.commit()
    assert not follows.is_following_thread(ani.id, thread.id)
    assert follows.is_following_board(ani.id, branch_a_board.id)  # the board follow is separate
    assert follows.unfollow_board(ani.id, branch_a_board.id) is True
    db.session.commit()
    assert follow_rows() == 0


def test_follow_functions_leave_the_commit_to_the_caller(app, people, marc):
    thread = make_thread(people["ani"], module=marc)
    follows.follow_thread(people["eko"].id, thread.id)
    db.session.rollback()
    assert follow_rows() == 0


def test_set_follow_services_refuse_what_the_user_cannot_see(app, people, org, branch_a_board):
    thread = make_thread(people["ani"], board=branch_a_board, kind="discussion")
    with pytest.raises(follows.FollowError):
        follows.set_thread_follow(people["dodi"], thread, True)
    with pytest.raises(follows.FollowError):
        follows.set_board_follow(people["dodi"], branch_a_board, True)
    assert follow_rows() == 0
    assert follows.set_board_follow(people["eko"], branch_a_board, True) is True  # section-a1 is below branch-a
    assert follows.set_thread_follow(people["sari"], thread, True) is True
    assert follow_rows() == 2


def test_an_archived_board_cannot_be_followed_but_can_be_unfollowed(app, people, org):
    board = make_board("Arsip", units=[org["branch_a"]])
    follow(people["ani"], board=board)
    from lms.clock import utcnow

    board.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(follows.FollowError):
        follows.set_board_follow(people["eko"], board, True)
    assert follows.set_board_follow(people["ani"], board, False) is True
    assert follow_rows() == 0


# --- the follow endpoints --------------------------------------------------------------------

def test_follow_and_unfollow_a_thread_through_the_button(app, people, marc, signed_in):
    thread = make_thread(people["budi"], module=marc)
    client = signed_in("ani")
    token = csrf_token(client, "/")
    path = f"/discussions/thread/{thread.id}/follow"
    response = client.post(path, data={"csrf_token": token, "follow": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/discussions/thread/{thread.id}")
    assert follows.is_following_thread(people["ani"].id, thread.id)
    again = client.post(path, data={"csrf_token": token, "follow": "1"})  # a double click
    assert again.status_code == 303 and follow_rows() == 1
    response = client.post(path, data={"csrf_token": token, "follow": "0"})
    assert response.status_code == 303
    assert not follows.is_following_thread(people["ani"].id, thread.id)


@pytest.mark.parametrize("value", [None, "", "2", "yes", "true"])
def test_follow_button_with_a_bad_value_changes_nothing(app, people, marc, signed_in, value):
    thread = make_thread(people["budi"], module=marc)
    follow(people["ani"], thread=thread)
    client = signed_in("ani")
    data = {"csrf_token": csrf_token(client, "/")}
    if value is not None:
        data["follow"] = value
    response = client.post(f"/discussions/thread/{thread.id}/follow", data=data)
    assert response.status_code == 303
    assert follows.is_following_thread(people["ani"].id, thread.id) and follow_rows() == 1
    with client.session_transaction() as session:
        flashes = session.get("_flashes", [])
    assert [category for category, _ in flashes] == ["error"]


def test_follow_without_csrf_token_is_refused(app, people, marc, signed_in):
    thread = make_thread(people["budi"], module=marc)
    client = signed_in("ani")
    response = client.post(f"/discussions/thread/{thread.id}/follow", data={"follow": "1"})
    assert response.status_code == 400
    assert follow_rows() == 0
    board = make_board("Umum")
    response = client.post(f"/discussions/board/{board.id}/follow", data={"follow": "1"})
    assert response.status_code == 400
    assert follow_rows() == 0


def test_follow_needs_a_signed_in_user(app, people, marc, client):
    thread = make_thread(people["budi"], module=marc)
    token = csrf_token(client, "/login")
    response = client.post(f"/discussions/thread/{thread.id}/follow", data={"csrf_token": token, "follow": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert follow_rows() == 0


def test_another_units_board_and_its_threads_are_404_to_follow(app, people, branch_a_board, signed_in):
    thread = make_thread(people["ani"], board=branch_a_board, kind="discussion")
    client = signed_in("dodi")  # branch-b
    token = csrf_token(client, "/")
    assert client.post(f"/discussions/thread/{thread.id}/follow",
                       data={"csrf_token": token, "follow": "1"}).status_code == 404
    assert client.post(f"/discussions/board/{branch_a_board.id}/follow",
                       data={"csrf_token": token, "follow": "1"}).status_code == 404
    assert client.post("/discussions/thread/999999/follow", data={"csrf_token": token, "follow": "1"}).status_code == 404
    assert client.post("/discussions/board/999999/follow", data={"csrf_token": token, "follow": "1"}).status_code == 404
    assert follow_rows() == 0


def test_follow_and_unfollow_a_board_through_the_button(app, people, branch_a_board, signed_in):
    client = signed_in("eko")
    token = csrf_token(client, "/")
    path = f"/discussions/board/{branch_a_board.id}/follow"
    response = client.post(path, data={"csrf_token": token, "follow": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/discussions/b/{branch_a_board.slug}/")
    assert follows.is_following_board(people["eko"].id, branch_a_board.id)
    client.post(path, data={"csrf_token": token, "follow": "0"})
    assert not follows.is_following_board(people["eko"].id, branch_a_board.id)
    response = client.post(path, data={"csrf_token": token, "follow": "maybe"})
    assert response.status_code == 303 and follow_rows() == 0


def test_following_an_archived_board_is_refused_with_a_message(app, people, org, signed_in):
    board = make_board("Lama", units=[org["branch_a"]], archived=True)
    client = signed_in("ani")
    response = client.post(f"/discussions/board/{board.id}/follow",
                           data={"csrf_token": csrf_token(client, "/"), "follow": "1"})
    assert response.status_code == 303
    assert follow_rows() == 0
    with client.session_transaction() as session:
        assert [category for category, _ in session.get("_flashes", [])] == ["error"]


def render_partial(app, user, template: str, **context) -> str:
    with app.test_request_context("/"):
        login_user(user)
        return render_template(template, **context)


def test_follow_partials_show_the_current_state(app, people, marc, branch_a_board):
    ani = people["ani"]
    thread = make_thread(people["budi"], module=marc)
    page = render_partial(app, ani, "discussions/_follow_thread.html", thread=thread)
    assert 'id="follow-thread"' in page and 'data-following="0"' in page
    assert f'action="/discussions/thread/{thread.id}/follow"' in page
    assert 'name="follow" value="1"' in page and 'name="csrf_token"' in page
    follow(ani, thread=thread)
    page = render_partial(app, ani, "discussions/_follow_thread.html", thread=thread)
    assert 'data-following="1"' in page and 'name="follow" value="0"' in page

    page = render_partial(app, ani, "discussions/_follow_board.html", board=branch_a_board)
    assert 'id="follow-board"' in page and 'data-following="0"' in page
    assert f'action="/discussions/board/{branch_a_board.id}/follow"' in page
    follow(ani, board=branch_a_board)
    page = render_partial(app, ani, "discussions/_follow_board.html", board=branch_a_board)
    assert 'data-following="1"' in page and 'name="follow" value="0"' in page


def test_archived_board_partial_offers_only_unfollow(app, people, org):
    board = make_board("Tutup", units=[org["branch_a"]], archived=True)
    assert 'id="follow-board"' not in render_partial(app, people["ani"], "discussions/_follow_board.html",
                                                      board=board)
    follow(people["eko"], board=board)
    page = render_partial(app, people["eko"], "discussions/_follow_board.html", board=board)
    assert 'id="follow-board"' in page and 'data-following="1"' in page


# --- notifications -----------------------------------------------------------------------------

def test_reply_notifies_followers_but_not_its_author(app, people, marc):
    ani, eko, budi, dodi = people["ani"], people["eko"], people["budi"], people["dodi"]
    thread = make_thread(ani, module=marc)
    for user in (ani, eko, budi):
        follow(user, thread=thread)
    post = make_reply(thread, budi)
    assert notify.replied(post) == sorted([ani.id, eko.id])
    (to_ani,) = received(ani)
    (to_eko,) = received(eko)
    assert received(budi) == [] and received(dodi) == []  # the author; a non-follower
    assert to_ani.key == "discussion.answer"  # the asker hears of an answer to their question
    assert to_eko.key == "discussion.reply"
    for row in (to_ani, to_eko):
        assert row.kind == "discussion"
        assert row.url == f"/discussions/thread/{thread.id}#post-{post.id}"
        assert row.params["thread"] == "Ruas 245?" and row.params["author"] == budi.full_name
        assert row.params["where"] == "Mengenal MARC 21"
        assert row.emailed_at is None  # waits for the digest
    assert notify.replied(post) == []  # the same reply again: nobody twice
    assert len(received(ani)) == 1 and len(received(eko)) == 1


def test_reply_in_a_discussion_thread_is_a_reply_for_everyone(app, people, marc):
    thread = make_thread(people["ani"], module=marc, kind="discussion", title="Berbagi")
    follow(people["ani"], thread=thread)
    notify.replied(make_reply(thread, people["eko"]))
    assert [row.key for row in received(people["ani"])] == ["discussion.reply"]


def test_unfollowed_asker_hears_nothing(app, people, marc):
    thread = make_thread(people["ani"], module=marc)
    follow(people["ani"], thread=thread)
    follows.unfollow_thread(people["ani"].id, thread.id)
    db.session.commit()
    assert notify.replied(make_reply(thread, people["budi"])) == []
    assert received(people["ani"]) == []


def test_hidden_or_deleted_reply_notifies_nobody(app, people, marc):
    from lms.clock import utcnow

    thread = make_thread(people["ani"], module=marc)
    follow(people["ani"], thread=thread)
    post = make_reply(thread, people["budi"])
    post.deleted_at = utcnow()
    db.session.commit()
    assert notify.replied(post) == [] and received(people["ani"]) == []


def test_no_notification_about_a_board_the_follower_can_no_longer_see(app, people, org, branch_a_board):
    ani, eko, sari, dodi = people["ani"], people["eko"], people["sari"], people["dodi"]
    thread = make_thread(sari, board=branch_a_board, kind="discussion", title="Evaluasi triwulan")
    for user in (ani, eko, sari):
        follow(user, thread=thread)
    # ani moves to branch-b after following; eko is deactivated
    ani.unit_id = org["branch_b"].id
    eko.active = False
    # a follow row for dodi (branch-b) as if made before a rule changed
    follow(dodi, thread=thread)
    db.session.commit()
    post = make_reply(thread, sari)
    assert notify.replied(post) == []
    assert received(ani) == [] and received(eko) == [] and received(dodi) == []
    other = make_reply(thread, people["adi"])
    assert notify.replied(other) == [sari.id]  # the one follower who still sees the board


def test_new_board_thread_notifies_the_boards_followers(app, people, branch_a_board):
    ani, eko, sari, dodi = people["ani"], people["eko"], people["sari"], people["dodi"]
    for user in (ani, eko, sari, dodi):  # dodi's follow predates a change; he cannot see the board
        follow(user, board=branch_a_board)
    thread = make_thread(ani, board=branch_a_board, kind="discussion", title="Praktik baik layanan")
    assert notify.thread_created(thread) == sorted([eko.id, sari.id])
    (row,) = received(eko)
    assert (row.key, row.kind, row.url) == ("discussion.new_thread", "discussion", f"/discussions/thread/{thread.id}")
    assert row.params["where"] == "Evaluasi Cabang A" and row.params["author"] == ani.full_name
    assert received(ani) == [] and received(dodi) == []
    assert notify.thread_created(thread) == []  # once
    meeting = make_thread(sari, board=branch_a_board, kind="meeting", title="Rapat evaluasi Juni")
    assert notify.thread_created(meeting) == sorted([ani.id, eko.id])
    assert received(eko)[-1].key == "discussion.new_meeting"


def test_module_thread_notifies_no_board_followers(app, people, marc, branch_a_board):
    follow(people["eko"], board=branch_a_board)
    assert notify.thread_created(make_thread(people["ani"], module=marc)) == []
    assert received(people["eko"]) == []


def test_accepted_answer_notifies_its_author_once(app, people, marc):
    ani, budi = people["ani"], people["budi"]
    thread = make_thread(ani, module=marc)
    answer = make_reply(thread, budi)
    assert notify.answer_accepted(thread, answer, by=ani) == [budi.id]
    (row,) = received(budi)
    assert (row.key, row.url) == ("discussion.accepted", f"/discussions/thread/{thread.id}#post-{answer.id}")
    assert notify.answer_accepted(thread, answer, by=ani) == []  # accepted again later: once is enough
    own = make_reply(thread, ani)
    assert notify.answer_accepted(thread, own, by=ani) == []  # accepting one's own answer
    assert received(ani) == []


def test_accepting_in_a_request_does_not_notify_the_accepter(app, people, marc):
    thread = make_thread(people["ani"], module=marc)
    answer = make_reply(thread, people["budi"])
    with app.test_request_context("/"):
        login_user(people["budi"])  # budi (a trainer) accepts his own answer
        assert notify.answer_accepted(thread, answer) == []


def test_notifications_read_in_the_readers_language(app, people, marc):
    ani = people["ani"]
    thread = make_thread(ani, module=marc)
    follow(ani, thread=thread)
    notify.replied(make_reply(thread, people["budi"]))
    version = marc.current_version
    with force_locale("en"):
        (item,) = notifications.list_for(ani.id, "en")
        assert item.title == "New answer to your question: Ruas 245?"
        assert item.body == f"{people['budi'].full_name} answered your question in {version.title_en}."
    with force_locale("id"):
        (item,) = notifications.list_for(ani.id, "id")
        assert "Ruas 245?" in item.title and version.title_id in item.body


def test_discussion_notifications_are_not_emailed_at_once(app, people, marc, mail_on):
    thread = make_thread(people["ani"], module=marc)
    follow(people["ani"], thread=thread)
    notify.replied(make_reply(thread, people["budi"]))
    assert len(received(people["ani"])) == 1
    assert mail_on.messages == []  # e-mail comes with the daily digest
    result = app.test_cli_runner().invoke(args=["discussions", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 digest e-mail(s) queued." in result.output
    deliver_mail()
    (message,) = mail_on.to("ani@perpustakaan.test")
    assert "Ruas 245?" in message.get_content()
    assert received(people["ani"])[0].emailed_at is not None


def test_a_follower_who_chose_immediately_gets_each_reply_at_once(app, people, marc, mail_on):
    from lms.plugins.discussions import services
    from lms.plugins.notifications import preferences

    preferences.save(people["ani"].id, {"discussion": "immediate"})
    preferences.save(people["eko"].id, {"discussion": "never"})
    thread = make_thread(people["ani"], module=marc)
    for name in ("ani", "eko", "dodi"):
        follow(people[name], thread=thread)
    services.reply(people["budi"], thread, "Jawabannya begini.")  # the real posting service
    deliver_mail()
    assert [rcpt for rcpt, _message in mail_on.messages] == [["ani@perpustakaan.test"]]
    result = app.test_cli_runner().invoke(args=["discussions", "digest"])
    assert "1 digest e-mail(s) queued" in result.output  # dodi, by default; eko chose never
    deliver_mail()
    assert mail_on.to("dodi@perpustakaan.test") and not mail_on.to("eko@perpustakaan.test")
    assert len(mail_on.to("ani@perpustakaan.test")) == 1


def test_notifications_page_lists_the_discussion_notification(app, people, marc, signed_in):
    thread = make_thread(people["ani"], module=marc)
    follow(people["ani"], thread=thread)
    post = make_reply(thread, people["budi"])
    notify.replied(post)
    db.session.commit()  # the notifier writes in its caller's transaction
    client = signed_in("ani")
    page = client.get("/notifications/").get_data(as_text=True)
    (row,) = received(people["ani"])
    assert f'href="/notifications/{row.id}"' in page  # opening it marks it read, then goes to the post
    assert "Ruas 245?" in page
    response = client.get(f"/notifications/{row.id}")
    assert response.headers["Location"] == f"/discussions/thread/{thread.id}#post-{post.id}"


def test_notify_does_nothing_when_the_notifications_plugin_is_off(tmp_path):
    from tests.conftest import serve_app

    for app in serve_app(tmp_path, PLUGINS="-notifications"):
        assert not app.extensions["lms.plugins"].has_plugin("notifications")
        assert notify._send([1], "discussion.reply", {}, "/", "x") == []
        result = app.test_cli_runner().invoke(args=["discussions", "digest"])
        assert "notifications plugin is off" in result.output


# --- the command line -------------------------------------------------------------------------

def test_discussions_digest_without_mail_server_says_so(app, people, runner):
    result = runner.invoke(args=["discussions", "digest"])
    assert result.exit_code == 0
    assert "MAIL_SERVER is empty" in result.output


def test_discussions_reindex_rebuilds_the_search_text(app, people, marc, runner):
    thread = make_thread(people["ani"], module=marc, title="Katalog", body="mengkatalogkan buku")
    first = thread.posts[0]
    first.search_text = ""
    db.session.commit()
    result = runner.invoke(args=["discussions", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 post(s) reindexed." in result.output
    db.session.expire_all()
    assert db.session.get(Post, first.id).search_text == index_text("Katalog", "mengkatalogkan buku")


# --- with the posting services and the thread page -------------------------------------------------

def test_thread_path_is_the_thread_pages_address(app, people, marc):
    thread = make_thread(people["ani"], module=marc)
    with app.test_request_context("/"):
        assert notify.thread_url(thread) == url_for("discussions.thread", thread_id=thread.id)


def test_posting_services_follow_and_notify(app, people, marc, signed_in):
    from lms.plugins.discussions import services

    ani, budi, eko = people["ani"], people["budi"], people["eko"]
    thread = services.create_thread(ani, title="Indikator ruas 245", body="Apa arti indikator kedua?", module=marc)
    assert follows.is_following_thread(ani.id, thread.id)  # the asker follows
    follow(eko, thread=thread)
    answer = services.reply(budi, thread, "Jumlah karakter yang diabaikan saat pengurutan.")
    assert follows.is_following_thread(budi.id, thread.id)  # so does the replier
    assert [row.key for row in received(ani)] == ["discussion.answer"]
    assert [row.key for row in received(eko)] == ["discussion.reply"]
    assert received(budi) == []
    services.accept_answer(ani, answer)
    assert [row.key for row in received(budi)] == ["discussion.accepted"]
    page = signed_in("ani").get(f"/discussions/thread/{thread.id}").get_data(as_text=True)
    assert 'id="follow-thread"' in page and 'data-following="1"' in page


def test_board_page_shows_the_follow_button(app, people, branch_a_board, signed_in):
    page = signed_in("eko").get(f"/discussions/b/{branch_a_board.slug}/").get_data(as_text=True)
    assert 'id="follow-board"' in page and 'data-following="0"' in page
