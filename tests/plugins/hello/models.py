"""The hello plugin's own table: greetings signed-in librarians leave on its page.

The model is on the product's ``db`` (so ``db.session`` and the users table are at hand), but
the table is created by the plugin's own migration branch (``migrations/``), never by the
product's history.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class Greeting(db.Model):
    __tablename__ = "hello_greetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
