"""Bulk user import from CSV: validate every row first, then create all or nothing.

Columns: ``username,full_name,email,roles,unit`` (required header), plus optional
``nip``, ``position``, ``locale``, ``password``. ``roles`` holds one or more of
librarian/trainer/supervisor/admin separated by ``;``, ``|`` or spaces (empty means
librarian); ``unit`` is a unit code (empty means none). The file may be comma- or
semicolon-delimited (spreadsheets in the Indonesian locale write semicolons) and
UTF-8 with or without a BOM. Every problem is reported as ``line N: message``.

Once the install has more than one library, every row needs a unit: a person without one
belongs to no library and would vanish from every library's lists without anyone noticing.
An organisation admin's import (``scope``) may name only units of their libraries and give
only the roles they may give (``AdminScope.grantable_roles``); a refused file is audited.

Hashing a password (scrypt) costs ~0.1 s of CPU, on purpose, so a file of 150 staff costs
~20 s. That work is done in three steps so no other writer ever waits for it: validate
(reads only), hash every password with no transaction open, then insert everything in one
short transaction (all or nothing). SQLite has a single writer lock, taken by the first
write of a transaction (``BEGIN IMMEDIATE``, lms/db_events.py): hashing inside that
transaction made every other user's write wait, then fail with "database is locked".
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.auth.models import LOCALES, ROLES, Organisation, Unit, User, hash_password
from lms.auth.scoping import AdminScope
from lms.audit.services import record
from lms.auth.services import EMAIL_RE, USERNAME_RE, generate_password, validate_password
from lms.extensions import db

REQUIRED_COLUMNS = ("username", "full_name", "email", "roles", "unit")
OPTIONAL_COLUMNS = ("nip", "position", "locale", "password")
ROLE_SPLIT = re.compile(r"[;|\s]+")
# Told ``(stage, done, total)`` as the import goes: "checked" once (rows read), "hashed" after
# each password, "created" once at the end.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportRow:
    line: int
    username: str
    full_name: str
    email: str | None
    roles: list[str]
    unit: Unit | None
    nip: str | None = None
    position: str | None = None
    locale: str = ""  # none in the file: the library's default language
    password: str | None = None
    password_hash: str | None = None


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    checked: int = 0  # rows of people read from the file (blank lines aside)
    created: int = 0
    # username -> temporary password, for rows that gave none
    temporary_passwords: dict[str, str] = field(default_factory=dict)
    # lines refused because they reach beyond the importing admin's libraries (audited)
    beyond_scope: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode_csv(data: bytes) -> tuple[str | None, str | None]:
    """Return (text, None) or (None, error). Accepts UTF-8 with or without BOM only."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, _("line 1: the file is UTF-16; save it as \"CSV UTF-8\" and try again")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, _("line %(line)d: the file is not UTF-8 (byte %(byte)s); save it as \"CSV UTF-8\" "
                       "and try again", line=line, byte=f"0x{data[exc.start]:02x}")


