"""What the discussions plugin holds about a person (posts, threads they opened, reports they
made, what they follow) and how it erases them: their posts keep their place in threads
(counts stay right) but their text becomes a tombstone, everywhere it was kept."""
from __future__ import annotations

from sqlalchemy import select, update

from lms.extensions import db
from lms.plugins.discussions.models import Follow, Post, PostReport, Thread
from lms.privacy import model_data

ERASED_TITLE = "[Dihapus / Erased]"


def personal_data(user):
    return [
        model_data("discussion_posts", "Tulisan Anda di diskusi (teks Markdown dan HTML), termasuk yang dihapus atau disembunyikan.",
                   "Your discussion posts (Markdown and HTML text), including deleted or hidden ones.",
                   Post, Post.author_id == user.id, exclude=("search_text",)),
        model_data("discussion_threads", "Topik diskusi dan pertanyaan yang Anda buka.",
                   "Discussion threads and questions you opened.", Thread, Thread.author_id == user.id),
        model_data("discussion_reports", "Laporan Anda tentang tulisan orang lain kepada moderator.",
                   "Your reports of posts to the moderators.", PostReport, PostReport.reporter_id == user.id),
        model_data("discussion_follows", "Diskusi dan papan yang Anda ikuti.", "Threads and boards you follow.",
                   Follow, Follow.user_id == user.id),
    ]


def erase(user, old, tombstone):
    from lms.plugins.discussions.services import forget_post_text

    posts = list(db.session.scalars(select(Post).where(Post.author_id == user.id)))
    for post in posts:
        forget_post_text(post, tombstone)
    titles = list(db.session.scalars(select(Thread.title).where(Thread.author_id == user.id)))
    threads = db.session.execute(update(Thread).where(Thread.author_id == user.id).values(title=ERASED_TITLE)
                                 .execution_options(synchronize_session="fetch")).rowcount or 0
    reports = db.session.execute(update(PostReport).where(PostReport.reporter_id == user.id)
                                 .values(reason=tombstone[:300]).execution_options(synchronize_session="fetch")
                                 ).rowcount or 0
    return {"counts": {"discussion_posts": len(posts), "discussion_threads": threads, "discussion_reports": reports},
            "files": [], "texts": titles}
