"""Staff boards: creating, editing and archiving them (admins only), the boards a user may
see with their thread counts, and a plain-language sentence of who can see a board.

Who sees a board is decided in :mod:`lms.plugins.discussions.access`; this module only
stores the choice (units and roles, none meaning "everyone") and describes it, so the form
and the board page tell the admin and the reader the same thing the rules enforce.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.audit.services import record as audit_record
from lms.auth.models import ROLES, Unit, User
from lms.clock import utcnow
from lms.extensions import db
from lms.transactions import refusals_roll_back
from lms.plugins.discussions import access
from lms.plugins.discussions.models import Board, BoardRole, BoardUnit, Thread

NAME_MAX = 200
DESCRIPTION_MAX = 2000
SLUG_MAX = 80
# the roles as groups of people, for the audience sentence
ROLE_GROUPS = {"librarian": _l("librarians"), "trainer": _l("trainers"), "supervisor": _l("supervisors"),
               "admin": _l("administrators")}


class BoardError(ValueError):
    """A refused board change; ``field`` names the form field the message belongs to."""

    def __init__(self, message, field: str = ""):
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass
class BoardRow:
    """A board in a list, with its figures (counted in the same query)."""

    board: Board
    thread_count: int
    last_post_at: datetime | None


# --- slugs ------------------------------------------------------------------------------------

def slugify(name: str) -> str:
    """An ASCII slug of ``name`` ("Evaluasi Program Pembinaan" -> "evaluasi-program-pembinaan")."""
    folded = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:SLUG_MAX - 4].strip("-") or "forum"


def unique_slug(name: str) -> str:
    """The slug of ``name``, numbered ("-2", "-3", ...) when another board already has it.
    Slugs never change after creation, so links to a board keep working after a rename."""
    base = slugify(name)
    taken = set(db.session.scalars(select(Board.slug).where(Board.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# --- managing boards --------------------------------------------------------------------------

def offered_units() -> list[Unit]:
    """Active units, for the board form's choices (by name)."""
    return list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)))


def _require_admin(user: User) -> None:
    if not user.has_role("admin"):
        raise BoardError(_l("Only administrators manage boards."))


def _check(name: str, description: str, unit_ids: Iterable[int], roles: Iterable[str],
           board: Board | None) -> tuple[str, str, list[int], list[str]]:
    name = (name or "").strip()
    description = (description or "").strip()
    if not name:
        raise BoardError(_l("Give the board a name."), "name")
    if len(name) > NAME_MAX:
        raise BoardError(_l("The name is too long (at most %(max)d characters).", max=NAME_MAX), "name")
    if len(description) > DESCRIPTION_MAX:
        raise BoardError(_l("The description is too long (at most %(max)d characters).", max=DESCRIPTION_MAX),
                         "description")
    unit_ids = list(dict.fromkeys(int(unit_id) for unit_id in unit_ids))
    allowed = {unit.id for unit in offered_units()}
    if board is not None:  # a unit made inactive after it was chosen may stay
        allowed |= set(board.unit_ids)
    if any(unit_id not in allowed for unit_id in unit_ids):
        raise BoardError(_l("Choose units from the list."), "unit_ids")
    roles = list(dict.fromkeys(roles))
    if any(role not in ROLES for role in roles):
        raise BoardError(_l("Choose roles from the list."), "roles")
    return name, description, unit_ids, [role for role in ROLES if role in roles]


def _apply(board: Board, name: str, description: str, unit_ids: list[int], roles: list[str]) -> None:
    board.name, board.description = name, description
    board.units = [BoardUnit(unit_id=unit_id) for unit_id in sorted(unit_ids)]
    board.roles = [BoardRole(role=role) for role in roles]


@refusals_roll_back(BoardError)
def create_board(admin: User, *, name: str, description: str = "", unit_ids: Iterable[int] = (),
                 roles: Iterable[str] = ()) -> Board:
    """Create a board for ``unit_ids`` (none: the whole library) and ``roles`` (none: every
    role); audited. Raises :class:`BoardError` (nothing stored) for a missing or long name,
    an unknown or inactive unit, an unknown role, or a user who is not an admin."""
    _require_admin(admin)
    name, description, unit_ids, roles = _check(name, description, unit_ids, roles, None)
    position = db.session.scalar(select(func.coalesce(func.max(Board.position), 0))) + 1
    board = Board(slug=unique_slug(name), position=position, created_by_id=admin.id)
    _apply(board, name, description, unit_ids, roles)
    db.session.add(board)
    db.session.flush()
    audit_record("discussions.board_created", "discussion_board", board.id, actor_id=admin.id,
                 name=board.name, units=unit_ids, roles=roles)
    db.session.commit()
    return board


