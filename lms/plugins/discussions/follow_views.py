"""The follow buttons: follow or unfollow a thread or a board (small POST forms).

A thread or board the user may not see answers 404, as if it did not exist. The buttons'
current state comes from the template globals ``follows_thread(id)`` and
``follows_board(id)`` (the signed-in user's follow), so the partials work on any page that
has a ``thread`` or ``board`` in its context.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import authenticated
from lms.extensions import db
from lms.plugins.discussions import access, follows
from lms.plugins.discussions.models import Board, Thread
from lms.plugins.discussions.views import bp


@bp.app_template_global("follows_thread")
def follows_thread_global(thread_id: int) -> bool:
    return current_user.is_authenticated and follows.is_following_thread(current_user.id, thread_id)


@bp.app_template_global("follows_board")
def follows_board_global(board_id: int) -> bool:
    return current_user.is_authenticated and follows.is_following_board(current_user.id, board_id)


def _wanted() -> bool | None:
    """The ``follow`` field: ``1`` follow, ``0`` unfollow, anything else None."""
    return {"1": True, "0": False}.get(request.form.get("follow", ""))


@bp.route("/thread/<int:thread_id>/follow", methods=["POST"])
@authenticated
def follow_thread(thread_id: int):
    thread = db.session.get(Thread, thread_id)
    if thread is None or not access.can_see_thread(current_user, thread):
        abort(404)
    back = url_for("discussions.thread", thread_id=thread.id)
    wanted = _wanted()
    if wanted is None:
        flash(_("Choose whether to follow the thread or not."), "error")
        return redirect(back), 303
    try:
        follows.set_thread_follow(current_user, thread, wanted)
    except follows.FollowError as error:
        flash(str(error.message), "error")
        return redirect(back), 303
    if wanted:
        flash(_("You follow this thread: replies will show in your notifications."), "success")
    else:
        flash(_("You no longer follow this thread."), "success")
    return redirect(back), 303


@bp.route("/board/<int:board_id>/follow", methods=["POST"])
@authenticated
def follow_board(board_id: int):
    board = db.session.get(Board, board_id)
    if board is None or not access.can_see_board(current_user, board):
        abort(404)
    back = url_for("discussions.board", slug=board.slug)
    wanted = _wanted()
    if wanted is None:
        flash(_("Choose whether to follow the board or not."), "error")
        return redirect(back), 303
    try:
        follows.set_board_follow(current_user, board, wanted)
    except follows.FollowError as error:
        flash(str(error.message), "error")
        return redirect(back), 303
    if wanted:
        flash(_("You follow this board: new threads will show in your notifications."), "success")
    else:
        flash(_("You no longer follow this board."), "success")
    return redirect(back), 303
