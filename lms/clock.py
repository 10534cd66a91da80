"""Time: UTC for what is stored, the library's time zone for what people read as a day.

Every timestamp is stored as UTC (``utcnow``); SQLite hands them back naive, so readers pass
them through ``aware``. Calendar questions - which day a certificate is dated, which year's
JP a completion counts towards, when "today" ends - follow a library's zone, not the
server's and not UTC. Each organisation has its own (``Organisation.time_zone``, issue 20):
the calendar functions take the organisation a question is about; without one they answer
for the current request's organisation (``lms.organisations.current()``: the signed-in
person's library), and outside a request, or for someone without a library, the install's
``BABEL_DEFAULT_TIMEZONE`` (Asia/Jakarta in production).
The core and every plugin import these from here, so no plugin needs another just to ask
what day it is.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context


class _Current:
    """The default of the calendar functions: "the organisation of this request"."""

    def __repr__(self) -> str:  # pragma: no cover - shows in signatures only
        return "CURRENT"


CURRENT: Any = _Current()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` as a UTC-aware datetime: SQLite gives naive (UTC) datetimes back."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def install_zone() -> ZoneInfo:
    """The install's zone: the default of a new organisation and of people without one."""
    return zone_named(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def local_zone(organisation: Any = CURRENT) -> ZoneInfo:
    """The time zone of ``organisation`` (an ``Organisation``, a ``ZoneInfo``, or None for the
    install's); by default the current request's organisation: calendar years and
    certificate dates follow the library they are about, not UTC."""
    if organisation is CURRENT:
        organisation = _current_organisation()
    if isinstance(organisation, ZoneInfo):
        return organisation
    name = getattr(organisation, "time_zone", None)
    return zone_named(name) if name else install_zone()


def _current_organisation():
    if not has_request_context():
        return None
    from lms.organisations import current

    return current()


def local_date(moment: datetime, organisation: Any = CURRENT) -> date:
    return aware(moment).astimezone(local_zone(organisation)).date()


def local_today(organisation: Any = CURRENT) -> date:
    return datetime.now(local_zone(organisation)).date()


def year_bounds(year: int, organisation: Any = CURRENT) -> tuple[datetime, datetime]:
    """[1 January, next 1 January) of ``year`` in ``organisation``'s time zone, as UTC."""
    zone = local_zone(organisation)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    return start, end
