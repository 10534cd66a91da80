"""Who may see and do what in discussions - the one place these rules live.

Module threads are open to the signed-in users who may see the module's course (a course
private to another library has no discussion for them: courses.services.visible_to) and who
read the organisation the thread was started in: each library has its own discussion space on
a shared course (``Thread.organisation_id``, docs/organisations.md section 4). Install-wide
trainers and admins read every space; a trainer or admin of one organisation reads its space
and those below it, a supervisor the spaces of the organisations their units are in. A board is visible
to admins, and to a user who holds one of its roles (or it has none) and who belongs to one
of its units or a unit below one, or supervises one of them or a unit above one (or it has
no units). Searches, notification links and every view go through :func:`visible_board_ids`
or :func:`can_see_thread`, so a board outside one's units never leaks.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, and_, exists, not_, or_, select, true

from lms import organisations
from lms.auth.models import Organisation, Unit, UnitSupervisor, User
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.discussions.models import Board, BoardRole, BoardUnit, Post, Thread

MODERATOR_ROLES = ("trainer", "admin")
ANSWERER_ROLES = ("trainer", "admin")  # may accept an answer on any module question


def is_moderator(user: User) -> bool:
    """Trainers and admins hide posts, lock threads and handle reports."""
    return user.is_authenticated and user.has_role(*MODERATOR_ROLES)


def reach_unit_ids(user: User) -> set[int]:
    """Units whose boards ``user`` may see: their own unit and every unit above it, and the
    units they supervise with everything below. Units are few, so one small query."""
    parents = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    reach: set[int] = set()
    unit_id = user.unit_id
    while unit_id is not None and unit_id not in reach:
        reach.add(unit_id)
        unit_id = parents.get(unit_id)
    supervised = set(db.session.scalars(select(UnitSupervisor.unit_id).where(UnitSupervisor.user_id == user.id)))
    if supervised:
        children: dict[int, list[int]] = {}
        for child, parent in parents.items():
            if parent is not None:
                children.setdefault(parent, []).append(child)
        stack = list(supervised)
        while stack:
            unit_id = stack.pop()
            if unit_id not in reach:
                reach.add(unit_id)
            stack.extend(c for c in children.get(unit_id, []) if c not in reach)
        # a supervisor also sees the boards of the units above the ones they head
        for unit_id in supervised:
            parent = parents.get(unit_id)
            while parent is not None:
                reach.add(parent)
                parent = parents.get(parent)
    return reach


def visible_board_ids(user: User) -> Select:
    """A select of the ids of the boards ``user`` may see (archived ones included)."""
    query = select(Board.id)
    if user.has_role("admin"):
        return query
    role_ok = or_(not_(exists().where(BoardRole.board_id == Board.id)),
                  exists().where(BoardRole.board_id == Board.id, BoardRole.role.in_(sorted(user.role_names))))
    unit_ok = or_(not_(exists().where(BoardUnit.board_id == Board.id)),
                  exists().where(BoardUnit.board_id == Board.id,
                                 BoardUnit.unit_id.in_(sorted(reach_unit_ids(user)) or [-1])))
    return query.where(role_ok, unit_ok)


def can_see_board(user: User, board: Board | None) -> bool:
    if board is None or not user.is_authenticated:
        return False
    if user.has_role("admin"):
        return True
    return db.session.scalar(select(Board.id).where(
        Board.id == board.id, Board.id.in_(visible_board_ids(user)))) is not None


def organisation_of(user: User) -> int | None:
    """The organisation whose discussion space ``user`` writes in: their unit's (None
    without a unit). The signed-in user comes with their unit loaded: no query."""
    return user.unit.organisation_id if user.unit_id is not None and user.unit is not None else None


def _other_spaces(user: User) -> list:
    """Conditions on an organisation id column for the spaces ``user`` reads beyond their own:
    those of the organisations (and below) they are a trainer or admin of, and those their
    supervised units are in."""
    held = user.organisations_for("trainer") | user.organisations_for("admin")
    spaces = []
    if held:
        spaces.append(Organisation.unit_id.in_(organisations.ids_below(sorted(held))))
    if user.has_role("supervisor"):
        spaces.append(Organisation.unit_id.in_(organisations.supervised_ids(user)))
    return spaces


def module_space_clause(user: User):
    """A WHERE clause on :class:`Thread` keeping the module threads of the discussion spaces
    ``user`` reads (see the module docstring)."""
    if user.has_role(*MODERATOR_ROLES):
        return true()
    own = organisation_of(user)
    clause = Thread.organisation_id.is_(None) if own is None else Thread.organisation_id == own
    others = _other_spaces(user)
    if others:
        clause = or_(clause, Thread.organisation_id.in_(select(Organisation.unit_id).where(or_(*others))))
    return clause


def reads_space(user: User, organisation_id: int | None) -> bool:
    """Whether ``user`` reads the discussion space of ``organisation_id`` (one query at most,
    and none for a thread of their own organisation)."""
    if user.has_role(*MODERATOR_ROLES) or organisation_id == organisation_of(user):
        return True
    others = _other_spaces(user)
    if organisation_id is None or not others:
        return False
    return db.session.scalar(select(Organisation.unit_id)
                             .where(Organisation.unit_id == organisation_id, or_(*others))) is not None


def visible_threads_clause(user: User):
    """A WHERE clause on :class:`Thread` keeping the threads ``user`` may see."""
    if user.has_role("admin"):
        return Thread.id.is_not(None)
    return or_(and_(Thread.module_id.is_not(None), module_space_clause(user), _module_threads_clause(user)),
               Thread.board_id.in_(visible_board_ids(user)))


def _module_threads_clause(user: User):
    """Threads of a module whose course ``user`` may see (every module, for those who see
    every course: no subquery then)."""
    from lms.plugins.courses.services import visible_organisation_ids, visible_to

    if visible_organisation_ids(user) is None:
        return Thread.module_id.is_not(None)
    return Thread.module_id.in_(select(Module.id).join(Course, Course.id == Module.course_id)
                                .where(visible_to(user)))


def can_see_module(user: User, module_id: int) -> bool:
    """Whether ``user`` may see the module's course: no query for those who see every course."""
    from lms.plugins.courses.services import visible_organisation_ids, visible_to

    if not user.is_authenticated:
        return False
    if visible_organisation_ids(user) is None:
        return True
    return db.session.scalar(select(Module.id).join(Course, Course.id == Module.course_id)
                             .where(Module.id == module_id, visible_to(user))) is not None


