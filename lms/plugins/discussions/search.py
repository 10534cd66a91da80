"""Full-text search over the discussions a user may see, one function for both databases.

Indexing: every post stores ``search_text`` - its thread title (first posts) and body,
lower-cased, stripped of Markdown punctuation and stemmed with Sastrawi, the standard
Indonesian stemmer ("mengkatalogkan", "katalognya" and "katalog" all become "katalog";
English words pass through unchanged). SQLite indexes that column with FTS5 (triggers keep
it in step), PostgreSQL with a GIN ``to_tsvector('simple', search_text)`` index. A query is
stemmed the same way, so both databases match the same words.

Querying (:func:`search`): the query's words are folded, stemmed and each quoted as a plain
term, so whatever a reader types (``"``, ``*``, ``AND``, ``NEAR(``, ``-``, ``:``) is text,
never search syntax. Every word must match; the last one also matches as a prefix (of its
stem or of the word as typed) so a half-typed word still finds something. Hits are grouped
by thread (its best post), ranked (bm25 on SQLite, ts_rank on PostgreSQL) and limited in one
query; a second one counts them. Only visible posts (not hidden, not deleted) in threads
:func:`access.visible_threads_clause` lets the reader see can match, and not in a thread
whose opening post is hidden or deleted (withdrawn, as in every thread list).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import bindparam, column, distinct, func, literal_column, select, table, text, update

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleVersion
from lms.plugins.discussions import access
from lms.plugins.discussions.models import Board, Post, Thread
from lms.plugins.discussions.queries import PageNavigation, opening_post_visible, status_of

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


def stem_words(text: str) -> list[str]:
    """The stemmed, lower-cased words of ``text`` (reduplications such as "buku-buku" too)."""
    # fold accents first ("café" -> "cafe"): the stemmer keeps only a-z, 0-9 and hyphens
    folded = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    words = [word.lower() for word in _WORD.findall(folded)]
    if not words:
        return []
    stemmed = _stemmer().stem(" ".join(words)).split()
    return stemmed


def index_text(*parts: str) -> str:
    """What to store in ``Post.search_text`` for a post made of ``parts`` (title, body)."""
    return " ".join(word for part in parts for word in stem_words(part))


# --- querying ---------------------------------------------------------------------------

MAX_QUERY_CHARS = 200
MAX_TERMS = 20  # words beyond these are ignored (200 characters rarely hold more)
MIN_PREFIX = 2  # a last word shorter than this matches whole words only
SNIPPET_WORDS = 30
SNIPPET_BEFORE = 8  # words of context shown before the first match
MAX_PAGE = 500
_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")


class SearchError(ValueError):
    """A query refused before it reaches the database; ``.message`` is user-facing."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Term:
    """One word of a query, as the index stores it. ``prefixes`` (the last word only):
    the word also matches any indexed word starting with one of them."""

    stem: str
    prefixes: tuple[str, ...] = ()

    def matches(self, stem: str) -> bool:
        return stem == self.stem or any(stem.startswith(prefix) for prefix in self.prefixes)


@dataclass
class SearchHit:
    """A thread that matched, shown by its best-matching post."""

    thread_id: int
    post_id: int
    title: str
    title_marked: Markup  # the title, escaped, with the matched words in <mark>
    kind: str  # question | discussion | meeting
    status: str  # unanswered | answered | resolved for a question, else its kind
    where: str  # the module title or the board name
    where_kind: str  # "module" | "board"
    where_url: str
    url: str  # the thread page, at the matching post
    snippet: Markup  # about SNIPPET_WORDS words of the post around its first match
    created_at: datetime  # of the matching post
    matches: int  # visible posts of the thread that matched


@dataclass
class SearchPage(PageNavigation):
    """One page of results; quacks like a Flask-SQLAlchemy pagination for the macro."""

    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    terms: tuple[Term, ...] = ()


@lru_cache(maxsize=50_000)
def _stems(word: str) -> tuple[str, ...]:
    """The index words ``word`` becomes: its stem, split at hyphens as the tokenizers do."""
    return tuple(part for stem in stem_words(word) for part in stem.split("-") if part)


