"""``lms discussions reindex`` (rebuild every post's search text, e.g. after the stemmer
changed) and ``lms discussions digest`` (the same as ``lms notifications digest``)."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from lms.pluginmanager import plugin_enabled

discussions = AppGroup("discussions", help="Discussions: digests and the search index.")


@discussions.command("reindex")
@with_appcontext
def reindex() -> None:
    """Recompute the stemmed search text of every post (the full-text index follows)."""
    from lms.plugins.discussions import search

    count = search.reindex_all()
    click.echo(f"{count} post(s) reindexed.")


@discussions.command("digest")
@click.pass_context
@with_appcontext
def digest(ctx: click.Context) -> None:
    """The daily e-mail digest of unread notifications (an alias of
    ``lms notifications digest``; discussion notifications wait for it)."""
    if not plugin_enabled("notifications"):
        click.echo("The notifications plugin is off: no digest sent.")
        return
    from lms.plugins.notifications.cli import digest as notifications_digest

    ctx.invoke(notifications_digest)
