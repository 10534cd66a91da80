"""Notifications: create them in bulk, count and list a reader's, mark them read, e-mail them
when SMTP is configured (at once, or once a day in the digest), and the daily assignment
reminders. E-mails go into the core outbox (:mod:`lms.mail.services`) in the same transaction
as the notifications they carry; ``lms mail send`` delivers them.

A notification holds a message key of :data:`MESSAGES` and JSON parameters; the text is
made when it is read, in the reader's language (``title_id``/``title_en`` parameters carry
a course or module title in both languages; ``due`` is an ISO date shown in the reader's
date format). E-mails are rendered the same way in the recipient's ``User.locale``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app, g
from flask_babel import force_locale, format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, func, insert, select, update

from lms import http, organisations
from lms.auth.models import User
from lms.clock import aware, utcnow
from lms.pluginmanager import hook
from lms.extensions import db
from lms.mail import services as mail
from lms.plugins.notifications import preferences
from lms.plugins.notifications.models import Notification

# Whether and when a person gets e-mail for a kind (notification preferences): the one
# question a transport asks before sending (``immediate``, ``digest`` or ``never``).
email_choice = preferences.email_choice
email_choices = preferences.email_choices

LEARNING_URL = "/learning/"  # My learning, where assignments are listed
LIST_LIMIT = 100  # newest notifications shown on the page

# key -> (title, body); parameters: title (the localised title_id/title_en), due (a date)
MESSAGES = {
    "assignment.new": (_l("New assignment: %(title)s, due %(due)s"),
                       _l("You have a new assignment: %(title)s. Please finish it by %(due)s.")),
    "assignment.due": (_l("Reminder: %(title)s is due %(due)s"),
                       _l("%(title)s is due on %(due)s and you have not finished it yet.")),
    "assignment.overdue": (_l("Overdue: %(title)s was due %(due)s"),
                           _l("%(title)s was due on %(due)s and you have not finished it yet.")),
}


def messages() -> dict:
    """This plugin's :data:`MESSAGES` and those other plugins register through
    ``lms_notification_messages``, collected once per app."""
    found = current_app.extensions.get("lms.notification_messages")
    if found is None:
        found = dict(MESSAGES)
        for answer in hook().lms_notification_messages():
            found.update(answer or {})
        current_app.extensions["lms.notification_messages"] = found
    return found


def is_local_url(url: object) -> bool:
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url


def _values(params: dict, locale: str) -> dict[str, str]:
    title = params.get("title_en") if locale == "en" else None
    values = {key: value for key, value in params.items() if isinstance(value, str)}
    values["title"] = title or params.get("title_id") or params.get("title") or ""
    due = params.get("due")
    if due:
        values["due"] = format_date(date.fromisoformat(due), "long")
    else:
        values["due"] = str(_l("no date"))
    return values


def render(key: str, params: dict, locale: str) -> tuple[str, str]:
    """``(title, body)`` of a message in the current locale (``locale`` picks the title)."""
    title, body = messages().get(key, (key, ""))
    values = _values(params or {}, locale)
    return str(title) % values, (str(body) % values if body else "")


# --- writing ----------------------------------------------------------------------------

def notify(user_ids: Iterable[int], kind: str, key: str, params: dict, url: str | None = None,
           dedup_key: str | None = None, email: bool = True, commit: bool = True) -> list[int]:
    """Notify each of ``user_ids`` (one bulk INSERT) and, when SMTP is set, e-mail at once
    those whose choice for ``kind`` is ``immediate`` (:func:`email_choices`); the others'
    e-mail waits for the daily digest, or never comes, as each chose. ``email=False``
    holds back the immediate e-mails of this one notification (the digest carries it
    later, except to people who chose ``never``).

    With ``dedup_key``, users who already have a notification with that key are skipped
    (and the unique constraint stops a racing second run). Returns the ids of the users
    notified now.

    ``commit=False`` writes the notifications in the caller's transaction, for a caller
    whose fact they tell of (a new assignment): kept or lost together, and so are their
    e-mails, which are rows of the same transaction in the outbox. No SMTP here.
    """
    if key not in messages():
        raise ValueError(f"unknown message {key!r}")
    if url is not None and not is_local_url(url):
        raise ValueError("a notification links only to a path on this site")
    ids = sorted(set(user_ids))
    if ids and dedup_key is not None:
        already = set(db.session.scalars(select(Notification.user_id).where(
            Notification.user_id.in_(ids), Notification.dedup_key == dedup_key)))
        ids = [uid for uid in ids if uid not in already]
    if not ids:
        return []
    now = utcnow()
    send_now = set()
    if email and mail.enabled():
        send_now = {uid for uid, choice in email_choices(ids, kind).items() if choice == preferences.IMMEDIATE}
    db.session.execute(insert(Notification), [
        {"user_id": uid, "kind": kind, "key": key, "params": params, "url": url, "dedup_key": dedup_key,
         "created_at": now, "emailed_at": now if uid in send_now else None} for uid in ids])
    if send_now:
        enqueue_emails(sorted(send_now), key, params, url)
    if commit:
        db.session.commit()
    return ids


def _enqueue(email: str, subject: str, text: str, kind: str, user_id: int) -> int:
    """Queue one e-mail; a stored address the outbox refuses is logged and skipped, so one
    bad address never stops an assignment or a digest run."""
    try:
        mail.enqueue(email, subject, text, kind=kind, user_id=user_id)
    except ValueError as error:
        current_app.logger.warning("user %s: no e-mail queued: %s", user_id, error)
        return 0
    return 1


def enqueue_emails(user_ids: list[int], key: str, params: dict, url: str | None) -> int:
    """Put the notification into the outbox as an e-mail to each of ``user_ids`` with an
    address, each in their language, in the caller's transaction. Returns how many."""
    rows = db.session.execute(select(User.id, User.email, User.locale).where(
        User.id.in_(user_ids), User.active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(User.id)).all()
    base = http.base_url()  # never the request's Host (a client chooses it)
    default = current_app.config.get("BABEL_DEFAULT_LOCALE") or "id"
    count = 0
    signatures = organisations.signatures_for([row[0] for row in rows])
    languages = organisations.locales_for([row[0] for row in rows])  # own choice, else the library's
    for user_id, email, locale in rows:
        locale = languages.get(user_id) or default
        with force_locale(locale):
            title, body = render(key, params, locale)
            lines = [body]
            if url and is_local_url(url):
                lines += ["", base + url]
            lines += ["", "-- ", signatures[user_id]]
            count += _enqueue(email, title, "\n".join(lines), "notification", user_id)
    return count


def mark_read(user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark the reader's notifications read: those of ``ids`` (others' ids are ignored) or,
    with ``None``, all. Returns how many changed."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        ids = list(ids)
        if not ids:
            return 0
        query = query.where(Notification.id.in_(ids))
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


def open_notification(user_id: int, notification_id: int) -> str | None:
    """The path to go to when ``user_id`` opens their notification ``notification_id``,
    which is marked read (once: opening it again changes nothing); ``None`` when it is not
    theirs. A notification without a link leads back to the list."""
    url = db.session.scalar(select(func.coalesce(Notification.url, "")).where(
        Notification.id == notification_id, Notification.user_id == user_id))
    if url is None:
        return None
    mark_read(user_id, [notification_id])
    return url if is_local_url(url) else NOTIFICATIONS_PATH


# --- reading ----------------------------------------------------------------------------

# Built once: the navigation runs it on every signed-in page.
_UNREAD_COUNT = select(func.count()).select_from(Notification).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


def unread_count(user_id: int) -> int:
    """One COUNT over the (user_id, read_at, created_at) index."""
    return int(db.session.execute(_UNREAD_COUNT, {"user_id": user_id}).scalar() or 0)


def current_unread() -> int:
    """The signed-in user's unread count, queried at most once per request (navigation)."""
    if not current_user.is_authenticated:
        return 0
    if "notifications_unread" not in g:
        g.notifications_unread = unread_count(current_user.id)
    return g.notifications_unread


@dataclass
class Item:
    id: int
    title: str
    body: str
    url: str | None
    created_at: datetime
    read: bool


def list_for(user_id: int, locale: str, limit: int = LIST_LIMIT) -> list[Item]:
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    items = []
    for row in rows:
        title, body = render(row.key, row.params, locale)
        items.append(Item(id=row.id, title=title, body=body, url=row.url if is_local_url(row.url) else None,
                          created_at=row.created_at, read=row.read_at is not None))
    return items


# --- assignments ---------------------------------------------------------------------------

def assignment_params(assignment) -> dict:
    from lms.plugins.learning import assigning

    return {"assignment_id": assignment.id, **assigning.subject_titles(assignment),
            "due": assignment.due_on.isoformat() if assignment.due_on else None}


def assignment_created(assignment, user_ids: list[int]) -> list[int]:
    """Tell the librarians a new assignment reaches, in the transaction that creates it."""
    return notify(user_ids, "assignment", "assignment.new", assignment_params(assignment), url=LEARNING_URL,
                  commit=False)


def remind(days: int, today: date) -> int:
    """Notify librarians of unfinished assignments due within ``days`` days or overdue;
    once per assignment and day. Returns how many notifications were created."""
    from lms.plugins.learning import assigning
    from lms.plugins.learning.models import Assignment

    pending: dict[int, list[int]] = {}
    for assignment_id, user_id in assigning.pending_due(today + timedelta(days=days)):
        pending.setdefault(assignment_id, []).append(user_id)
    created = 0
    for assignment_id, user_ids in pending.items():
        assignment = db.session.get(Assignment, assignment_id)
        key = "assignment.overdue" if assignment.due_on < today else "assignment.due"
        created += len(notify(user_ids, "reminder", key, assignment_params(assignment), url=LEARNING_URL,
                              dedup_key=f"remind:{assignment_id}:{today.isoformat()}"))
    return created


# --- the daily digest ----------------------------------------------------------------------

DIGEST_MAX_ITEMS = 50  # listed in one e-mail; the rest are counted and wait on the page
NOTIFICATIONS_PATH = "/notifications/"


def _digest_eligible_users():
    return select(User.id).where(User.active.is_(True), User.email.is_not(None), User.email != "")


def send_digest(now: datetime) -> int:
    """Put into the outbox, for each active user with an address, ONE e-mail listing their
    unread notifications that no e-mail has carried yet (``emailed_at IS NULL``), newest
    first in their language, and mark those notifications e-mailed - in one transaction, so
    the marks and the e-mails are kept or lost together. Returns the e-mails queued.

    Each person's preferences decide, as they stand when the digest runs: a kind they
    chose ``never`` for is left out. Kinds e-mailed ``immediate`` were queued when they
    were made, so the digest holds the ``digest`` kinds and only those immediate ones no
    e-mail could carry at the time (no mail server then, or ``notify(email=False)``).

    Nothing happens without ``MAIL_SERVER``. The rows are claimed with one
    ``UPDATE ... RETURNING`` (so a second run, even a simultaneous one, finds nothing to
    send). Delivery, retries and failures are the outbox's (``lms mail send``).
    """
    if not mail.enabled():
        return 0
    now = aware(now).astimezone(timezone.utc)
    claimed = list(db.session.scalars(
        update(Notification)
        .where(Notification.read_at.is_(None), Notification.emailed_at.is_(None),
               Notification.user_id.in_(_digest_eligible_users()),
               preferences.email_choice_sql(Notification.user_id, Notification.kind) != preferences.NEVER)
        .values(emailed_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)))
    if not claimed:
        db.session.commit()
        return 0
    rows = db.session.execute(
        select(Notification, User.email, User.locale, User.full_name)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(claimed))
        .order_by(Notification.user_id, Notification.created_at.desc(), Notification.id.desc())).all()
    per_user: dict[int, list] = {}
    for notification, email, locale, full_name in rows:
        per_user.setdefault(notification.user_id, []).append((notification, email, locale, full_name))
    base = http.base_url()  # never the request's Host (a client chooses it)
    default = current_app.config.get("BABEL_DEFAULT_LOCALE") or "id"
    signatures = organisations.signatures_for(list(per_user))
    languages = organisations.locales_for(list(per_user))  # own choice, else the library's
    for user_id, items in per_user.items():
        _, email, locale, full_name = items[0]
        locale = languages.get(user_id) or default
        with force_locale(locale):
            subject, text = _digest_message(full_name, [item[0] for item in items], locale, base,
                                            signatures[user_id])
        _enqueue(email, subject, text, "digest", user_id)
    db.session.commit()
    return len(per_user)


