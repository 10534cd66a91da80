"""Personal-data rights: the download zip, erasure and retention (docs/privacy.md).

The only place of this package that commits. Plugins contribute through the hooks
``lms_personal_data``, ``lms_erase_personal_data`` and ``lms_retention_purge``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select

from lms.pluginmanager import hook
from lms.audit.models import AuditEntry, AuditPersonal
from lms.audit.services import record
from lms.auth.models import LoginThrottle, User, UserSession
from lms.clock import utcnow
from lms.extensions import db
from lms.privacy import PersonalData, cell, plain
from lms.privacy.models import Erasure

PSEUDONYM_NAME = "Pengguna terhapus #{token}"
PSEUDONYM_USERNAME = "terhapus-{token}"
# What an erased person's free text becomes (both languages: readers may use either).
TOMBSTONE = "[Dihapus atas permintaan pemiliknya / Erased at the owner's request]"
ERASED_TEXT = "[Dihapus / Erased]"  # in place of a title they wrote, where it was copied

# Retention settings (``LMS_PRIVACY_RETENTION_*``), in days; 0 keeps for ever.
RETENTION_DEFAULTS: dict[str, int] = {
    "PRIVACY_RETENTION_NOTIFICATIONS_DAYS": 365,
    "PRIVACY_RETENTION_MAIL_DAYS": 90,
    "PRIVACY_RETENTION_SESSIONS_DAYS": 90,
    "PRIVACY_RETENTION_LOGIN_ATTEMPTS_DAYS": 30,
    "PRIVACY_RETENTION_INACTIVE_ACCOUNTS_DAYS": 0,
}


class PrivacyError(Exception):
    """A refused privacy operation; the message is shown to the user as it is."""


# --- the download ------------------------------------------------------------------------------

def personal_data(user: User) -> list[PersonalData]:
    """Every kind of record held about ``user``, core first, then each plugin's."""
    found: list[PersonalData] = []
    for items in hook().lms_personal_data(user=user):
        found.extend(items or [])
    return found


def _readme(items: list[PersonalData], user: User, made_at: datetime) -> str:
    lines = [
        "Data pribadi Anda di Pembina / Your personal data in Pembina",
        "=" * 60,
        "",
        f"Akun / Account: #{user.id}",
        f"Dibuat / Made: {made_at.isoformat(timespec='seconds')}",
        "",
        "Setiap jenis data ada dalam dua berkas: .json (untuk mesin) dan .csv (untuk spreadsheet).",
        "Each kind of data is in two files: .json (for machines) and .csv (for spreadsheets).",
        "Bukti pelatihan (berkas yang Anda unggah) ada di folder evidence/.",
        "Training evidence (files you uploaded) is in the folder evidence/.",
        "",
    ]
    for item in items:
        lines += [f"{item.name}.json / {item.name}.csv", f"  id: {item.about_id}", f"  en: {item.about_en}", ""]
    lines += [
        "Untuk meminta perbaikan atau penghapusan data, lihat halaman Privasi.",
        "To ask for a correction or erasure, see the Privacy page.",
    ]
    return "\n".join(lines) + "\n"


def _write_kind(archive: zipfile.ZipFile, item: PersonalData) -> int:
    """Write one kind as JSON (streamed into the zip) and CSV (through a spooled temporary
    file: a zip takes one entry at a time); returns the row count."""
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8", newline="") as csv_out:
        writer = csv.writer(csv_out)
        writer.writerow(item.columns)
        with archive.open(f"{item.name}.json", "w") as json_raw:
            json_out = io.TextIOWrapper(json_raw, encoding="utf-8", newline="")
            json_out.write("[")
            for row in item.rows():
                json_out.write(",\n " if count else "\n ")
                json_out.write(json.dumps({key: plain(row.get(key)) for key in item.columns}, ensure_ascii=False))
                writer.writerow([_safe_cell(cell(row.get(key))) for key in item.columns])
                count += 1
            json_out.write("\n]\n" if count else "]\n")
            json_out.flush()
            json_out.detach()
        csv_out.seek(0)
        with archive.open(f"{item.name}.csv", "w") as csv_raw:
            while chunk := csv_out.read(1 << 16):
                csv_raw.write(chunk.encode("utf-8"))
    return count


