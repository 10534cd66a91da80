"""Organisations: which library a person, a unit or a page belongs to, and that library's
settings (names, signatory, mail signature, time zone, JP target, language).

An organisation is a unit marked as one (``Organisation`` row); its staff are the members of
every unit below it down to the next organisation. Every top-level unit is one, so everyone
with a unit has a library. ``units.organisation_id`` caches the nearest organisation and is
recomputed here whenever the tree or the set of organisations changes. docs/organisations.md
has the design.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import Select, select, update

from lms.audit.services import record
from lms.auth.models import LOCALES, Organisation, Unit, User
from lms.extensions import db

NIP_RE = re.compile(r"^\d{18}$")  # Nomor Induk Pegawai: 18 digits
MAX_JP_TARGET = 500


class OrganisationError(ValueError):
    """A setting that cannot be saved; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Issuer:
    """What a certificate or an e-mail says about the library behind it."""

    name: str = ""
    signatory_name: str = ""
    signatory_position: str = ""
    signatory_nip: str = ""
    logo: str | None = None  # key in organisation_logos (lms.logos)


def defaults_for(unit: Unit) -> dict:
    """A new organisation's settings: named after its unit, the install's defaults for the rest."""
    config = current_app.config
    return {"full_name": unit.name[:200], "short_name": unit.name[:80],
            "time_zone": config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta",
            "jp_target": float(config.get("JP_TARGET", 20)),
            "default_locale": config.get("BABEL_DEFAULT_LOCALE") or "id"}


def make_organisation(unit: Unit, **settings) -> Organisation:
    """Mark ``unit`` as an organisation (in the caller's transaction) and re-point the units
    below it. ``settings`` override the defaults and are validated like the settings form."""
    values = {**defaults_for(unit), **settings}
    validate(values)
    organisation = Organisation(unit_id=unit.id, **values)
    db.session.add(organisation)
    db.session.flush()
    assign_organisations()
    record("organisation.created", "unit", unit.id, name=values["full_name"])
    return organisation


def assign_organisations() -> int:
    """Give every top-level unit an organisation and every unit its nearest one; returns how
    many units changed. Called after any change to the tree; units are few (hundreds), so
    one read of the whole tree is cheaper than a recursive query per unit."""
    rows = db.session.execute(select(Unit.id, Unit.parent_id, Unit.organisation_id)).all()
    marked = set(db.session.scalars(select(Organisation.unit_id)))
    parents = {unit_id: parent_id for unit_id, parent_id, _current in rows}
    for unit_id, parent_id, _current in rows:
        if parent_id is None and unit_id not in marked:
            unit = db.session.get(Unit, unit_id)
            db.session.add(Organisation(unit_id=unit_id, **defaults_for(unit)))
            marked.add(unit_id)
    changed = 0
    for unit_id, _parent, current in rows:
        nearest, seen = unit_id, set()
        while nearest is not None and nearest not in marked and nearest not in seen:
            seen.add(nearest)
            nearest = parents.get(nearest)
        if nearest != current:
            db.session.execute(update(Unit).where(Unit.id == unit_id).values(organisation_id=nearest))
            changed += 1
    db.session.flush()
    return changed


def people_moving(unit: Unit, new_parent: Unit | None) -> int:
    """How many people would change library if ``unit`` moved below ``new_parent``: moving
    them would carry their records into another library's reports without anyone deciding it."""
    if unit.organisation is not None:  # an organisation takes its own people along
        return 0
    target = None if new_parent is None else (new_parent.id if new_parent.organisation is not None
                                              else new_parent.organisation_id)
    if new_parent is None or target == unit.organisation_id:
        return 0
    from lms.auth.scoping import units_below

    tree = units_below([unit.id])
    return db.session.scalar(select(db.func.count()).select_from(User).where(
        User.unit_id.in_(select(tree.c.id)), User.active.is_(True))) or 0


def validate(values: dict) -> None:
    """Refuse settings that would print or mail nonsense; each refusal names its field."""
    if not (values.get("full_name") or "").strip():
        raise OrganisationError(_("The full name is required."), "full_name")
    if not (values.get("short_name") or "").strip():
        raise OrganisationError(_("The short name is required."), "short_name")
    try:
        ZoneInfo(values.get("time_zone") or "")
    except (ZoneInfoNotFoundError, ValueError):
        raise OrganisationError(_("Unknown time zone: use a name such as Asia/Jakarta."), "time_zone") from None
    target = values.get("jp_target")
    if target is None or not 0 <= float(target) <= MAX_JP_TARGET:
        raise OrganisationError(_("The yearly JP target is between 0 and %(max)d.", max=MAX_JP_TARGET),
                                "jp_target")
    if values.get("default_locale") not in LOCALES:
        raise OrganisationError(_("Unknown language."), "default_locale")
    nip = (values.get("signatory_nip") or "").strip()
    if nip and not NIP_RE.match(nip):
        raise OrganisationError(_("A NIP has 18 digits."), "signatory_nip")


def time_zones() -> list[str]:
    """The time zones offered in the settings form: Indonesia's three first, then the rest."""
    first = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    return first + sorted(zone for zone in available_timezones() if zone not in first and "/" in zone)


