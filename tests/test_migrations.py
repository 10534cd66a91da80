"""Migrations build the schema: upgrade -> downgrade -> upgrade, and they match the models."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

import tests.conftest as shared
from lms.extensions import db
from lms.migrating import app_tables
from lms.sql import migration_include_object
from tests.conftest import is_postgresql, make_test_app


@contextmanager
def _empty_app(tmp_path, **overrides):
    """An app on an empty database (PostgreSQL: an empty schema)."""
    app = make_test_app(tmp_path, **overrides)
    with app.app_context():
        if is_postgresql():
            db.session.remove()
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
            shared._schema_ready.pop("pg", None)  # the next test rebuilds its schema from the models


@pytest.fixture
def empty_app(tmp_path):
    with _empty_app(tmp_path) as app:
        yield app


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _diff():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False,
                                                          "include_object": migration_include_object})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade(empty_app):
    model_tables = app_tables(empty_app)
    upgrade()
    assert model_tables <= _tables()
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    upgrade()
    assert model_tables <= _tables()


def test_models_and_migrations_agree(empty_app):
    upgrade()
    assert _diff() == []


@pytest.mark.parametrize("hello", ["on", "off"])
def test_models_and_migrations_agree_with_an_outside_plugin_on_and_off(request, tmp_path, hello):
    """An installed outside plugin with a table of its own (tests/plugins/hello): on, its
    branch is upgraded with the product's history and its model matches its migration; off
    (``LMS_PLUGINS=-hello``), its branch is not migrated and its model - on the shared
    metadata once imported, as here - is left out of the comparison instead of showing as
    a missing table."""
    request.getfixturevalue("installed_hello_plugin")
    import tests.plugins.hello.models  # noqa: F401 - on the metadata in both cases

    with _empty_app(tmp_path, PLUGINS="all" if hello == "on" else "-hello") as app:
        upgrade(revision="heads")
        assert ("hello_greetings" in _tables()) == (hello == "on")
        assert ("hello_greetings" in app_tables(app)) == (hello == "on")
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


# --- downgrade and upgrade again on a populated database -------------------------------------

# Tables that hold nothing of their own: figures computed from other tables, written again by
# their upgrade (quiz_scores, migration 0013) or by a rebuild (the needs quiz evidence kept
# for closed rounds, `lms needs evidence rebuild`). A downgrade may drop them without loss.
# Signed-in sessions (0015) hold no record either: dropping them signs everyone out, once.
# xAPI deliveries (0019) mirror what a record store holds: without them the next push sends
# again statements the store already has, which it recognises by their stable ids.
# The mail outbox (0016) is a delivery log once its messages are out; its downgrade refuses
# while any message still waits to be sent.
# The privacy tables (0018) are written again by its upgrade: the erasures from the audit
# log's user.erased entries, the personal audit values moved back into the log and out again.
DERIVED_TABLES = {"quiz_scores", "needs_quiz_evidence", "needs_quiz_evidence_scopes", "needs_quiz_evidence_version",
                  "user_sessions", "xapi_deliveries", "mail_outbox", "audit_personal", "privacy_erasures"}
# Choices that only tune how Pembina behaves, with a default for everyone who never chose
# (notification preferences, 0017): dropping them puts everyone back on the defaults and
# loses no record; the downgrade's docstring must say so.
DEFAULTED_TABLES = {"notification_preferences"}
# The oldest revision a downgrade may go to and lose nothing: every downgrade above it drops
# only indexes and derived tables. Below it each downgrade drops the tables of the feature its
# revision added (discussions, learning events, ...) and says so in its docstring.
LOSSLESS_FLOOR = "0011_discussions"
# Revisions above the floor whose downgrade drops what people wrote, because no earlier
# revision can hold it: practical tasks' files and grades (0021), post-training evaluations
# (0022), roles held for one library (0024). Their docstrings say so; the round trip below leaves their tables out and checks
# every other table, so the revisions between them stay proven lossless.
LOSSY_ABOVE_FLOOR = {"0021_essay_grading", "0022_evaluations", "0024_organisation_roles"}


def _scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    return list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))  # oldest first


def _downgrade_source(script) -> str:
    import inspect as pyinspect

    return pyinspect.getsource(script.module.downgrade)


def _dropped_tables(script) -> set[str]:
    import re

    return set(re.findall(r"drop_table\(\s*['\"](\w+)['\"]", _downgrade_source(script)))


def _row_counts() -> dict[str, int]:
    db.session.remove()
    with db.engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in sorted(_tables()) if name != "alembic_version"}


def _rebuild_derived() -> None:
    """What `lms quizzes rebuild-scores` and `lms needs evidence rebuild` write."""
    from sqlalchemy import select

    from lms.plugins.needs import evidence
    from lms.plugins.needs.models import NeedsRound
    from lms.plugins.quizzes import services as quizzes

    quizzes.rebuild_scores()
    for needs_round in db.session.scalars(select(NeedsRound)).all():
        evidence.rebuild_round(needs_round)
    db.session.commit()


def test_downgrades_above_the_floor_drop_only_derived_tables_and_lossy_ones_say_so():
    scripts = _scripts()
    revisions = [script.revision for script in scripts]
    assert LOSSLESS_FLOOR in revisions
    for script in scripts:
        lost = _dropped_tables(script) - DERIVED_TABLES - DEFAULTED_TABLES
        if _dropped_tables(script) & DEFAULTED_TABLES:
            assert "defaults" in (script.module.downgrade.__doc__ or ""), \
                f"{script.revision}: say in its downgrade's docstring that everyone is back on the defaults"
        if revisions.index(script.revision) > revisions.index(LOSSLESS_FLOOR) \
                and script.revision not in LOSSY_ABOVE_FLOOR:
            assert not lost, f"{script.revision}: its downgrade drops {lost}; move LOSSLESS_FLOOR up"
            assert "drop_column" not in _downgrade_source(script), f"{script.revision} drops a column"
        elif lost:
            doc = (script.module.downgrade.__doc__ or "").lower()
            assert "drops" in doc and "data" in doc, \
                f"{script.revision}: its downgrade drops {sorted(lost)} - say so in its docstring"


def test_downgrade_and_upgrade_again_keep_every_row(empty_app):
    """A populated database (`lms demo`) taken down one revision at a time to the lossless
    floor and up again each time: every table keeps its row count - those of the revisions
    undone included, as they hold only derived figures, which the upgrade or a rebuild writes
    again (the quiz score summary equal to its recount)."""
    upgrade()
    courses = Path(__file__).resolve().parent.parent / "courses"
    for args in (["courses", "import", str(courses)], ["demo"]):  # what `make run` seeds
        result = empty_app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
    _rebuild_derived()
    before = _row_counts()
    assert before["quiz_attempts"] and before["quiz_scores"] and before["module_completions"], before
    scripts = _scripts()
    revisions = [script.revision for script in scripts]
    lossy = set().union(*(_dropped_tables(script) for script in scripts if script.revision in LOSSY_ABOVE_FLOOR))
    assert LOSSY_ABOVE_FLOOR <= set(revisions) and lossy

    def kept(counts: dict[str, int]) -> dict[str, int]:
        return {name: count for name, count in counts.items() if name not in lossy}

    before = kept(before)
    head = revisions[-1]
    # The demo's private course (issue 20): below 0025 every library would see it, so that
    # downgrade refuses until it is shared - as an operator would be told to do first.
    assert db.session.execute(text("UPDATE courses SET organisation_id = NULL "
                                   "WHERE organisation_id IS NOT NULL")).rowcount == 1
    db.session.commit()
    for target in reversed(revisions[revisions.index(LOSSLESS_FLOOR):-1]):
        downgrade(revision=target)
        down = kept(_row_counts())
        assert {name: down[name] for name in down} == {name: before[name] for name in down}, target
        upgrade(revision=head)
        assert kept(_row_counts()).keys() == before.keys()
        scores = _row_counts()["quiz_scores"]
        _rebuild_derived()
        after = kept(_row_counts())
        assert after == before, target
        assert scores == after["quiz_scores"], f"{target}: the upgrade did not refill the score summary"
