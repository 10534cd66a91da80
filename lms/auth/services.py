"""Account, role and unit operations. The only place in ``auth`` that commits.

Views and CLI commands parse input, call these functions and show the result.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_login import confirm_login, login_user, logout_user
from sqlalchemy import func, select, update

from lms.audit.services import record
from lms.auth import passwords, reset, sessions, throttle
from lms.auth.models import LOCALES, ORGANISATION_ROLES, UNIT_KINDS, OrganisationRole, Unit, User, hash_password
from lms.clock import utcnow
from lms.extensions import db, login_manager
from lms.transactions import refusals_roll_back

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNIT_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH


class ServiceError(ValueError):
    """A refused operation, with a message fit to show the user (already translated) and,
    where one applies, the form field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@login_manager.user_loader
def load_user(ident: str) -> User | None:
    """Load the signed-in user from their live server-side session (lms/auth/sessions.py):
    one statement with their roles; a revoked, expired or outdated session signs out."""
    return sessions.load(ident)


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username.strip().lower()))


@dataclass
class LoginResult:
    user: User | None = None
    wait_seconds: int = 0


def authenticate(username: str, password: str, address: str | None) -> LoginResult:
    """Check credentials with throttling (:mod:`lms.auth.throttle`).

    A wrong username, a wrong password and a deactivated account - with the right password
    or not - take the same path: one password hash, one failure counted, the same answer. So
    nobody learns from the login form whether a name exists, is deactivated, or what its
    password is, unless the account is active and the password right.
    """
    wait = throttle.wait_seconds(username, address)
    if wait:
        return LoginResult(wait_seconds=wait)
    user = find_user(username)
    if user is None:
        _dummy_check(password)  # same time as a real check: timing reveals no usernames
        correct = False
    else:
        correct = user.check_password(password)
    if not correct or not user.active:
        throttle.register_failure(username, address)
        return LoginResult()
    throttle.clear(username, address)
    return LoginResult(user=user)


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_check(password: str) -> None:
    """Hash like a real check would, so an unknown username costs the same time."""
    from flask import current_app
    from werkzeug.security import check_password_hash, generate_password_hash

    method = current_app.config["PASSWORD_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(8), method=method)
    check_password_hash(_DUMMY_HASHES[method], password)


def sign_in(user: User, remember: bool) -> None:
    """Start a server-side session (and remember-me token) and note the time."""
    sessions.purge(user)
    sessions.start(user, remember=remember)
    user.last_login_at = utcnow()
    db.session.commit()
    login_user(user)  # remember-me is ours (sessions.start), not Flask-Login's own cookie


def sign_out() -> None:
    """End this browser's session and its remember-me token on the server, not just here."""
    sessions.end_current()
    db.session.commit()
    logout_user()


def reauthenticate(user: User, password: str, address: str | None) -> LoginResult:
    """Ask a signed-in user for their password again (after a remember-me sign-in, before
    admin work): the same throttled check as signing in; success makes the session fresh."""
    result = authenticate(user.username, password, address)
    if result.user is not None and result.user.id == user.id:
        confirm_login()
    elif result.user is not None:
        result.user = None
    return result


def end_other_sessions(user: User) -> int:
    """Sign the user out everywhere but this browser; return how many sessions ended."""
    count = sessions.end_others(user)
    if count:
        record("user.sessions_ended", "user", user.id, count=count)
    db.session.commit()
    return count


def validate_password(password: str, username: str = "", full_name: str = "") -> str | None:
    """Why ``password`` may not be set (a translated message), or None: the rules of
    :mod:`lms.auth.passwords`, with this deployment's ``PASSWORD_CONTEXT_WORDS``. Every way
    of setting a password asks this."""
    from flask import current_app

    words = current_app.config.get("PASSWORD_CONTEXT_WORDS") or ()
    if isinstance(words, str):  # from the environment: LMS_PASSWORD_CONTEXT_WORDS=perpusda,sampit
        words = words.split(",")
    return passwords.problem(password, username=username, full_name=full_name,
                             context=tuple(word.strip() for word in words))


def change_password(user: User, current: str, new: str) -> None:
    """Set the user's own new password. The new one may not be the current one: for an
    account an admin reset, that is the temporary password the admin saw, and keeping it
    would clear the must-change flag while the admin still knows the password."""
    from flask_babel import gettext as _

    if not user.check_password(current):
        raise ServiceError(_("The current password is not correct."))
    problem = validate_password(new, user.username, user.full_name)
    if problem:
        raise ServiceError(problem, "new_password")
    if new == current or user.check_password(new):
        raise ServiceError(_("The new password must be different from the current one."), "new_password")
    user.set_password(new)
    user.must_change_password = False
    user.session_version += 1
    record("user.password_changed", "user", user.id)
    sessions.restart(user)  # the version ended every session: this browser gets a new one
    db.session.commit()
    login_user(user)


def request_password_reset(identifier: str, address: str | None) -> int:
    """Queue a reset link to the account(s) ``identifier`` names (a username, or an e-mail
    address: every active account with it). Returns 0, or the seconds this client address
    must wait (too many requests from it).

    The caller shows the same answer whatever happened: nobody learns from this form whether
    an account or an address exists. Unknown names queue nothing. Past
    ``PASSWORD_RESET_PER_ACCOUNT`` e-mails in an hour an account gets no more, silently (a
    refusal would tell that it exists). No SMTP here: the link goes through the outbox.
    """
    from datetime import timedelta

    from flask import current_app

    from lms.mail import services as mail

    config = current_app.config
    hour = timedelta(hours=1)
    if address:
        count, wait = throttle.count_request(f"reset-ip:{address}", hour)
        if count > int(config["PASSWORD_RESET_PER_ADDRESS"]):
            return wait
    name = identifier.strip().lower()
    if not name or not mail.enabled():
        return 0
    query = select(User).where(User.active.is_(True), User.email.is_not(None), User.email != "")
    if "@" in name:
        query = query.where(func.lower(User.email) == name)
    else:
        query = query.where(User.username == name)
    for user in db.session.scalars(query.order_by(User.id)).all():
        count, _wait = throttle.count_request(f"reset-user:{user.id}", hour)
        if count > int(config["PASSWORD_RESET_PER_ACCOUNT"]):
            current_app.logger.warning("password reset for user %s: hourly limit reached, no e-mail", user.id)
            continue
        subject, text = _reset_email(user)
        try:
            mail.enqueue(user.email, subject, text, kind="password_reset", user_id=user.id)
        except ValueError as error:
            current_app.logger.warning("password reset for user %s: %s", user.id, error)
            continue
        record("user.password_reset_requested", "user", user.id, actor_id=user.id)
        db.session.commit()
    return 0


def _reset_email(user: User) -> tuple[str, str]:
    """The reset e-mail in the account's language: subject and text with the link."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from lms import http, organisations

    url = http.absolute_url("auth.reset_password", token=reset.make_token(user))
    with force_locale(organisations.locale_of(user)):
        subject = _("Reset your Pembina password")
        text = "\n".join([
            _("Hello %(name)s,", name=user.full_name), "",
            _("Someone, probably you, asked to reset the password of your Pembina account "
              "\"%(username)s\". To choose a new password, open this link within %(minutes)d minutes:",
              username=user.username, minutes=reset.max_age() // 60), "",
            url, "",
            _("The link works once. If you did not ask for it, ignore this e-mail: your password stays "
              "as it is."), "",
            "-- ", organisations.signature(organisations.for_user(user) or organisations.home())])
    return subject, text


def password_reset_user(token: str) -> User | None:
    """The account a reset link is valid for now, or None."""
    return reset.user_for(token)


def reset_password_with_token(token: str, new: str, address: str | None) -> User:
    """Set a new password through a reset link: the password rules apply, the link is used up
    (the fingerprint it carries changes), every session of the account ends, the sign-in
    failures counted against the name are forgotten, and the audit log records it. A second
    use of the same link - even a simultaneous one - is refused: the update is conditional on
    the state the link was made for."""
    from flask_babel import gettext as _

    user = reset.user_for(token)
    if user is None:
        raise ServiceError(_("This link is not valid any more. Please ask for a new one."))
    problem = validate_password(new, user.username, user.full_name)
    if problem:
        raise ServiceError(problem, "new_password")
    old_hash, old_version = user.password_hash, user.session_version
    done = db.session.execute(
        update(User).where(User.id == user.id, User.session_version == old_version,
                           User.password_hash == old_hash if old_hash is not None else User.password_hash.is_(None))
        .values(password_hash=hash_password(new), must_change_password=False, session_version=old_version + 1)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("This link is not valid any more. Please ask for a new one."))
    db.session.refresh(user)
    sessions.end_all(user)
    record("user.password_reset_by_email", "user", user.id, actor_id=user.id)
    db.session.commit()
    throttle.clear(user.username, address)
    return user


def set_locale(user: User, locale: str) -> None:
    if locale in LOCALES and user.locale != locale:
        user.locale = locale
        db.session.commit()


def generate_password() -> str:
    """A readable temporary password for new accounts."""
    return "-".join(secrets.token_hex(3) for _ in range(3))


def create_user(*, username: str, full_name: str, password: str | None = None, email: str | None = None,
                nip: str | None = None, position: str | None = None, roles: list[str] | None = None,
                unit: Unit | None = None, locale: str = "", must_change_password: bool = False,
                commit: bool = True) -> User:
    """Create an account (validated by the caller); records it in the audit log. ``locale``
    "" (the default): the person reads their library's default language until they choose."""
    user = User(username=username.strip().lower(), full_name=full_name.strip(), email=email or None,
                nip=nip or None, position=position or None, unit=unit, locale=locale, active=True,
                must_change_password=must_change_password)
    user.set_roles(roles or ["librarian"])
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.created", "user", user.id, roles=sorted(user.role_names),
           unit=unit.code if unit else None)
    if commit:
        db.session.commit()
    return user


