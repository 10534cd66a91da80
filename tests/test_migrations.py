"""Migrations build the schema: upgrade -> downgrade -> upgrade, and they match the models."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

import tests.conftest as shared
from lms.extensions import db
from lms.sql import migration_include_object
from tests.conftest import is_postgresql, make_test_app


@pytest.fixture
def empty_app(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        if is_postgresql():
            db.session.remove()
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        yield app
        db.session.remove()
        db.engine.dispose()
    shared._schema_ready.pop("pg", None)  # the next test rebuilds its schema from the models


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _diff():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False,
                                                          "include_object": migration_include_object})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade(empty_app):
    model_tables = {table.name for table in db.metadata.sorted_tables}
    upgrade()
    assert model_tables <= _tables()
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    upgrade()
    assert model_tables <= _tables()


def test_models_and_migrations_agree(empty_app):
    upgrade()
    assert _diff() == []


def test_downgrade_works_with_data(empty_app):
    upgrade()
    result = empty_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}


def test_audit_log_is_append_only_in_the_database(empty_app):
    upgrade()
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, action, target_type, details) "
                          "VALUES (CURRENT_TIMESTAMP, 'test.event', 'test', '{}')"))
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_log")).scalars().all() == ["test.event"]
