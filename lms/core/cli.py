"""``lms demo``, ``lms backup`` and ``lms restore``."""
from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _
from flask import current_app
from flask.cli import with_appcontext

from lms.pluginmanager import hook
from lms.auth.labels import role_label
from lms.core import backup as backups
from lms.core.bench_data import ATTEMPTS_PER_LIBRARIAN, MAX_ORGANISATIONS, ScaleError, seed_scale
from lms.core.demo import (DEMO_ACCOUNTS, DEMO_ORGANISATION_ROLES, DEMO_PASSWORD, SECOND_LIBRARY_ACCOUNTS,
                           seed_demo)
from lms.extensions import db


@click.command("demo")
@click.option("--scale", type=click.IntRange(min=10), metavar="N",
              help="Instead of the demo, generate benchmark data: N librarians in realistic units and a "
                   "year of activity, in bulk (needs a database without scale data; ~2 minutes at 5000).")
@click.option("--attempts-per-librarian", type=click.IntRange(min=1, max=1000), default=ATTEMPTS_PER_LIBRARIAN,
              show_default=True, metavar="K",
              help="With --scale: mean quiz attempts per librarian (the benchmark's scaling curve uses 2, 20 "
                   "and 200 for ~10k, 100k and 1M attempts at N = 5000).")
@click.option("--organisations", type=click.IntRange(min=0, max=MAX_ORGANISATIONS), default=0, show_default=True,
              metavar="N",
              help="With --scale: a province - N regency and city libraries below the provincial service are "
                   "organisations of their own (the benchmark uses 14: Central Kalimantan's 13 regencies and 1 city).")
@with_appcontext
def demo(scale: int | None, attempts_per_librarian: int, organisations: int) -> None:
    """Seed the demo organisation and accounts (idempotent; refused in production), or with
    --scale the benchmark data (docs/performance.md)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("lms demo refuses to run with LMS_ENV=production")
    if organisations and scale is None:
        raise click.ClickException("--organisations builds a province of scale data: use it with --scale N")
    if scale is not None:
        try:
            seed_scale(current_app, scale, click.echo, attempts_per_librarian, organisations)
        except ScaleError as error:
            raise click.ClickException(str(error)) from error
        return
    seed_demo(click.echo)
    hook().lms_demo_seed(app=current_app, log=click.echo)
    # A plugin that only looked (and skipped) leaves a read transaction open; end it, so
    # nothing holds locks after the command (PostgreSQL would block a later DROP/ALTER).
    db.session.commit()
    click.echo("")
    click.echo(_("Demo accounts (password for all: %(password)s):", password=DEMO_PASSWORD))
    for username, full_name, roles, unit, _position in DEMO_ACCOUNTS:
        names = "/".join(str(role_label(role)) for role in roles)
        click.echo(f"  {username:8} {names:12} {full_name} ({unit})")
    click.echo(f"  {'erlina':8} {str(role_label('supervisor')):12} Erlina Simanjuntak (pkp) - "
               + _("head of the library, approves the curriculum"))
    click.echo(_("The second library (Sampit) and the province:"))
    notes = {"theresia": _("provincial supervisor: both libraries side by side"),
             "rahmah": _("head of the Sampit library"),
             "hendra": _("administers the Sampit library only")}
    roles_of = {username: role for username, _unit, role in DEMO_ORGANISATION_ROLES}
    for username, full_name, roles, unit, _position in SECOND_LIBRARY_ACCOUNTS:
        if username in notes:
            role = roles_of.get(username) or roles[0]
            click.echo(f"  {username:8} {str(role_label(role)):12} {full_name} ({unit}) - {notes[username]}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(file: Path) -> None:
    """Write a consistent snapshot of the database to FILE while the app runs."""
    try:
        backups.backup(current_app.config["DATABASE_URL"], file)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(file: Path, yes: bool) -> None:
    """Replace the whole database with the snapshot in FILE (asks first)."""
    if not yes:
        click.confirm(f"This replaces ALL data in {current_app.config['DATABASE_URL']} with {file}. Continue?",
                      abort=True)
    try:
        backups.restore(current_app.config["DATABASE_URL"], file)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {file}")
