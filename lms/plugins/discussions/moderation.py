"""Moderation: hiding and unhiding posts, readers' reports, locking threads.

Nothing here destroys a post. Hiding sets ``hidden_at``, ``hidden_by_id`` and a reason that
every reader of the thread sees in place of the text (moderators still see the original),
and the reason goes into the audit log, so a hidden post can always be reviewed and shown
again. Reports stay in their table once handled (``resolved_at``/``resolved_by_id``).

Moderators are trainers and admins (:func:`access.is_moderator`), and they act only on
threads they may see: a board outside a trainer's units stays closed to them here too.
Every function checks its own rules and raises :class:`services.PostingError` with a message
for the user, so views stay thin; each commits what it changed together with its audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload

from lms.audit import services as audit
from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.transactions import refusals_roll_back
from lms.plugins.courses.models import Module, ModuleVersion
from lms.plugins.discussions import access, services
from lms.plugins.discussions.models import Board, Post, PostReport, Thread

REASON_MAX = 300  # the columns hidden_reason and PostReport.reason
QUEUE_LIMIT = 50  # reported posts shown at once, most reported first
HIDDEN_LIMIT = 20  # recently hidden posts shown under the queue


def _refuse(message: str):
    return services.PostingError(message)


def _reason(reason: str | None, empty_message: str) -> str:
    """The reason stripped; refused when empty or longer than the column holds."""
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(empty_message)
    if len(reason) > REASON_MAX:
        raise _refuse(_("The reason can be at most %(max)d characters long.", max=REASON_MAX))
    return reason


def _check_moderator(moderator: User, thread: Thread) -> None:
    if not access.is_moderator(moderator):
        raise _refuse(_("Only trainers and admins can moderate discussions."))
    if not access.can_see_thread(moderator, thread):  # the views answer 404 before this
        raise _refuse(_("This discussion does not exist or is not open to you."))


def _resolve_open_reports(moderator: User, post: Post, now: datetime) -> int:
    """Mark every open report on ``post`` handled; returns how many there were."""
    result = db.session.execute(
        update(PostReport)
        .where(PostReport.post_id == post.id, PostReport.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=moderator.id)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def _hide(moderator: User, post: Post, reason: str) -> int:
    """Hide ``post``, recount its thread, close its open reports and audit it all; returns
    how many reports were closed. Does not commit."""
    now = utcnow()
    post.hidden_at = now
    post.hidden_by_id = moderator.id
    post.hidden_reason = reason
    services.recount(post.thread)
    reports = _resolve_open_reports(moderator, post, now)
    audit.record("discussion_post.hidden", "discussion_post", post.id, actor_id=moderator.id,
                 thread_id=post.thread_id, author_id=post.author_id, reason=reason, reports_resolved=reports)
    return reports


# --- hiding -----------------------------------------------------------------------------------

@refusals_roll_back(services.PostingError)
def hide_post(moderator: User, post: Post, reason: str) -> Post:
    """Hide ``post`` with a reason readers see in its place; open reports on it are handled
    by the same act. The thread's counts (replies, answered) are recomputed without it."""
    _check_moderator(moderator, post.thread)
    reason = _reason(reason, _("Give a reason for hiding the post."))
    if post.deleted_at is not None:
        raise _refuse(_("This post was deleted by its author."))
    if post.hidden_at is not None:
        raise _refuse(_("This post is already hidden."))
    _hide(moderator, post, reason)
    db.session.commit()
    return post


@refusals_roll_back(services.PostingError)
def unhide_post(moderator: User, post: Post) -> Post:
    """Show a hidden post again. The reason it was hidden stays in the audit log."""
    _check_moderator(moderator, post.thread)
    if post.hidden_at is None:
        raise _refuse(_("This post is not hidden."))
    previous = post.hidden_reason
    post.hidden_at = None
    post.hidden_by_id = None
    post.hidden_reason = None
    services.recount(post.thread)
    audit.record("discussion_post.unhidden", "discussion_post", post.id, actor_id=moderator.id,
                 thread_id=post.thread_id, author_id=post.author_id, previous_reason=previous)
    db.session.commit()
    return post