SETTINGS = ("full_name", "short_name", "time_zone", "jp_target", "default_locale", "signatory_name",
            "signatory_position", "signatory_nip", "email_signature")


def save_settings(organisation: Organisation, **values) -> Organisation:
    """Validate and store an organisation's settings; the changed fields go to the audit log."""
    cleaned = {name: (value.strip() if isinstance(value, str) else value) for name, value in values.items()
               if name in SETTINGS}
    validate({**{name: getattr(organisation, name) for name in SETTINGS}, **cleaned})
    changed = sorted(name for name, value in cleaned.items() if getattr(organisation, name) != value)
    if "jp_target" in changed and float(cleaned["jp_target"]) == float(organisation.jp_target):
        changed.remove("jp_target")
    for name in changed:
        setattr(organisation, name, cleaned[name])
    if changed:
        record("organisation.updated", "unit", organisation.unit_id, fields=changed)
    db.session.commit()
    return organisation


def set_logo(organisation: Organisation, data: bytes) -> Organisation:
    """Replace the library's logo with the upload ``data`` (checked and re-encoded by
    :mod:`lms.logos`), audited with the old and new keys, and commit. A refusal
    (:class:`lms.logos.LogoRefused`) changes nothing; the old logo stays stored for the
    certificates issued with it."""
    from lms import logos

    key = logos.store(data)
    if key != organisation.logo:
        record("organisation.logo_changed", "unit", organisation.unit_id, old=organisation.logo, new=key)
        organisation.logo = key
    db.session.commit()
    return organisation


def remove_logo(organisation: Organisation) -> Organisation:
    """The library shows no logo from now on (audited); certificates keep theirs."""
    if organisation.logo is not None:
        record("organisation.logo_removed", "unit", organisation.unit_id, old=organisation.logo)
        organisation.logo = None
    db.session.commit()
    return organisation


def locale_of(user: User) -> str:
    """The language ``user`` reads: their own choice, else their library's default language,
    else the home library's, else the install's (for mail and other work outside a page)."""
    if user.locale in LOCALES:
        return user.locale
    organisation = for_user(user) or home()
    if organisation is not None and organisation.default_locale in LOCALES:
        return organisation.default_locale
    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "id"


def locales_for(user_ids: list[int]) -> dict[int, str]:
    """Each user's language as :func:`locale_of` decides it, in one query (for mailing many)."""
    rows = db.session.execute(
        select(User.id, User.locale, Organisation.default_locale)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .outerjoin(Organisation, Organisation.unit_id == Unit.organisation_id)
        .where(User.id.in_(list(user_ids)))).all()
    fallback = None
    found = {}
    for user_id, own, library in rows:
        if own in LOCALES:
            found[user_id] = own
        elif library in LOCALES:
            found[user_id] = library
        else:
            if fallback is None:
                home_library = home()
                fallback = (home_library.default_locale if home_library is not None
                            else current_app.config.get("BABEL_DEFAULT_LOCALE") or "id")
            found[user_id] = fallback
    return found


def for_unit(unit_id: int | None) -> Organisation | None:
    if unit_id is None:
        return None
    return db.session.scalar(select(Organisation).join(Unit, Unit.organisation_id == Organisation.unit_id)
                             .where(Unit.id == unit_id))


def for_user(user: User | None) -> Organisation | None:
    """The library ``user`` works for (their unit's organisation), or None without a unit.
    The signed-in user comes with it loaded (lms.auth.sessions): no query then."""
    if user is None or user.unit_id is None:
        return None
    if "unit" in user.__dict__ and user.unit is not None and "library" in user.unit.__dict__:
        return user.unit.library
    return for_unit(user.unit_id)


def home() -> Organisation | None:
    """The library a page without a signed-in person speaks for: ``HOME_ORGANISATION`` (a
    unit code) when set, else the only top-level organisation, else none (a network's
    sign-in page then names Pembina alone)."""
    code = current_app.config.get("HOME_ORGANISATION")
    if code:
        return db.session.scalar(select(Organisation).join(Unit, Unit.id == Organisation.unit_id)
                                 .where(Unit.code == code))
    tops = db.session.scalars(select(Organisation).join(Unit, Unit.id == Organisation.unit_id)
                              .where(Unit.parent_id.is_(None)).limit(2)).all()
    return tops[0] if len(tops) == 1 else None


def for_page() -> Organisation | None:
    """The organisation a page's footer names: the signed-in person's (loaded with them), on
    a page without one the home library. None rather than an error page when the database
    cannot answer: the footer must never turn a page into a failure."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return current()
    except SQLAlchemyError:
        current_app.logger.warning("the organisation for the footer could not be read", exc_info=True)
        return None


def current() -> Organisation | None:
    """The organisation of this request: the signed-in person's, else the home one (once per request)."""
    from flask_login import current_user

    if has_request_context() and "lms_organisation" in g:
        return g.lms_organisation
    user = current_user if has_request_context() and current_user.is_authenticated else None
    found = (for_user(user) if user is not None else None) or home()
    if has_request_context():
        g.lms_organisation = found
    return found


