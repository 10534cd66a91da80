"""Transactions belong to services: a service commits what it did, and a service that refuses
(raises its domain error) leaves nothing half-written behind it.

Views only parse the request, call a service and render (docs/plugins.md); before this
helper every view that caught a refusal rolled the session back itself (25 views).
``tests/test_thin_layers.py`` fails when a view or hook module commits or rolls back.
"""
from __future__ import annotations

import functools
from typing import Callable, TypeVar

from lms.extensions import db

F = TypeVar("F", bound=Callable)


def refusals_roll_back(*errors: type[BaseException]) -> Callable[[F], F]:
    """Decorate a service function: when it raises one of ``errors`` (its refusals: bad input,
    a rule that forbids the change), what it flushed or changed so far is rolled back before
    the error reaches the caller, which can then show the page again as it was. Other
    exceptions pass untouched (the request's teardown discards the session)."""
    def decorate(function: F) -> F:
        @functools.wraps(function)
        def refusing(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except errors:
                db.session.rollback()
                raise
        return refusing  # type: ignore[return-value]
    return decorate
