"""Small builders shared by the posting, module, thread-page and unanswered tests (part A)."""
from __future__ import annotations

from datetime import timedelta

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.discussions import services
from lms.plugins.discussions.models import Board, BoardUnit, Post, Thread


def ask(user, module, title: str = "Bagaimana mengisi ruas 245?", body: str = "Saya bingung dengan indikator.",
        kind: str = "question") -> Thread:
    """A thread under ``module`` through the service, as the ask form makes it."""
    return services.create_thread(user, title=title, body=body, module=module, kind=kind)


def make_board(name: str = "Cabang A", units=(), archived: bool = False) -> Board:
    """A board for ``units`` (none: the whole library), built directly (boards are part C)."""
    board = Board(slug=name.lower().replace(" ", "-"), name=name, description="",
                  archived_at=utcnow() if archived else None)
    board.units = [BoardUnit(unit_id=unit.id) for unit in units]
    db.session.add(board)
    db.session.commit()
    return board


def age(post: Post, minutes: int) -> None:
    """Pretend ``post`` was written ``minutes`` ago (the edit window, the rate limit)."""
    post.created_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def first_post(thread: Thread) -> Post:
    return db.session.get(Post, services.first_post_id(thread))
