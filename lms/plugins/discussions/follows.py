"""Following threads and boards: who hears of replies and of new threads.

A follow is one row per user and thread (or board). The ``follow_*``/``unfollow_*``
functions are idempotent through the database itself: the INSERT is the dialect's
``ON CONFLICT DO NOTHING`` over the unique ``(user_id, thread_id)`` / ``(user_id, board_id)``
constraints, so a double click or a racing second request never raises an
IntegrityError. They do not commit - :mod:`services` calls them inside its own
transaction (the author follows their new thread, a replier the thread they answered).
:func:`set_thread_follow` and :func:`set_board_follow` are the button's services: they
check what the user may see and commit.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.discussions import access
from lms.plugins.discussions.models import Board, Follow, Thread
from lms.sql import dialect_insert


class FollowError(ValueError):
    """A follow refused; ``message`` is for the user (translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _follow(user_id: int, column: str, target_id: int) -> bool:
    # RETURNING, not rowcount: PostgreSQL reports -1 rows for an INSERT that returns the id
    statement = (dialect_insert(Follow).values(user_id=user_id, **{column: target_id})
                 .on_conflict_do_nothing(index_elements=["user_id", column]).returning(Follow.id))
    return db.session.execute(statement).scalar() is not None


def _unfollow(user_id: int, column, target_id: int) -> bool:
    result = db.session.execute(delete(Follow).where(Follow.user_id == user_id, column == target_id)
                                .execution_options(synchronize_session=False))
    return bool(result.rowcount)


def follow_thread(user_id: int, thread_id: int) -> bool:
    """Follow a thread (replies notify the user); True when the follow is new. No commit."""
    return _follow(user_id, "thread_id", thread_id)


def unfollow_thread(user_id: int, thread_id: int) -> bool:
    """Stop following a thread; True when there was a follow to remove. No commit."""
    return _unfollow(user_id, Follow.thread_id, thread_id)


def follow_board(user_id: int, board_id: int) -> bool:
    """Follow a board (new threads on it notify the user); True when new. No commit."""
    return _follow(user_id, "board_id", board_id)


def unfollow_board(user_id: int, board_id: int) -> bool:
    """Stop following a board; True when there was a follow to remove. No commit."""
    return _unfollow(user_id, Follow.board_id, board_id)


def is_following_thread(user_id: int, thread_id: int) -> bool:
    return db.session.scalar(select(Follow.id).where(
        Follow.user_id == user_id, Follow.thread_id == thread_id)) is not None


def is_following_board(user_id: int, board_id: int) -> bool:
    return db.session.scalar(select(Follow.id).where(
        Follow.user_id == user_id, Follow.board_id == board_id)) is not None


def thread_follower_ids(thread_id: int) -> list[int]:
    """Ids of the users following a thread, in one query."""
    return list(db.session.scalars(select(Follow.user_id).where(Follow.thread_id == thread_id)
                                   .order_by(Follow.user_id)))


def board_follower_ids(board_id: int) -> list[int]:
    """Ids of the users following a board, in one query."""
    return list(db.session.scalars(select(Follow.user_id).where(Follow.board_id == board_id)
                                   .order_by(Follow.user_id)))


# --- the follow buttons (these commit) ----------------------------------------------------------

def set_thread_follow(user: User, thread: Thread, follow: bool) -> bool:
    """Follow or unfollow ``thread`` for ``user`` and commit; True when something changed.

    Only a thread the user may see can be followed (the view answers 404 before this for
    others; the check here keeps the service safe on its own). Unfollowing is always allowed.
    """
    if follow:
        if not access.can_see_thread(user, thread):
            raise FollowError(_l("You cannot follow this thread."))
        changed = follow_thread(user.id, thread.id)
    else:
        changed = unfollow_thread(user.id, thread.id)
    db.session.commit()
    return changed


def set_board_follow(user: User, board: Board, follow: bool) -> bool:
    """Follow or unfollow ``board`` for ``user`` and commit; True when something changed.

    An archived board takes no new threads, so following it is refused (unfollowing works).
    """
    if follow:
        if not access.can_see_board(user, board):
            raise FollowError(_l("You cannot follow this board."))
        if board.archived_at is not None:
            raise FollowError(_l("This board is archived: it gets no new threads to follow."))
        changed = follow_board(user.id, board.id)
    else:
        changed = unfollow_board(user.id, board.id)
    db.session.commit()
    return changed
