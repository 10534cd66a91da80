"""The hello plugin's domain logic: the only place of the plugin that commits."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db

from .models import Greeting


def add_greeting(user_id: int, text: str) -> Greeting:
    """Keep ``text`` (already validated) as a greeting of ``user_id``."""
    greeting = Greeting(user_id=user_id, text=text.strip())
    db.session.add(greeting)
    db.session.commit()
    return greeting


def recent_greetings(limit: int = 20) -> list[Greeting]:
    """The newest greetings first."""
    return list(db.session.scalars(select(Greeting).order_by(Greeting.id.desc()).limit(limit)))
