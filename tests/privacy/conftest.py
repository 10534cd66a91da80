"""The demo organisation (real courses, ``lms demo``) for the personal-data tests."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.services import import_courses

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(app, runner):
    app.config["NEEDS_SURVEYS_DIR"] = str(ROOT / "courses" / "surveys")
    assert import_courses([ROOT / "courses"]).ok
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))
