"""``lms users ...``: create the first admin, import staff from CSV, list accounts, give or
take a role for one library."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.auth import services
from lms.auth.importer import import_users_csv
from lms.auth.models import ORGANISATION_ROLES, Organisation, Unit, User
from lms.extensions import db

# A progress line (stderr) every this many passwords hashed: ~0.1 s each with scrypt.
PROGRESS_EVERY = 25


@click.group("users")
def users() -> None:
    """Manage user accounts."""


@users.command("create-admin")
@click.option("--username", prompt=True, help="Login name of the new admin.")
@click.option("--full-name", prompt="Full name", help="The admin's full name.")
@click.option("--email", default="", help="Optional e-mail address.")
@click.password_option(help="Asked for when not given (at least 10 characters).")
@with_appcontext
def create_admin(username: str, full_name: str, email: str, password: str) -> None:
    """Create an admin account (prompts for the password)."""
    username = username.strip().lower()
    if not services.USERNAME_RE.match(username):
        raise click.ClickException("username: 2-64 characters: lowercase letters, digits, dot, hyphen, underscore")
    if services.find_user(username) is not None:
        raise click.ClickException(f"user {username!r} already exists")
    problem = services.validate_password(password, username, full_name)
    if problem:
        raise click.ClickException(problem)
    services.create_user(username=username, full_name=full_name, email=email or None, password=password,
                         roles=["admin"])
    click.echo(f"Admin {username!r} created.")


@users.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_users(file: Path) -> None:
    """Import users from a CSV file (username,full_name,email,roles,unit).

    Every problem is printed as FILE:line N: message and nothing is imported when any
    row is bad. New users get a temporary password (printed) unless the file gives one.
    Progress goes to stderr: hashing the passwords takes ~0.1 s a user, and is done before
    the users are written in one short transaction, so the app stays usable meanwhile.
    """
    result = import_users_csv(file.read_bytes(), progress=_print_progress)
    if not result.ok:
        for message in result.errors:
            click.echo(f"{file}: {message}", err=True)
        raise click.ClickException(f"{len(result.errors)} problem(s); nothing was imported")
    for row in result.rows:
        temporary = result.temporary_passwords.get(row.username)
        suffix = f"  temporary password: {temporary}" if temporary else ""
        click.echo(f"created {row.username}{suffix}")
    click.echo(f"{len(result.rows)} user(s) imported; each must change the password at first sign-in.")


def _print_progress(stage: str, done: int, total: int) -> None:
    if stage == "checked":
        click.echo(f"checked {total} row(s); hashing passwords", err=True)
    elif stage == "hashed" and (done % PROGRESS_EVERY == 0 or done == total):
        click.echo(f"hashed {done}/{total} password(s)", err=True)
    elif stage == "created":
        click.echo(f"saved {done} user(s) in one transaction", err=True)


@users.command("list")
@with_appcontext
def list_users() -> None:
    """Print every account with roles and unit."""
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).tuples().all())
    for user in db.session.scalars(select(User).order_by(User.username)):
        # roles for one library only as role@library, e.g. admin@perpus-sampit
        roles = ",".join(sorted(user.role_names) + sorted(
            f"{held.role}@{codes.get(held.organisation_id)}" for held in user.organisation_roles))
        unit = user.unit.code if user.unit else "-"
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username:20} {roles:30} {unit:24} {state}")


def _person_and_library(username: str, library: str) -> tuple[User, Organisation]:
    user = services.find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    organisation = db.session.scalar(select(Organisation).join(Unit, Unit.id == Organisation.unit_id)
                                     .where(Unit.code == library.strip().lower()))
    if organisation is None:
        raise click.ClickException(f"no library with the unit code {library!r} (see Admin > Libraries)")
    return user, organisation


@users.command("grant")
@click.argument("username")
@click.argument("role", type=click.Choice(ORGANISATION_ROLES))
@click.option("--library", required=True, help="Unit code of the library (it and the libraries below it).")
@with_appcontext
def grant(username: str, role: str, library: str) -> None:
    """Give USERNAME the ROLE (admin or trainer) for one library only."""
    user, organisation = _person_and_library(username, library)
    changed = services.change_organisation_role(user, role, organisation.unit_id, True)
    click.echo(f"{username}: {role} for {library}" + ("" if changed else " (already held)"))


@users.command("revoke")
@click.argument("username")
@click.argument("role", type=click.Choice(ORGANISATION_ROLES))
@click.option("--library", required=True, help="Unit code of the library.")
@with_appcontext
def revoke(username: str, role: str, library: str) -> None:
    """Take the ROLE (admin or trainer) for one library from USERNAME."""
    user, organisation = _person_and_library(username, library)
    changed = services.change_organisation_role(user, role, organisation.unit_id, False)
    click.echo(f"{username}: no {role} for {library}" + ("" if changed else " (was not held)"))
