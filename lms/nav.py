"""Navigation and home-page panels: plain data that plugins return through hooks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from lms.pluginmanager import hook

# The navigation's menus, by what people do, in this order. An entry with no group (Home)
# stands on its own; "account" is the account menu the layout ends with.
NAV_GROUPS: tuple[tuple[str, Any], ...] = (
    ("learn", _l("Learn")),
    ("teach", _l("Teach")),
    ("supervise", _l("Supervise")),
    ("admin", _l("Administer")),
    ("account", _l("Account")),
)


@dataclass(frozen=True)
class NavItem:
    """One entry in the main navigation, shown to users holding any of ``roles``, in the
    menu ``group`` (one of :data:`NAV_GROUPS`' keys; empty: on the bar itself).

    A page that serves several kinds of people (the discussions: learners ask, trainers
    answer) may have one entry per group with the roles of each; a user who holds several
    of them sees it once, in the first group.
    """

    endpoint: str
    label: Any  # a lazy gettext string, so it follows the request's language
    roles: tuple[str, ...]
    order: int = 50
    icon: str = ""
    group: str = ""
    # Roles among ``roles`` that held for one organisation only are enough too: for pages
    # declared ``roles_required(..., scoped=...)`` (lms.auth.access), which scope their data.
    scoped: tuple[str, ...] = ()


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
class HomeTask:
    """One line of a home page's *What needs you* card: how many things wait and where to do
    them. A plugin offers it as ``task_panel(...)`` from ``lms_home_panels``; the home page
    gathers a role's tasks into one card (a plugin that is off offers none)."""

    label: Any
    count: int
    url: str
    order: int = 50
    name: str = ""


def task_panel(name: str, label: Any, count: int, url: str, order: int = 50) -> HomePanel:
    """A :class:`HomeTask` as the :class:`HomePanel` that ``lms_home_panels`` returns."""
    return HomePanel("core/panels/task.html", order=order, key=f"task:{name}",
                     context={"task": HomeTask(label, int(count), url, order, name)})


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
    held = _scoped_roles(user)
    return [item for item in items if roles.intersection(item.roles) or held.intersection(item.scoped)]


def _scoped_roles(user) -> frozenset[str]:
    """The roles ``user`` holds for some organisation only (``organisation_roles``)."""
    organisations_for = getattr(user, "organisations_for", None)
    if organisations_for is None:
        return frozenset()
    from lms.auth.models import ORGANISATION_ROLES

    return frozenset(role for role in ORGANISATION_ROLES if organisations_for(role))


@dataclass(frozen=True)
class NavLink:
    """A navigation entry ready for the base layout: its URL and its label in one language."""

    endpoint: str
    url: str
    label: Any  # Markup for a lazy gettext (or Markup) label, as Jinja output it; else str
    group: str = ""


@dataclass(frozen=True)
class NavGroup:
    """A menu of the navigation: its key, its label in one language and its entries."""

    key: str
    label: Any
    links: tuple[NavLink, ...]

    def current(self, endpoint: str | None) -> bool:
        """True when ``endpoint`` is one of the menu's pages, or another page of the same
        blueprint (a lesson belongs where the catalogue is)."""
        if endpoint is None:
            return False
        if any(link.endpoint == endpoint for link in self.links):
            return True
        blueprint = endpoint.rpartition(".")[0]
        return bool(blueprint) and any(link.endpoint.rpartition(".")[0] == blueprint for link in self.links)


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
    key = (str(get_locale()), frozenset(user.role_names), _scoped_roles(user), request.script_root)
    cache: dict = app.extensions.setdefault("lms.nav_links", {})
    links = cache.get(key)
    if links is None:
        seen: set[str] = set()
        group_rank = {key: rank for rank, (key, _label_) in enumerate(NAV_GROUPS)}
        ordered = sorted(nav_for(user), key=lambda item: (group_rank.get(item.group, -1), item.order))
        links = []
        for item in ordered:  # one entry per page: the first group wins
            if item.endpoint not in seen:
                seen.add(item.endpoint)
                links.append(NavLink(item.endpoint, url_for(item.endpoint), _label(item.label), item.group))
        links = tuple(links)
        if not any(app.url_default_functions.values()):
            if len(cache) >= NAV_LINKS_LIMIT:
                cache.clear()
            cache[key] = links
    return links


def nav_menu(user) -> tuple[tuple[NavLink, ...], tuple[NavGroup, ...]]:
    """The navigation as the layout draws it: the entries on the bar (no group), then the
    menus that have entries for ``user``, in :data:`NAV_GROUPS` order (from the cached
    :func:`nav_links`)."""
    if not getattr(user, "is_authenticated", False):
        return (), ()
    links = nav_links(user)
    cache: dict = current_app.extensions.setdefault("lms.nav_menus", {})
    key = (str(get_locale()), links)  # the links already stand for the locale, roles and root
    menu = cache.get(key)
    if menu is None:
        bar = tuple(link for link in links if not link.group)
        groups = tuple(NavGroup(group, _label(label), entries) for group, label in NAV_GROUPS
                       if (entries := tuple(link for link in links if link.group == group)))
        menu = (bar, groups)
        if len(cache) >= NAV_LINKS_LIMIT:
            cache.clear()
        cache[key] = menu
    return menu


def _label(label: Any) -> Any:
    """The label as the layout printed it: a lazy string (or Markup) through ``__html__``
    (unescaped), anything else as text (escaped by Jinja)."""
    html = getattr(label, "__html__", None)
    return Markup(html()) if html is not None else str(label)


def home_panels(user, role: str) -> list[HomePanel]:
    """Collect the panels every enabled plugin offers for ``role``'s home page."""
    panels = [panel for result in hook().lms_home_panels(user=user, role=role) for panel in (result or [])]
    real_keys = {panel.key for panel in panels if panel.key and not panel.placeholder}
    panels = [panel for panel in panels if not (panel.placeholder and panel.key in real_keys)]
    return sorted(panels, key=lambda panel: panel.order)
