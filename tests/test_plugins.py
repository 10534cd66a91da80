"""The plugin system: built-ins on by default, switchable, and third-party plugins found
through the ``lms.plugins`` entry-point group - the same way a pip-installed one is."""
from __future__ import annotations

import pytest

from lms.config import ConfigError
from lms.pluginmanager import BUILTIN_PLUGINS, parse_plugin_setting
from tests.conftest import login, make_test_app, reset_database


def _app(tmp_path, **config):
    app = make_test_app(tmp_path, **config)
    reset_database(app)
    return app


def _librarian_client(app, make_user_in):
    with app.app_context():
        make_user_in(app)
    client = app.test_client()
    assert login(client, "ani").status_code == 302
    return client


def _make_ani(app):
    from lms.auth.models import User
    from lms.extensions import db
    from tests.conftest import PASSWORD

    user = User(username="ani", full_name="Ani")
    user.set_roles(["librarian", "admin"])
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()


def test_entry_point_plugin_adds_route_nav_panel_cli_and_question_type(tmp_path, installed_hello_plugin):
    app = _app(tmp_path)
    assert "hello" in app.config["ENABLED_PLUGINS"]
    client = _librarian_client(app, _make_ani)
    assert client.get("/hello/").get_data(as_text=True) == "Hello from a plugin"
    home = client.get("/").get_data(as_text=True)
    assert 'href="/hello/"' in home
    assert 'id="panel-hello"' in home and "Halo, ani" in home
    result = app.test_cli_runner().invoke(args=["hello"])
    assert result.exit_code == 0 and "hello from a plugin command" in result.output
    assert "keywords" in app.extensions["lms.question_types"]


def test_a_plugin_question_type_is_authored_imported_and_graded(tmp_path, installed_hello_plugin):
    """The hello plugin's `keywords` type: parsed from Markdown, shown with its widget, graded."""
    import re
    import shutil
    from pathlib import Path

    from lms.plugins.courses.services import import_courses
    from tests.conftest import csrf_token

    root = tmp_path / "courses"
    shutil.copytree(Path(__file__).parent / "fixtures" / "courses", root)
    module = root / "contoh" / "02-ddc.md"
    module.write_text(module.read_text() + "\n```quiz\nid: ddc-keywords\ntype: keywords\n\n"
                      "Sebutkan dua kelas utama DDC untuk sejarah dan agama.\n\n= 900\n= 200\n```\n")
    app = _app(tmp_path)
    with app.app_context():
        report = import_courses([root])
        assert report.ok, report.problems
    client = _librarian_client(app, _make_ani)
    response = client.post("/quiz/contoh/ddc/start", data={"csrf_token": csrf_token(client, "/quiz/contoh/ddc/")})
    attempt_url = response.headers["Location"]
    page = client.get(attempt_url).get_data(as_text=True)
    field = re.search(r'<textarea[^>]*name="(q-\d+)"', page).group(1)  # the plugin's own widget
    assert "900" not in page.split("Sebutkan")[1].split("</fieldset>")[0]  # no key in the page
    client.post(attempt_url + "/submit", data={"csrf_token": csrf_token(client, attempt_url),
                                               field: "Kelas 900 untuk sejarah", "confirm_unanswered": "1"})
    with app.app_context():
        from sqlalchemy import select

        from lms.extensions import db
        from lms.plugins.courses.models import Question
        from lms.plugins.quizzes.models import QuizAnswer

        question = db.session.scalar(select(Question).where(Question.qid == "ddc-keywords"))
        answer = db.session.scalar(select(QuizAnswer).where(QuizAnswer.question_id == question.id))
        assert question.type == "keywords" and question.data == {"keywords": ["900", "200"]}
        assert answer.credit == 0.5


def test_a_plugin_question_type_is_unknown_when_the_plugin_is_off(tmp_path):
    """Without the plugin, the same Markdown is a clear import error (in English here)."""
    import shutil
    from pathlib import Path

    root = tmp_path / "courses"
    shutil.copytree(Path(__file__).parent / "fixtures" / "courses", root)
    module = root / "contoh" / "02-ddc.md"
    module.write_text(module.read_text() + "\n```quiz\nid: ddc-keywords\ntype: keywords\n\nSebutkan.\n\n= 900\n```\n")
    runner = _app(tmp_path, BABEL_DEFAULT_LOCALE="en").test_cli_runner()
    result = runner.invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0 and "unknown question type 'keywords'" in result.output


def test_plugin_routes_are_access_controlled_too(tmp_path, installed_hello_plugin):
    app = _app(tmp_path)
    response = app.test_client().get("/hello/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_entry_point_plugin_can_be_turned_off(tmp_path, installed_hello_plugin):
    app = _app(tmp_path, PLUGINS="-hello")
    client = _librarian_client(app, _make_ani)
    assert client.get("/hello/").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "/hello/" not in home and "panel-hello" not in home
    assert "hello" not in app.cli.commands


def test_turning_off_the_admin_plugin_removes_its_routes_and_nav_only(tmp_path):
    app = _app(tmp_path, PLUGINS="-admin")
    assert "admin" not in app.config["ENABLED_PLUGINS"]
    assert not [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]
    client = _librarian_client(app, _make_ani)  # ani is an admin too
    assert client.get("/admin/users").status_code == 404
    home = client.get("/")
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    assert "/admin/users" not in text and 'id="panel-organisation"' in text
    assert client.get("/account").status_code == 200


def test_built_in_plugins_are_on_by_default(tmp_path):
    app = _app(tmp_path)
    for name in BUILTIN_PLUGINS:
        assert name in app.config["ENABLED_PLUGINS"]
    client = _librarian_client(app, _make_ani)
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)


def test_plugins_setting_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_PLUGINS", "-admin")
    app = make_test_app(tmp_path)
    assert "admin" not in app.config["ENABLED_PLUGINS"]


def test_unknown_plugin_name_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown plugin.*nosuch"):
        make_test_app(tmp_path, PLUGINS="admin,nosuch")


def test_parse_plugin_setting():
    available = {"a": "x", "b": "y", "c": "z"}
    assert parse_plugin_setting(None, available) == ["a", "b", "c"]
    assert parse_plugin_setting("all", available) == ["a", "b", "c"]
    assert parse_plugin_setting("", available) == []
    assert parse_plugin_setting("c, a", available) == ["c", "a"]
    assert parse_plugin_setting("-b", available) == ["a", "c"]
    assert parse_plugin_setting(["b"], available) == ["b"]


def test_turning_off_the_courses_plugin_leaves_the_rest_working(tmp_path):
    """Courses off, with every plugin that requires it (alone, it is refused: see
    tests/test_plugin_settings.py)."""
    app = _app(tmp_path, PLUGINS="-courses,-quizzes,-learning,-needs,-curriculum,-records,-reports,-interop,"
                                 "-discussions,-marc,-grading,-evaluations")
    assert not [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(("courses.", "authoring."))]
    assert "courses" not in app.cli.commands
    client = _librarian_client(app, _make_ani)
    assert client.get("/courses/").status_code == 404
    text = client.get("/").get_data(as_text=True)
    assert 'href="/courses/"' not in text and 'id="panel-courses"' not in text
    assert 'id="panel-my-learning"' in text  # the core's own panel is still there
    assert client.get("/admin/users").status_code == 200


def test_a_plugin_is_one_folder_its_templates_are_not_in_the_product():
    """The test plugin's templates live beside its hooks, not in the product's templates/
    (where every installation would ship them)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert not (root / "templates" / "hello").exists()
    assert (root / "tests" / "plugins" / "hello" / "templates" / "hello" / "keywords.html").is_file()
