"""Discussion notifications: replies to threads one follows, answers to one's questions,
accepted answers, and new threads on boards one follows.

They go through the notifications plugin (``services.notify``) as in-app notifications of
the kind ``discussion``, whose e-mail by default comes once a day in the digest (``lms
notifications digest``): a busy thread must not send an e-mail per reply. Each person may
choose "immediately" or "never" instead (notification preferences). Recipients are filtered at send
time with :func:`access.can_see_thread` - a follower who moved to another unit, lost a
role or was deactivated hears nothing of a board they can no longer see - and each
notification carries a ``dedup_key`` so the same event never notifies anyone twice.

Parameters stored with each notification: ``thread`` (the thread's title), ``author``
(the full name of who did it), ``where`` (the module's Indonesian title or the board's
name) and ``title_id``/``title_en`` (the same place in both languages: the notifications
plugin shows ``%(title)s`` in the reader's language, so the messages say ``%(title)s``
for the place).
"""
from __future__ import annotations

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.pluginmanager import plugin_enabled
from lms.plugins.discussions import access, follows
from lms.plugins.discussions.models import Post, Thread

KIND = "discussion"
THREAD_PATH = "/discussions/thread/{thread_id}"  # the discussions.thread page (a local path)

# the row of the notification preferences: (label, hint, default e-mail)
KINDS = {
    KIND: (_l("Discussions"),
           _l("Replies in threads you follow, answers to your questions, your accepted answers, and new threads "
              "and review meetings on boards you follow."),
           "digest"),
}

# key -> (title, body); see the module docstring for the parameters
MESSAGES = {
    "discussion.reply": (_l("New reply in %(thread)s"),
                         _l("%(author)s replied in %(title)s.")),
    "discussion.answer": (_l("New answer to your question: %(thread)s"),
                          _l("%(author)s answered your question in %(title)s.")),
    "discussion.accepted": (_l("Your answer was accepted: %(thread)s"),
                            _l("Your answer in %(title)s was marked as the accepted answer.")),
    "discussion.new_thread": (_l("New thread in %(title)s: %(thread)s"),
                              _l("%(author)s started a thread on a board you follow.")),
    "discussion.new_meeting": (_l("Review meeting in %(title)s: %(thread)s"),
                               _l("%(author)s scheduled a review meeting on a board you follow.")),
}


def thread_url(thread: Thread, post: Post | None = None) -> str:
    """The thread page's path, with ``#post-<id>`` to land on a post."""
    path = THREAD_PATH.format(thread_id=thread.id)
    return f"{path}#post-{post.id}" if post is not None else path


def place_titles(thread: Thread) -> dict[str, str]:
    """``where`` and ``title_id``/``title_en``: the module's title in both languages, or the
    board's name."""
    if thread.board_id is not None:
        name = thread.board.name if thread.board is not None else ""
        return {"where": name, "title_id": name, "title_en": name}
    from lms.plugins.courses.models import Module

    module = db.session.get(Module, thread.module_id)
    version = module.current_version if module is not None else None
    title_id = version.title_id if version is not None else (module.slug if module is not None else "")
    title_en = (version.title_en if version is not None else "") or title_id
    return {"where": title_id, "title_id": title_id, "title_en": title_en}


def params(thread: Thread, author: User | None) -> dict:
    return {"thread_id": thread.id, "thread": thread.title,
            "author": author.full_name if author is not None else "", **place_titles(thread)}


def recipients(thread: Thread, user_ids, exclude=()) -> list[int]:
    """Those of ``user_ids`` (minus ``exclude``) who are active and may see ``thread`` now."""
    wanted = sorted(set(user_ids) - {uid for uid in exclude if uid is not None})
    if not wanted:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(wanted), User.active.is_(True))).all()
    if thread.module_id is not None:  # module threads are open to every signed-in user
        return sorted(user.id for user in users)
    # board threads: the visibility rule per follower (few followers; access.py holds the rule)
    return sorted(user.id for user in users if access.can_see_thread(user, thread))


def _send(user_ids, key: str, values: dict, url: str, dedup_key: str) -> list[int]:
    if not user_ids or not plugin_enabled("notifications"):
        return []
    from lms.plugins.notifications import services as notifications

    return notifications.notify(user_ids, KIND, key, values, url=url, dedup_key=dedup_key, commit=False)


def _acting_user_id(by: User | None) -> int | None:
    if by is not None:
        return by.id
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def thread_created(thread: Thread) -> list[int]:
    """A new board thread: notify the board's followers (not its author). Module threads
    notify nobody here (trainers find them in their unanswered list). Returns who was told."""
    if thread.board_id is None:
        return []
    ids = recipients(thread, follows.board_follower_ids(thread.board_id), exclude=[thread.author_id])
    key = "discussion.new_meeting" if thread.kind == "meeting" else "discussion.new_thread"
    return _send(ids, key, params(thread, thread.author), thread_url(thread), f"discussion.thread:{thread.id}")


def replied(post: Post) -> list[int]:
    """A new reply: notify the thread's followers except the reply's author. The asker of a
    question hears "a new answer to your question", the other followers "a new reply"."""
    thread = post.thread
    if not post.visible:
        return []
    ids = recipients(thread, follows.thread_follower_ids(thread.id), exclude=[post.author_id])
    values = params(thread, post.author)
    url = thread_url(thread, post)
    dedup = f"discussion.post:{post.id}"
    asker = thread.author_id if thread.kind == "question" else None
    told = _send([uid for uid in ids if uid != asker], "discussion.reply", values, url, dedup)
    if asker in ids:
        told += _send([asker], "discussion.answer", values, url, dedup)
    return sorted(told)


def answer_accepted(thread: Thread, post: Post, by: User | None = None) -> list[int]:
    """An answer was accepted: tell the answer's author, unless they accepted it themselves
    (``by``, or else the signed-in user of the request) or can no longer see the thread.
    Accepting the same post again later tells nobody twice."""
    if post.author_id is None:
        return []
    ids = recipients(thread, [post.author_id], exclude=[_acting_user_id(by)])
    return _send(ids, "discussion.accepted", params(thread, thread.author), thread_url(thread, post),
                 f"discussion.accepted:{post.id}")
