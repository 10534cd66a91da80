"""Courses private to one organisation (issue 20, item 4): one visibility rule
(``courses.services.visible_to``) applied wherever a course is listed or opened.

The private course is tests/fixtures/private_courses/layanan-keliling-sungai, private to the
second library ``lib-seb`` (the ``other_org`` fixture); the shared course is the sample course.
"""
from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms import organisations
from lms.auth.models import OrganisationRole, Unit, User
from lms.extensions import db
from lms.plugins.courses import services
from lms.plugins.courses.models import Course, Module
from lms.plugins.courses.services import import_courses
from tests.conftest import login, post_form

PRIVATE_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "private_courses"
SLUG = "layanan-keliling-sungai"
TITLE = "Perpustakaan Keliling Sungai Seberang"
MODULE = "jadwal-kapal"
LESSON = "sebelum-berangkat"


@pytest.fixture
def private_root(tmp_path) -> Path:
    target = tmp_path / "private_courses"
    shutil.copytree(PRIVATE_FIXTURES, target)
    return target


@pytest.fixture
def private(app, imported, other_org, private_root) -> Course:
    """The shared sample course and the course private to ``lib-seb``, both imported."""
    report = import_courses([private_root])
    assert report.ok, report.problems
    return db.session.scalar(select(Course).where(Course.slug == SLUG))


def _scoped(client, role: str, unit_code: str):
    """Give the client's user ``role`` for the organisation of ``unit_code`` (its library)."""
    library = db.session.scalar(select(Unit.organisation_id).where(Unit.code == unit_code))
    user = db.session.get(User, client.user.id)
    user.organisation_roles.append(OrganisationRole(organisation_id=library, role=role))
    db.session.commit()
    return client


def _outsiders(client_as):
    """Every kind of person of the first library ``lib``: staff, a supervisor, and its own
    (organisation-scoped) admin and trainer."""
    return {"librarian": client_as("librarian"), "supervisor": client_as("supervisor"),
            "org-admin": _scoped(client_as("librarian", unit_code="branch-b"), "admin", "branch-b"),
            "org-trainer": _scoped(client_as("librarian", unit_code="section-a1"), "trainer", "section-a1")}


PAGES = [f"/courses/{SLUG}/", f"/courses/{SLUG}/{MODULE}/", f"/courses/{SLUG}/{MODULE}/{LESSON}",
         f"/quiz/{SLUG}/{MODULE}/"]


def test_the_migration_keeps_existing_courses_shared(private):
    shared = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    assert shared.organisation_id is None
    assert private.organisation_id == db.session.scalar(select(Unit.id).where(Unit.code == "lib-seb"))


def test_a_private_course_does_not_exist_for_any_role_of_another_library(private, client_as):
    for role, client in _outsiders(client_as).items():
        catalogue = client.get("/courses/").get_data(as_text=True)
        assert TITLE not in catalogue and "Kursus Contoh" in catalogue, role
        assert TITLE not in client.get(f"/courses/?q={TITLE.split()[-1]}").get_data(as_text=True), role
        for path in PAGES:
            assert client.get(path).status_code == 404, (role, path)
        module = db.session.scalar(select(Module).where(Module.course_id == private.id))
        assert client.get(f"/discussions/module/{module.id}/").status_code == 404, role
        assert TITLE not in client.get("/").get_data(as_text=True), role


def test_its_library_sees_it_and_so_do_the_networks_admins_and_trainers(private, client_as):
    insiders = {"seb librarian": client_as("librarian", unit_code="seb-section"),
                "seb supervisor": client_as("supervisor", unit_code="seb-branch"),
                "lib person training for seb": _scoped(client_as("librarian", unit_code="branch-b"), "trainer",
                                                       "seb-branch"),
                "network admin": client_as("admin"), "network trainer": client_as("trainer")}
    for who, client in insiders.items():
        assert TITLE in client.get("/courses/").get_data(as_text=True), who
        for path in PAGES:
            assert client.get(path).status_code == 200, (who, path)


