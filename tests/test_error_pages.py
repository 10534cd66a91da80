"""Error pages that work when the database does not (issue 22).

After a PostgreSQL restart, requests got the server's bare 500: the error handler rendered
the full layout through a session that still needed a rollback (``PendingRollbackError``).
"""
from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import create_engine, event
from sqlalchemy.exc import OperationalError

from lms import db_events
from lms.auth.access import authenticated
from lms.auth.models import Unit, User
from lms.extensions import db
from tests.conftest import PASSWORD, login, make_test_app, reset_database


@pytest.fixture
def failing_app(tmp_path):
    """An app that handles its errors as in production, with routes that fail the database."""
    app = make_test_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("fail", __name__)

    @bp.route("/fail/flush")
    @authenticated
    def failed_flush():
        db.session.add(Unit(code="dup", name="One", kind="section"))
        db.session.add(Unit(code="dup", name="Two", kind="section"))
        db.session.flush()  # IntegrityError: the session now needs a rollback
        return "unreachable"

    @bp.route("/fail/database")
    @authenticated
    def database_gone():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    app.register_blueprint(bp)
    reset_database(app)
    with app.app_context():
        for name, locale in (("ani", "id"), ("ann", "en")):
            user = User(username=name, full_name=name.title(), locale=locale, active=True)
            user.set_roles(["librarian"])
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    return app


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_a_failed_flush_still_gets_the_friendly_page_in_indonesian(failing_app):
    response = signed_in(failing_app, "ani").get("/fail/flush")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Terjadi kesalahan di sistem kami" in page and 'class="error-code">500' in page
    assert "main-nav" in page  # the full layout: the session was rolled back before it rendered


def test_a_database_error_gets_a_page_that_reads_no_database(failing_app):
    client = signed_in(failing_app, "ani")
    statements: list[str] = []
    with failing_app.app_context():
        engine = db.engine

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    response = client.get("/fail/database")
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get("/fail/database")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Terjadi kesalahan di sistem kami" in page and 'lang="id"' in page
    assert "server closed" not in page
    # the user was loaded before the failure; the error page itself added no statement
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT USERS"), "\n\n".join(statements)


def test_the_plain_page_speaks_the_users_language(failing_app):
    page = signed_in(failing_app, "ann").get("/fail/database").get_data(as_text=True)
    assert "Something went wrong on our side" in page and 'lang="en"' in page


def test_api_clients_get_json_for_a_database_error(failing_app):
    response = signed_in(failing_app, "ani").get("/fail/database", headers={"Accept": "application/json"})
    assert response.status_code == 500 and response.get_json() == {"error": "Internal Server Error", "status": 500}


def test_a_refused_connection_is_tried_once_more(monkeypatch):
    """Connecting (not a statement) is retried once, after a pause: a PostgreSQL restart
    refuses new connections for a fraction of a second."""
    monkeypatch.setattr(db_events, "CONNECT_RETRY_PAUSE_S", 0.01)
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2})
    db_events.install_connect_retry(engine)
    tries: list[int] = []
    real_connect = engine.dialect.connect

    def counting_connect(*args, **kwargs):
        tries.append(1)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(engine.dialect, "connect", counting_connect)
    with pytest.raises(OperationalError):
        engine.connect()
    assert len(tries) == 2
    engine.dispose()
