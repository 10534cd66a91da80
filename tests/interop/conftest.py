"""Fixtures for the interop tests: the learning tests' signed-in learner on the sample course,
and English messages for the CLI and parser (which run without a request, in the default
language otherwise)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests.learning.conftest import learner  # noqa: F401 - the fixture, shared


@pytest.fixture(autouse=True)
def english_messages(app):
    with force_locale("en"):
        yield
