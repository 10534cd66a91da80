"""Every hook a Pembina plugin can implement, in one place.

A plugin is a module (usually ``lms/plugins/<name>/hooks.py``) whose functions are marked
with :data:`hookimpl` and named after a spec below. Hooks return *data* - blueprints, nav
items, classes, dataclasses - which the core renders; they never return HTML strings.
See ``docs/plugins.md`` for a worked example.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime  # noqa: F401

    import click
    from flask import Blueprint, Flask


    from lms.nav import HomePanel, LinkTarget, NavItem, Recommendation  # noqa: F401

PROJECT = "lms"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def lms_init_app(app: "Flask") -> None:
    """Configure the app once it is created (template filters, context processors...).

    Example::

        @hookimpl
        def lms_init_app(app):
            app.jinja_env.filters["jp"] = format_jp
    """


@hookspec
def lms_blueprints() -> "list[Blueprint]":
    """Return the blueprints this plugin serves.

    Every view must declare who may use it (``@roles_required`` / ``@public`` or
    :func:`lms.auth.access.protect_blueprint`); undeclared views answer 403.

    Example::

        @hookimpl
        def lms_blueprints():
            from .views import bp
            return [bp]
    """


@hookspec
def lms_nav_items() -> "list[NavItem]":
    """Return navigation entries; each names the roles that see it.

    Example::

        @hookimpl
        def lms_nav_items():
            return [NavItem("courses.catalogue", _l("Courses"), roles=("librarian",), order=20)]
    """


@hookspec
def lms_home_panels(user: Any, role: str) -> "list[HomePanel]":
    """Return panels for ``role``'s home page (librarian: my learning, trainer: my
    modules, supervisor: my units, admin: users and units).

    Example::

        @hookimpl
        def lms_home_panels(user, role):
            if role == "librarian":
                return [HomePanel("courses/_my_learning.html", order=10, context={...})]
    """


@hookspec
def lms_cli_commands() -> "list[click.Command]":
    """Return click commands or groups added to the ``lms`` command.

    Example::

        @hookimpl
        def lms_cli_commands():
            from .cli import courses
            return [courses]
    """


@hookspec
def lms_question_types() -> list[type]:
    """Return question-type classes (parsing, widget, grading, feedback) for quizzes.

    Example::

        @hookimpl
        def lms_question_types():
            return [SingleChoice, MultipleAnswers]
    """


@hookspec
def lms_demo_seed(app: "Flask", log: Any) -> None:
    """Add this plugin's demo data when ``lms demo`` runs. Must be idempotent.

    ``log`` is a callable taking one line of text to print.
    """


@hookspec
def lms_demo_scale(app: "Flask", scale: int, log: Any, attempts_per_librarian: int) -> None:
    """Add this plugin's share of the synthetic benchmark data when ``lms demo --scale N``
    runs: rows proportional to ``scale`` (the number of librarians, already created by the
    core - see :func:`lms.core.bench_data.people`) and to the activity asked for
    (``attempts_per_librarian``, 200 by default: a shorter history gives fewer attempts,
    and what follows from them, for the same people), written in bulk through
    :func:`lms.core.bulk.bulk_writer`, from fixed seeds. Not idempotent: the core refuses a
    second run before calling the hook.

    Plugins run in one order: content first (``tryfirst``: courses), then activity (quiz
    attempts, needs responses), then what is derived from activity (``trylast``: lesson
    views and completions, which follow the quiz attempts). ``log`` prints a line; time
    each step with :func:`lms.core.bench_data.timed` so its rows and seconds are reported.

    Example::

        @hookimpl
        def lms_demo_scale(app, scale, log):
            from lms.plugins.badges import bench_data

            bench_data.seed(scale, log)   # with timed(log, "badges") as step: ...
    """


@hookspec
def lms_quiz_submitted(attempt: Any) -> None:
    """Called once when a quiz attempt has been submitted and graded (progress, certificates).
    It runs inside the transaction that writes the grade, before that commits: do not
    commit here; what you write commits or rolls back with the grade (issue 22: a graded
    attempt never lacks what follows from it).

    Example::

        @hookimpl
        def lms_quiz_submitted(attempt):
            services.update_module_completion(attempt.user_id, attempt.module_id)
    """


@hookspec
def lms_quiz_graded(attempt: Any) -> None:
    """Called by ``grade_attempt`` each time it has (re)written the credits of a submitted
    attempt: when the attempt is submitted, and again for every attempt a regrade changes.
    It runs inside the transaction that writes the credits, before that commits: do not
    commit here; what you write commits or rolls back with the credits. Keep it cheap, it
    is on the submit path (the needs plugin returns at once for a fresh submit).

    Example::

        @hookimpl
        def lms_quiz_graded(attempt):
            if attempt.submitted_at < services.last_summary_end():
                services.mark_summaries_stale()
    """


@hookspec
def lms_lesson_viewed(user: Any, module: Any, lesson: Any) -> None:
    """Called when a signed-in user opens a lesson page (progress tracking), after the page
    is rendered. ``module.course`` and ``module.current_version`` are already loaded. This
    runs on the most requested page: keep it to a few statements. It runs inside one
    transaction that the courses plugin commits after every implementation has run: do not
    commit here (the view and what it brings are kept or lost together).

    Example::

        @hookimpl
        def lms_lesson_viewed(user, module, lesson):
            services.lesson_viewed(user.id, module, lesson)
    """


@hookspec
def lms_module_completed(user_id: int, module: Any) -> None:
    """Called once when a learner's completion of ``module`` has just been recorded (not
    again when it was already recorded; learning events, notifications), inside the
    transaction that records it: do not commit here.

    Example::

        @hookimpl
        def lms_module_completed(user_id, module):
            services.module_completed(user_id, module)
    """


@hookspec
def lms_course_completed(user_id: int, course: Any, completion: Any) -> None:
    """Called once when a learner's completion of ``course`` (the ``CourseCompletion`` row,
    with its JP) has just been recorded; the certificate may not be issued yet. Inside the
    transaction that records it: do not commit here.

    Example::

        @hookimpl
        def lms_course_completed(user_id, course, completion):
            services.course_completed(user_id, course)
    """


@hookspec
def lms_recommendations(user: Any) -> "list[Recommendation]":
    """Return courses or modules to suggest to ``user`` on *My learning* (needs analysis,
    competency gaps, what colleagues took...). Every plugin's results are shown, sorted by
    ``order``; return an empty list when there is nothing to say.

    Example::

        @hookimpl
        def lms_recommendations(user):
            gap = services.weakest_competency(user)
            return [Recommendation(course.title_id, url_for("courses.course", slug=course.slug),
                                   reason=_("Builds %(c)s", c=gap.name_en), order=10)
                    for course in services.courses_for(gap)]
    """


@hookspec(firstresult=True)
def lms_course_progress(user: Any, course: Any) -> dict | None:
    """The user's progress in ``course`` for the course page: ``{"modules": {module_id:
    {"seen": int, "total": int, "complete": bool}}, "complete": bool, "certificate": code}``.
    The first plugin that answers wins; without one the page shows no progress.
    """


@hookspec
def lms_module_panels(user: Any, module: Any) -> "list[HomePanel]":
    """Return panels shown at the end of a module's page for ``user`` (for example the
    feedback form once the module is finished). Same :class:`lms.nav.HomePanel` data as
    home panels: a template and its context.

    Example::

        @hookimpl
        def lms_module_panels(user, module):
            if services.finished(user.id, module.id):
                return [HomePanel("needs/panels/feedback.html", context={...})]
            return []
    """


@hookspec
def lms_content_signals(module_ids: list[int]) -> "dict[int, dict[str, Any]]":
    """Return per-module signals for the trainers' content-gap report, keyed by module id:
    ``{module_id: {"label": lazy string, "value": number, "concern": bool}}`` - for
    example open questions in a module's discussion. Plugins answer with what they know.
    """


@hookspec
def lms_needs_sources(end: "datetime", unit_ids: "list[int] | None", position: "str | None",
                      user_id: "int | None") -> "object | None":
    """Return one more source of the needs analysis (``lms.plugins.needs.analysis.NeedsSource``:
    a name, a label, a default weight, and per competency the figures and the need 0..1 with
    the arithmetic written out), or None. ``end`` is the round's end (count evidence before
    it); ``unit_ids`` the units whose people count (None: everyone), ``position`` a position
    they hold, ``user_id`` one person (a librarian's own evidence). The analysis weighs it with
    ``NEEDS_WEIGHTS[name]`` (else its default) and renormalises over the sources with data,
    like its own four (the evaluations plugin: observed application at work).

    Example::

        @hookimpl
        def lms_needs_sources(end, unit_ids, position, user_id):
            return NeedsSource("application", _l("Observed application"), 0.2, figures)
    """


@hookspec
def lms_external_jp(user_id: int, year: int) -> float:
    """Return JP ``user_id`` earned outside Pembina's courses in the calendar ``year`` (for
    example verified external training records). *My learning* adds every plugin's answer
    to the JP from completed courses; return ``0.0`` when there is nothing to add. Aggregate
    in SQL: this is called on every home page.

    Example::

        @hookimpl
        def lms_external_jp(user_id, year):
            return services.verified_jp(user_id, year)
    """


@hookspec
def lms_external_jp_select(year: int) -> Any:
    """Return a SQLAlchemy select of ``(user_id, jp)`` rows: JP earned outside Pembina's
    courses in the calendar ``year``, for reports over many people at once (the dashboard
    joins it instead of asking :func:`lms_external_jp` once per person). ``None`` when the
    plugin has nothing to add.

    Example::

        @hookimpl
        def lms_external_jp_select(year):
            return services.verified_jp_select(year)
    """


@hookspec
def lms_assignment_created(assignment: Any, user_ids: list[int]) -> None:
    """A supervisor or admin created ``assignment`` (flushed, not yet committed); ``user_ids``
    are the active librarians it reaches (its user, the members of its unit and the units
    below, or the holders of its position). The notifications plugin tells each of them.
    It runs inside the transaction that creates the assignment: do not commit here; what
    you write is kept or lost with the assignment (e-mails too: ``lms.mail.services.enqueue``).

    Example::

        @hookimpl
        def lms_assignment_created(assignment, user_ids):
            services.notify(user_ids, "assignment", "assignment.new", {...}, url="/learning/", commit=False)
    """


@hookspec
def lms_discussion_links(user: Any) -> "list[LinkTarget]":
    """Return records ``user`` may link a review-meeting thread to, so a programme
    evaluation is kept next to the data it discussed: needs rounds, reports and the like.
    Each :class:`lms.nav.LinkTarget` has a ``kind`` and ``ref`` (stored with the meeting),
    a label and a local URL. Only offer what ``user`` may open.

    Example::

        @hookimpl
        def lms_discussion_links(user):
            return [LinkTarget("needs_round", str(r.id), r.name, f"/needs/rounds/{r.id}",
                               group=_l("Needs rounds")) for r in visible_rounds(user)]
    """


@hookspec
def lms_notification_messages() -> "dict[str, tuple[Any, Any]]":
    """Return notification messages a plugin sends: ``{key: (title, body)}`` as lazy
    strings with ``%(name)s`` placeholders filled from the notification's parameters
    (``title`` comes from ``title_id``/``title_en``; other string parameters as they are).

    Example::

        @hookimpl
        def lms_notification_messages():
            return {"discussion.reply": (_l("New reply in %(thread)s"), _l("%(author)s replied."))}
    """


@hookspec
def lms_notification_kinds() -> "dict[str, tuple[Any, Any, str]]":
    """Return the kinds of notification a plugin sends (the ``kind`` it passes to
    ``notifications.services.notify``), each a row of a person's notification preferences:
    ``{kind: (label, hint, default)}``. ``label`` and ``hint`` are lazy strings (what the
    kind covers, in one sentence); ``default`` is how e-mail reaches someone who has not
    chosen: ``"immediate"``, ``"digest"`` (the daily digest) or ``"never"``. In-app
    notifications are always shown. Kind names are lowercase letters and ``_``.

    Example::

        @hookimpl
        def lms_notification_kinds():
            return {"discussion": (_l("Discussions"), _l("Replies in threads you follow."), "digest")}
    """


@hookspec
def lms_personal_data(user: Any) -> "list[Any]":
    """Return what this plugin holds about ``user`` for their personal-data download (UU PDP
    access right), as :class:`lms.privacy.PersonalData` items: a file name, what it holds in
    Indonesian and English, its columns and an iterable of rows (read lazily, so a long
    history streams into the zip), plus files to copy (evidence). Every kind of record a
    plugin keeps about a person belongs here.

    Example::

        @hookimpl
        def lms_personal_data(user):
            return [PersonalData("notifications", "Notifikasi", "Notifications", ["id", "kind"],
                                 rows=lambda: ({"id": n.id, "kind": n.kind} for n in mine(user)))]
    """


@hookspec
def lms_erase_personal_data(user: Any, old: Any, tombstone: str) -> "dict[str, Any] | None":
    """Erase what this plugin holds that identifies ``user`` (UU PDP erasure), in the caller's
    transaction (do not commit): replace their free text with ``tombstone``, revoke what names
    them, and remove every copy of their old identity (``old``: ``username``, ``full_name``,
    ``email``, ``nip``) from other people's rows. Keep the rows that aggregates count. Return
    ``{"counts": {kind: n}, "files": [paths to delete once committed]}``.

    Example::

        @hookimpl
        def lms_erase_personal_data(user, old, tombstone):
            n = erase_comments(user.id, tombstone)
            return {"counts": {"comments": n}, "files": []}
    """


@hookspec
def lms_retention_purge(now: Any, dry_run: bool) -> "dict[str, int] | None":
    """Delete what this plugin keeps past its retention setting (``lms privacy purge``) and
    return ``{kind: count}``; with ``dry_run`` count only. Never purge training records.

    Example::

        @hookimpl
        def lms_retention_purge(now, dry_run):
            return {"notifications": purge_notifications(now, dry_run)}
    """


@hookspec
def lms_scrub_personal_text(replacements: "dict[str, str]") -> "int | None":
    """After an erasure, replace each old text (key: the person's old name, username, the
    titles they wrote) by its value wherever this plugin copied it into other people's rows
    (notification parameters...); return how many rows changed. Do not commit.

    Example::

        @hookimpl
        def lms_scrub_personal_text(replacements):
            return scrub_notification_params(replacements)
    """


@hookspec
def lms_migration_locations() -> "list[str]":
    """Return the folders holding this plugin's Alembic revisions. The core returns the
    product's ``migrations/versions/`` (one linear history for the core and the built-in
    plugins); an outside plugin returns its own folder, whose revisions form a branch of
    their own (``branch_labels = ("<plugin>",)``, ``down_revision = None`` for the first,
    ``depends_on`` the product revision it needs). ``lms db upgrade`` upgrades every head.

    Example::

        @hookimpl
        def lms_migration_locations():
            return [str(Path(__file__).parent / "migrations")]
    """


@hookspec
def lms_default_settings(app: "Flask") -> "dict[str, Any]":
    """Return the plugin's settings with their default values (``LMS_<NAME>`` in the
    environment overrides each; document them in the plugin's page under docs/).

    The factory collects every enabled plugin's answer once, before ``lms_init_app``, and
    keeps a value only where the operator set none (``instance/config.py``, ``LMS_*``
    variables and a test's config dict win). Two plugins naming the same setting stop the
    app with a ConfigError: prefix yours with the plugin's name. ``app`` is there for
    defaults that depend on it (a folder under ``app.instance_path``); read nothing else.

    Example::

        @hookimpl
        def lms_default_settings(app):
            return {"HELLO_GREETING": "Halo", "HELLO_DIR": os.path.join(app.instance_path, "hello")}
    """
