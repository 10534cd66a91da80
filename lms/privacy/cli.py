"""``lms privacy erase USERNAME`` and ``lms privacy purge [--dry-run]``."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db


@click.group("privacy")
def privacy() -> None:
    """Personal-data rights (UU PDP): erasure and retention (docs/privacy.md)."""


@privacy.command("erase")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(username: str, yes: bool) -> None:
    """Erase a person's identity and free text; their learning records stay, pseudonymised."""
    from lms.privacy import services

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    if not yes:
        click.confirm(f"Erase {user.username} ({user.full_name})? This cannot be undone", abort=True)
    try:
        done = services.erase(user, None)
    except services.PrivacyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Erased user #{done.user_id}: now {done.pseudonym}.")
    for kind, count in sorted(done.counts.items()):
        click.echo(f"  {kind}: {count}")


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete what is kept past its retention setting (cron: daily). Training records are never purged."""
    from lms.privacy import services

    counts = services.purge(dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for kind, count in sorted(counts.items()):
        click.echo(f"{kind}: {verb} {count}")
