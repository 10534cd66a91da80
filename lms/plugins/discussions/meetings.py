"""Review meetings: a board thread of kind "meeting" with its record (when, where, agenda,
minutes, decisions) and a link to the data it discussed, so the programme's periodic
evaluation is kept next to that data.

The agenda is the thread's first post (made by :func:`services.create_thread`, so it is
rendered, indexed for search and notified like any thread); minutes and decisions are
Markdown rendered once on save. The link is one of the records other plugins offer to the
user through the ``lms_discussion_links`` hook (a needs round, a report): a submitted link
that was not offered to that user is refused, so nobody links what they may not open.
Times are entered and shown in the library's time zone and stored in UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.pluginmanager import hook
from lms.audit.services import record
from lms.auth.models import User
from lms.clock import aware, local_zone, utcnow
from lms.extensions import db
from lms.markdown_html import render_markdown
from lms.transactions import refusals_roll_back
from lms.nav import LinkTarget
from lms.plugins.discussions import access
from lms.plugins.discussions.services import PostingError
from lms.plugins.discussions.models import Board, Meeting, Thread

PLACE_MAX = 200
RECORD_MAX_KEY = "DISCUSSIONS_MAX_CHARS"  # minutes and decisions share the post size limit
MANAGER_ROLES = ("supervisor", "trainer")  # with admins, who may schedule and record meetings


class MeetingError(ValueError):
    """A refused meeting change; ``field`` names the form field the message belongs to."""

    def __init__(self, message, field: str = ""):
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass
class UpcomingMeeting:
    meeting: Meeting
    thread: Thread
    board: Board


# --- time -------------------------------------------------------------------------------------

def from_local(moment: datetime) -> datetime:
    """A wall-clock time typed in the library's zone (naive) -> aware UTC. Aware input is
    only converted."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(timezone.utc)


def to_local(moment: datetime) -> datetime:
    """A stored time (UTC; naive from SQLite) -> the library's wall-clock time."""
    return aware(moment).astimezone(local_zone())


# --- who may ----------------------------------------------------------------------------------

def can_manage(user: User, board: Board | None) -> bool:
    """Admins, and supervisors or trainers who can see the board, schedule meetings on it
    and write their minutes; nobody on an archived board."""
    if board is None or not user.is_authenticated or board.archived_at is not None:
        return False
    if user.has_role("admin"):
        return True
    return user.has_role(*MANAGER_ROLES) and access.can_see_board(user, board)


def meeting_of(user: User, thread: Thread | None) -> Meeting | None:
    """The meeting record of ``thread`` when ``user`` may see it, else None (a 404)."""
    if thread is None or thread.kind != "meeting" or not access.can_see_thread(user, thread):
        return None
    return db.session.get(Meeting, thread.id)


# --- links ------------------------------------------------------------------------------------

def link_key(kind: str | None, ref: str | None) -> str:
    return f"{kind}:{ref}" if kind and ref else ""


def _local_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def link_choices(user: User) -> list[LinkTarget]:
    """What ``user`` may link a meeting to, from every plugin's ``lms_discussion_links``
    (only entries with a path on this site; the first of a repeated kind+ref wins)."""
    seen: dict[str, LinkTarget] = {}
    for result in hook().lms_discussion_links(user=user):
        for target in result or []:
            key = link_key(target.kind, target.ref)
            if key and key not in seen and _local_path(str(target.url)):
                seen[key] = target
    return list(seen.values())


def _resolve_link(user: User, key: str | None, current: Meeting | None = None) -> LinkTarget | None:
    """The offered target for ``key`` ("" = no link). The meeting's present link stays
    acceptable unchanged even when this user is not offered it (someone else linked it)."""
    key = (key or "").strip()
    if not key:
        return None
    if current is not None and key == link_key(current.link_kind, current.link_ref):
        return LinkTarget(current.link_kind, current.link_ref, current.link_label or "", current.link_url or "")
    for target in link_choices(user):
        if link_key(target.kind, target.ref) == key:
            return target
    raise MeetingError(_l("Choose a record from the list; this one is not offered to you."), "link")


def _set_link(meeting: Meeting, target: LinkTarget | None) -> None:
    if target is None:
        meeting.link_kind = meeting.link_ref = meeting.link_label = meeting.link_url = None
        return
    meeting.link_kind, meeting.link_ref = target.kind[:40], target.ref[:120]
    meeting.link_label, meeting.link_url = str(target.label)[:300], str(target.url)[:300]


# --- validating -------------------------------------------------------------------------------

def _check_when(meeting_at) -> datetime:
    if not isinstance(meeting_at, datetime):
        raise MeetingError(_l("Give the date and time of the meeting."), "meeting_at")
    return from_local(meeting_at)


def _check_place(place: str | None) -> str:
    place = (place or "").strip()
    if len(place) > PLACE_MAX:
        raise MeetingError(_l("The place is too long (at most %(max)d characters).", max=PLACE_MAX), "place")
    return place


def _check_text(text: str | None, field: str) -> str:
    text = (text or "").strip()
    limit = int(current_app.config.get(RECORD_MAX_KEY, 10_000))
    if len(text) > limit:
        raise MeetingError(_l("This text is too long (at most %(max)d characters).", max=limit), field)
    return text


# --- creating and recording -------------------------------------------------------------------

