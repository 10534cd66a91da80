"""The ``lms`` command: create-admin, demo, users list."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.auth.models import Unit, UnitSupervisor, User
from lms.core.demo import DEMO_PASSWORD
from lms.extensions import db
from tests.conftest import login


def test_create_admin_prompts_for_password(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "Kepala", "--full-name", "Kepala Perpus"],
                           input="a-long-admin-password\na-long-admin-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "kepala"))
    assert user.role_names == {"admin"} and user.check_password("a-long-admin-password")


def test_create_admin_refuses_short_password_and_duplicates(app, runner, make_user):
    result = runner.invoke(args=["users", "create-admin", "--username", "boss", "--full-name", "B"],
                           input="short\nshort\n")
    assert result.exit_code != 0 and "10" in result.output
    make_user("taken")
    result = runner.invoke(args=["users", "create-admin", "--username", "taken", "--full-name", "T"],
                           input="a-long-admin-password\na-long-admin-password\n")
    assert result.exit_code != 0 and "already exists" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_demo_seeds_the_organisation_and_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for name in ("ani", "budi", "citra", "admin", DEMO_PASSWORD):
        assert name in first.output
    counts = (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Unit.id))),
              db.session.scalar(select(func.count()).select_from(UnitSupervisor)))
    assert counts[0] == 40 and counts[1] >= 5  # 30 in Palangka Raya, 10 in Sampit and the province
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert counts == (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Unit.id))),
                      db.session.scalar(select(func.count()).select_from(UnitSupervisor)))


def test_demo_roles_and_supervision(app, runner):
    runner.invoke(args=["demo"])
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["ani"].role_names == {"librarian"}
    assert users["budi"].role_names == {"trainer"}
    assert users["citra"].role_names == {"supervisor"}
    assert users["admin"].role_names == {"admin"}
    assert [u.code for u in users["citra"].supervised_units] == ["cabang-jekan-raya"]
    assert users["ani"].unit.code == "cabang-jekan-raya"
    assert users["ani"].unit.parent.name == "Perpustakaan Kota Palangkaraya"
    # the second library (issue 20): its own admin, head, and the provincial supervisor above both
    kotim = db.session.scalar(select(Unit).where(Unit.code == "kotim"))
    assert users["hendra"].organisations_for("admin") == {kotim.id} and not users["hendra"].has_role("admin")
    assert [u.code for u in users["rahmah"].supervised_units] == ["kotim"]
    assert [u.code for u in users["theresia"].supervised_units] == ["kalteng"]
    assert users["yohana"].unit.library.full_name == "Perpustakaan Daerah Kabupaten Kotawaringin Timur"
    assert users["yohana"].email.endswith("@perpustakaan.kotim.example")


def test_demo_accounts_log_in(app, runner):
    runner.invoke(args=["demo"])
    for username in ("ani", "budi", "citra", "admin"):
        client = app.test_client()
        assert login(client, username, DEMO_PASSWORD).status_code == 302, username
        assert client.get("/").status_code == 200


def test_demo_refuses_production(tmp_path):
    from tests.conftest import make_test_app, reset_database

    app = make_test_app(tmp_path, ENV="production", BASE_URL="https://pembina.example.go.id")
    reset_database(app)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_list(app, runner, make_user):
    make_user("ani")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0 and "ani" in result.output and "librarian" in result.output
