"""Notification preferences: WHETHER and WHEN a person gets e-mail for each kind of
notification. In-app notifications are always written; e-mail is ``immediate`` (when the
notification is made), ``digest`` (in the daily digest, ``lms notifications digest``) or
``never``.

The kinds come from the plugins that send them (``lms_notification_kinds``: label, hint
and default); this plugin's own are :data:`KINDS`. A person's choice is stored only where
it differs from the kind's default, so a row means "this person chose otherwise" and a
changed default reaches everyone else. A kind no plugin declares (its plugin was switched
off) falls back to :data:`FALLBACK`.

:func:`email_choice` / :func:`email_choices` answer the question for one person or for
many at once (one query); the transport (today ``services.notify`` and
``services.send_digest``, later the mail outbox) asks them and nothing else.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, insert, select

from lms.pluginmanager import hook
from lms.extensions import db
from lms.plugins.notifications.models import EMAIL_CHOICES, NotificationPreference

Choice = Literal["immediate", "digest", "never"]
IMMEDIATE, DIGEST, NEVER = EMAIL_CHOICES
FALLBACK: Choice = DIGEST  # a kind nobody declares: at most once a day

CHOICE_LABELS = {
    IMMEDIATE: _l("Immediately"),
    DIGEST: _l("In the daily digest"),
    NEVER: _l("Never"),
}

# This plugin's kinds: (label, hint, default). The defaults are what Pembina did before
# anyone could choose: an assignment or a reminder is e-mailed at once.
KINDS = {
    "assignment": (_l("New assignments"),
                   _l("A supervisor or an admin assigns you a course or module, or a curriculum that includes "
                      "you is approved."),
                   IMMEDIATE),
    "reminder": (_l("Due and overdue reminders"),
                 _l("An assignment you have not finished is due within a few days or overdue (at most once a "
                    "day for each)."),
                 IMMEDIATE),
}

_KIND_RE = re.compile(r"^[a-z][a-z_]{0,39}$")


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any
    hint: Any
    default: Choice


def kinds() -> dict[str, Kind]:
    """Every declared kind in page order (this plugin's first), collected once per app.
    A malformed declaration stops the start-up with one sentence, not a broken page."""
    found = current_app.extensions.get("lms.notification_kinds")
    if found is None:
        declared = dict(KINDS)
        for answer in hook().lms_notification_kinds():
            for key in sorted(answer or {}):
                declared.setdefault(key, answer[key])
        found = {}
        for key, (label, hint, default) in declared.items():
            if not _KIND_RE.match(key) or default not in EMAIL_CHOICES:
                raise ValueError(f"notification kind {key!r}: the name must be lowercase letters and '_' and "
                                 f"the default one of {', '.join(EMAIL_CHOICES)} (got {default!r})")
            found[key] = Kind(key, label, hint, default)
        current_app.extensions["lms.notification_kinds"] = found
    return found


def default_for(kind: str) -> Choice:
    declared = kinds().get(kind)
    return declared.default if declared is not None else FALLBACK


# --- the question the transport asks -----------------------------------------------------

def email_choices(user_ids: Iterable[int], kind: str) -> dict[int, Choice]:
    """``{user_id: choice}`` for ``kind``, for all of ``user_ids`` in one query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    default = default_for(kind)
    chosen = dict(db.session.execute(select(NotificationPreference.user_id, NotificationPreference.email).where(
        NotificationPreference.kind == kind, NotificationPreference.user_id.in_(ids))).all())
    return {uid: chosen.get(uid, default) for uid in ids}


def email_choice(user_id: int, kind: str) -> Choice:
    """How e-mail reaches ``user_id`` for a notification of ``kind``."""
    return email_choices([user_id], kind)[user_id]


def email_choice_sql(user_id_column, kind_column):
    """The same answer as a SQL expression over a row's user and kind columns (for the
    digest, which picks its rows in one statement): the person's stored choice, else the
    kind's default, else :data:`FALLBACK`."""
    stored = (select(NotificationPreference.email)
              .where(NotificationPreference.user_id == user_id_column, NotificationPreference.kind == kind_column)
              .scalar_subquery())
    defaults = {key: kind.default for key, kind in kinds().items() if kind.default != FALLBACK}
    default = case(defaults, value=kind_column, else_=FALLBACK) if defaults else FALLBACK
    return func.coalesce(stored, default)


# --- one person's page -------------------------------------------------------------------

def choices_for(user_id: int) -> dict[str, Choice]:
    """``{kind: choice}`` for every declared kind: what the person chose, or the default."""
    chosen = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.email).where(
        NotificationPreference.user_id == user_id)).all())
    return {key: chosen.get(key, kind.default) for key, kind in kinds().items()}


def save(user_id: int, choices: Mapping[str, str]) -> int:
    """Store ``user_id``'s ``{kind: choice}`` (kinds not given keep their current choice):
    a row where the choice differs from the default, none where it is the default. An
    unknown kind or choice is refused (``ValueError``) and nothing changes. Returns how
    many kinds now differ from their default."""
    declared = kinds()
    for key, choice in choices.items():
        if key not in declared or choice not in EMAIL_CHOICES:
            raise ValueError(f"unknown notification kind or e-mail choice: {key!r}={choice!r}")
    if choices:
        db.session.execute(delete(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind.in_(list(choices))))
        rows = [{"user_id": user_id, "kind": key, "email": choice} for key, choice in choices.items()
                if choice != declared[key].default]
        if rows:
            db.session.execute(insert(NotificationPreference), rows)
    db.session.commit()
    return sum(1 for key, choice in choices_for(user_id).items() if choice != declared[key].default)