def organisation_role_pairs(user: User) -> set[tuple[str, int]]:
    """The organisation roles ``user`` holds, as (role, organisation id) pairs."""
    return {(held.role, held.organisation_id) for held in user.organisation_roles}


def set_organisation_roles(user: User, wanted: set[tuple[str, int]], within: frozenset[int] | None = None) -> None:
    """Make ``user``'s organisation roles inside ``within`` (organisation ids; None: all)
    exactly ``wanted``; those outside it stay as they are (an organisation admin cannot see
    them, so cannot mean to remove them). The change goes to the audit log. Not committed."""
    before = organisation_role_pairs(user)
    inside = (lambda pair: True) if within is None else (lambda pair: pair[1] in within)  # noqa: E731
    after = {pair for pair in before if not inside(pair)} | {
        (role, organisation_id) for role, organisation_id in wanted
        if role in ORGANISATION_ROLES and inside((role, organisation_id))}
    if after == before:
        return
    codes = dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_({pair[1] for pair in before | after}))
                                    ).tuples().all())
    record("user.organisation_roles_changed", "user", user.id,
           before=sorted(f"{role}@{codes.get(oid, oid)}" for role, oid in before),
           after=sorted(f"{role}@{codes.get(oid, oid)}" for role, oid in after))
    user.organisation_roles = [held for held in user.organisation_roles
                               if (held.role, held.organisation_id) in after] + [
        OrganisationRole(role=role, organisation_id=organisation_id)
        for role, organisation_id in sorted(after - before)]