def test_a_library_below_does_not_see_the_private_course_above(private, client_as, make_unit):
    """Private means that one library: an organisation below ``lib-seb`` has its own."""
    village = make_unit("seb-desa", "Perpustakaan Desa Seberang", "library",
                        db.session.scalar(select(Unit).where(Unit.code == "seb-branch")))
    organisations.make_organisation(village)
    db.session.commit()
    client = client_as("librarian", unit_code="seb-desa")
    assert TITLE not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{SLUG}/").status_code == 404


def test_discussions_of_a_private_course_stay_in_its_library(private, client_as):
    from lms.plugins.discussions import services as discussions

    insider = client_as("librarian", unit_code="seb-section")
    module = db.session.scalar(select(Module).where(Module.course_id == private.id))
    thread = discussions.create_thread(db.session.get(User, insider.user.id), title="Jadwal kapal Kamis",
                                       body="Apakah kapal tetap berangkat saat air surut?", module=module)
    outsider = client_as("librarian")
    assert outsider.get(f"/discussions/thread/{thread.id}").status_code == 404
    assert "Kamis" not in outsider.get("/discussions/search?q=kapal").get_data(as_text=True)
    assert "Kamis" not in outsider.get("/discussions/").get_data(as_text=True)
    assert "Kamis" in insider.get("/discussions/search?q=kapal").get_data(as_text=True)
    with pytest.raises(discussions.PostingError):
        discussions.create_thread(db.session.get(User, outsider.user.id), title="Boleh ikut?", body="Tanya.",
                                  module=module)


# --- front matter --------------------------------------------------------------------------

def _set_organisation(root: Path, value: str | None) -> Path:
    path = root / SLUG / "course.md"
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if not line.startswith("organisation:")]
    if value is not None:
        lines.insert(lines.index("---", 1), f"organisation: {value}")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("code, message", [("lib-nowhere", "tidak ada unit dengan kode"),
                                            ("seb-branch", "bukan organisasi")])
def test_an_organisation_that_is_not_one_is_refused_with_file_and_line(app, other_org, private_root, code,
                                                                        message):
    path = _set_organisation(private_root, code)
    line = path.read_text(encoding="utf-8").split("\n").index(f"organisation: {code}") + 1
    report = import_courses([private_root])
    assert not report.ok
    assert any(problem.startswith(f"{path}:{line}: ") and message in problem for problem in report.problems), \
        report.problems
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0  # nothing imported


def test_courses_check_validates_the_organisation(app, runner, other_org, private_root):
    assert runner.invoke(args=["courses", "check", str(private_root)]).exit_code == 0
    path = _set_organisation(private_root, "lib-nowhere")
    result = runner.invoke(args=["courses", "check", str(private_root)])
    assert result.exit_code != 0
    assert f"{path}:" in result.output and "lib-nowhere" in result.output


def _changes(report) -> list[tuple[str, ...]]:
    """(course, old, new) of each reported change, whatever the language of the sentence."""
    found = []
    for line in report.organisations:
        match = re.match(r"^(\S+): \w+ (\S+), \w+ (\S+)$", line)
        assert match, line
        found.append(match.groups())
    return found


def test_reimport_that_changes_the_organisation_is_reported_per_course(private, private_root, org):
    _set_organisation(private_root, "lib")
    report = import_courses([private_root])
    assert report.ok, report.problems
    assert _changes(report) == [(SLUG, "lib-seb", "lib")]
    assert db.session.get(Course, private.id).organisation_id == org["library"].id
    _set_organisation(private_root, None)
    report = import_courses([private_root])
    assert _changes(report) == [(SLUG, "lib", services.organisation_label(None))]
    assert db.session.get(Course, private.id).organisation_id is None
    assert import_courses([private_root]).organisations == []  # unchanged: nothing to report


def test_the_import_command_prints_the_change(app, runner, other_org, private_root):
    result = runner.invoke(args=["courses", "import", str(private_root)])
    assert result.exit_code == 0, result.output
    assert re.search(rf"^{SLUG}: \w+ -, \w+ lib-seb$", result.output, re.MULTILINE), result.output


def test_courses_list_names_the_owner(private, runner):
    rows = {row["slug"]: row["organisation"] for row in services.course_rows()}
    assert rows == {"contoh": None, SLUG: "lib-seb"}
    assert "lib-seb" in runner.invoke(args=["courses", "list"]).output


