"""My learning, the librarian's home panel, certificate pages and the public check."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from lms.audit.models import AuditEntry
from lms.clock import local_today
from lms.extensions import db
from lms.hookspecs import hookimpl
from lms.nav import Recommendation
from lms.plugins.courses.models import Course
from lms.plugins.learning.models import Assignment, Certificate, CourseCompletion, ModuleCompletion
from tests.conftest import login
from tests.learning.conftest import (complete_course, graded_attempt, lesson_slugs, lesson_url, module,
                                     only_certificate, read, start, submit_marc)


def _section(page: str, section_id: str) -> str:
    return page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _my_learning(client) -> str:
    response = client.get("/learning/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- in progress -----------------------------------------------------------------------------

def test_nothing_started_shows_empty_sections(learner):
    page = _my_learning(learner)
    assert "Nothing in progress" in _section(page, "in-progress")
    assert "Nothing has been assigned to you." in _section(page, "assigned")
    assert "No recommendations yet" in _section(page, "recommended")
    assert "No completed courses yet." in _section(page, "completed")
    assert "<strong>0</strong>" in _section(page, "my-jp")


def test_in_progress_resumes_at_the_last_lesson_then_the_quiz(learner):
    first, second = lesson_slugs("marc")
    read(learner, "marc", first)
    section = _section(_my_learning(learner), "in-progress")
    assert "Mengenal MARC 21" in section and "1 of 2 lessons read" in section
    assert f'href="{lesson_url("marc", first)}"' in section and "Resume where I left off" in section
    read(learner, "marc", second, first)  # went on, then back to the first lesson
    section = _section(_my_learning(learner), "in-progress")
    assert "2 of 2 lessons read" in section
    assert 'href="/quiz/contoh/marc/"' in section and "Take the quiz" in section  # every lesson read
    attempt_id = start(learner, "marc")
    section = _section(_my_learning(learner), "in-progress")
    assert f'href="/quiz/attempt/{attempt_id}"' in section and "Continue the quiz" in section


def test_a_completed_module_leaves_in_progress(learner):
    read(learner, "marc")
    read(learner, "ddc")
    submit_marc(learner)
    section = _section(_my_learning(learner), "in-progress")
    assert "DDC classification" in section and "Mengenal MARC 21" not in section


# --- assignments -------------------------------------------------------------------------------

@pytest.fixture
def assignments(learner, make_user, org):
    """Assignments to the learner, to a unit above theirs, to their position, and some that
    do not concern them."""
    user = learner.user
    user.position = "Pustakawan Ahli Pertama"
    other = make_user("lain", unit=org["branch_b"], position="Asisten Perpustakaan Mahir")
    today = local_today()
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    marc, ddc = module("marc"), module("ddc")
    db.session.add_all([
        Assignment(user_id=user.id, course_id=course.id, due_on=today - timedelta(days=3)),
        Assignment(unit_id=org["library"].id, module_id=ddc.id, due_on=today + timedelta(days=10)),
        Assignment(position="Pustakawan Ahli Pertama", module_id=marc.id, due_on=today - timedelta(days=1)),
        # not for this learner:
        Assignment(unit_id=org["branch_b"].id, module_id=marc.id, due_on=today - timedelta(days=5)),
        Assignment(position="Asisten Perpustakaan Mahir", course_id=course.id, due_on=today),
        Assignment(user_id=other.id, module_id=ddc.id, due_on=today - timedelta(days=5)),
    ])
    db.session.commit()
    return user


def _rows(section: str) -> list[str]:
    return re.findall(r"<li class=\"card plan-item[^\"]*\">.*?</li>", section, flags=re.S)


def test_assigned_shows_what_applies_with_overdue_marked(learner, assignments):
    section = _section(_my_learning(learner), "assigned")
    rows = _rows(section)
    assert len(rows) == 3, rows
    by_title = {("Mengenal MARC 21" if "MARC" in row else "DDC" if "DDC" in row else "Sample Course"): row
                for row in rows}  # a module's card names its course too
    assert 'plan-item overdue"' in by_title["Sample Course"] and "assigned to you" in by_title["Sample Course"]
    assert 'plan-item overdue"' in by_title["Mengenal MARC 21"]
    assert "assigned to your position" in by_title["Mengenal MARC 21"]
    assert 'plan-item overdue"' not in by_title["DDC"] and "assigned to your unit" in by_title["DDC"]
    assert section.count("Overdue") == 2


def test_a_finished_assignment_is_no_longer_overdue(learner, assignments):
    read(learner, "marc")
    submit_marc(learner)
    page = _my_learning(learner)
    assert not [row for row in _rows(_section(page, "assigned")) if "MARC" in row]  # no longer to do
    done = page.split('id="assigned-done"', 1)[1].split("</ul>", 1)[0]
    assert "Mengenal MARC 21" in done


def test_the_assign_command_records_and_audits(app, learner, runner):
    result = runner.invoke(args=["learning", "assign", "contoh/ddc", "--user", learner.user.username,
                                 "--due", "2026-12-31"])
    assert result.exit_code == 0, result.output
    assignment = db.session.scalar(select(Assignment))
    assert assignment.user_id == learner.user.id and assignment.module_id == module("ddc").id
    assert assignment.due_on.isoformat() == "2026-12-31"
    assert db.session.scalar(select(AuditEntry.action)) == "learning.assigned"
    refused = runner.invoke(args=["learning", "assign", "contoh", "--user", "x", "--unit", "lib"])
    assert refused.exit_code != 0 and "exactly one" in refused.output


def test_recompute_catches_up_on_progress_made_before_the_plugin(app, learner, runner):
    certificate = complete_course(app, learner)
    for model in (Certificate, CourseCompletion, ModuleCompletion):  # as if the plugin had been off
        db.session.execute(delete(model))
    db.session.commit()
    result = runner.invoke(args=["learning", "recompute", "--user", learner.user.username])
    assert result.exit_code == 0, result.output
    assert "Checked 2 module(s)" in result.output
    assert only_certificate(learner.user.id).code != certificate.code  # a new certificate, exactly one
    assert runner.invoke(args=["learning", "recompute", "--user", "nobody"]).exit_code != 0


# --- recommendations -------------------------------------------------------------------------

def test_recommendations_from_plugins_are_shown_and_only_local_links_followed(app, learner):
    class Recommender:
        @hookimpl
        def lms_recommendations(self, user):
            return [Recommendation("Kursus <b>Contoh</b>", "/courses/contoh/", reason="Untuk katalogisasi", order=2),
                    Recommendation("Bahaya", "javascript:alert(1)", order=1)]

    app.extensions["lms.plugins"].register(Recommender(), name="recommender")
    section = _section(_my_learning(learner), "recommended")
    assert '<a href="/courses/contoh/">Kursus &lt;b&gt;Contoh&lt;/b&gt;</a>' in section
    assert "Untuk katalogisasi" in section
    assert "Bahaya" in section and "javascript:" not in section
    assert section.index("Bahaya") < section.index("Kursus")  # by order


# --- completed courses and certificates ----------------------------------------------------------

def test_completed_courses_link_their_certificate(app, learner):
    certificate = complete_course(app, learner)
    section = _section(_my_learning(learner), "completed")
    assert "Sample Course" in section
    assert f'href="/learning/certificates/{certificate.code}"' in section
    assert "<strong>2</strong>" in _section(_my_learning(learner), "my-jp")


def test_the_owner_sees_a_printable_certificate(app, learner):
    certificate = complete_course(app, learner)
    response = learner.get(f"/learning/certificates/{certificate.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Certificate of completion" in page
    assert certificate.full_name in page and "Sample Course" in page and certificate.code in page
    assert f"/verify/{certificate.code}" in page


def test_another_librarian_cannot_open_someone_elses_certificate(app, learner, make_user):
    certificate = complete_course(app, learner)
    make_user("tetangga")
    other = app.test_client()
    assert login(other, "tetangga").status_code == 302
    response = other.get(f"/learning/certificates/{certificate.code}")
    assert response.status_code == 404
    assert certificate.full_name not in response.get_data(as_text=True)


def test_certificates_need_a_sign_in(app, learner):
    certificate = complete_course(app, learner)
    response = app.test_client().get(f"/learning/certificates/{certificate.code}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_verify_is_public_and_shows_only_name_course_date_and_jp(app, learner):
    user = learner.user
    user.email, user.nip, user.full_name = "ani@example.org", "198001012000012001", "Ani <i>Rahma</i>"
    db.session.commit()
    certificate = complete_course(app, learner)
    response = app.test_client().get(f"/verify/{certificate.code.lower()}")  # typed in lower case
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page.split('<main', 1)[1].split("</main>", 1)[0]
    assert "Ani &lt;i&gt;Rahma&lt;/i&gt;" in main
    assert "Kursus Contoh" in main and "2 JP" in main
    assert re.search(r'id="verify-date">[^<]*\d{4}<', main)
    for private in (user.username, "ani@example.org", user.nip, "100", "%", "Mengenal MARC"):
        assert private not in main, private
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_an_unknown_code_is_a_friendly_404(client, imported):
    response = client.get("/verify/ZZZZZZZZZZ")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "ZZZZZZZZZZ" in page and 'class="error-code">404' in page
    assert client.get("/verify/%3Cscript%3E").status_code == 404


# --- home panel and navigation -----------------------------------------------------------------

def test_the_home_panel_replaces_the_placeholder(learner):
    read(learner, "marc", lesson_slugs("marc")[0])
    home = learner.get("/").get_data(as_text=True)
    assert home.count('id="panel-my-learning"') == 1
    assert "will appear here" not in home  # the core's placeholder text
    panel = home.split('id="panel-my-learning"', 1)[1].split("</article>", 1)[0]
    assert "20 JP" in panel and "Mengenal MARC 21" in panel
    assert f'href="{lesson_url("marc", lesson_slugs("marc")[0])}"' in panel
    assert 'href="/learning/"' in home  # the nav entry


def test_the_panel_shows_at_most_three_modules(learner, imported):
    import shutil

    from lms.plugins.courses.services import import_courses

    shutil.copytree(imported / "contoh", imported / "contoh-dua")
    assert import_courses([imported]).ok
    for course in ("contoh", "contoh-dua"):
        for slug in ("marc", "ddc"):
            first = lesson_slugs(slug)[0]
            assert learner.get(f"/courses/{course}/{slug}/{first}").status_code == 200
    assert len(_section(_my_learning(learner), "in-progress").split("<li class=\"card\">")) - 1 == 4
    panel = learner.get("/").get_data(as_text=True).split('id="panel-my-learning"', 1)[1].split("</article>", 1)[0]
    assert panel.count("<li>") == 3


def test_turning_the_plugin_off_brings_the_placeholder_back(tmp_path):
    from lms.auth.models import User
    from tests.conftest import PASSWORD, make_test_app, reset_database

    # learning off with what requires it (needs, curriculum, records, reports, discussions)
    app = make_test_app(tmp_path, PLUGINS="-learning,-needs,-curriculum,-records,-reports,-discussions,-grading,-evaluations")
    reset_database(app)
    with app.app_context():
        user = User(username="ani", full_name="Ani", locale="en")
        user.set_roles(["librarian"])
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    assert login(client, "ani").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'id="panel-my-learning"' in home and "will appear here" in home
    assert 'href="/learning/"' not in home
    assert client.get("/learning/").status_code == 404
    assert app.test_client().get("/verify/ABCDEFGHJK").status_code == 404


def test_graded_attempts_of_other_learners_do_not_count(app, learner, make_user):
    other = make_user("lain")
    read(learner, "ddc")
    graded_attempt(app, other.id, "ddc", 100.0)
    section = _section(_my_learning(learner), "in-progress")
    assert "DDC classification" in section
