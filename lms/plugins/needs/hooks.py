"""Needs plugin hooks: survey pages and home panels, patron CSV import, the analysis, the
module feedback panel, the ``lms needs`` commands, the demo round, and the signal that
quiz credits changed (the kept quiz evidence of closed rounds, ``evidence.py``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import lms.plugins.needs.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem

# Settings (``LMS_NEEDS_*`` in the environment); see docs/needs.md.
DEFAULT_SETTINGS = {
    "NEEDS_MIN_GROUP": 5,  # unit/position results with fewer respondents are hidden
    "NEEDS_WEIGHTS": {"self": 0.4, "supervisor": 0.3, "quiz": 0.15, "patron": 0.15},
    "NEEDS_DEFAULT_TARGET": 4,  # ability level expected when competencies.yml names none
    "NEEDS_SURVEYS_DIR": "courses/surveys",
    "NEEDS_CSV_MAX_BYTES": 5 * 1024 * 1024,
}


@hookimpl
def lms_default_settings(app):
    return DEFAULT_SETTINGS


@hookimpl
def lms_blueprints():
    from lms.plugins.needs import analysis_views, patron_views, views

    return [views.bp, patron_views.bp, analysis_views.bp]


@hookimpl
def lms_nav_items():
    return [NavItem("needs.index", _l("Training needs"), roles=("trainer",), order=40, group="teach"),
            NavItem("needs.index", _l("Training needs"), roles=("supervisor", "admin"), order=40, group="supervise")]


@hookimpl
def lms_home_panels(user, role):
    from lms.plugins.needs import rounds

    if role == "librarian":
        items = rounds.librarian_panel_items(user)
        return [HomePanel("needs/panels/self_survey.html", order=3, key="needs-survey",
                          context={"items": items})] if items else []
    if role == "supervisor":
        from flask import url_for

        from lms.nav import task_panel

        items = rounds.supervisor_panel_items(user)
        waiting = [item for item in items if item.rated < item.total]
        url = url_for("needs.ratings", round_id=waiting[0].round.id) if waiting else url_for("needs.index")
        task = task_panel("needs-ratings", _l("Staff to rate in open surveys"),
                          sum(item.total - item.rated for item in items), url, order=3)
        return [task] + ([HomePanel("needs/panels/ratings.html", order=15, key="needs-ratings",
                                    context={"items": items})] if items else [])
    return []


@hookimpl
def lms_module_panels(user, module):
    from lms.plugins.needs import feedback
    from lms.plugins.needs.forms import FeedbackForm

    if not feedback.has_completed(user.id, module.id):
        return []
    existing = feedback.own_feedback(user.id, module.id)
    return [HomePanel("needs/panels/feedback.html", order=50, key="module-feedback",
                      context={"form": FeedbackForm(obj=existing), "module": module, "answered": existing is not None})]


@hookimpl
def lms_cli_commands():
    from lms.plugins.needs.cli import needs

    return [needs]


@hookimpl
def lms_demo_seed(app, log):
    from lms.plugins.needs import services

    services.seed_demo(log)


@hookimpl
def lms_quiz_graded(attempt):
    from lms.plugins.needs import evidence

    evidence.quiz_graded(attempt)


@hookimpl
def lms_discussion_links(user):
    from lms.plugins.needs import services

    return services.discussion_links(user)


@hookimpl
def lms_demo_scale(app, scale, log):
    from lms.plugins.needs import services

    services.seed_scale(scale, log)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.needs import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.needs import privacy

    return privacy.erase(user, old, tombstone)