def change_organisation_role(user: User, role: str, organisation_id: int, held: bool) -> bool:
    """Give (``held``) or take ``role`` for one organisation, audited and committed; False
    when nothing changed."""
    pairs = organisation_role_pairs(user)
    wanted = pairs | {(role, organisation_id)} if held else pairs - {(role, organisation_id)}
    if wanted == pairs:
        return False
    set_organisation_roles(user, wanted)
    db.session.commit()
    return True


def refuse(reason: str, target_type: str, target_id, **details) -> None:
    """Write a refused administrative change to the audit log (and nothing else): someone
    tried to reach beyond the organisations they administer (docs/security.md)."""
    db.session.rollback()
    record("admin.refused", target_type, target_id, reason=reason, **details)
    db.session.commit()


def update_user(user: User, *, full_name: str, email: str | None, nip: str | None, position: str | None,
                locale: str, roles: list[str], unit: Unit | None, supervised: list[Unit],
                organisation_roles: set[tuple[str, int]] | None = None,
                within: frozenset[int] | None = None) -> None:
    """Save an admin's edits; role, unit and supervision changes go to the audit log.
    ``organisation_roles`` (when given) replaces those inside ``within`` (see
    :func:`set_organisation_roles`)."""
    old_roles, new_roles = sorted(user.role_names), sorted(set(roles))
    if old_roles != new_roles:
        record("user.roles_changed", "user", user.id, before=old_roles, after=new_roles)
    old_unit = user.unit.code if user.unit else None
    new_unit = unit.code if unit else None
    if old_unit != new_unit:
        record("user.unit_changed", "user", user.id, before=old_unit, after=new_unit)
    old_sup = sorted(u.code for u in user.supervised_units)
    new_sup = sorted(u.code for u in supervised)
    if old_sup != new_sup:
        record("user.supervision_changed", "user", user.id, before=old_sup, after=new_sup)
    user.full_name = full_name.strip()
    user.email = email or None
    user.nip = nip or None
    user.position = position or None
    user.locale = locale if locale in LOCALES else ""
    user.set_roles(new_roles)
    user.unit = unit
    user.supervised_units = list(supervised)
    if organisation_roles is not None:
        set_organisation_roles(user, organisation_roles, within)
    db.session.commit()


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """(De)activate an account. Learning records are never deleted; sessions end."""
    from flask_babel import gettext as _

    if actor is not None and actor.id == user.id and not active:
        raise ServiceError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    record("user.activated" if active else "user.deactivated", "user", user.id)
    db.session.commit()


