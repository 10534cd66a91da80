"""Boards, threads, posts, reports, follows and meeting records.

A thread lives either under a module (``module_id``: a question or a discussion about the
module, visible to the signed-in users of its organisation - each library has its own
discussion space on a shared course, ``organisation_id``) or on a board (``board_id``: a staff forum whose
visibility is limited to units and roles). The first post of a thread carries its body.

A post keeps the Markdown as written (``body_md``), the sanitised HTML rendered once on
save (``body_html``) and ``search_text``: the title and body lower-cased and stemmed with
the Indonesian stemmer, which the full-text index reads (FTS5 on SQLite, a GIN
``to_tsvector('simple', ...)`` index on PostgreSQL), so both databases match the same words.
Hidden and deleted posts keep their row: moderation never silently destroys anything.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db

THREAD_KINDS = ("question", "discussion", "meeting")


class Board(db.Model):
    """A staff forum. No units = the whole library; no roles = every role."""

    __tablename__ = "discussion_boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    units: Mapped[list["BoardUnit"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    roles: Mapped[list["BoardRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def unit_ids(self) -> list[int]:
        return sorted(row.unit_id for row in self.units)

    @property
    def role_names(self) -> list[str]:
        return sorted(row.role for row in self.roles)


class BoardUnit(db.Model):
    """A unit a board is for: its members, members of units below it, and supervisors above."""

    __tablename__ = "discussion_board_units"

    board_id: Mapped[int] = mapped_column(ForeignKey("discussion_boards.id", ondelete="CASCADE"),
                                          primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class BoardRole(db.Model):
    """A role a board is for (any of them is enough)."""

    __tablename__ = "discussion_board_roles"

    board_id: Mapped[int] = mapped_column(ForeignKey("discussion_boards.id", ondelete="CASCADE"),
                                          primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Thread(db.Model):
    __tablename__ = "discussion_threads"
    __table_args__ = (
        CheckConstraint("(board_id IS NULL) <> (module_id IS NULL)", name="board_xor_module"),
        Index("ix_discussion_threads_module_kind", "module_id", "kind", "answered_at", "created_at"),
        Index("ix_discussion_threads_board_last", "board_id", "last_post_at"),
        Index("ix_discussion_threads_module_organisation", "module_id", "organisation_id", "last_post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("discussion_boards.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    # A module thread's discussion space: the author's organisation when it was started (None:
    # an author without a unit). Like ``units.organisation_id``, a plain id without a foreign
    # key. Board threads leave it None: their board's units decide who sees them.
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="question")  # THREAD_KINDS
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)  # visible replies, kept by services
    # first visible reply by someone other than the author: "unanswered" is answered_at IS NULL
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_posts.id", use_alter=True, ondelete="SET NULL"))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    board: Mapped[Board | None] = relationship()
    posts: Mapped[list["Post"]] = relationship(
        back_populates="thread", foreign_keys="Post.thread_id", order_by="Post.id",
        cascade="all, delete-orphan", passive_deletes=True)


class Post(db.Model):
    __tablename__ = "discussion_posts"
    __table_args__ = (
        Index("ix_discussion_posts_thread_created", "thread_id", "created_at"),
        Index("ix_discussion_posts_author_created", "author_id", "created_at"),  # the rate limit
        Index("ix_discussion_posts_search", func.to_tsvector(literal_column("'simple'"),
                                                              literal_column("search_text")),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(300))

    thread: Mapped[Thread] = relationship(back_populates="posts", foreign_keys=[thread_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def visible(self) -> bool:
        return self.hidden_at is None and self.deleted_at is None


class PostReport(db.Model):
    """A reader's report of a post to the moderators; one per reader and post."""

    __tablename__ = "discussion_post_reports"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id", name="uq_discussion_report_once"),
                      Index("ix_discussion_reports_open", "resolved_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("discussion_posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    post: Mapped[Post] = relationship()


class Follow(db.Model):
    """A user following a thread (replies notify them) or a board (new threads notify them)."""

    __tablename__ = "discussion_follows"
    __table_args__ = (
        CheckConstraint("(board_id IS NULL) <> (thread_id IS NULL)", name="board_xor_thread"),
        UniqueConstraint("user_id", "thread_id", name="uq_discussion_follow_thread"),
        UniqueConstraint("user_id", "board_id", name="uq_discussion_follow_board"),
        Index("ix_discussion_follows_thread", "thread_id"),
        Index("ix_discussion_follows_board", "board_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"))
    board_id: Mapped[int | None] = mapped_column(ForeignKey("discussion_boards.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Meeting(db.Model):
    """The record of a review meeting thread: when, agenda, minutes, decisions, and the data
    it discussed (a link another plugin offered through ``lms_discussion_links``)."""

    __tablename__ = "discussion_meetings"

    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"),
                                           primary_key=True)
    meeting_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    agenda_md: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    minutes_md: Mapped[str] = mapped_column(Text, default="")
    minutes_html: Mapped[str] = mapped_column(Text, default="")
    decisions_md: Mapped[str] = mapped_column(Text, default="")
    decisions_html: Mapped[str] = mapped_column(Text, default="")
    link_kind: Mapped[str | None] = mapped_column(String(40))  # e.g. "needs_round", "report"
    link_ref: Mapped[str | None] = mapped_column(String(120))  # the id or key within that kind
    link_label: Mapped[str | None] = mapped_column(String(300))  # as offered when linked
    link_url: Mapped[str | None] = mapped_column(String(300))  # a local path, as offered
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship(backref=db.backref("meeting", uselist=False, passive_deletes=True))


# --- full-text search on SQLite: an external-content FTS5 table kept in step by triggers ---
# (migration 0011 creates the same; PostgreSQL uses the GIN expression index above)
FTS_DDL = [
    "CREATE VIRTUAL TABLE discussion_posts_fts USING fts5(search_text, content='discussion_posts', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER discussion_posts_fts_ai AFTER INSERT ON discussion_posts BEGIN "
    "INSERT INTO discussion_posts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER discussion_posts_fts_ad AFTER DELETE ON discussion_posts BEGIN "
    "INSERT INTO discussion_posts_fts(discussion_posts_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER discussion_posts_fts_au AFTER UPDATE OF search_text ON discussion_posts BEGIN "
    "INSERT INTO discussion_posts_fts(discussion_posts_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO discussion_posts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
FTS_DROP = [
    "DROP TRIGGER IF EXISTS discussion_posts_fts_au",
    "DROP TRIGGER IF EXISTS discussion_posts_fts_ad",
    "DROP TRIGGER IF EXISTS discussion_posts_fts_ai",
    "DROP TABLE IF EXISTS discussion_posts_fts",
]
for _statement in FTS_DDL:
    event.listen(Post.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in FTS_DROP:
    event.listen(Post.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
