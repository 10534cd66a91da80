"""The mail outbox: enqueue e-mails in the caller's transaction, deliver them later.

Requests never talk to SMTP. :func:`enqueue` adds a row to the caller's session without
committing, so an e-mail exists exactly when the fact that caused it was committed.
:func:`deliver` (``lms mail send`` from cron, ``lms mail worker`` as a service) sends due rows
one at a time, each claimed with a lease, handed over and marked in commits of its own, so a
worker killed at any point neither loses a row nor sends one twice (docs/operations.md).
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import func, select, text, update

from lms import http
from lms.audit.services import record
from lms.clock import aware, utcnow
from lms.extensions import db
from lms.mail import smtp
from lms.mail.models import OutboxMessage

ADDRESS_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
UNCONFIRMED = "unconfirmed: "  # last_error prefix of a row presumed delivered


def enabled() -> bool:
    """E-mail is on when ``MAIL_SERVER`` is set; without it nothing is enqueued."""
    return bool(str(current_app.config.get("MAIL_SERVER") or "").strip())


def enqueue(to: str, subject: str, text: str, *, kind: str, html: str | None = None,
            user_id: int | None = None) -> OutboxMessage | None:
    """Add one e-mail to the caller's session (NOT committed): it is sent only if the caller
    commits. Date (``created_at``) and Message-ID are fixed now. Returns None when e-mail is
    off. A recipient that is not one plain address is refused (ValueError)."""
    if not enabled():
        return None
    to = (to or "").strip()
    if not ADDRESS_RE.match(to) or len(to) > 254:
        raise ValueError(f"not an e-mail address: {to!r}")
    row = OutboxMessage(kind=kind, user_id=user_id, recipient=to,
                        subject=" ".join(subject.split())[:400],  # no line breaks in a header
                        text_body=text, html_body=html, message_id=make_msgid(domain=http.base_host()),
                        created_at=utcnow(), status="queued", attempts=0, next_attempt_at=utcnow())
    db.session.add(row)
    return row


def build(row: OutboxMessage) -> EmailMessage:
    """The e-mail of ``row``, with the Date and Message-ID it was given when enqueued."""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM") or "pembina@localhost"
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(aware(row.created_at))
    message["Message-ID"] = row.message_id
    message.set_content(row.text_body)  # UTF-8 for Indonesian text
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    return message


# --- delivery ---------------------------------------------------------------------------------

@dataclass
class Pass:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unconfirmed: int = 0
    unavailable: str | None = None  # why the server could not be reached
    ids: list[int] = field(default_factory=list)


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed try: base, 2 x base, 4 x base ... up to the cap."""
    base = _setting("MAIL_RETRY_BASE_SECONDS", 60)
    cap = _setting("MAIL_RETRY_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(base * 2 ** min(max(attempts - 1, 0), 30), cap))


def _claimable(now: datetime):
    """Queued and due, or taken by a worker whose lease ran out before it handed the message
    over (a worker killed before the final "." : the server has not got it)."""
    return (OutboxMessage.status.in_(("queued", "sending")) & (OutboxMessage.next_attempt_at <= now)
            & OutboxMessage.handed_over_at.is_(None))


def _has_due(now: datetime) -> bool:
    return db.session.scalar(select(OutboxMessage.id).where(_claimable(now)).limit(1)) is not None


def claim() -> tuple[int, str] | None:
    """Take the next due row with a lease: one conditional UPDATE, committed. Two workers never
    hold the same row: the WHERE repeats the claim condition, so on PostgreSQL a concurrent
    claimer's update is re-checked and skipped (and SKIP LOCKED passes locked rows), and on
    SQLite writes are serial. Returns ``(id, token)`` or None."""
    now = utcnow()
    token = secrets.token_hex(16)
    lease = timedelta(seconds=_setting("MAIL_LEASE_SECONDS", 600))
    due = (select(OutboxMessage.id).where(_claimable(now))
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
           .with_for_update(skip_locked=True).scalar_subquery())
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == due, _claimable(now))
        .values(status="sending", claim_token=token, attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now + lease)
        .returning(OutboxMessage.id).execution_options(synchronize_session=False)).scalar()
    db.session.commit()
    return (claimed, token) if claimed is not None else None