def reset_password(user: User) -> str:
    """Give the user a new temporary password, which they must change at next sign-in."""
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.session_version += 1
    record("user.password_reset", "user", user.id)
    db.session.commit()
    return password


def unit_choices() -> list[Unit]:
    """Active units ordered as a tree (parents before children)."""
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    by_parent: dict[int | None, list[Unit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    ordered: list[Unit] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in by_parent.get(parent_id, []):
            unit.depth = depth  # type: ignore[attr-defined]
            ordered.append(unit)
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def would_create_cycle(unit: Unit, new_parent: Unit | None) -> bool:
    """True when making ``new_parent`` the parent of ``unit`` would loop the tree."""
    seen = new_parent
    while seen is not None:
        if seen.id == unit.id:
            return True
        seen = seen.parent
    return False


@refusals_roll_back(ServiceError)
def save_unit(unit: Unit | None, *, code: str, name: str, kind: str, parent: Unit | None,
              active: bool = True) -> Unit:
    """Create or update a unit; refuses duplicate codes and cycles."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    code = code.strip().lower()
    if not UNIT_CODE_RE.match(code):
        raise ServiceError(_("The code may use lowercase letters, digits and hyphens only."), "code")
    if kind not in UNIT_KINDS:
        raise ServiceError(_("Unknown unit kind."), "kind")
    clash = db.session.scalar(select(Unit).where(Unit.code == code))
    if clash is not None and (unit is None or clash.id != unit.id):
        raise ServiceError(_("Another unit already uses the code %(code)s.", code=code), "code")
    from lms import organisations

    if unit is None:
        unit = Unit(code=code, name=name.strip(), kind=kind, parent=parent, active=active)
        db.session.add(unit)
        db.session.flush()
        record("unit.created", "unit", unit.id, code=code, parent=parent.code if parent else None)
    else:
        if would_create_cycle(unit, parent):
            raise ServiceError(_("A unit cannot be placed below itself."), "parent_id")
        moving = organisations.people_moving(unit, parent)
        if moving:
            raise ServiceError(ngettext(
                "Moving this unit would move %(num)d person to another library, with their records; move them "
                "to a unit of their own library first.",
                "Moving this unit would move %(num)d people to another library, with their records; move them "
                "to units of their own library first.", moving), "parent_id")
        if (unit.parent.code if unit.parent else None) != (parent.code if parent else None):
            record("unit.moved", "unit", unit.id, before=unit.parent.code if unit.parent else None,
                   after=parent.code if parent else None)
        if unit.active != active:
            record("unit.activated" if active else "unit.deactivated", "unit", unit.id)
        unit.code, unit.name, unit.kind, unit.parent, unit.active = code, name.strip(), kind, parent, active
    db.session.flush()
    organisations.assign_organisations()
    db.session.commit()
    return unit
