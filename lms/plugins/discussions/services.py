"""Posting in discussions: threads, replies, edits, soft deletes, accepted answers and the
resolved mark, with the size limit and the per-user rate limit. The only place that commits.

Every rule about who may do what is asked of :mod:`lms.plugins.discussions.access`. A refusal
raises :class:`PostingError` whose ``message`` is shown to the user as it is (translated when
raised); nothing is written then. Notifications go out after the commit, so a failing
notification never loses a post. The reading side (lists, the trainer's unanswered questions,
content-gap signals) lives in :mod:`lms.plugins.discussions.queries` and is re-exported here.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, union_all

from lms.audit.models import AuditEntry, AuditPersonal
from lms.audit.services import record
from lms.auth.models import User
from lms.clock import aware, utcnow
from lms.extensions import db
from lms.transactions import refusals_roll_back
from lms.plugins.courses.models import Module
from lms.plugins.discussions import access, follows, notify
from lms.plugins.discussions.models import THREAD_KINDS, Board, Post, Thread
from lms.plugins.discussions.queries import (  # noqa: F401 - part of this module's interface
    ThreadSummary,
    module_threads,
    open_question_signals,
    opening_post_visible,
    recent_module_threads,
    status_of,
    thread_counts,
    trainer_module_ids,
    unanswered_questions,
    user_questions,
)
from lms.plugins.discussions.rendering import render_post
from lms.plugins.discussions.search import index_text

MODULE_KINDS = ("question", "discussion")


class PostingError(ValueError):
    """A refused post or action; ``message`` is for the user, ``field`` names the form field
    it belongs to ("" = the whole form), ``retry_after`` the seconds to wait (rate limit)."""

    def __init__(self, message, field: str = "", retry_after: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.retry_after = retry_after


# --- checks -------------------------------------------------------------------------------

def max_chars() -> int:
    return int(current_app.config.get("DISCUSSIONS_MAX_CHARS", 10_000))


def clean_title(title: str | None) -> str:
    """The title with runs of white space collapsed; refused when empty or too long."""
    cleaned = " ".join((title or "").split())
    limit = int(current_app.config.get("DISCUSSIONS_TITLE_MAX", 200))
    if not cleaned:
        raise PostingError(_("Please write a title."), "title")
    if len(cleaned) > limit:
        raise PostingError(_("The title is %(length)d characters long; the limit is %(max)d.",
                             length=len(cleaned), max=limit), "title")
    return cleaned


def clean_body(body: str | None) -> str:
    """The body with outer blank lines removed; refused when empty or over the size limit."""
    cleaned = (body or "").replace("\r\n", "\n").strip("\n").rstrip()
    if not cleaned.strip():
        raise PostingError(_("Please write something: the post is empty."), "body")
    limit = max_chars()
    if len(cleaned) > limit:
        raise PostingError(_("The post is %(length)d characters long; the limit is %(max)d. "
                             "Please shorten it.", length=len(cleaned), max=limit), "body")
    return cleaned


def _rate_rules() -> list[tuple[int, int]]:
    rules = current_app.config.get("DISCUSSIONS_RATE_LIMIT") or []
    return [(int(count), int(seconds)) for count, seconds in rules]


# audit actions of writes that re-render Markdown and count against the rate limit like a post
RATE_COUNTED_ACTIONS = ("discussion.post_edited", "discussion.meeting_record_saved")


def _recent_writes(user: User, since: datetime, limit: int) -> list[datetime]:
    """The times of ``user``'s latest writes after ``since``, newest first: posts (deleted and
    hidden ones too) and the edits and meeting records kept in the audit log. One statement."""
    writes = union_all(
        select(Post.created_at.label("at")).where(Post.author_id == user.id, Post.created_at > since),
        select(AuditEntry.at.label("at")).where(AuditEntry.actor_id == user.id,
                                                AuditEntry.action.in_(RATE_COUNTED_ACTIONS),
                                                AuditEntry.at > since)).subquery()
    return list(db.session.scalars(select(writes.c.at).order_by(writes.c.at.desc()).limit(limit)))


def check_rate_limit(user: User, now: datetime | None = None) -> None:
    """Refuse a write when ``user`` already made N writes in the last S seconds, for any rule
    ``(N, S)`` of ``DISCUSSIONS_RATE_LIMIT``. A write is a post, an edit of a post or a save
    of a meeting's minutes - each renders Markdown, so each costs the server alike. Counted
    from the posts table and the audit log, so every worker agrees, and deleting does not
    reset it. The message says when writing is possible again."""
    now = aware(now) or utcnow()
    wait = 0
    for count, seconds in _rate_rules():
        if count <= 0 or seconds <= 0:
            continue
        recent = _recent_writes(user, now - timedelta(seconds=seconds), count)
        if len(recent) >= count:
            free_at = aware(recent[-1]) + timedelta(seconds=seconds)
            wait = max(wait, math.ceil((free_at - now).total_seconds()))
    if wait <= 0:
        return
    if wait < 120:  # "in 90 seconds" reads better than "in 2 minutes"
        message = ngettext("You are posting too quickly. Please try again in %(num)d second.",
                           "You are posting too quickly. Please try again in %(num)d seconds.", wait)
    else:
        minutes = -(-wait // 60)
        message = ngettext("You are posting too quickly. Please try again in %(num)d minute.",
                           "You are posting too quickly. Please try again in %(num)d minutes.", minutes)
    raise PostingError(message, retry_after=wait)


def _thread_module(thread: Thread) -> Module | None:
    return db.session.get(Module, thread.module_id) if thread.module_id is not None else None


def _refuse_reply_reason(user: User, thread: Thread) -> str:
    if not access.can_see_thread(user, thread):
        return _("This discussion does not exist or is not open to you.")
    if thread.locked_at is not None:
        return _("This thread is locked: no new replies can be posted.")
    if thread.board is not None and thread.board.archived_at is not None:
        return _("This board is archived: no new posts can be written.")
    return _("You cannot reply to this thread.")


def first_post_id(thread: Thread) -> int | None:
    return db.session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread.id))


def _notify_within(action, *args, **kwargs) -> None:
    """Write a post's notifications in the post's own transaction, so the two are kept or
    lost together (a worker killed after the commit of one and before the other lost the
    notifications). The notifier runs in a savepoint: if it fails, only its part is rolled
    back and logged, and the post stands."""
    try:
        with db.session.begin_nested():
            action(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the post stands whatever the notifier does
        current_app.logger.exception("discussion notification failed: %s", getattr(action, "__name__", action))


# --- writing ------------------------------------------------------------------------------

@refusals_roll_back(PostingError)
def create_thread(author: User, *, title: str, body: str, module: Module | None = None,
                  board: Board | None = None, kind: str = "question") -> Thread:
    """Start a thread under ``module`` or on ``board`` with its first post; the author follows
    it. Refused (nothing written) for an empty or oversized title or body, too many posts
    lately, an inactive module, or a board the author cannot see or that is archived."""
    if (module is None) == (board is None):
        raise ValueError("a thread belongs to exactly one module or board")
    if kind not in THREAD_KINDS or (module is not None and kind not in MODULE_KINDS):
        raise PostingError(_("Please choose whether this is a question or a discussion."), "kind")
    if module is not None and (not module.active or module.current_version_id is None
                               or not access.can_see_module(author, module.id)):
        raise PostingError(_("This module is no longer offered, so no new questions can be asked."))
    if board is not None:
        if not access.can_see_board(author, board):
            raise PostingError(_("This board does not exist or is not open to you."))
        if board.archived_at is not None:
            raise PostingError(_("This board is archived: no new posts can be written."))
    title = clean_title(title)
    body = clean_body(body)
    check_rate_limit(author)
    now = utcnow()
    thread = Thread(module_id=module.id if module else None, board_id=board.id if board else None, kind=kind,
                    organisation_id=access.organisation_of(author) if module else None, title=title, author_id=author.id, created_at=now, last_post_at=now, reply_count=0)
    db.session.add(thread)
    db.session.flush()
    db.session.add(Post(thread_id=thread.id, author_id=author.id, body_md=body, body_html=render_post(body, module),
                        search_text=index_text(title, body), created_at=now))
    follows.follow_thread(author.id, thread.id)
    _notify_within(notify.thread_created, thread)
    db.session.commit()
    return thread


@refusals_roll_back(PostingError)
def reply(author: User, thread: Thread, body: str) -> Post:
    """Add a reply. The thread counts it, and it is *answered* from the first reply by someone
    other than the asker; the replier follows the thread. Refused in a locked thread, on an
    archived board, in a thread the author may not see, when empty, too long or too fast."""
    if not access.can_reply(author, thread):
        raise PostingError(_refuse_reply_reason(author, thread))
    body = clean_body(body)
    check_rate_limit(author)
    now = utcnow()
    post = Post(thread_id=thread.id, author_id=author.id, body_md=body,
                body_html=render_post(body, _thread_module(thread)), search_text=index_text(body), created_at=now)
    db.session.add(post)
    thread.reply_count = Thread.reply_count + 1  # in SQL: two repliers at once both count
    thread.last_post_at = now
    if author.id != thread.author_id and thread.answered_at is None:
        thread.answered_at = now
    db.session.flush()
    follows.follow_thread(author.id, thread.id)
    _notify_within(notify.replied, post)
    db.session.commit()
    return post


def edit_window_minutes() -> int:
    return int(current_app.config.get("DISCUSSIONS_EDIT_MINUTES", 30))


def refusal_to_edit(user: User, post: Post) -> str:
    """Why ``user`` may not change ``post`` (for the message; the rule is ``access.can_edit``)."""
    if post.author_id != user.id:
        return _("You can only change your own posts.")
    if not post.visible:
        return _("This post was deleted or hidden and can no longer be changed.")
    if post.thread.locked_at is not None:
        return _("This thread is locked: its posts can no longer be changed.")
    minutes = edit_window_minutes()
    return ngettext("Posts can be changed only during the first %(num)d minute after posting.",
                    "Posts can be changed only during the first %(num)d minutes after posting.", minutes)


@refusals_roll_back(PostingError)
def edit_post(user: User, post: Post, body: str, title: str | None = None) -> Post:
    """Change one's own post within the edit window (the title too, for a thread's first
    post). The previous text goes to the audit log, so an edit never erases what was read."""
    now = utcnow()
    if not access.can_see_thread(user, post.thread) or not access.can_edit(user, post, now):
        raise PostingError(refusal_to_edit(user, post))
    thread = post.thread
    is_first = post.id == first_post_id(thread)
    new_title = clean_title(title) if is_first and title is not None else thread.title
    body = clean_body(body)
    if body == post.body_md and new_title == thread.title:
        return post
    check_rate_limit(user, now)
    record("discussion.post_edited", "discussion_post", post.id, actor_id=user.id, thread_id=thread.id,
           personal={"before": post.body_md, "title_before": thread.title if new_title != thread.title else None},
           personal_user_id=post.author_id)
    post.body_md = body
    post.body_html = render_post(body, _thread_module(thread))
    post.search_text = index_text(new_title, body) if is_first else index_text(body)
    post.edited_at = now
    thread.title = new_title
    db.session.commit()
    return post


# What a deleted post's row holds in place of its text (the page says it was deleted).
DELETED_BODY = ""


def forget_post_text(post: Post, tombstone: str) -> None:
    """Replace the text of ``post`` with ``tombstone`` everywhere it is kept: the row, its
    search text and the texts of its earlier edits beside the audit log. Does not commit."""
    post.body_md = tombstone
    post.body_html = render_post(tombstone, None) if tombstone else ""
    post.search_text = ""
    edits = select(AuditEntry.id).where(AuditEntry.target_type == "discussion_post",
                                        AuditEntry.target_id == str(post.id))
    db.session.execute(delete(AuditPersonal).where(AuditPersonal.entry_id.in_(edits)))


@refusals_roll_back(PostingError)
def delete_post(user: User, post: Post) -> None:
    """Withdraw one's own post within the edit window: the row stays (marked deleted, counted
    out of the thread) but its text goes - from the row, the search index and the texts of
    its earlier edits. The audit log keeps only the SHA-256 of what it said (docs/privacy.md)."""
    now = utcnow()
    if not access.can_see_thread(user, post.thread) or not access.can_edit(user, post, now):
        raise PostingError(refusal_to_edit(user, post))
    post.deleted_at = now
    record("discussion.post_deleted", "discussion_post", post.id, actor_id=user.id, thread_id=post.thread_id,
           body_sha256=hashlib.sha256(post.body_md.encode("utf-8")).hexdigest())
    forget_post_text(post, DELETED_BODY)
    recount(post.thread)
    db.session.commit()


@refusals_roll_back(PostingError)
def accept_answer(user: User, post: Post) -> Thread:
    """Mark ``post`` as the accepted answer to its question, which resolves the question.
    The asker, trainers and admins may; the answer's author is notified."""
    thread = post.thread
    if not access.can_see_thread(user, thread):
        raise PostingError(_("This discussion does not exist or is not open to you."))
    if thread.kind != "question":
        raise PostingError(_("Only answers to questions can be accepted."))
    if not access.can_answer(user, thread):
        raise PostingError(_("Only the person who asked, a trainer or an administrator can accept an answer."))
    if not post.visible:
        raise PostingError(_("A deleted or hidden post cannot be accepted."))
    if post.id == first_post_id(thread):
        raise PostingError(_("The question itself cannot be its answer."))
    if thread.accepted_post_id == post.id:
        return thread
    thread.accepted_post_id = post.id
    thread.resolved_at = thread.resolved_at or utcnow()
    _notify_within(notify.answer_accepted, thread, post, by=user)
    db.session.commit()
    return thread


