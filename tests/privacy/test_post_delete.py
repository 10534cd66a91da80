"""Deleting a post removes its text from the database: the row holds a tombstone, the
search index forgets it, its earlier versions beside the audit log go, and the audit log
keeps only a SHA-256 of what it said."""
from __future__ import annotations

import hashlib

from sqlalchemy import JSON, String, Text, cast, select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.discussions import services
from lms.plugins.discussions.models import Post
from tests.discussions.conftest import marc, people  # noqa: F401 - fixtures
from tests.discussions.posting_helpers import ask


def text_anywhere(needle: str) -> list[str]:
    """Every table.column holding ``needle`` in a text or JSON column."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSON)):
                value = cast(column, Text) if isinstance(column.type, JSON) else column
                hit = db.session.execute(select(table.c[column.key]).where(value.contains(needle)).limit(1)).first()
                if hit is not None:
                    found.append(f"{table.name}.{column.key}")
    return found


def test_deleted_post_text_is_nowhere_in_the_database(people, marc):  # noqa: F811
    ani = people["ani"]
    thread = ask(ani, marc, body="Pembuka yang tetap ada")
    post = services.reply(ani, thread, "Nomor rahasia saya 0812-3456-7890 versi pertama")
    services.edit_post(ani, post, "Nomor rahasia saya 0812-3456-7890 versi kedua")
    assert text_anywhere("0812-3456-7890")  # the test can see it while it is there
    services.delete_post(ani, post)
    db.session.expire_all()
    assert text_anywhere("0812-3456-7890") == []
    assert text_anywhere("Pembuka yang tetap ada")  # only the deleted post went
    row = db.session.get(Post, post.id)
    assert row.deleted_at is not None and row.body_md == services.DELETED_BODY and row.search_text == ""
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discussion.post_deleted"))
    expected = hashlib.sha256("Nomor rahasia saya 0812-3456-7890 versi kedua".encode()).hexdigest()
    assert entry.details["body_sha256"] == expected and "body" not in entry.details
