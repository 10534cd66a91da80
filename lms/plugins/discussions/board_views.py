"""The discussions home page, staff boards (reading, posting, admins managing them) and
review meetings (scheduling, the record, the calendar file).

Thin views: parse the request, call :mod:`boards`, :mod:`meetings` or :mod:`services`,
render. A board or meeting the user may not see is a 404 (its existence does not leak);
one they see but may not change is a 403.
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.auth.access import authenticated, roles_required
from lms.auth.models import ROLES
from lms.clock import local_zone
from lms.extensions import db
from lms.http import absolute_url, base_host, int_arg
from lms.nav import HomePanel
from lms.plugins.discussions import access, boards, meetings
from lms.plugins.discussions.board_forms import BoardForm, BoardThreadForm, MeetingForm, MeetingRecordForm
from lms.plugins.discussions.models import Board, Thread
from lms.plugins.discussions.views import bp, error_status, with_retry_after


def _user():
    return current_user._get_current_object()


def _posting_error():
    from lms.plugins.discussions.services import PostingError

    return PostingError


def _show_error(form, error) -> None:
    """Put a service's message on its field, or above the form."""
    target = getattr(form, getattr(error, "field", "") or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.app_template_global("can_manage_meeting")
def can_manage_meeting(board) -> bool:
    """For ``_meeting.html`` and the board page: may the reader schedule or record meetings?"""
    return current_user.is_authenticated and meetings.can_manage(current_user, board)


# --- the discussions home page ----------------------------------------------------------------

@bp.route("/")
@authenticated
def index():
    from lms.plugins.discussions import services

    user = _user()
    rows = boards.visible_boards(user)
    return render_template(
        "discussions/index.html",
        boards=[row for row in rows if row.board.archived_at is None],
        archived=[row for row in rows if row.board.archived_at is not None],
        my_questions=services.user_questions(user), recent=services.recent_module_threads(user),
        upcoming=meetings.upcoming(user), is_moderator=access.is_moderator(user), is_admin=user.has_role("admin"))


# --- a board ----------------------------------------------------------------------------------

def _board_or_404(slug: str) -> Board:
    board = boards.board_for(_user(), slug)
    if board is None:
        abort(404)
    return board


@bp.route("/b/<slug>/")
@authenticated
def board(slug: str):
    board = _board_or_404(slug)
    page = boards.board_threads(_user(), board, int_arg("page", 1, min=1),
                                int(current_app.config.get("DISCUSSIONS_PAGE_SIZE", 20)))
    return render_template("discussions/board.html", board=board, page=page,
                           summary=boards.board_summary(board),
                           upcoming=[item for item in meetings.upcoming(_user(), days=365) if item.board.id == board.id],
                           can_post=board.archived_at is None)


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@authenticated
def new_thread(slug: str):
    board = _board_or_404(slug)
    form = BoardThreadForm()
    status = 200
    if board.archived_at is not None:
        flash(_("This board is archived: no new threads."), "error")
        if request.method == "POST":
            return redirect(url_for("discussions.board", slug=board.slug), code=303)
    elif form.validate_on_submit():
        from lms.plugins.discussions import services

        try:
            thread = services.create_thread(_user(), title=form.title.data, body=form.body.data, board=board,
                                            kind="discussion")
        except _posting_error() as error:
            _show_error(form, error)
            status = 400
        else:
            return redirect(url_for("discussions.thread", thread_id=thread.id))
    elif request.method == "POST":
        status = 400
    return render_template("discussions/new_thread.html", board=board, form=form), status


# --- meetings ---------------------------------------------------------------------------------

def _link_choices(user, meeting=None) -> dict:
    """The select's choices: "none", then the offered records grouped by their heading
    (plus the meeting's present link, which stays valid even if not offered to this user)."""
    groups: dict = {None: [SelectChoice("", _("(none)"))]}
    offered = meetings.link_choices(user)
    keys = {meetings.link_key(t.kind, t.ref) for t in offered}
    if meeting is not None and meeting.link_kind:
        key = meetings.link_key(meeting.link_kind, meeting.link_ref)
        if key not in keys:
            groups[None].append(SelectChoice(key, meeting.link_label or key))
    for target in offered:
        groups.setdefault(str(target.group or _("Other")), []).append(
            SelectChoice(meetings.link_key(target.kind, target.ref), str(target.label)))
    return groups


@bp.route("/b/<slug>/meeting/new", methods=["GET", "POST"])
@authenticated
def new_meeting(slug: str):
    board = _board_or_404(slug)
    user = _user()
    if not meetings.can_manage(user, board):
        abort(403)
    form = MeetingForm()
    form.link.choices = _link_choices(user)
    refused = None
    if form.validate_on_submit():
        try:
            thread = meetings.create_meeting(user, board, title=form.title.data, meeting_at=form.meeting_at.data,
                                             place=form.place.data, agenda=form.agenda.data, link=form.link.data)
        except (meetings.MeetingError, _posting_error()) as error:
            _show_error(form, error)
            refused = error
        else:
            flash(_("The meeting was scheduled."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread.id))
    status = error_status(refused) if refused is not None else 400 if request.method == "POST" else 200
    html = render_template("discussions/meeting_form.html", board=board, form=form, thread=None,
                           zone=str(local_zone()))
    return with_retry_after(make_response(html, status), refused)


def _meeting_or_404(thread_id: int):
    meeting = meetings.meeting_of(_user(), db.session.get(Thread, thread_id))
    if meeting is None:
        abort(404)
    return meeting


@bp.route("/thread/<int:thread_id>/meeting", methods=["GET", "POST"])
@authenticated
def edit_meeting(thread_id: int):
    meeting = _meeting_or_404(thread_id)
    user = _user()
    board = meeting.thread.board
    if not meetings.can_manage(user, board):
        abort(403)
    form = MeetingRecordForm()
    form.link.choices = _link_choices(user, meeting)
    if request.method == "GET":
        form.meeting_at.data = meetings.to_local(meeting.meeting_at).replace(tzinfo=None)
        form.place.data, form.minutes.data, form.decisions.data = meeting.place, meeting.minutes_md, meeting.decisions_md
        form.link.data = meetings.link_key(meeting.link_kind, meeting.link_ref)
    refused = None
    if form.validate_on_submit():
        try:
            meetings.update_record(user, meeting, form.minutes.data, form.decisions.data, form.link.data,
                                   meeting_at=form.meeting_at.data, place=form.place.data)
        except (meetings.MeetingError, _posting_error()) as error:
            _show_error(form, error)
            refused = error
        else:
            flash(_("The meeting record was saved."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread_id))
    status = error_status(refused) if refused is not None else 400 if request.method == "POST" else 200
    html = render_template("discussions/meeting_form.html", board=board, form=form, thread=meeting.thread,
                           meeting=meeting, zone=str(local_zone()))
    return with_retry_after(make_response(html, status), refused)


@bp.route("/thread/<int:thread_id>/meeting.ics")
@authenticated
def meeting_ics(thread_id: int):
    meeting = _meeting_or_404(thread_id)
    # the configured address, not the request's Host: a calendar keeps this UID and link
    body = meetings.ics(meeting, absolute_url("discussions.thread", thread_id=thread_id), base_host())
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{thread_id}.ics"'})


# --- managing boards (admins) -----------------------------------------------------------------

@bp.route("/boards/")
@roles_required("admin")
def boards_admin():
    rows = boards.all_boards()
    return render_template("discussions/boards_admin.html", rows=rows,
                           summaries={row.board.id: boards.board_summary(row.board) for row in rows})


def _board_form(board: Board | None = None) -> BoardForm:
    form = BoardForm(obj=board)
    offered = boards.offered_units()
    extra = [] if board is None else [u for u in boards.units_by_id(board.unit_ids) if u not in offered]
    form.unit_ids.choices = [SelectChoice(unit.id, unit.name) for unit in offered + extra]
    if board is not None and request.method == "GET":
        form.unit_ids.data, form.roles.data = board.unit_ids, board.role_names
    return form


def _form_summary(form: BoardForm) -> str:
    """The audience sentence for what the form holds now (unknown ids and roles left out)."""
    chosen = [unit_id for unit_id in (form.unit_ids.data or []) if isinstance(unit_id, int)]
    return boards.audience_summary(boards.units_by_id(chosen), [r for r in (form.roles.data or []) if r in ROLES])


def _save_board(form: BoardForm, board: Board | None):
    status = 200
    if request.method == "POST" and request.form.get("preview"):
        form.validate_on_submit()  # show field messages, but save nothing
        return render_template("discussions/board_form.html", form=form, board=board,
                               summary=_form_summary(form), previewing=True), status
    if form.validate_on_submit():
        fields = {"name": form.name.data, "description": form.description.data,
                  "unit_ids": form.unit_ids.data or [], "roles": form.roles.data or []}
        try:
            if board is None:
                saved = boards.create_board(_user(), **fields)
            else:
                saved = boards.update_board(_user(), board, **fields)
        except boards.BoardError as error:
            _show_error(form, error)
            status = 400
        else:
            flash(_("The board was saved."), "success")
            return redirect(url_for("discussions.board", slug=saved.slug))
    elif request.method == "POST":
        status = 400
    return render_template("discussions/board_form.html", form=form, board=board,
                           summary=_form_summary(form), previewing=False), status


@bp.route("/boards/new", methods=["GET", "POST"])
@roles_required("admin")
def new_board():
    return _save_board(_board_form(), None)


def _any_board_or_404(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        abort(404)
    return board


@bp.route("/boards/<int:board_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_board(board_id: int):
    board = _any_board_or_404(board_id)
    return _save_board(_board_form(board), board)


@bp.route("/boards/<int:board_id>/archive", methods=["POST"])
@roles_required("admin")
def archive_board(board_id: int):
    board = _any_board_or_404(board_id)  # CSRFProtect has checked the token already
    archived = request.form.get("archived", "1") != "0"
    boards.set_archived(_user(), board, archived)
    flash(_("The board was archived.") if archived else _("The board was reopened."), "success")
    return redirect(url_for("discussions.boards_admin"), code=303)


# --- home panel -------------------------------------------------------------------------------

def home_panels(user, role: str) -> list[HomePanel]:
    """Upcoming meetings on the boards ``user`` sees, once (in their first role's section)."""
    first = next((name for name in ROLES if user.has_role(name)), None)
    if role != first:
        return []
    items = meetings.upcoming(user)
    if not items:
        return []
    return [HomePanel("discussions/panels/meetings.html", order=30, key="discussion-meetings",
                      context={"items": items, "title": _l("Upcoming meetings")})]