@refusals_roll_back(PostingError)
def set_resolved(user: User, thread: Thread, resolved: bool) -> Thread:
    """Mark a question resolved, or open it again (which also withdraws the accepted answer:
    an open question has none). The asker and moderators may."""
    if not access.can_see_thread(user, thread):
        raise PostingError(_("This discussion does not exist or is not open to you."))
    if not access.can_resolve(user, thread):
        if thread.kind != "question":
            raise PostingError(_("Only questions can be marked resolved."))
        raise PostingError(_("Only the person who asked, a trainer or an administrator can mark "
                             "this question resolved."))
    if resolved and thread.resolved_at is None:
        thread.resolved_at = utcnow()
    elif not resolved and thread.resolved_at is not None:
        thread.resolved_at = None
        thread.accepted_post_id = None
    db.session.commit()
    return thread


def recount(thread: Thread) -> None:
    """Recompute ``reply_count``, ``last_post_at`` and ``answered_at`` from the visible posts
    (after a delete, hide or unhide). One aggregate query; does not commit."""
    db.session.flush()
    first_id = first_post_id(thread)
    visible = (Post.thread_id == thread.id, Post.hidden_at.is_(None), Post.deleted_at.is_(None))
    replies, last_at, answered_at = db.session.execute(
        select(func.count(Post.id).filter(Post.id != first_id),
               func.max(Post.created_at),
               func.min(Post.created_at).filter(Post.id != first_id, Post.author_id.is_distinct_from(thread.author_id)))
        .where(*visible)).one()
    thread.reply_count = int(replies or 0)
    thread.last_post_at = last_at or thread.created_at
    thread.answered_at = answered_at
