"""Helpers for the personal-data tests; the demo organisation (real courses, ``lms demo``)
is the shared ``demo`` fixture of tests/conftest.py."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def demo(full_demo):
    """The demo organisation on the real courses (``lms demo``): the session's demo, copied
    for this test."""
    return full_demo