def test_export_writes_the_organisation_back(private, tmp_path, org):
    folder = services.export_course(SLUG, tmp_path / "out")
    assert "organisation: lib-seb" in (folder / "course.md").read_text(encoding="utf-8")
    shared = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    shared.organisation_id = org["library"].id  # as the browser field would
    db.session.commit()
    text = (services.export_course("contoh", tmp_path / "out") / "course.md").read_text(encoding="utf-8")
    assert "organisation: lib\n---" in text
    services.write_framework(tmp_path / "out")
    report = import_courses([tmp_path / "out"])  # the export imports back to the same owners
    assert report.ok and report.organisations == [], (report.problems, report.organisations)


# --- the editor's field ---------------------------------------------------------------------

def test_the_sharing_field_makes_a_course_private_and_shared_again(private, client_as, org, other_org):
    admin = client_as("admin")
    page = admin.get("/authoring/contoh/sharing").get_data(as_text=True)
    assert "Perpustakaan Uji" in page and "Perpustakaan Seberang" in page and 'value=""' in page
    response = post_form(admin, "/authoring/contoh/sharing", {"organisation": str(other_org["library"].id)})
    assert response.status_code == 303
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    assert course.organisation_id == other_org["library"].id
    outsider = client_as("librarian")
    assert outsider.get("/courses/contoh/").status_code == 404
    assert post_form(admin, "/authoring/contoh/sharing", {"organisation": ""}).status_code == 303
    assert outsider.get("/courses/contoh/").status_code == 200


def test_an_organisations_trainer_is_offered_only_their_library(private, client_as, other_org):
    trainer = _scoped(client_as("librarian", unit_code="seb-section"), "trainer", "seb-section")
    user = db.session.get(User, trainer.user.id)
    assert services.organisation_choices(user) == [(other_org["library"].id, "Perpustakaan Seberang")]
    assert services.may_edit(user, private)
    shared = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    assert not services.may_edit(user, shared)  # the network's courses are the network's editors'
    with pytest.raises(PermissionError):
        services.set_organisation(private, None, user)  # may not share it with every library
    lib_trainer = _scoped(client_as("librarian"), "trainer", "branch-a")
    assert not services.may_edit(db.session.get(User, lib_trainer.user.id), private)


def test_a_trainer_of_one_library_authors_its_private_course_only(private, client_as):
    """A trainer held for ``lib-seb`` only opens the editor (the blueprint opts in with
    ``scoped``): their library's private course is listed and editable, the network's shared
    course is not theirs to edit (403), and another library's trainer finds nothing (404)."""
    trainer = _scoped(client_as("librarian", unit_code="seb-section"), "trainer", "seb-section")
    index = trainer.get("/authoring/")
    assert index.status_code == 200 and TITLE in index.get_data(as_text=True)
    assert "/authoring/contoh/" not in index.get_data(as_text=True)
    assert trainer.get(f"/authoring/{SLUG}/{MODULE}/edit").status_code == 200
    assert trainer.get(f"/authoring/{SLUG}/sharing").status_code == 200
    shared_module = db.session.scalar(select(Module).join(Course).where(Course.slug == "contoh"))
    assert trainer.get(f"/authoring/contoh/{shared_module.slug}/edit").status_code == 403
    outsider = _scoped(client_as("librarian"), "trainer", "branch-a")
    assert outsider.get("/authoring/").status_code == 200
    assert outsider.get(f"/authoring/{SLUG}/{MODULE}/edit").status_code == 404
    assert TITLE not in outsider.get("/authoring/").get_data(as_text=True)
    assert client_as("librarian", unit_code="seb-branch").get("/authoring/").status_code == 403


def test_authoring_pages_of_a_private_course_are_not_found_for_others(private, client_as):
    admin = client_as("admin")
    assert admin.get(f"/authoring/{SLUG}/sharing").status_code == 200
    assert TITLE in admin.get("/authoring/").get_data(as_text=True)


# --- assignments ----------------------------------------------------------------------------

def _assign(client, subject: str, target: str):
    due = (date.today() + timedelta(days=30)).isoformat()
    return post_form(client, "/assignments/new", {"subject": subject, "target": target, "due_on": due})


