"""Reports plugin hooks: the dashboard blueprint, its navigation entry and the supervisor's
home-page summary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem


@hookimpl
def lms_blueprints():
    from lms.plugins.reports.annual_views import bp as annual
    from lms.plugins.reports.profile_views import bp as people
    from lms.plugins.reports.views import bp

    return [bp, people, annual]


@hookimpl
def lms_nav_items():
    return [NavItem("reports.index", _l("Competency dashboard"), roles=("supervisor", "admin"), order=30,
                    group="supervise", scoped=("admin",)),
            NavItem("reports_people.me", _l("My competency profile"), roles=("librarian",), order=35, group="learn")]


@hookimpl
def lms_home_panels(user, role):
    from lms.plugins.reports import dashboard

    if role != "supervisor":
        return []
    return [HomePanel("reports/panels/summary.html", order=15, key="reports-summary",
                      context={"summary": dashboard.supervisor_summary(user)})]


@hookimpl
def lms_discussion_links(user):
    """Reports a review meeting may link to (supervisors and admins, who may open them):
    the competency dashboard and the annual report of this year and last year."""
    from flask import url_for
    from flask_babel import gettext as _

    from lms.nav import LinkTarget
    from lms.clock import local_today

    if not user.has_role("supervisor", "admin"):
        return []
    year = local_today().year
    group = _l("Reports")
    links = [LinkTarget("report", "dashboard", _("Competency dashboard"), url_for("reports.index"), group=group)]
    links += [LinkTarget("report", f"annual-{y}", _("Annual competency-development report %(year)d", year=y),
                         url_for("reports_annual.index", year=y), group=group) for y in (year, year - 1)]
    return links
