"""Learning plugin hooks: progress from lesson views and quiz results, *My learning*, the
librarian's home panel, certificates and their public verification page."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from lms.clock import local_today
import lms.plugins.learning.models  # noqa: F401 - tables on the metadata for migrations
from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem

PANEL_ITEMS = 3  # in-progress modules shown on the home panel


@hookimpl
def lms_blueprints():
    from lms.plugins.learning.assign_views import bp as assign_bp
    from lms.plugins.learning.views import bp

    return [bp, assign_bp]


@hookimpl
def lms_nav_items():
    return [NavItem("learning.index", _l("My learning"), roles=("librarian",), order=5, group="learn"),
            NavItem("assign.index", _l("Assignments"), roles=("supervisor", "admin"), order=32, group="supervise")]


@hookimpl
def lms_home_panels(user, role):
    from lms.plugins.learning import overview

    if role == "supervisor":
        from flask import url_for

        from lms.nav import task_panel
        from lms.plugins.learning import assigning

        counts = assigning.status_counts(assigning.librarians_in_view(user), local_today())
        return [task_panel("assignments-overdue", _l("Overdue assignments of your staff"), counts[assigning.OVERDUE],
                           url_for("assign.index"), order=1),
                task_panel("assignments-due-soon", _l("Assignments of your staff due soon"),
                           counts[assigning.DUE_SOON], url_for("assign.index"), order=1)]
    if role != "librarian":
        return []
    locale = str(get_locale() or "id")
    plan = overview.plan(user, locale)
    return [HomePanel("learning/panels/next_step.html", order=1, key="next-step",
                      context={"step": overview.next_step(plan)}),
            HomePanel("learning/panels/my_learning.html", order=5, key="my-learning",
                      context={"jp": plan.jp, "counts": plan.counts,
                               "items": ([entry.progress for entry in plan.must_do if entry.progress]
                                         + plan.in_progress)[:PANEL_ITEMS]})]


@hookimpl(wrapper=True)
def lms_lesson_viewed(user, module, lesson):
    """Record the view after the other implementations (the interop plugin's ``viewed``
    event), in the same transaction, which the courses plugin commits after the hook.

    A wrapper that reads the ids first, so nothing the other implementations do to the
    session (a flush) can make reading them later cost a reload.
    """
    from lms.plugins.learning import services

    user_id, module_id, lesson_slug = user.id, module.id, lesson.slug
    result = yield
    services.lesson_viewed(user_id, module_id, lesson_slug)
    return result


@hookimpl
def lms_quiz_submitted(attempt):
    from lms.plugins.learning import services

    services.quiz_submitted(attempt.user_id, attempt.module_id)


@hookimpl
def lms_cli_commands():
    from lms.plugins.learning.cli import learning

    return [learning]


@hookimpl
def lms_course_progress(user, course):
    from lms.plugins.learning import overview

    return overview.course_progress(user.id, course)


@hookimpl
def lms_demo_seed(app, log):
    from lms.plugins.learning import demo

    demo.seed(log)


@hookimpl(trylast=True)  # progress is derived from the quiz attempts, so they must exist
def lms_demo_scale(app, scale, log):
    from lms.plugins.learning import bench_data as scale_data

    scale_data.seed(scale, log)


@hookimpl
def lms_personal_data(user):
    from lms.plugins.learning import privacy

    return privacy.personal_data(user)


@hookimpl
def lms_erase_personal_data(user, old, tombstone):
    from lms.plugins.learning import privacy

    return privacy.erase(user, old, tombstone)