def can_see_thread(user: User, thread: Thread | None) -> bool:
    if thread is None or not user.is_authenticated:
        return False
    if thread.module_id is not None:
        return reads_space(user, thread.organisation_id) and can_see_module(user, thread.module_id)
    return can_see_board(user, thread.board)


def can_reply(user: User, thread: Thread) -> bool:
    """Visible, not locked, and its board not archived."""
    if not can_see_thread(user, thread) or thread.locked_at is not None:
        return False
    return thread.board is None or thread.board.archived_at is None


def can_answer(user: User, thread: Thread) -> bool:
    """May accept an answer: the asker, trainers, admins and the module's authors (a
    course's ``authors`` naming them, or a version they published) - module questions only."""
    if thread.kind != "question":
        return False
    if user.id == thread.author_id or user.has_role(*ANSWERER_ROLES):
        return True
    from lms.plugins.discussions.queries import trainer_module_ids

    return thread.module_id is not None and thread.module_id in trainer_module_ids(user)


def can_resolve(user: User, thread: Thread) -> bool:
    """May mark a question resolved or open again: the asker and moderators."""
    return thread.kind == "question" and (user.id == thread.author_id or is_moderator(user))


def edit_window_open(post: Post, now) -> bool:
    from datetime import timedelta

    from lms.clock import aware

    minutes = int(current_app.config.get("DISCUSSIONS_EDIT_MINUTES", 30))
    return aware(now) - aware(post.created_at) <= timedelta(minutes=minutes)


def can_edit(user: User, post: Post, now) -> bool:
    """Authors edit or delete their own visible posts within the edit window."""
    return (post.author_id == user.id and post.visible and post.thread.locked_at is None
            and edit_window_open(post, now))
