"""Discussions plugin hooks: the pages, the navigation entry, the discussion panel under
each module, open questions as a content-gap signal, ``lms discussions`` commands, the
notification messages and the demo threads."""
from __future__ import annotations

import lms.plugins.discussions.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl

# Settings (``LMS_DISCUSSIONS_*`` in the environment); see docs/discussions.md.
DEFAULT_SETTINGS = {
    "DISCUSSIONS_MAX_CHARS": 10_000,  # a post's Markdown; longer is refused with a message
    "DISCUSSIONS_TITLE_MAX": 200,
    "DISCUSSIONS_EDIT_MINUTES": 30,  # authors may edit or delete their posts this long
    "DISCUSSIONS_RATE_LIMIT": [(5, 60), (30, 3600)],  # at most N posts per S seconds, per user
}


@hookimpl
def lms_init_app(app):
    for key, value in DEFAULT_SETTINGS.items():
        app.config.setdefault(key, value)


@hookimpl
def lms_blueprints():
    from lms.plugins.discussions.views import bp

    return [bp]
