"""Reading discussions: thread lists with their status, a module's questions page by page,
the trainer's unanswered questions, a user's own questions, and open questions per module
as a content-gap signal. Each list is one query (joins and GROUP BY, no query per row).

A thread whose opening post was deleted or hidden is withdrawn: it leaves every list (a
moderator still sees it in the module's list, marked), since its title could be the very
thing a moderator hid.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import aliased

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleVersion
from lms.plugins.discussions import access
from lms.plugins.discussions.models import Board, Post, Thread

STATUSES = ("unanswered", "answered", "resolved")
FILTERS = ("all", "unanswered", "resolved")


def status_of(thread: Thread) -> str:
    """``resolved``, ``answered`` or ``unanswered`` for a question; its kind otherwise."""
    if thread.kind != "question":
        return thread.kind
    if thread.resolved_at is not None:
        return "resolved"
    if thread.answered_at is not None:
        return "answered"
    return "unanswered"


def opening_post_visible() -> ColumnElement[bool]:
    """A clause on :class:`Thread`: its first post is neither hidden nor deleted."""
    opening, earlier = aliased(Post), aliased(Post)
    return exists().where(opening.thread_id == Thread.id, opening.hidden_at.is_(None),
                          opening.deleted_at.is_(None),
                          ~exists().where(earlier.thread_id == opening.thread_id, earlier.id < opening.id))


@dataclass
class ThreadSummary:
    """A thread in a list, with what the list shows next to it."""

    thread: Thread
    author_name: str | None = None
    module_title_id: str | None = None
    module_title_en: str | None = None
    board_name: str | None = None
    withdrawn: bool = False  # the opening post is hidden or deleted (moderators' lists only)

    @property
    def id(self) -> int:
        return self.thread.id

    @property
    def title(self) -> str:
        return self.thread.title

    @property
    def kind(self) -> str:
        return self.thread.kind

    @property
    def status(self) -> str:
        return status_of(self.thread)

    @property
    def reply_count(self) -> int:
        return self.thread.reply_count

    @property
    def created_at(self) -> datetime:
        return self.thread.created_at

    @property
    def last_post_at(self) -> datetime:
        return self.thread.last_post_at

    @property
    def where(self) -> str:
        """The module title (in the reader's language) or the board name."""
        if self.board_name is not None:
            return self.board_name
        if str(get_locale() or "id") == "en" and self.module_title_en:
            return self.module_title_en
        return self.module_title_id or ""

    @property
    def url(self) -> str:
        return url_for("discussions.thread", thread_id=self.thread.id)


class PageNavigation:
    """What the ``pagination`` macro of ``_macros.html`` reads, from ``page``, ``per_page``
    and ``total`` (shared by the thread lists and the search results)."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass
class Page(PageNavigation):
    """One page of a list."""

    items: list
    page: int
    per_page: int
    total: int


def _summary_select(*extra):
    return (select(Thread, User.full_name, ModuleVersion.title_id, ModuleVersion.title_en, Board.name, *extra)
            .outerjoin(User, User.id == Thread.author_id)
            .outerjoin(Module, Module.id == Thread.module_id)
            .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
            .outerjoin(Board, Board.id == Thread.board_id))


def _summaries(query, with_withdrawn: bool = False) -> list[ThreadSummary]:
    found = []
    for row in db.session.execute(query).all():
        summary = ThreadSummary(row[0], row[1], row[2], row[3], row[4])
        if with_withdrawn:
            summary.withdrawn = not row[5]
        found.append(summary)
    return found


def _active_module_threads():
    return and_(Thread.module_id.is_not(None), Module.active.is_(True), Module.current_version_id.is_not(None))


def _status_clause(status: str):
    if status == "unanswered":
        return and_(Thread.kind == "question", Thread.answered_at.is_(None), Thread.resolved_at.is_(None))
    if status == "answered":
        return and_(Thread.kind == "question", Thread.answered_at.is_not(None), Thread.resolved_at.is_(None))
    if status == "resolved":
        return and_(Thread.kind == "question", Thread.resolved_at.is_not(None))
    return None


def page_size() -> int:
    return max(1, int(current_app.config.get("DISCUSSIONS_PAGE_SIZE", 20)))


def module_threads(user: User, module: Module, status: str = "all", page: int = 1) -> Page:
    """A module's threads, latest activity first, ``page`` by page; ``status`` is one of
    :data:`FILTERS`. Moderators also see withdrawn threads (marked), others do not."""
    moderator = access.is_moderator(user)
    visible = opening_post_visible()
    conditions = [Thread.module_id == module.id, access.module_space_clause(user)]
    clause = _status_clause(status)
    if clause is not None:
        conditions.append(clause)
    if not moderator:
        conditions.append(visible)
    total = db.session.scalar(select(func.count(Thread.id)).where(*conditions)) or 0
    per_page = page_size()
    page = max(1, min(page, max(1, -(-total // per_page))))
    query = (_summary_select(visible.label("opening_visible")).where(*conditions)
             .order_by(Thread.last_post_at.desc(), Thread.id.desc())
             .limit(per_page).offset((page - 1) * per_page))
    return Page(_summaries(query, with_withdrawn=True), page, per_page, total)


def thread_counts(user: User, module_id: int) -> dict[str, int]:
    """``{"all", "questions", "unanswered", "answered", "resolved"}`` for a module's listed
    threads in ``user``'s discussion spaces, in one aggregate query."""
    row = db.session.execute(
        select(func.count(Thread.id),
               func.count(Thread.id).filter(Thread.kind == "question"),
               func.count(Thread.id).filter(_status_clause("unanswered")),
               func.count(Thread.id).filter(_status_clause("answered")),
               func.count(Thread.id).filter(_status_clause("resolved")))
        .where(Thread.module_id == module_id, access.module_space_clause(user), opening_post_visible())).one()
    return dict(zip(("all", "questions", "unanswered", "answered", "resolved"), (int(n or 0) for n in row)))


def latest_module_threads(user: User, module_id: int, limit: int = 3) -> list[ThreadSummary]:
    """The threads of a module in ``user``'s discussion spaces with the latest activity (for
    the panel on the module page)."""
    return _summaries(_summary_select().where(Thread.module_id == module_id, access.module_space_clause(user),
                                              opening_post_visible())
                      .order_by(Thread.last_post_at.desc(), Thread.id.desc()).limit(limit))


def recent_module_threads(user: User, limit: int = 10) -> list[ThreadSummary]:
    """Threads under active modules with the latest activity, for the discussions index."""
    return _summaries(_summary_select()
                      .where(_active_module_threads(), opening_post_visible(), access.visible_threads_clause(user))
                      .order_by(Thread.last_post_at.desc(), Thread.id.desc()).limit(limit))


def user_questions(user: User, limit: int = 10) -> list[ThreadSummary]:
    """``user``'s own questions (modules and boards they can still see), latest activity first."""
    return _summaries(_summary_select()
                      .where(Thread.author_id == user.id, Thread.kind == "question", opening_post_visible(),
                             access.visible_threads_clause(user))
                      .order_by(Thread.last_post_at.desc(), Thread.id.desc()).limit(limit))


def trainer_module_ids(user: User) -> set[int]:
    """Modules ``user`` teaches: the courses plugin's one rule (course ``authors`` naming them,
    or a version they published), the same scope grading uses."""
    from lms.plugins.courses.services import taught_module_ids

    return taught_module_ids(user)


def unanswered_questions(user: User, mine_only: bool, limit: int | None = None) -> list[ThreadSummary]:
    """Questions under active modules that nobody but the asker has replied to, not resolved
    and not locked, oldest first; with ``mine_only`` only in :func:`trainer_module_ids`."""
    conditions = [_active_module_threads(), _status_clause("unanswered"), Thread.locked_at.is_(None),
                  opening_post_visible(), access.visible_threads_clause(user)]
    if mine_only:
        conditions.append(Thread.module_id.in_(sorted(trainer_module_ids(user)) or [-1]))
    query = _summary_select().where(*conditions).order_by(Thread.created_at, Thread.id)
    if limit is not None:
        query = query.limit(limit)
    return _summaries(query)


def concern_threshold() -> int:
    """Open questions from which a module is flagged in the content-gap report."""
    return int(current_app.config.get("DISCUSSIONS_OPEN_QUESTIONS_CONCERN", 3))


def open_question_signals(module_ids) -> dict[int, dict]:
    """``{module_id: {"label", "value", "concern"}}``: unresolved questions per module (one
    GROUP BY), for the curriculum's content-gap report. Modules without any are left out."""
    ids = sorted({int(module_id) for module_id in module_ids or []})
    if not ids:
        return {}
    rows = db.session.execute(
        select(Thread.module_id, func.count(Thread.id))
        .where(Thread.module_id.in_(ids), Thread.kind == "question", Thread.resolved_at.is_(None),
               opening_post_visible())
        .group_by(Thread.module_id)).all()
    threshold = concern_threshold()
    return {module_id: {"label": _l("open questions"), "value": int(count), "concern": int(count) >= threshold}
            for module_id, count in rows}
