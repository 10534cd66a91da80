"""Fixtures for the interop tests: the learning tests' signed-in learner on the sample course,
English messages for the CLI and parser (which run without a request, in the default
language otherwise), and a real learning record store (Ralph, ``lrs_fixtures.py``)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests.interop.lrs_fixtures import proxy, ralph  # noqa: F401 - the fixtures, shared
from tests.learning.conftest import learner  # noqa: F401 - the fixture, shared


@pytest.fixture(autouse=True)
def english_messages(app):
    with force_locale("en"):
        yield


@pytest.fixture
def lrs(app, ralph):  # noqa: F811 - the session's Ralph
    """Ralph, emptied for this test (its file backend re-reads the statements file on every
    request), with the app holding its credentials and short back-off delays."""
    stored = ralph.directory / "data" / "fs_lrs.jsonl"
    stored.unlink(missing_ok=True)
    app.config.update(XAPI_LRS_USERNAME=ralph.username, XAPI_LRS_PASSWORD=ralph.password,
                      XAPI_LRS_BACKOFF_SECONDS=0.05, XAPI_LRS_RETRIES=4)
    return ralph
