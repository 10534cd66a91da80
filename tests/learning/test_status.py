"""One source of truth for assignment status (``assigning.status_select``) and the homes that
lead: the librarian's next step, and the same counts on home, My learning, the assignment
page and the supervisor dashboard (issue 16, item 2)."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from lms.auth.models import User
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.models import Course
from lms.plugins.learning import assigning
from lms.plugins.learning.models import Assignment
from lms.plugins.reports import dashboard
from tests.conftest import login
from tests.learning.conftest import module, read, submit_marc

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "pembina-demo"


def _counts(html: str, element_id: str) -> dict[str, int]:
    block = html.split(f'id="{element_id}"', 1)[1].split("</dl>", 1)[0]
    return {status: int(value) for status, value in re.findall(r'data-status="(\w+)">(\d+)<', block)}


def _task(html: str, name: str) -> int:
    return int(re.search(rf'data-task="{name}" data-task-count="(\d+)"', html).group(1))


# --- the status function ------------------------------------------------------------------------

@pytest.fixture
def statuses(learner, org):
    """One assignment of each status for the learner, a duplicate subject, and one to the
    library (the root unit) that an admin and a trainer there must not be reached by."""
    user = learner.user
    today = local_today()
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    db.session.add_all([
        Assignment(user_id=user.id, module_id=module("marc").id, due_on=today - timedelta(days=2)),  # overdue
        Assignment(unit_id=org["library"].id, module_id=module("marc").id, due_on=today + timedelta(days=30)),
        Assignment(unit_id=org["library"].id, module_id=module("ddc").id, due_on=today + timedelta(days=3)),
        Assignment(user_id=user.id, course_id=course.id, due_on=None),  # open
    ])
    db.session.commit()
    return user


def test_each_assignment_has_one_status_per_subject(statuses):
    found = assigning.statuses_of(statuses.id, local_today())
    assert [(s.module_id, s.course_id, s.status) for s in found] == [
        (module("marc").id, None, assigning.OVERDUE),  # the earlier of the two MARC assignments
        (module("ddc").id, None, assigning.DUE_SOON),
        (None, db.session.scalar(select(Course.id).where(Course.slug == "contoh")), assigning.OPEN),
    ]
    assert [s.via for s in found] == ["user", "unit", "user"]


def test_a_finished_module_is_done_everywhere(statuses, learner):
    read(learner, "marc")
    submit_marc(learner)
    counts = assigning.status_counts(select(User.id), local_today())
    assert counts == {"overdue": 0, "due_soon": 1, "open": 1, "done": 1}


def test_assignments_reach_only_the_librarians_they_target(statuses, make_user, org, app):
    """A library-wide assignment does not land on the admin's or the trainer's My learning."""
    admin = make_user("kepala-admin", roles=("admin",), unit=org["library"])
    trainer = make_user("pelatih", roles=("trainer",), unit=org["library"])
    today = local_today()
    assert assigning.statuses_of(admin.id, today) == [] and assigning.statuses_of(trainer.id, today) == []
    for username in ("kepala-admin", "pelatih"):
        client = app.test_client()
        login(client, username)
        page = client.get("/learning/").get_data(as_text=True)
        assert "DDC" not in page.split('id="assigned"', 1)[1].split("</section>", 1)[0]


def test_status_is_one_statement_however_many_people(statuses, make_user, org):
    today = local_today()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assigning.statuses(select(User.id), today)
        first = len(seen)
        for number in range(6):
            make_user(f"staf-{number}", unit=org["branch_a"])
        seen.clear()
        rows = assigning.statuses(select(User.id), today)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert first == len(seen) == 1
    assert len([row for row in rows if row.module_id == module("ddc").id]) == 7  # the learner and six more


# --- the demo: ani's next step and the counts that agree ----------------------------------------

@pytest.fixture
def demo(full_demo):
    """The real courses imported and ``lms demo`` run, as ``make run`` does (a copy of the
    session's demo)."""
    return full_demo


def _signed_in(app, username: str):
    client = app.test_client()
    response = login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302
    return client


def test_anis_home_leads_to_her_oldest_overdue_module(demo, app):
    client = _signed_in(app, "ani")
    html = client.get("/").get_data(as_text=True)
    panel = html.split('id="panel-next-step"', 1)[1].split("</article>", 1)[0]
    ani = db.session.scalar(select(User).where(User.username == "ani"))
    overdue = [s for s in assigning.statuses_of(ani.id, local_today()) if s.overdue]
    assert overdue, "the demo gives ani overdue modules"
    oldest = min(overdue, key=lambda s: (s.due_on, s.assignment_id))
    title = assigning.subject_titles_for([oldest], "id")[(oldest.course_id, oldest.module_id)]
    assert "Lewat tenggat" in panel and title in panel
    days = (local_today() - oldest.due_on).days
    assert f"({days} hari yang lalu) - ditugaskan ke unit kerja Anda." in panel  # the reason
    assert 'class="button primary" href="/courses/' in panel


@pytest.mark.parametrize("username", ["ani", "erlina"])
def test_a_librarians_counts_agree_on_home_and_my_learning(demo, app, username):
    client = _signed_in(app, username)
    home = _counts(client.get("/").get_data(as_text=True), "home-assignment-counts")
    mine = _counts(client.get("/learning/").get_data(as_text=True), "learning-assignment-counts")
    user = db.session.scalar(select(User).where(User.username == username))
    assert home == mine == assigning.status_counts(select(User.id).where(User.id == user.id),
                                                   local_today())
    if username == "ani":
        assert home["overdue"] >= 2


@pytest.mark.parametrize("username", ["citra", "erlina"])
def test_a_supervisors_counts_agree_on_home_assignments_and_dashboard(demo, app, username):
    """citra's assignment page listed nothing ("Belum ada penugasan") while her home counted
    3 overdue: the library-wide assignments reach her staff, so her page lists them too."""
    client = _signed_in(app, username)
    home = client.get("/").get_data(as_text=True)
    page = client.get("/assignments/").get_data(as_text=True)
    assert "Belum ada penugasan" not in page
    listed = _counts(page, "assignment-counts")
    viewer = db.session.scalar(select(User).where(User.username == username))
    figures = dashboard.people_figures(viewer, dashboard.Filters())
    assert listed["overdue"] > 0
    assert _task(home, "assignments-overdue") == listed["overdue"] == sum(f.overdue for f in figures)
    assert _task(home, "assignments-due-soon") == listed["due_soon"]
    assert f"Penugasan terlambat: {listed['overdue']}" in home  # the dashboard's own home summary
    rows = re.findall(r'Lewat tenggat untuk (\d+) orang', page)
    assert sum(int(n) for n in rows) >= listed["overdue"]  # per assignment, before one-per-subject


def test_supervisor_and_trainer_homes_show_what_needs_them(demo, app):
    citra = _signed_in(app, "citra").get("/").get_data(as_text=True)
    for name in ("assignments-overdue", "records-review", "needs-ratings"):
        assert f'data-task="{name}"' in citra
    assert _task(citra, "records-review") >= 1 and 'href="/records/review"' in citra
    budi = _signed_in(app, "budi").get("/").get_data(as_text=True)
    for name in ("discussions-unanswered", "quiz-items", "module-drafts", "curriculum-draft"):
        assert f'data-task="{name}"' in budi
    assert "panel-next-step" not in budi and 'data-task="records-review"' not in budi


def test_a_plugin_that_is_off_offers_no_card(tmp_path):
    from tests.conftest import make_test_app, reset_database

    app = make_test_app(tmp_path, PLUGINS="-records,-needs,-curriculum,-reports,-grading,-evaluations")
    reset_database(app)
    with app.test_request_context("/"):
        from lms.nav import home_panels

        supervisor = User(username="s", full_name="S")
        keys = [panel.key for panel in home_panels(supervisor, "supervisor")]
        db.session.remove()
        db.engine.dispose()
    assert "task:assignments-overdue" in keys
    assert "task:records-review" not in keys and "task:needs-ratings" not in keys


def test_librarian_home_statement_count_is_pinned(demo, app):
    """The librarian's home: a fixed number of statements, whatever the number of assignments
    (the status is one statement; titles are loaded together, never one by one)."""
    client = _signed_in(app, "ani")
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    def count() -> int:
        seen.clear()
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return len(seen)

    count()  # the test shares the requests' session: warm it, then measure
    before = count()
    ani = db.session.scalar(select(User).where(User.username == "ani"))
    today = local_today()
    for course in db.session.scalars(select(Course)):
        db.session.add(Assignment(user_id=ani.id, course_id=course.id, due_on=today + timedelta(days=40)))
    db.session.commit()
    count()
    assert count() == before
    assert before == HOME_STATEMENTS, before


# ani's demo home: her next step, assignments, JP, progress, the catalogue, her survey and her
# questions. Pinned: a change that adds a statement to every librarian's home shows up here.
# 50 since post-training evaluations (issue 21): her waiting evaluations (1), the learning
# path's "practise at work" check (1) and observed application as a needs source in the
# path's analysis, for the organisation and for her (2).
HOME_STATEMENTS = 50