# --- reports ----------------------------------------------------------------------------------

@refusals_roll_back(services.PostingError)
def report_post(user: User, post: Post, reason: str) -> PostReport:
    """A reader tells the moderators about a post: once per reader and post."""
    if not access.can_see_thread(user, post.thread):
        raise _refuse(_("You cannot report this post."))
    if not post.visible:
        raise _refuse(_("This post is no longer shown, so it cannot be reported."))
    if post.author_id == user.id:
        raise _refuse(_("You cannot report your own post."))
    reason = _reason(reason, _("Say briefly what is wrong with the post."))
    already = _("You have already reported this post; the moderators will look at it.")
    if db.session.scalar(select(PostReport.id).where(PostReport.post_id == post.id,
                                                     PostReport.reporter_id == user.id)) is not None:
        raise _refuse(already)
    report = PostReport(post_id=post.id, reporter_id=user.id, reason=reason)
    db.session.add(report)
    try:
        db.session.commit()
    except IntegrityError:  # a double click raced past the check: the unique constraint holds
        db.session.rollback()
        raise _refuse(already) from None
    return report


@refusals_roll_back(services.PostingError)
def resolve_report(moderator: User, report: PostReport, hide: bool, reason: str = "") -> int:
    """Handle ``report`` and every other open report on the same post (the queue shows them
    as one): hide the post with ``reason`` or dismiss them. Returns how many were handled.

    A post already hidden or deleted by its author has nothing left to hide: its reports are
    just closed."""
    post = report.post
    _check_moderator(moderator, post.thread)
    if report.resolved_at is not None:
        raise _refuse(_("This report was already handled."))
    if hide and post.visible:
        count = _hide(moderator, post, _reason(reason, _("Give a reason for hiding the post.")))
    else:
        count = _resolve_open_reports(moderator, post, utcnow())
        audit.record("discussion_post.reports_dismissed", "discussion_post", post.id, actor_id=moderator.id,
                     thread_id=post.thread_id, reports_resolved=count, post_visible=post.visible)
    db.session.commit()
    return count


# --- locking ----------------------------------------------------------------------------------

@refusals_roll_back(services.PostingError)
def lock_thread(moderator: User, thread: Thread, locked: bool) -> Thread:
    """Lock a thread (no replies, no edits: :func:`access.can_reply`, :func:`access.can_edit`)
    or open it again."""
    _check_moderator(moderator, thread)
    if locked and thread.locked_at is not None:
        raise _refuse(_("This thread is already locked."))
    if not locked and thread.locked_at is None:
        raise _refuse(_("This thread is not locked."))
    thread.locked_at = utcnow() if locked else None
    thread.locked_by_id = moderator.id if locked else None
    audit.record("discussion_thread.locked" if locked else "discussion_thread.unlocked", "discussion_thread",
                 thread.id, actor_id=moderator.id, title=thread.title)
    db.session.commit()
    return thread


# --- what the pages show ----------------------------------------------------------------------

@dataclass
class ThreadModeration:
    """What the moderation controls of one thread page need, fetched in two small queries."""

    reported_by_me: set[int] = field(default_factory=set)  # post ids this reader reported
    open_reports: dict[int, int] = field(default_factory=dict)  # post id -> open reports (moderators)


def thread_moderation(user: User, thread: Thread) -> ThreadModeration:
    """The posts of ``thread`` that ``user`` reported and, for moderators, the number of open
    reports per post: one query each, whatever the number of posts."""
    state = ThreadModeration()
    if not user.is_authenticated:
        return state
    state.reported_by_me = set(db.session.scalars(
        select(PostReport.post_id).join(Post, Post.id == PostReport.post_id)
        .where(Post.thread_id == thread.id, PostReport.reporter_id == user.id)))
    if access.is_moderator(user):
        state.open_reports = dict(db.session.execute(
            select(PostReport.post_id, func.count())
            .join(Post, Post.id == PostReport.post_id)
            .where(Post.thread_id == thread.id, PostReport.resolved_at.is_(None))
            .group_by(PostReport.post_id)).all())
    return state


@dataclass
class ReporterNote:
    name: str
    reason: str
    at: datetime


