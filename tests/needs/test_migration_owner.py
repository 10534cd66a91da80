"""Migration 0026 gives every needs round and curriculum version an owner, and refuses to
guess one it cannot decide."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from lms.extensions import db
from tests.test_migrations import _empty_app, _scripts


# The revision just below 0026, whatever the chain is now.
BEFORE = next(script.down_revision for script in _scripts() if script.revision == "0026_organisation_needs")


def _units_and_organisations(conn, libraries: list[str]) -> dict[str, int]:
    ids = {}
    for number, code in enumerate(libraries, start=1):
        conn.execute(text("INSERT INTO units (id, code, name, kind, active, organisation_id, created_at) "
                          "VALUES (:id, :code, :code, 'library', true, :id, CURRENT_TIMESTAMP)"), {"id": number * 10, "code": code})
        conn.execute(text("INSERT INTO units (id, code, name, kind, active, parent_id, organisation_id, created_at) "
                          "VALUES (:id, :code, :code, 'branch', true, :parent, :parent, CURRENT_TIMESTAMP)"),
                     {"id": number * 10 + 1, "code": f"{code}-branch", "parent": number * 10})
        conn.execute(text("INSERT INTO organisations (unit_id, full_name, short_name, time_zone, jp_target, "
                          "default_locale, signatory_name, signatory_position, signatory_nip, email_signature, "
                          "updated_at) VALUES (:id, :code, :code, 'Asia/Jakarta', 20, 'id', '', '', '', '', "
                          "CURRENT_TIMESTAMP)"), {"id": number * 10, "code": code})
        ids[code] = number * 10
    return ids


def _round(conn, round_id: int, unit_ids=()) -> None:
    conn.execute(text("INSERT INTO needs_rounds (id, title, opens_on, closes_on, created_at) "
                      "VALUES (:id, 'R', '2026-01-01', '2026-01-31', CURRENT_TIMESTAMP)"), {"id": round_id})
    for unit_id in unit_ids:
        conn.execute(text("INSERT INTO needs_round_units (round_id, unit_id) VALUES (:r, :u)"),
                     {"r": round_id, "u": unit_id})


def test_the_backfill_takes_the_scopes_library_else_the_only_one(tmp_path):
    with _empty_app(tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            ids = _units_and_organisations(conn, ["lib"])
            _round(conn, 1, [ids["lib"] + 1])  # scoped to a branch
            _round(conn, 2)  # the whole library
            conn.execute(text("INSERT INTO curriculum_versions (id, number, status, round_id, note, created_at) "
                              "VALUES (1, 1, 'active', 1, '', CURRENT_TIMESTAMP), "
                              "(2, 2, 'draft', NULL, '', CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, organisation_id FROM needs_rounds ORDER BY id")).all() == [
                (1, ids["lib"]), (2, ids["lib"])]
            assert conn.execute(text("SELECT id, organisation_id FROM curriculum_versions ORDER BY id")).all() == [
                (1, ids["lib"]), (2, ids["lib"])]
            assert conn.execute(text("SELECT count(*) FROM needs_round_units")).scalar_one() == 1


def test_the_backfill_refuses_a_round_it_cannot_place(tmp_path, capfd):
    with _empty_app(tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            ids = _units_and_organisations(conn, ["lib", "lib-seb"])
            _round(conn, 1, [ids["lib"] + 1])
            _round(conn, 7)  # no units and two libraries: whose?
        with pytest.raises(SystemExit):  # flask-migrate logs the RuntimeError naming round 7 and exits
            upgrade()
        assert "needs round 7: no units and 2 top-level organisations" in capfd.readouterr().err
        db.session.remove()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == BEFORE
