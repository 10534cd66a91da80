"""Users, roles and organisational units."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.clock import utcnow
from lms.extensions import db

ROLES: tuple[str, ...] = ("librarian", "trainer", "supervisor", "admin")
LOCALES: tuple[str, ...] = ("id", "en")
UNIT_KINDS: tuple[str, ...] = ("library", "branch", "section")
PASSWORD_METHOD = "scrypt"


def hash_password(password: str) -> str:
    """The stored hash of ``password`` with the configured method (werkzeug's scrypt: ~0.1 s
    of CPU on purpose, so bulk callers compute it before opening a write transaction)."""
    method = current_app.config.get("PASSWORD_METHOD", PASSWORD_METHOD) if has_app_context() else PASSWORD_METHOD
    return generate_password_hash(password, method=method)


class Unit(db.Model):
    """An organisational unit: the library, its branches and sections, as a tree."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="section")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The nearest organisation at or above this unit (its unit id), kept by
    # ``lms.organisations.assign_organisations`` whenever the tree changes: every scoped query
    # filters on it, and walking the tree per query would be the hot path. No foreign key, so
    # a downgrade below 0023 can leave the column in place (see that migration).
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)

    parent: Mapped["Unit | None"] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent", order_by="Unit.name")
    organisation: Mapped["Organisation | None"] = relationship(back_populates="unit", uselist=False)
    # The library this unit belongs to (through ``organisation_id``), loaded with the signed-in
    # user in the same statement (lms.auth.sessions), so no page pays a query for it.
    library: Mapped["Organisation | None"] = relationship(
        primaryjoin="Unit.organisation_id == foreign(Organisation.unit_id)", viewonly=True, uselist=False)
    members: Mapped[list["User"]] = relationship(back_populates="unit", foreign_keys="User.unit_id")
    supervisors: Mapped[list["User"]] = relationship(
        secondary="unit_supervisors", back_populates="supervised_units", order_by="User.full_name")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Organisation(db.Model):
    """A library (or a provincial library service): a unit marked as one, holding what makes
    Pembina that library's own. Nothing about a particular library lives in code, templates
    or translations (issue 20); docs/organisations.md has the design."""

    __tablename__ = "organisations"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(80))
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    jp_target: Mapped[float] = mapped_column(Float, default=20)
    default_locale: Mapped[str] = mapped_column(String(8), default="id")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_position: Mapped[str] = mapped_column(String(200), default="")
    signatory_nip: Mapped[str] = mapped_column(String(32), default="")
    email_signature: Mapped[str] = mapped_column(String(500), default="")
    # The SHA-256 key of its logo in ``organisation_logos`` (lms.logos), or None.
    logo: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.short_name}>"


class OrganisationLogo(db.Model):
    """A library logo as stored: a PNG that ``lms.logos`` decoded and wrote again, keyed by
    the SHA-256 of its bytes. Rows are never changed or deleted: an organisation points at
    its current one and each certificate at the one of its issue day (a snapshot)."""

    __tablename__ = "organisation_logos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserRole(db.Model):
    """A role held by a user; a user may hold several."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class OrganisationRole(db.Model):
    """A role held for one organisation (and the organisations below it) only: an organisation
    admin, or a trainer who teaches there. ``users.roles`` stays the install-wide roles, so
    ``User.has_role("admin")`` still means "the whole install" everywhere it is asked
    (docs/organisations.md, section 2)."""

    __tablename__ = "organisation_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.unit_id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


# The roles that can be held for one organisation.
ORGANISATION_ROLES = ("admin", "trainer")


class UnitSupervisor(db.Model):
    """A supervisor of a unit; supervision reaches every unit below it."""

    __tablename__ = "unit_supervisors"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class User(UserMixin, db.Model):
    """A person who signs in: librarian, trainer, supervisor or admin (or several)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("nip"),
        Index("ix_users_unit_active", "unit_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    nip: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(String(120))
    # "id" or "en" when the person chose; "" = not chosen: the library's default language.
    locale: Mapped[str] = mapped_column(String(8), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on password change, reset or deactivation: every session (and remember-me
    # token) started under an older version ends (lms/auth/sessions.py).
    session_version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit | None] = relationship(back_populates="members", foreign_keys=[unit_id])
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    # Loaded with the signed-in user (lms.auth.sessions); elsewhere only when asked for.
    organisation_roles: Mapped[list[OrganisationRole]] = relationship(cascade="all, delete-orphan")
    supervised_units: Mapped[list[Unit]] = relationship(
        secondary="unit_supervisors", back_populates="supervisors", order_by="Unit.name")

    # Flask-Login reads is_active: deactivated users cannot sign in or stay signed in.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the id of this browser's server-side
        session (:mod:`lms.auth.sessions` sets it), never the user id, so a copied cookie
        dies with the session. "-" (no server session) never signs in."""
        return getattr(self, "_session_token", None) or "-"

    @property
    def role_names(self) -> set[str]:
        return {role.role for role in self.roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    def organisations_for(self, role: str) -> frozenset[int]:
        """Ids of the organisations ``role`` is held for (not counting an install-wide ``role``)."""
        return frozenset(held.organisation_id for held in self.organisation_roles if held.role == role)

    def holds(self, role: str) -> bool:
        """``role`` install-wide or for at least one organisation: may open that role's pages,
        whose data are then scoped."""
        return self.has_role(role) or bool(self.organisations_for(role))

    def set_roles(self, roles: list[str] | set[str]) -> None:
        wanted = set(roles)
        self.roles = [role for role in self.roles if role.role in wanted]
        for name in sorted(wanted - self.role_names):
            self.roles.append(UserRole(role=name))

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginThrottle(db.Model):
    """Failed sign-ins per key (``user:<name>`` or ``ip:<address>``) in the current window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(db.Model):
    """One signed-in browser (lms/auth/sessions.py). Ids and remember-me tokens are random
    256-bit values kept only as SHA-256 hashes: a copy of this table signs nobody in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The user's session_version when it started: a later bump ends it.
    session_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # "Remember me": a second token, rotated at each use, ending at remember_expires_at.
    remember_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    remember_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(200))
