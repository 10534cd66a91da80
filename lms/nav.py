"""Navigation and home-page panels: plain data that plugins return through hooks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app


@dataclass(frozen=True)
class NavItem:
    """One entry in the main navigation, shown to users holding any of ``roles``."""

    endpoint: str
    label: Any  # a lazy gettext string, so it follows the request's language
    roles: tuple[str, ...]
    order: int = 50
    icon: str = ""


@dataclass(frozen=True)
class HomePanel:
    """A section of a role's home page: a template and the context it needs.

    A ``placeholder`` panel (the core's "coming soon" panels) gives way to a real panel
    with the same ``key`` from a plugin.
    """

    template: str
    order: int = 50
    context: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    placeholder: bool = False


@dataclass(frozen=True)
class Recommendation:
    """Something a learner could take next, as returned by :func:`lms_recommendations`.

    ``url`` must be a path on this site (``/courses/...``); anything else is not linked.
    """

    title: Any  # str or a lazy gettext string
    url: str
    reason: Any = ""  # why it is recommended, one short sentence
    order: int = 50


@dataclass(frozen=True)
class LinkTarget:
    """A record a discussion (a review meeting) can link to, from :func:`lms_discussion_links`.

    ``url`` must be a path on this site; ``kind`` + ``ref`` identify the record.
    """

    kind: str  # "needs_round", "report", ...
    ref: str
    label: Any
    url: str
    group: Any = ""  # a heading for the choice list


def nav_for(user) -> list[NavItem]:
    """The navigation entries ``user`` may see, in order."""
    if not getattr(user, "is_authenticated", False):
        return []
    items = current_app.extensions["lms.nav"]
    roles = user.role_names
    return [item for item in items if roles.intersection(item.roles)]


def home_panels(user, role: str) -> list[HomePanel]:
    """Collect the panels every enabled plugin offers for ``role``'s home page."""
    hook = current_app.extensions["lms.plugins"].hook
    panels = [panel for result in hook.lms_home_panels(user=user, role=role) for panel in (result or [])]
    real_keys = {panel.key for panel in panels if panel.key and not panel.placeholder}
    panels = [panel for panel in panels if not (panel.placeholder and panel.key in real_keys)]
    return sorted(panels, key=lambda panel: panel.order)