def _sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_users_csv(data: bytes, scope: AdminScope | None = None) -> ImportResult:
    """Validate the whole file without changing anything; with ``scope`` (an organisation
    admin's), also refuse units and roles outside it."""
    result = ImportResult()
    text, problem = decode_csv(data)
    if problem:
        result.errors.append(problem)
        return result
    assert text is not None
    if not text.strip():
        result.errors.append(_("line 1: the file is empty"))
        return result
    delimiter = _sniff_delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    unknown = [column for column in header if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing:
        result.errors.append(_("line 1: missing column(s): %(columns)s", columns=", ".join(missing)))
    if unknown:
        result.errors.append(_("line 1: unknown column(s): %(columns)s", columns=", ".join(unknown)))
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        result.errors.append(_("line 1: repeated column(s): %(columns)s", columns=", ".join(duplicated)))
    if result.errors:
        return result

    every_unit = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    # another library's unit is "unknown" to an organisation admin (its code tells them nothing)
    units = {code: unit for code, unit in every_unit.items() if scope is None or scope.has_unit(unit.id)}
    unit_required = scope is not None or len(db.session.scalars(select(Organisation.unit_id).limit(2)).all()) > 1
    allowed_roles = ROLES if scope is None else scope.grantable_roles
    seen: dict[str, int] = {}
    rows_read = 0
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        rows_read += 1
        if len(cells) != len(header):
            result.errors.append(_("line %(line)d: expected %(expected)d cells, found %(found)d",
                                   line=line, expected=len(header), found=len(cells)))
            continue
        values = {column: cell.strip() for column, cell in zip(header, cells)}
        row_errors: list[str] = []
        username = values["username"].lower()
        if not USERNAME_RE.match(username):
            row_errors.append(_("username %(name)r must be 2-64 characters: lowercase letters, digits, "
                                "dot, hyphen or underscore", name=values["username"]))
        elif username in seen:
            row_errors.append(_("username %(name)r appears twice (also on line %(other)d)",
                                name=username, other=seen[username]))
        else:
            seen[username] = line
        if not values["full_name"]:
            row_errors.append(_("full_name is empty"))
        email = values["email"] or None
        if email and not EMAIL_RE.match(email):
            row_errors.append(_("email %(email)r is not an e-mail address", email=email))
        roles = [role for role in ROLE_SPLIT.split(values["roles"].lower()) if role] or ["librarian"]
        bad_roles = [role for role in roles if role not in ROLES]
        if bad_roles:
            row_errors.append(_("unknown role(s) %(roles)s; use %(known)s",
                                roles=", ".join(bad_roles), known=", ".join(ROLES)))
        withheld = [role for role in roles if role in ROLES and role not in allowed_roles]
        if withheld:
            row_errors.append(_("only an administrator of the whole install can give the role(s) %(roles)s; "
                                "use %(known)s", roles=", ".join(withheld), known=", ".join(allowed_roles)))
            result.beyond_scope.append(line)
        unit = None
        if values["unit"]:
            unit = units.get(values["unit"].lower())
            if unit is None:
                row_errors.append(_("unknown unit %(unit)r", unit=values["unit"]) if scope is None else
                                  _("unknown unit %(unit)r: use a unit code of your library", unit=values["unit"]))
                if values["unit"].lower() in every_unit:
                    result.beyond_scope.append(line)
        elif unit_required:
            row_errors.append(_("the unit is empty: with several libraries in Pembina, everyone needs a unit "
                                "(a unit code)"))
        locale = (values.get("locale") or "").lower()
        if locale and locale not in LOCALES:
            row_errors.append(_("locale must be one of %(known)s", known=", ".join(LOCALES)))
        password = values.get("password") or None
        if password:
            problem = validate_password(password, username, values["full_name"])
            if problem:
                row_errors.append(problem)
        for message in row_errors:
            result.errors.append(_("line %(line)d: %(message)s", line=line, message=message))
        if not row_errors:
            result.rows.append(ImportRow(line=line, username=username, full_name=values["full_name"],
                                         email=email, roles=roles, unit=unit, nip=values.get("nip") or None,
                                         position=values.get("position") or None, locale=locale,
                                         password=password))
    result.checked = rows_read
    if rows_read == 0:
        result.errors.append(_("line 2: the file has a header but no users"))
    _check_existing(result)
    return result


def _check_existing(result: ImportResult) -> None:
    """Refuse usernames and NIPs that are already taken in the database."""
    names = [row.username for row in result.rows]
    nips = [row.nip for row in result.rows if row.nip]
    taken = set(db.session.scalars(select(User.username).where(User.username.in_(names)))) if names else set()
    taken_nips = set(db.session.scalars(select(User.nip).where(User.nip.in_(nips)))) if nips else set()
    nip_lines: dict[str, int] = {}
    for row in result.rows:
        if row.username in taken:
            result.errors.append(_("line %(line)d: username %(name)r already exists", line=row.line,
                                   name=row.username))
        if row.nip:
            if row.nip in taken_nips:
                result.errors.append(_("line %(line)d: NIP %(nip)s already belongs to another user",
                                       line=row.line, nip=row.nip))
            elif row.nip in nip_lines:
                result.errors.append(_("line %(line)d: NIP %(nip)s appears twice (also on line %(other)d)",
                                       line=row.line, nip=row.nip, other=nip_lines[row.nip]))
            nip_lines.setdefault(row.nip, row.line)
    result.errors.sort(key=_line_of)


def _line_of(message: str) -> int:
    match = re.search(r"(\d+)", message)
    return int(match.group(1)) if match else 0


def import_users_csv(data: bytes, progress: Progress | None = None, scope: AdminScope | None = None) -> ImportResult:
    """Validate, hash, then create every user in one short transaction - or none when
    anything is wrong. ``scope``: an organisation admin's import (see the module's text)."""
    result = parse_users_csv(data, scope)
    # End the reads' transaction before the slow part: nothing is held while hashing (on
    # PostgreSQL it would be a snapshot kept open; on SQLite reads open none).
    db.session.rollback()
    if result.beyond_scope:
        record("admin.refused", "user_import", None, reason="beyond_scope", lines=sorted(set(result.beyond_scope)))
        db.session.commit()
    if not result.ok:
        return result
    if progress:
        progress("checked", result.checked, result.checked)
    hash_passwords(result, progress)
    _create_users(result)
    if result.ok and progress:
        progress("created", result.created, len(result.rows))
    return result


def hash_passwords(result: ImportResult, progress: Progress | None = None) -> None:
    """Give every row its password hash (a temporary password when the file has none).

    Called with no transaction open: this is nearly all the time an import takes."""
    total = len(result.rows)
    for done, row in enumerate(result.rows, start=1):
        password = row.password
        if not password:
            password = generate_password()
            result.temporary_passwords[row.username] = password
        row.password_hash = hash_password(password)
        if progress:
            progress("hashed", done, total)


def _create_users(result: ImportResult) -> None:
    """Insert every hashed row in one short transaction, or nothing.

    The names are checked again first: another admin may have taken one while the
    passwords were hashed (a race past that check ends in the unique constraint, and is
    reported the same way)."""
    _check_existing(result)
    if not result.ok:
        db.session.rollback()
        result.temporary_passwords.clear()
        return
    try:
        _insert_users(result.rows)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _check_existing(result)
        if result.ok:
            raise
        result.temporary_passwords.clear()
        return
    except Exception:
        db.session.rollback()
        raise
    result.created = len(result.rows)


def _insert_users(rows: list[ImportRow]) -> None:
    """Add the accounts as :func:`lms.auth.services.create_user` would, but with one flush for
    them all (a few multi-row INSERTs instead of three statements a user: 150 users held
    SQLite's write lock ~0.8 s one by one), each recorded in the audit log. Not committed."""
    users = []
    for row in rows:
        user = User(username=row.username, full_name=row.full_name, email=row.email, nip=row.nip,
                    position=row.position, unit=row.unit, locale=row.locale, active=True,
                    must_change_password=True, password_hash=row.password_hash)
        user.set_roles(row.roles)
        users.append(user)
    db.session.add_all(users)
    db.session.flush()
    for user, row in zip(users, rows):
        record("user.created", "user", user.id, roles=sorted(row.roles),
               unit=row.unit.code if row.unit else None)