@dataclass
class ReportedPost:
    """One post in the queue with its open reports."""

    report_id: int  # the oldest open report: the resolve form posts to it
    count: int
    first_at: datetime
    post: Post
    where: str
    notes: list[ReporterNote] = field(default_factory=list)


@dataclass
class HiddenPost:
    post: Post
    where: str
    hidden_by: str


def _where_columns(locale: str):
    """Module title (in the reader's language) or board name of a thread, as one column."""
    title = ModuleVersion.title_en if locale == "en" else ModuleVersion.title_id
    return func.coalesce(Board.name, title, ModuleVersion.title_id, Module.slug, "")


def _with_where(query, locale: str):
    """Add the "where" column, and load each post's thread and author with the same query."""
    return (query.add_columns(_where_columns(locale))
            .options(contains_eager(Post.thread), joinedload(Post.author))
            .outerjoin(Board, Board.id == Thread.board_id)
            .outerjoin(Module, Module.id == Thread.module_id)
            .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id))


def open_reports(moderator: User, locale: str = "id", limit: int = QUEUE_LIMIT) -> list[ReportedPost]:
    """Reported posts with open reports, in threads ``moderator`` may see, most reported
    first (then oldest). Counted in SQL; the reporters' names and reasons come in a second
    query for the posts shown."""
    if not access.is_moderator(moderator):
        return []
    grouped = (select(PostReport.post_id, func.min(PostReport.id).label("report_id"),
                      func.count().label("n"), func.min(PostReport.created_at).label("first_at"))
               .join(Post, Post.id == PostReport.post_id)
               .join(Thread, Thread.id == Post.thread_id)
               .where(PostReport.resolved_at.is_(None), access.visible_threads_clause(moderator))
               .group_by(PostReport.post_id).subquery("grouped"))
    query = _with_where(
        select(Post, grouped.c.report_id, grouped.c.n, grouped.c.first_at)
        .join(grouped, grouped.c.post_id == Post.id)
        .join(Thread, Thread.id == Post.thread_id), locale)
    rows = db.session.execute(query.order_by(grouped.c.n.desc(), grouped.c.first_at, Post.id).limit(limit)).all()
    queue = [ReportedPost(report_id=report_id, count=n, first_at=first_at, post=post, where=where)
             for post, report_id, n, first_at, where in rows]
    by_post = {item.post.id: item for item in queue}
    if by_post:
        reporter = aliased(User)
        notes = db.session.execute(
            select(PostReport.post_id, func.coalesce(reporter.full_name, ""), PostReport.reason,
                   PostReport.created_at)
            .outerjoin(reporter, reporter.id == PostReport.reporter_id)
            .where(PostReport.post_id.in_(by_post), PostReport.resolved_at.is_(None))
            .order_by(PostReport.created_at, PostReport.id))
        for post_id, name, reason, at in notes:
            by_post[post_id].notes.append(ReporterNote(name=name, reason=reason, at=at))
    return queue


def recently_hidden(moderator: User, locale: str = "id", limit: int = HIDDEN_LIMIT) -> list[HiddenPost]:
    """Hidden posts in threads ``moderator`` may see, most recently hidden first."""
    if not access.is_moderator(moderator):
        return []
    hider = aliased(User)
    query = _with_where(
        select(Post, func.coalesce(hider.full_name, ""))
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(hider, hider.id == Post.hidden_by_id)
        .where(Post.hidden_at.is_not(None), access.visible_threads_clause(moderator)), locale)
    rows = db.session.execute(query.order_by(Post.hidden_at.desc(), Post.id.desc()).limit(limit)).all()
    hidden = [HiddenPost(post=post, hidden_by=name, where=where) for post, name, where in rows]
    return hidden


def open_report_count(user: User) -> int:
    """Open reports in threads ``user`` may see (0 for non-moderators): for a link badge."""
    if not access.is_moderator(user):
        return 0
    return db.session.scalar(
        select(func.count(func.distinct(PostReport.post_id)))
        .join(Post, Post.id == PostReport.post_id).join(Thread, Thread.id == Post.thread_id)
        .where(PostReport.resolved_at.is_(None), access.visible_threads_clause(user))) or 0