@refusals_roll_back(BoardError)
def update_board(admin: User, board: Board, *, name: str, description: str = "", unit_ids: Iterable[int] = (),
                 roles: Iterable[str] = ()) -> Board:
    """Change a board's name, description, units and roles (the slug stays); audited with
    the audience before and after, since narrowing a board hides its threads from people."""
    _require_admin(admin)
    name, description, unit_ids, roles = _check(name, description, unit_ids, roles, board)
    before = {"units": board.unit_ids, "roles": board.role_names}
    # replace the association rows in two steps: same primary keys would clash in one flush
    board.units, board.roles = [], []
    db.session.flush()
    _apply(board, name, description, unit_ids, roles)
    db.session.flush()
    audit_record("discussions.board_updated", "discussion_board", board.id, actor_id=admin.id,
                 name=board.name, before=before, after={"units": unit_ids, "roles": roles})
    db.session.commit()
    return board


def set_archived(admin: User, board: Board, archived: bool) -> Board:
    """Archive a board (read-only: no new threads, replies or meetings) or reopen it; audited."""
    _require_admin(admin)
    if archived and board.archived_at is None:
        board.archived_at = utcnow()
    elif not archived:
        board.archived_at = None
    audit_record("discussions.board_archived" if archived else "discussions.board_reopened",
                 "discussion_board", board.id, actor_id=admin.id, name=board.name)
    db.session.commit()
    return board


# --- reading boards ---------------------------------------------------------------------------

def _rows(query) -> list[BoardRow]:
    return [BoardRow(board, count, last) for board, count, last in db.session.execute(query).all()]


def _counted():
    return (select(Board, func.count(Thread.id), func.max(Thread.last_post_at))
            .outerjoin(Thread, Thread.board_id == Board.id)
            .group_by(Board.id)
            .order_by(Board.archived_at.is_not(None), Board.position, Board.name))


def visible_boards(user: User, include_archived: bool = True) -> list[BoardRow]:
    """The boards ``user`` may see, each with its thread count and last post time, in one
    query (open boards first, then archived ones)."""
    query = _counted().where(Board.id.in_(access.visible_board_ids(user)))
    if not include_archived:
        query = query.where(Board.archived_at.is_(None))
    return _rows(query)


def all_boards() -> list[BoardRow]:
    """Every board with its figures, for the admins' list."""
    return _rows(_counted())


def board_for(user: User, slug: str) -> Board | None:
    """The board called ``slug`` when ``user`` may see it; None otherwise (a 404 either way)."""
    board = db.session.scalar(select(Board).where(Board.slug == slug))
    return board if access.can_see_board(user, board) else None


def board_threads(viewer: User, board: Board, page: int = 1, per_page: int = 20):
    """A page of the board's threads as the discussion lists show them (latest activity
    first; authors and meeting records loaded alongside, no query per row). A thread whose
    opening post was hidden or deleted is left out, except for moderators, who see it
    marked withdrawn (as in the module lists)."""
    from lms.plugins.discussions.queries import Page
    from lms.plugins.discussions.services import ThreadSummary, opening_post_visible

    query = select(Thread).where(Thread.board_id == board.id)
    if not access.is_moderator(viewer):
        query = query.where(opening_post_visible())
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(page, 1)
    rows = db.session.execute(
        query.add_columns(opening_post_visible().label("shown"))
        .options(selectinload(Thread.author), selectinload(Thread.meeting))
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    items = [ThreadSummary(thread, thread.author.full_name if thread.author else None, None, None, board.name,
                           withdrawn=not shown) for thread, shown in rows]
    return Page(items, page, per_page, total or 0)


def units_by_id(unit_ids: Iterable[int]) -> list[Unit]:
    ids = list(unit_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.name)))


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def audience_summary(units: Iterable[Unit], roles: Iterable[str]) -> str:
    """Who can see a board with these units and roles, in one plain sentence (the form
    shows it before saving, the board page and the admins' list after). It says what
    :func:`access.visible_board_ids` enforces."""
    unit_names = [unit.name for unit in units]
    chosen = set(roles)
    role_names = [str(ROLE_GROUPS[role]) for role in ROLES if role in chosen]
    if unit_names and role_names:
        return _("Only %(roles)s can see this board, and only those who belong to %(units)s (or a unit below) "
                 "or supervise one of those units or a unit above. Administrators always can.",
                 roles=_join(role_names), units=_join(unit_names))
    if unit_names:
        return _("Everyone who belongs to %(units)s (or a unit below) can see this board, and the supervisors "
                 "of those units or of a unit above. Administrators always can.", units=_join(unit_names))
    if role_names:
        return _("Only %(roles)s can see this board, in every unit of the library. Administrators always can.",
                 roles=_join(role_names))
    return _("Everyone in the library can see this board.")


def board_summary(board: Board) -> str:
    return audience_summary(units_by_id(board.unit_ids), board.role_names)