def _mark(row_id: int, token: str, **values) -> None:
    """Write the outcome of an attempt, only while this worker still holds the claim."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
                       .values(claim_token=None, **values).execution_options(synchronize_session=False))
    db.session.commit()


def _hand_over(row_id: int, token: str) -> bool:
    """Commit "the final dot is about to be written". From here the row is never sent again.

    The time between this commit becoming durable and the dot being written is the one
    window in which a killed worker loses a message (docs/operations.md), so the commit does
    not wait for the disk: on PostgreSQL ``synchronous_commit`` is off for it (a crash of the
    database server itself in the next fraction of a second could forget the mark, and the
    message would then be sent again); SQLite in WAL mode with ``synchronous=NORMAL`` never
    waits for the disk at a commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token,
                                    OutboxMessage.status == "sending", OutboxMessage.handed_over_at.is_(None))
        .values(handed_over_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def resolve_abandoned() -> int:
    """Rows a worker handed over and then never marked (it was killed between the final dot
    and its commit): the server may well have the message, so it is presumed sent - never sent
    again - and flagged "unconfirmed" for the admin page. Returns how many."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.handed_over_at.is_not(None),
               OutboxMessage.next_attempt_at <= now)
        .values(status="sent", sent_at=OutboxMessage.handed_over_at, claim_token=None,
                last_error=UNCONFIRMED + "the worker stopped after the final dot, before the server's answer")
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


def _send_one(connection: smtp.Connection, row_id: int, token: str, result: Pass) -> None:
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    sender = current_app.config.get("MAIL_FROM") or "pembina@localhost"
    now = utcnow
    try:
        message = build(row)
        connection.send(message, sender, row.recipient, lambda: _hand_over(row_id, token))
    except smtp.LostClaim:
        current_app.logger.warning("mail %s: lease lost to another worker; not sent by this one", row_id)
        return
    except smtp.Unconfirmed as error:
        _mark(row_id, token, status="sent", sent_at=now(), last_error=UNCONFIRMED + str(error))
        result.unconfirmed += 1
        result.ids.append(row_id)
        return
    except smtp.Temporary as error:
        if row.attempts >= _setting("MAIL_MAX_ATTEMPTS", 10):
            _mark(row_id, token, status="failed", handed_over_at=None, last_error=f"{error} (gave up after "
                  f"{row.attempts} attempts)"[:500])
            result.failed += 1
        else:
            _mark(row_id, token, status="queued", handed_over_at=None, last_error=str(error)[:500],
                  next_attempt_at=now() + backoff(row.attempts))
            result.retrying += 1
        current_app.logger.warning("mail %s to %s not sent (will retry): %s", row_id, row.recipient, error)
        return
    except (smtp.Permanent, ValueError) as error:
        _mark(row_id, token, status="failed", handed_over_at=None, last_error=str(error)[:500])
        result.failed += 1
        current_app.logger.warning("mail %s to %s refused: %s", row_id, row.recipient, error)
        return
    _mark(row_id, token, status="sent", sent_at=now(), last_error=None)
    result.sent += 1
    result.ids.append(row_id)


def deliver(limit: int | None = None, should_stop: Callable[[], bool] = lambda: False) -> Pass:
    """One delivery pass: send due rows over one SMTP connection until none is due, ``limit``
    were tried or ``should_stop()`` (checked between messages). An unreachable server ends
    the pass before any row is claimed, so an outage costs the rows no attempts."""
    result = Pass()
    if not enabled():
        result.unavailable = "MAIL_SERVER is empty"
        return result
    resolve_abandoned()
    connection = smtp.Connection(current_app.config)
    tried = 0
    try:
        while not should_stop() and (limit is None or tried < limit):
            if not _has_due(utcnow()):
                break
            if not connection.is_open:
                try:
                    connection.open()
                except smtp.Temporary as error:
                    result.unavailable = str(error)
                    current_app.logger.warning("mail server unavailable: %s", error)
                    break
            claimed = claim()
            if claimed is None:
                break  # another worker took what was due
            tried += 1
            _send_one(connection, *claimed, result)
    finally:
        connection.quit()
    return result


# --- reporting and the admin's retry -------------------------------------------------------------

def counts() -> dict[str, int]:
    """Rows per status, plus ``unconfirmed`` (sent rows presumed delivered)."""
    found = dict.fromkeys(("queued", "sending", "sent", "failed"), 0)
    for status, number in db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
        found[status] = number
    found["unconfirmed"] = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "sent", OutboxMessage.last_error.like(UNCONFIRMED + "%"))) or 0
    return found


def failed(limit: int = 200) -> list[OutboxMessage]:
    """The failed messages, newest first (the admin page and ``lms mail status``)."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")
                                   .order_by(OutboxMessage.id.desc())
                                   .limit(limit)))


def unconfirmed(limit: int = 200) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == "sent", OutboxMessage.last_error.like(UNCONFIRMED + "%"))
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def retry(row_id: int) -> bool:
    """Queue a failed message again with a fresh count of attempts (audited). False when it
    is not failed (already retried, or sent meanwhile)."""
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.status == "failed")
        .values(status="queued", attempts=0, next_attempt_at=utcnow(), claim_token=None, handed_over_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    record("mail.retried", "mail", row_id)
    db.session.commit()
    return True
