"""Time: UTC for what is stored, the library's time zone for what people read as a day.

Every timestamp is stored as UTC (``utcnow``); SQLite hands them back naive, so readers pass
them through ``aware``. Calendar questions - which day a certificate is dated, which year's
JP a completion counts towards, when "today" ends - follow the library's zone
(``BABEL_DEFAULT_TIMEZONE``, Asia/Jakarta in production), not the server's and not UTC.
The core and every plugin import these from here, so no plugin needs another just to ask
what day it is.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` as a UTC-aware datetime: SQLite gives naive (UTC) datetimes back."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def local_zone() -> ZoneInfo:
    """The library's time zone: calendar years and certificate dates follow it, not UTC."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def local_date(moment: datetime) -> date:
    return aware(moment).astimezone(local_zone()).date()


def local_today() -> date:
    return datetime.now(local_zone()).date()


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 January, next 1 January) of ``year`` in the library's time zone, as UTC."""
    zone = local_zone()
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    return start, end