def _safe_cell(value: str) -> str:
    """No spreadsheet formula out of a person's own text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@dataclass
class Download:
    """The zip (an open temporary file, deleted when closed) and its row counts per kind."""

    file: IO[bytes]
    counts: dict[str, int] = field(default_factory=dict)


def build_download(user: User) -> Download:
    """Everything held about ``user`` as a zip in a temporary file (never whole in memory)."""
    items = personal_data(user)
    made_at = utcnow()
    spool = tempfile.TemporaryFile()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(items, user, made_at))
        for item in items:
            counts[item.name] = _write_kind(archive, item)
            for name, path in item.files():
                if os.path.isfile(path):
                    archive.write(path, name)
    spool.seek(0)
    return Download(spool, counts)


def record_download(user: User, actor: User) -> None:
    """Audit a download: who took whose data (by id)."""
    record("privacy.data_downloaded", "user", user.id, actor_id=actor.id, by_admin=actor.id != user.id)
    db.session.commit()


# --- erasure -----------------------------------------------------------------------------------

@dataclass
class Erased:
    """What an erasure did: the account, its pseudonym, counts per kind."""

    user_id: int
    pseudonym: str
    counts: dict[str, int]


def erase(user: User, actor: User | None) -> Erased:
    """Erase ``user``'s identity and free text (UU PDP), keeping the rows aggregates count.

    In one transaction: the identity fields become a pseudonym, the password unusable,
    sessions end, the account is deactivated, each plugin erases what it holds (free text,
    certificates, evidence files, copies of the name in other people's rows), and the
    personal values beside the audit log are deleted. The log itself is not changed: it
    names the person by id only. Evidence files are deleted once the transaction is
    committed. Refuses an account already erased and one's own account.
    """
    if erased_at(user.id) is not None:
        raise PrivacyError(_("This account has already been erased."))
    if actor is not None and actor.id == user.id:
        raise PrivacyError(_("You cannot erase your own account."))
    old = {"username": user.username, "full_name": user.full_name, "email": user.email, "nip": user.nip}
    token = _free_token()
    counts: dict[str, int] = {}
    files: list[str] = []
    new_name = PSEUDONYM_NAME.format(token=token)
    replacements = {value: new_name for value in old.values() if value}
    for result in hook().lms_erase_personal_data(user=user, old=old, tombstone=TOMBSTONE):
        if not result:
            continue
        for kind, count in (result.get("counts") or {}).items():
            counts[kind] = counts.get(kind, 0) + int(count)
        files.extend(result.get("files") or [])
        replacements.update({text: ERASED_TEXT for text in result.get("texts") or [] if text})
    counts["copies_elsewhere"] = sum(n or 0 for n in hook().lms_scrub_personal_text(replacements=replacements))
    counts["audit_personal"] = db.session.execute(
        delete(AuditPersonal).where(AuditPersonal.user_id == user.id)).rowcount or 0
    counts["sessions"] = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount or 0
    counts["login_attempts"] = db.session.execute(delete(LoginThrottle).where(or_(
        LoginThrottle.key == f"user:{old['username']}",
        LoginThrottle.key.like(f"pair:{_like(old['username'])}|%", escape="\\")))).rowcount or 0
    user.username = PSEUDONYM_USERNAME.format(token=token)
    user.full_name = new_name
    user.email = None
    user.nip = None
    user.position = None
    user.password_hash = None
    user.must_change_password = False
    user.active = False
    user.session_version += 1
    user.supervised_units = []
    db.session.add(Erasure(user_id=user.id, erased_at=utcnow()))
    record("user.erased", "user", user.id, actor_id=actor.id if actor else None,
           counts={kind: count for kind, count in sorted(counts.items()) if count})
    db.session.commit()
    for path in files:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    return Erased(user.id, user.full_name, counts)


def erased_at(user_id: int) -> datetime | None:
    """When ``user_id`` was erased, or None: their certificates are revoked since then."""
    return db.session.scalar(select(Erasure.erased_at).where(Erasure.user_id == user_id))


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _free_token() -> str:
    while True:
        token = secrets.token_hex(4)
        if db.session.scalar(select(func.count()).select_from(User).where(
                User.username == PSEUDONYM_USERNAME.format(token=token))) == 0:
            return token


# --- retention ---------------------------------------------------------------------------------

def retention_days(name: str) -> int:
    """A retention setting in days (0: kept for ever)."""
    return int(current_app.config.get(name, RETENTION_DEFAULTS[name]))


def cutoff(name: str, now: datetime) -> datetime | None:
    days = retention_days(name)
    return now - timedelta(days=days) if days > 0 else None


def purge(now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete what is kept past its retention setting; returns the count per kind (with
    ``dry_run``, what would go). Training records, completions, certificates, quiz attempts
    and the audit log are never purged (docs/privacy.md)."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    before = cutoff("PRIVACY_RETENTION_SESSIONS_DAYS", now)
    if before is not None:
        # a session is over once expired or revoked; kept as "where you are signed in" until then
        ended = or_(UserSession.expires_at < before, UserSession.revoked_at < before)
        counts["sessions"] = _delete(UserSession, ended, dry_run)
    before = cutoff("PRIVACY_RETENTION_LOGIN_ATTEMPTS_DAYS", now)
    if before is not None:
        counts["login_attempts"] = _delete(LoginThrottle, LoginThrottle.window_start < before, dry_run)
    for result in hook().lms_retention_purge(now=now, dry_run=dry_run):
        for kind, count in (result or {}).items():
            counts[kind] = counts.get(kind, 0) + int(count)
    before = cutoff("PRIVACY_RETENTION_INACTIVE_ACCOUNTS_DAYS", now)
    if before is not None:
        stale = select(User).where(User.active.is_(False), User.id.not_in(select(Erasure.user_id)),
                                   func.coalesce(User.last_login_at, User.created_at) < before)
        people = list(db.session.scalars(stale))
        counts["inactive_accounts_erased"] = len(people)
        if not dry_run:
            db.session.commit()
            for person in people:
                erase(person, None)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return counts


def _delete(model: Any, condition: Any, dry_run: bool) -> int:
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    return db.session.execute(delete(model).where(condition)).rowcount or 0


# --- the core's own data (registered through the hooks like a plugin's) -------------------------

def core_personal_data(user: User) -> list[PersonalData]:
    from lms.privacy import model_data

    def profile():
        yield {"id": user.id, "username": user.username, "full_name": user.full_name, "email": user.email,
               "nip": user.nip, "position": user.position, "unit": user.unit.name if user.unit else None,
               "roles": sorted(user.role_names), "locale": user.locale, "active": user.active,
               "created_at": user.created_at, "last_login_at": user.last_login_at,
               "supervised_units": [unit.name for unit in user.supervised_units]}

    audit_columns = ["id", "at", "relation", "action", "target_type", "target_id", "details", "personal"]

    def audit_rows():
        about_user = (AuditEntry.target_type == "user") & (AuditEntry.target_id == str(user.id))
        theirs = select(AuditPersonal.entry_id).where(AuditPersonal.user_id == user.id)
        query = (select(AuditEntry).where(or_(AuditEntry.actor_id == user.id, about_user, AuditEntry.id.in_(theirs)))
                 .order_by(AuditEntry.id))
        for entry in db.session.scalars(query.execution_options(yield_per=500)):
            yield {"id": entry.id, "at": entry.at,
                   "relation": "by" if entry.actor_id == user.id else "about",
                   "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
                   "details": entry.details,
                   "personal": {p.key: p.value for p in entry.personal if p.user_id == user.id}}

    return [
        PersonalData("profile", "Profil akun Anda: nama, nama pengguna, e-mail, NIP, jabatan, unit, peran.",
                     "Your account profile: name, username, e-mail, NIP, position, unit, roles.",
                     ["id", "username", "full_name", "email", "nip", "position", "unit", "roles", "locale",
                      "active", "created_at", "last_login_at", "supervised_units"], profile),
        model_data("sessions", "Sesi masuk Anda: kapan, dari peramban apa (tanpa token).",
                   "Your sign-in sessions: when, from which browser (without tokens).",
                   UserSession, UserSession.user_id == user.id, exclude=("token_hash", "remember_hash")),
        PersonalData("audit_entries", "Catatan audit tentang Anda atau yang Anda lakukan (relation: about/by).",
                     "Audit log entries about you or made by you (relation: about/by).", audit_columns, audit_rows),
    ]