def test_a_private_course_is_not_assigned_outside_its_library(private, client_as, make_user, org, other_org):
    from lms.plugins.learning.models import Assignment

    admin = client_as("admin")
    outsider = make_user("pustakawan-lib", roles=("librarian",), unit=org["branch_a"])
    insider = make_user("pustakawan-seb", roles=("librarian",), unit=other_org["section"])
    insider.position = "Pustakawan Ahli Pertama"
    db.session.commit()
    subject = f"course:{private.id}"
    for target in (f"user:{outsider.id}", f"unit:{org['library'].id}", "position:Pustakawan Ahli Pertama"):
        response = _assign(admin, subject, target)
        assert response.status_code == 422, target
        assert "khusus untuk lib-seb" in response.get_data(as_text=True), target
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert _assign(admin, subject, f"user:{insider.id}").status_code == 302
    assert _assign(admin, subject, f"unit:{other_org['branch'].id}").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 2


def test_the_assignment_command_refuses_too(private, runner, make_user, org):
    make_user("pustakawan-lib", roles=("librarian",), unit=org["branch_a"])
    result = runner.invoke(args=["learning", "assign", SLUG, "--user", "pustakawan-lib"])
    assert result.exit_code != 0 and "khusus untuk lib-seb" in result.output


def test_a_supervisor_is_not_offered_another_librarys_course(private, client_as):
    page = client_as("supervisor").get("/assignments/new").get_data(as_text=True)
    assert "Kursus Contoh" in page and TITLE not in page


# --- lists in other plugins -----------------------------------------------------------------

def test_learning_paths_content_gaps_and_curriculum_leave_it_out(private, client_as):
    from lms.plugins.curriculum import services as curriculum

    outsider = db.session.get(User, client_as("librarian").user.id)
    insider = db.session.get(User, client_as("librarian", unit_code="seb-section").user.id)
    private_modules = {m.id for m in private.modules}
    assert not private_modules & {m.id for m in curriculum.active_modules(services.visible_to(outsider))}
    assert private_modules <= {m.id for m in curriculum.active_modules(services.visible_to(insider))}
    by_competency = curriculum.modules_by_competency(services.visible_to(outsider))
    assert not private_modules & {m.id for modules in by_competency.values() for m in modules}
    # the network's one curriculum offers shared modules only
    assert not private_modules & {m.id for m in curriculum.active_modules(services.shared_or(None))}


def test_report_and_item_analysis_lists_leave_it_out(private, client_as, org):
    from lms.plugins.reports.dashboard import Filters, module_figures

    supervisor = client_as("supervisor")
    user = db.session.get(User, supervisor.user.id)
    user.supervised_units.append(org["library"])
    db.session.commit()
    titles = {row.course for row in module_figures(user, Filters(), "id")}
    assert "Kursus Contoh" in titles and TITLE not in titles
    assert TITLE not in supervisor.get("/quiz/items/").get_data(as_text=True)
    version = db.session.scalar(select(Module).where(Module.course_id == private.id)).current_version_id
    assert supervisor.get(f"/quiz/items/{version}").status_code == 404


def test_the_lesson_page_still_costs_one_statement_for_a_private_course(private, client_as):
    from tests.learning.test_lesson_view_cost import statements

    insider = db.session.get(User, client_as("librarian", unit_code="seb-section").user.id)
    assert insider.unit is not None and insider.organisation_roles == []  # loaded, as with the session
    found = []
    assert len(statements(lambda: found.append(services.lesson_page(SLUG, MODULE, LESSON, insider)))) == 1
    assert found[0] is not None
    assert services.lesson_page(SLUG, MODULE, LESSON, None) is None


def test_signing_in_again_sees_the_same(private, app):
    """A person moved into the library sees its course at their next request (the rule reads
    the signed-in user's unit, loaded with the session)."""
    from tests.conftest import PASSWORD  # noqa: F401 - the fixtures' password

    unit = db.session.scalar(select(Unit).where(Unit.code == "branch-a"))
    person = User(username="pindah", full_name="Pindah", unit_id=unit.id)
    person.set_password(PASSWORD)
    person.set_roles(["librarian"])
    db.session.add(person)
    db.session.commit()
    client = app.test_client()
    login(client, "pindah")
    assert client.get(f"/courses/{SLUG}/").status_code == 404
    person.unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "seb-section"))
    db.session.commit()
    assert client.get(f"/courses/{SLUG}/").status_code == 200