def issuer_for(user_id: int) -> Issuer:
    """The snapshot a certificate keeps of the library issuing it to ``user_id``."""
    organisation = db.session.scalar(
        select(Organisation).join(Unit, Unit.organisation_id == Organisation.unit_id)
        .join(User, User.unit_id == Unit.id).where(User.id == user_id)) or home()
    return issuer_of(organisation)


def issuer_of(organisation: Organisation | None) -> Issuer:
    if organisation is None:
        return Issuer()
    return Issuer(organisation.full_name, organisation.signatory_name, organisation.signatory_position,
                  organisation.signatory_nip, organisation.logo)


def signature(organisation: Organisation | None) -> str:
    """An e-mail's signature line: the library's own, else "Pembina, <library>", else "Pembina"."""
    if organisation is None:
        return "Pembina"
    return organisation.email_signature.strip() or f"Pembina, {organisation.full_name}"


def signatures_for(user_ids: list[int]) -> dict[int, str]:
    """Each user's e-mail signature, in one query (for mailing many people at once)."""
    rows = db.session.execute(
        select(User.id, Organisation).join(Unit, Unit.id == User.unit_id)
        .join(Organisation, Organisation.unit_id == Unit.organisation_id)
        .where(User.id.in_(list(user_ids)))).all()
    found = {user_id: signature(organisation) for user_id, organisation in rows}
    if any(user_id not in found for user_id in user_ids):  # someone without a library: the home one's
        fallback = signature(home())
        found = {user_id: found.get(user_id, fallback) for user_id in user_ids}
    return found


def ids_below(organisation_ids) -> Select:
    """Ids of the organisations at or below ``organisation_ids`` (ids or a select of ids): a
    provincial service and the libraries under it. SQL, so callers filter with it in one query."""
    from lms.auth.scoping import units_below

    tree = units_below(organisation_ids)
    return select(Organisation.unit_id).where(Organisation.unit_id.in_(select(tree.c.id)))


def supervised_ids(user: User) -> Select:
    """Ids of the organisations whose units ``user`` supervises, wholly or partly (admins: all):
    the organisations a report of theirs can have rows for, side by side."""
    from lms.auth.scoping import supervised_unit_ids

    return (select(Unit.organisation_id).where(Unit.id.in_(supervised_unit_ids(user)),
                                               Unit.organisation_id.is_not(None)).distinct())


def listing() -> list[Organisation]:
    """Every organisation with its unit, by name."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(select(Organisation).options(joinedload(Organisation.unit))
                                   .order_by(Organisation.full_name)))


def unmarked_units() -> list:
    """The units (as the admin's indented tree) that are not organisations yet."""
    from lms.auth.services import unit_choices

    marked = set(db.session.scalars(select(Organisation.unit_id)))
    return [unit for unit in unit_choices() if unit.id not in marked]


def create(unit_id: int) -> Organisation:
    """Mark a unit as an organisation with default settings, and commit."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.organisation is not None:
        raise OrganisationError(_("Choose a unit that is not a library yet."), "unit_id")
    organisation = make_organisation(unit)
    db.session.commit()
    return organisation


# --- time zone and JP target of the people a figure is about (issue 20, item 3) ---------------

def jp_target(organisation: Organisation | None) -> float:
    """The yearly JP target of ``organisation``'s staff; the install's ``JP_TARGET`` for
    people without a library."""
    if organisation is not None:
        return float(organisation.jp_target)
    return float(current_app.config.get("JP_TARGET") or 0)


def for_person(user_id: int) -> Organisation | None:
    """The library of ``user_id``: no query when it is the signed-in person (loaded with
    them), else one. Their JP year, target and certificate dates follow it."""
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated and current_user.id == user_id:
        return for_user(current_user)
    return db.session.scalar(select(Organisation).join(Unit, Unit.organisation_id == Organisation.unit_id)
                             .join(User, User.unit_id == Unit.id).where(User.id == user_id))


def common_zone(organisations):
    """The one time zone ``organisations`` and people without a library share, else None."""
    from lms.clock import install_zone, local_zone

    zones = {local_zone(organisation) for organisation in organisations} | {install_zone()}
    return zones.pop() if len(zones) == 1 else None


def by_zone(column, organisations, value_of):
    """A SQL value that differs by the time zone of the organisation in ``column`` (an
    organisation id column): ``value_of(zone)`` for each zone among ``organisations``, the
    install's zone's for anything else (people without a library). One zone for all - the
    usual case - gives a plain bound parameter, so the statement is the one it always was
    and ``column`` need not be joined (check with :func:`common_zone`)."""
    from sqlalchemy import case, literal

    from lms.clock import install_zone, local_zone

    shared = common_zone(organisations)
    if shared is not None:
        return literal(value_of(shared))
    zones: dict = {}
    for organisation in organisations:
        zones.setdefault(local_zone(organisation), []).append(organisation.unit_id)
    return case(*[(column.in_(ids), literal(value_of(zone))) for zone, ids in zones.items()],
                else_=literal(value_of(install_zone())))