@refusals_roll_back(MeetingError, PostingError)
def create_meeting(user: User, board: Board, *, title: str, meeting_at: datetime, place: str = "",
                   agenda: str, link: str | None = None) -> Thread:
    """Schedule a review meeting on ``board``: a "meeting" thread whose first post is the
    agenda (through :func:`services.create_thread`: title, size, rate limit and board
    checks, follows, notifications) and its :class:`Meeting` record. ``meeting_at`` is the
    library's local time (naive) or aware; ``link`` a key ``kind:ref`` from
    :func:`link_choices` or empty. Raises :class:`MeetingError` or ``PostingError`` with
    nothing stored."""
    from lms.plugins.discussions import services

    if not can_manage(user, board):
        raise MeetingError(_l("You may not schedule meetings on this board."))
    when = _check_when(meeting_at)
    place = _check_place(place)
    agenda = (agenda or "").strip()
    target = _resolve_link(user, link)
    thread = services.create_thread(user, title=title, body=agenda, board=board, kind="meeting")
    meeting = Meeting(thread_id=thread.id, meeting_at=when, place=place, agenda_md=agenda,
                      agenda_html=render_markdown(agenda), updated_at=utcnow(), updated_by_id=user.id)
    _set_link(meeting, target)
    db.session.add(meeting)
    db.session.commit()
    return thread


@refusals_roll_back(MeetingError, PostingError)
def update_record(user: User, meeting: Meeting, minutes: str, decisions: str, link: str | None, *,
                  meeting_at: datetime | None = None, place: str | None = None) -> Meeting:
    """Write the minutes and decisions (Markdown, rendered once here), change the link, and
    move the meeting (``meeting_at``/``place``, when given). A save that changes the
    minutes or decisions counts against the posting rate limit and keeps the previous text
    in the audit log. Raises :class:`MeetingError` (or ``PostingError`` with
    ``retry_after``) with nothing changed."""
    board = meeting.thread.board
    if not can_manage(user, board):
        raise MeetingError(_l("You may not edit this meeting."))
    when = _check_when(meeting_at) if meeting_at is not None else None
    new_place = _check_place(place) if place is not None else None
    minutes = _check_text(minutes, "minutes")
    decisions = _check_text(decisions, "decisions")
    target = _resolve_link(user, link, current=meeting)
    renders = minutes != meeting.minutes_md or decisions != meeting.decisions_md
    if renders:  # Markdown is rendered again: limited like posting, and kept in the audit log
        from lms.plugins.discussions import services

        services.check_rate_limit(user)
        record("discussion.meeting_record_saved", "discussion_thread", meeting.thread_id, actor_id=user.id,
               personal={"minutes_before": meeting.minutes_md, "decisions_before": meeting.decisions_md},
               personal_user_id=user.id)
    if when is not None:
        meeting.meeting_at = when
    if new_place is not None:
        meeting.place = new_place
    if minutes != meeting.minutes_md:
        meeting.minutes_md, meeting.minutes_html = minutes, render_markdown(minutes) if minutes else ""
    if decisions != meeting.decisions_md:
        meeting.decisions_md, meeting.decisions_html = decisions, render_markdown(decisions) if decisions else ""
    _set_link(meeting, target)
    meeting.updated_at, meeting.updated_by_id = utcnow(), user.id
    db.session.commit()
    return meeting


# --- reading ----------------------------------------------------------------------------------

def upcoming(user: User, days: int = 30, limit: int = 10, now: datetime | None = None) -> list[UpcomingMeeting]:
    """Meetings in the next ``days`` on boards ``user`` may see (archived boards left out),
    soonest first, in one query."""
    now = aware(now) if now is not None else utcnow()
    query = (select(Meeting, Thread, Board)
             .join(Thread, Thread.id == Meeting.thread_id)
             .join(Board, Board.id == Thread.board_id)
             .where(Meeting.meeting_at >= now, Meeting.meeting_at <= now + timedelta(days=days),
                    Board.archived_at.is_(None), Board.id.in_(access.visible_board_ids(user)))
             .order_by(Meeting.meeting_at, Thread.id)
             .limit(limit))
    return [UpcomingMeeting(*row) for row in db.session.execute(query).all()]


# --- calendar file ----------------------------------------------------------------------------

def _ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _stamp(moment: datetime) -> str:
    return aware(moment).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def ics(meeting: Meeting, url: str, host: str) -> str:
    """The meeting as an iCalendar file (one event, times in UTC): title, place, agenda
    and the thread's address; it lasts ``DISCUSSIONS_MEETING_MINUTES`` (60)."""
    thread = meeting.thread
    first = thread.posts[0] if thread.posts else None
    agenda = first.body_md if first is not None and first.visible else meeting.agenda_md
    minutes = int(current_app.config.get("DISCUSSIONS_MEETING_MINUTES", 60))
    start = aware(meeting.meeting_at)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pembina//Discussions//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{thread.id}@{host}",
        f"DTSTAMP:{_stamp(meeting.updated_at or utcnow())}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{_ics_text(thread.title)}",
    ]
    if meeting.place:
        lines.append(f"LOCATION:{_ics_text(meeting.place)}")
    lines.append(f"DESCRIPTION:{_ics_text((agenda + chr(10) + chr(10) + url).strip())}")
    lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)