def _digest_message(full_name: str, notifications: list[Notification], locale: str, base: str,
                    signature: str) -> tuple[str, str]:
    """``(subject, text)`` of one recipient's digest, in the current (their) locale: the notifications grouped by
    day, newest first, each with its title, text and link."""
    count = len(notifications)
    subject = ngettext("Pembina: %(num)d new notification", "Pembina: %(num)d new notifications", count)
    lines = [gettext("Hello %(name)s,", name=full_name), "",
             ngettext("You have %(num)d new notification in Pembina:",
                      "You have %(num)d new notifications in Pembina:", count), ""]
    day = None
    for notification in notifications[:DIGEST_MAX_ITEMS]:
        created = aware(notification.created_at)
        heading = format_date(created, "long")  # the library's time zone
        if heading != day:
            if day is not None:
                lines.append("")
            lines += [heading, "-" * len(heading)]
            day = heading
        title, body = render(notification.key, notification.params, locale)
        lines.append(f"* {title}")
        if body:
            lines.append(f"  {body}")
        if is_local_url(notification.url):
            lines.append(f"  {base}{notification.url}")
    if count > DIGEST_MAX_ITEMS:
        lines += ["", ngettext("... and %(num)d more notification.", "... and %(num)d more notifications.",
                                 count - DIGEST_MAX_ITEMS)]
    lines.append("")
    lines += [gettext("Read and manage them: %(url)s", url=base + NOTIFICATIONS_PATH), ""]
    lines += ["-- ", signature]
    return subject, "\n".join(lines)
