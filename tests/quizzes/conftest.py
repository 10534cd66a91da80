"""Helpers to take the sample course's quizzes (the course fixtures are in tests/conftest.py)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Module
from tests.conftest import csrf_token


@pytest.fixture
def submitted_ids(app) -> list[int]:
    """The ids ``lms_quiz_submitted`` was called with, in order (a plugin registered for the
    test): how a test sees that an attempt was graded once, not twice."""
    calls: list[int] = []

    class Spy:
        from lms.hookspecs import hookimpl

        @hookimpl
        def lms_quiz_submitted(self, attempt):
            calls.append(attempt.id)

    app.extensions["lms.plugins"].register(Spy(), name="spy")
    return calls


def module(slug: str) -> Module:
    db.session.expire_all()
    return db.session.scalar(select(Module).where(Module.slug == slug))


def start(client, module_slug: str = "marc") -> int:
    """Start (or resume) the quiz of a module; return the attempt id."""
    token = csrf_token(client, f"/quiz/contoh/{module_slug}/")
    response = client.post(f"/quiz/contoh/{module_slug}/start", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/quiz/attempt/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def shown_value(page: str, question_id: int, option_html: str) -> str:
    """The value the page uses for an option (its position on this attempt's page)."""
    pattern = (rf'name="q-{question_id}" value="(\d+)"[^>]*> <span>{re.escape(option_html)}</span>')
    match = re.search(pattern, page)
    assert match, f"option {option_html!r} not on the page"
    return match.group(1)