def parse_query(query: str) -> tuple[Term, ...]:
    """The terms of ``query``: each word stemmed as the index is; the last one a prefix too.
    Nothing of the query's own syntax survives - only letters and digits."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", query or "") if not unicodedata.combining(c))
    words = [word.lower() for word in _WORD.findall(folded)]
    terms: list[Term] = []
    seen: set[str] = set()
    for position, word in enumerate(words):
        stems = _stems(word)
        if not stems:
            continue
        last = position == len(words) - 1
        for index, stem in enumerate(stems):
            if last and index == len(stems) - 1:
                typed = _NOT_ASCII_ALNUM.sub("", word.split("-")[-1])
                candidates = sorted({p for p in (stem, typed) if len(p) >= MIN_PREFIX}, key=len)
                prefixes: list[str] = []
                for candidate in candidates:  # "katalog" already covers "katalognya"
                    if not any(candidate.startswith(p) for p in prefixes):
                        prefixes.append(candidate)
                terms.append(Term(stem, tuple(prefixes)))
            elif stem not in seen:
                terms.append(Term(stem))
            seen.add(stem)
    if len(terms) > MAX_TERMS:
        terms = terms[:MAX_TERMS - 1] + terms[-1:]
    return tuple(terms)


def fts5_query(terms: Sequence[Term]) -> str:
    """An FTS5 MATCH expression: every term quoted (so it is a plain string), all required."""
    def quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    parts = []
    for term in terms:
        if term.prefixes:
            parts.append("(" + " OR ".join(quote(p) + "*" for p in term.prefixes) + ")")
        else:
            parts.append(quote(term.stem))
    return " AND ".join(parts)


def tsquery(terms: Sequence[Term]) -> str:
    """A PostgreSQL ``to_tsquery`` text: quoted lexemes, all required, ``:*`` for prefixes."""
    def quote(word: str) -> str:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"

    parts = []
    for term in terms:
        if term.prefixes:
            parts.append("(" + " | ".join(quote(p) + ":*" for p in term.prefixes) + ")")
        else:
            parts.append(quote(term.stem))
    return " & ".join(parts)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _matching_posts(terms: Sequence[Term]):
    """(FROM clause with ``Post`` in it, rank expression - lower is better - and conditions)
    for the posts matching ``terms``, on whichever database this is."""
    if _dialect() == "sqlite":
        fts = table("discussion_posts_fts", column("rowid"), column("rank"))
        # FTS5's ``rank`` column (bm25) rather than bm25(): it may be read from a subquery
        matched = (select(fts.c.rowid.label("post_id"), fts.c.rank.label("rank"))
                   .where(literal_column("discussion_posts_fts").op("MATCH")(
                       bindparam("fts_query", fts5_query(terms))))
                   .subquery("matched"))
        return matched.join(Post, Post.id == matched.c.post_id), matched.c.rank, []
    # the same expression as the GIN index ix_discussion_posts_search, so the index serves it
    vector = func.to_tsvector(literal_column("'simple'"), Post.search_text)
    wanted = func.to_tsquery(literal_column("'simple'"), bindparam("ts_query", tsquery(terms)))
    return Post.__table__, -func.ts_rank(vector, wanted), [vector.op("@@")(wanted)]


def search(user: User, query: str, page: int = 1, per_page: int = 20) -> SearchPage:
    """The threads ``user`` may see whose visible posts hold every word of ``query``, best
    first, one page of them. Raises :class:`SearchError` for a query over the length limit."""
    query = " ".join((query or "").split())
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(_("The search is too long: at most %(num)d characters.", num=MAX_QUERY_CHARS))
    page = min(max(int(page or 1), 1), MAX_PAGE)
    terms = parse_query(query)
    result = SearchPage(query=query, page=page, per_page=per_page, terms=terms)
    if not terms:
        return result

    source, rank, conditions = _matching_posts(terms)
    # a thread whose opening post was hidden or deleted is withdrawn (its title may be what
    # was hidden): its replies do not bring it back through search either
    where = [*conditions, Post.hidden_at.is_(None), Post.deleted_at.is_(None),
             access.visible_threads_clause(user), opening_post_visible()]
    ranked = (select(Post.thread_id.label("thread_id"), Post.id.label("post_id"), rank.label("rank"),
                     func.row_number().over(partition_by=Post.thread_id, order_by=(rank, Post.id)).label("rn"),
                     func.count().over(partition_by=Post.thread_id).label("matches"))
              .select_from(source).join(Thread, Thread.id == Post.thread_id).where(*where)
              .subquery("ranked"))
    rows = db.session.execute(
        select(ranked.c.thread_id, ranked.c.post_id, ranked.c.matches, Thread.title, Thread.kind,
               Thread.answered_at, Thread.resolved_at, Thread.board_id, Thread.module_id, Board.name, Board.slug, ModuleVersion.title_id,
               ModuleVersion.title_en, Post.body_html, Post.created_at)
        .select_from(ranked)
        .join(Thread, Thread.id == ranked.c.thread_id)
        .join(Post, Post.id == ranked.c.post_id)
        .outerjoin(Board, Board.id == Thread.board_id)
        .outerjoin(Module, Module.id == Thread.module_id)
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .where(ranked.c.rn == 1)
        .order_by(ranked.c.rank, Thread.last_post_at.desc(), Thread.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()

    if page == 1 and len(rows) < per_page:
        result.total = len(rows)  # the whole result is on this page: no need to count
    else:
        result.total = db.session.scalar(
            select(func.count(distinct(Post.thread_id))).select_from(source)
            .join(Thread, Thread.id == Post.thread_id).where(*where)) or 0

    english = str(get_locale() or "id") == "en"
    for row in rows:
        if row.board_id is not None:
            where_kind, where_name = "board", row.name
            where_url = url_for("discussions.board", slug=row.slug)
        else:
            where_kind = "module"
            where_name = (row.title_en if english and row.title_en else row.title_id) or _("Module")
            where_url = url_for("discussions.module", module_id=row.module_id)
        result.hits.append(SearchHit(
            thread_id=row.thread_id, post_id=row.post_id, title=row.title,
            title_marked=mark(row.title, terms), kind=row.kind, status=status_of(row), where=where_name,
            where_kind=where_kind, where_url=where_url,
            url=url_for("discussions.thread", thread_id=row.thread_id, _anchor=f"post-{row.post_id}"),
            snippet=snippet(Markup(row.body_html or "").striptags(), terms),
            created_at=row.created_at, matches=row.matches))
    return result


def _word_matches(word: str, terms: Sequence[Term]) -> bool:
    return any(term.matches(stem) for stem in _stems(word) for term in terms)


def mark(text_: str, terms: Sequence[Term]) -> Markup:
    """``text_`` escaped, with each word whose stem matches a term wrapped in ``<mark>``."""
    out: list[str] = []
    position = 0
    for found in _WORD.finditer(text_ or ""):
        out.append(escape(text_[position:found.start()]))
        word = found.group()
        out.append(Markup("<mark>%s</mark>") % word if _word_matches(word, terms) else escape(word))
        position = found.end()
    out.append(escape((text_ or "")[position:]))
    return Markup("").join(out)


def snippet(plain: str, terms: Sequence[Term], words: int = SNIPPET_WORDS) -> Markup:
    """About ``words`` words of ``plain`` around its first matching word, escaped, with the
    matches marked; the start of the text when only the title matched."""
    tokens = list(re.finditer(r"\S+", plain or ""))
    if not tokens:
        return Markup("")
    first = next((index for index, token in enumerate(tokens)
                  if any(_word_matches(word, terms) for word in _WORD.findall(token.group()))), 0)
    end = min(len(tokens), max(first - SNIPPET_BEFORE, 0) + words)
    start = max(0, end - words)
    shown = mark(plain[tokens[start].start():tokens[end - 1].end()], terms)
    if start > 0:
        shown = Markup("… ") + shown
    if end < len(tokens):
        shown = shown + Markup(" …")
    return shown


# --- maintenance --------------------------------------------------------------------------

def reindex_all(batch: int = 200) -> int:
    """Recompute every post's ``search_text`` (after a stemmer upgrade or an import that
    bypassed the services) and, on SQLite, rebuild the FTS5 table from it. Returns the
    number of posts indexed. Works through the threads in batches; commits."""
    count = 0
    last_thread_id = 0
    while True:
        threads = db.session.execute(
            select(Thread.id, Thread.title).where(Thread.id > last_thread_id)
            .order_by(Thread.id).limit(batch)).all()
        if not threads:
            break
        last_thread_id = threads[-1].id
        titles = {row.id: row.title for row in threads}
        posts = db.session.execute(
            select(Post.id, Post.thread_id, Post.body_md, Post.search_text)
            .where(Post.thread_id.in_(titles)).order_by(Post.thread_id, Post.id)).all()
        changes = []
        seen_threads: set[int] = set()
        for post in posts:
            first = post.thread_id not in seen_threads
            seen_threads.add(post.thread_id)
            wanted = index_text(titles[post.thread_id], post.body_md) if first else index_text(post.body_md)
            if wanted != post.search_text:
                changes.append({"id": post.id, "search_text": wanted})
            count += 1
        if changes:
            db.session.execute(update(Post), changes)
    if _dialect() == "sqlite":
        db.session.execute(text("INSERT INTO discussion_posts_fts(discussion_posts_fts) VALUES ('rebuild')"))
    db.session.commit()
    return count
