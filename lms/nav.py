"""Navigation and home-page panels: plain data that plugins return through hooks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request, url_for
from flask_babel import get_locale
from markupsafe import Markup


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


@dataclass(frozen=True)
class NavLink:
    """A navigation entry ready for the base layout: its URL and its label in one language."""

    endpoint: str
    url: str
    label: Any  # Markup for a lazy gettext (or Markup) label, as Jinja output it; else str


# Distinct (locale, roles, script root) keys are few (2 locales x 16 role sets on one site);
# the limit only guards against an unexpected source of keys.
NAV_LINKS_LIMIT = 256


def nav_links(user) -> tuple[NavLink, ...]:
    """The navigation ``user`` sees, with URLs and translated labels, for the base layout.

    Built once per (locale, set of roles, script root) and kept on the app: the entries are
    fixed when the app is built (``lms_nav_items``), a label depends only on the locale and a
    URL only on the route and the script root, so the cache never goes stale while the app
    runs, and it holds nothing of one user but their set of roles. Every signed-in page draws
    the navigation, and translating the lazy labels and building the URLs was a good part of
    the cost of the smallest page. When the app has ``url_defaults`` callbacks (which could
    give a URL per request), nothing is cached.
    """
    if not getattr(user, "is_authenticated", False):
        return ()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = (str(get_locale()), frozenset(user.role_names), request.script_root)
    cache: dict = app.extensions.setdefault("lms.nav_links", {})
    links = cache.get(key)
    if links is None:
        links = tuple(NavLink(item.endpoint, url_for(item.endpoint), _label(item.label)) for item in nav_for(user))
        if not any(app.url_default_functions.values()):
            if len(cache) >= NAV_LINKS_LIMIT:
                cache.clear()
            cache[key] = links
    return links


def _label(label: Any) -> Any:
    """The label as the layout printed it: a lazy string (or Markup) through ``__html__``
    (unescaped), anything else as text (escaped by Jinja)."""
    html = getattr(label, "__html__", None)
    return Markup(html()) if html is not None else str(label)


def home_panels(user, role: str) -> list[HomePanel]:
    """Collect the panels every enabled plugin offers for ``role``'s home page."""
    hook = current_app.extensions["lms.plugins"].hook
    panels = [panel for result in hook.lms_home_panels(user=user, role=role) for panel in (result or [])]
    real_keys = {panel.key for panel in panels if panel.key and not panel.placeholder}
    panels = [panel for panel in panels if not (panel.placeholder and panel.key in real_keys)]
    return sorted(panels, key=lambda panel: panel.order)
